"""The sample outlet pages (crawler/sample_outlets: Arabic, French and English pages in the markup
of the outlets' themes), by language: the body sentences the content model keeps, what it drops,
the page kinds, and clean_html's speed against bare trafilatura.extract on the same bytes, same run.

    .venv/bin/python benchmarks/outlet_pages.py

A body sentence is a line of the rules-only text (clean_html with model=False) that the stripper
counts as a body paragraph; "lost" are those missing from the text with the model on. These pages
have no ground truth of their own, so no P/R/F1 here (benchmarks/quality.py has them on WCXB).
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.quality import run  # noqa: E402
from cleaners import clean_html  # noqa: E402
from cleaners.models.content import RULE_ID  # noqa: E402
from cleaners.strip import _is_body_paragraph  # noqa: E402
from crawler.sample_outlets import sample_pages  # noqa: E402


def main() -> None:
    pages = [p for p in sample_pages() if p.status == 200 and p.content_type.startswith("text/html")]
    by_lang: dict[str, list] = defaultdict(list)
    for p in pages:
        by_lang[p.file.split("/")[0].rsplit("-", 1)[-1]].append(p)
    clean_html(pages[0].body, url=pages[0].url)  # load rules and models outside the timing
    for lang, group in sorted(by_lang.items()):
        body = lost = dropped = 0
        kinds: Counter[str] = Counter()
        for p in group:
            plain = clean_html(p.body, url=p.url, model=False)
            doc = clean_html(p.body, url=p.url)
            kept = set(doc.text.split("\n"))
            sentences = [line for line in plain.text.split("\n") if _is_body_paragraph(line)]
            body += len(sentences)
            lost += sum(line not in kept for line in sentences)
            dropped += sum(r.rule == RULE_ID for r in doc.removed)
            kinds[str(doc.page_kind)] += 1
        timed = [(p.body, p.url, {}) for p in group]
        bare, ours = run({"trafilatura": lambda h, u: trafilatura.extract(h, url=u, include_comments=False),
                          "dgsn-corpus": lambda h, u: clean_html(h, url=u).text}, timed * 20)
        print(f"{lang}: {len(group)} pages, {body} body sentences, {lost} lost with the model; "
              f"{dropped} lines dropped by the model; page kinds "
              + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
              + f"; speed ratio {ours['docs_per_s'] / bare['docs_per_s']:.2f}x "
              f"({ours['docs_per_s']:.0f} vs {bare['docs_per_s']:.0f} docs/s, each page 20 times)")


if __name__ == "__main__":
    main()
