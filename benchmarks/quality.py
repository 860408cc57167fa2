"""Extraction quality and speed: our `clean_html` against bare `trafilatura.extract`, same pages,
same run. Any folder in WCXB layout works (html/*.html.gz, ground-truth/*.json).

    .venv/bin/python benchmarks/quality.py ../shared/devsets/wcxb-dev-articles [--limit N]

Metric (WCXB's): lowercase \\w+ bag-of-words overlap with ground_truth.main_content, precision /
recall / F1 per page, averaged; a page with empty ground truth scores 1 only for an empty output.
Leakage: share of `without` snippets found in the output. Speed: documents per second, one process,
each page through both sides in turn (who goes first alternates); `--rounds N` times N passes and
prints the median speed ratio.
`--metadata` also scores title (exact, normalized), author (contained) and date (same day) against
the ground truth, for our metadata reader and trafilatura's. `--page-kind OTHER` (a folder of pages
that are not articles, such as ../shared/devsets/wcxb-dev-other) also gives the page-kind figures:
article recall (the folder's pages clean_html keeps as articles) and non-article rejection (OTHER's
pages it judges not_article), on the same part of the split; use `--part heldout` for the pages the
page-kind model never trained on. Article recall is also given on the news articles alone (a date or
an author in the ground truth): WCXB files undated service-like pages as articles too.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cleaners import clean_html  # noqa: E402
from cleaners.models import devsets  # noqa: E402
from cleaners.models.devsets import is_news, prf  # noqa: E402


def load(folder: Path, limit: int | None, part: str = "all") -> list[tuple[str, str | None, dict]]:
    return [(p.html, p.url, p.truth) for p in devsets.load(folder, part, limit)]


def score(name: str, outputs: list[str], seconds: float, pages: list) -> dict[str, float]:
    scores, leaks, snippets = [], 0, 0
    for out, (_, _, gt) in zip(outputs, pages, strict=True):
        scores.append(prf(out, gt.get("main_content") or ""))
        for snippet in gt.get("without") or []:
            snippets += 1
            leaks += snippet.lower() in out.lower()
    n = len(scores)
    return {"name": name, "precision": sum(s[0] for s in scores) / n, "recall": sum(s[1] for s in scores) / n,
            "f1": sum(s[2] for s in scores) / n, "leakage": leaks / max(snippets, 1), "docs_per_s": n / seconds}


def run(extractors: dict[str, Callable[[str, str | None], str]], pages: list) -> list[dict[str, float]]:
    """Each page goes through every extractor in turn, each call timed on its own: a neighbour
    slowing the machine down for a while slows both sides alike, so the ratio holds. The order
    flips from page to page, so that neither side always finds the page warm in the caches."""
    outputs: dict[str, list[str]] = {name: [] for name in extractors}
    seconds = dict.fromkeys(extractors, 0.0)
    names = list(extractors)
    for i, (html, url, _) in enumerate(pages):
        for name in names if i % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            outputs[name].append(extractors[name](html, url) or "")
            seconds[name] += time.perf_counter() - start
    return [score(name, outputs[name], seconds[name], pages) for name in extractors]


def _norm(s: str | None) -> str:
    return " ".join(re.findall(r"\w+", (s or "").lower()))


def metadata_matches(pages: list) -> None:
    """Title, author and publication date against the ground truth: our metadata reader against
    trafilatura's extract_metadata (what bare_extraction with_metadata runs), same pages."""
    from trafilatura.metadata import extract_metadata as theirs
    from trafilatura.utils import load_html

    from cleaners.metadata import extract_metadata as ours

    readers = {"trafilatura": lambda t, u: (lambda m: (m.title, m.author, m.date))(
                   theirs(t, u, {"original_date": True, "extensive_search": False})),
               "dgsn-corpus": lambda t, u: (lambda m: (m.title, "; ".join(m.authors), m.published_at))(ours(t, u))}
    for name, read in readers.items():
        hits, totals, seconds = [0, 0, 0], [0, 0, 0], 0.0
        for html, url, gt in pages:
            tree = load_html(html)
            start = time.perf_counter()
            title, author, day = read(tree, url)
            seconds += time.perf_counter() - start
            if gt.get("title"):
                totals[0] += 1
                hits[0] += _norm(gt["title"]) == _norm(title)
            if gt.get("author"):
                totals[1] += 1
                hits[1] += bool(author) and _norm(gt["author"]) in _norm(author)
            if gt.get("publish_date"):
                totals[2] += 1
                hits[2] += (day or "")[:10] == gt["publish_date"][:10]
        print(f"{name:<12} metadata: title {hits[0]}/{totals[0]}  author {hits[1]}/{totals[1]}  "
              f"date {hits[2]}/{totals[2]}  {1000 * seconds / len(pages):.1f} ms/page")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--part", choices=devsets.PARTS, default="all",
                    help="Part of the fixed split by site (cleaners/models/devsets.py): heldout is what no model "
                         "trained on.")
    ap.add_argument("--metadata", action="store_true", help="Also score title, author and date.")
    ap.add_argument("--rounds", type=int, default=1,
                    help="Time both sides this many times over the pages; each round's speed ratio and their "
                         "median are printed (one round varies by a few percent on a shared machine).")
    ap.add_argument("--page-kind", type=Path, metavar="OTHER",
                    help="A folder of pages that are not articles: also article recall and non-article rejection.")
    args = ap.parse_args()
    pages = load(args.folder, args.limit, args.part)
    if args.metadata:
        metadata_matches(pages)
    clean_html(pages[0][0])  # load rules and the language model outside the timing
    kinds: list[str | None] = []

    def ours_text(html: str, url: str | None) -> str:
        doc = clean_html(html, url=url)
        kinds.append(doc.page_kind)
        return doc.text

    extractors = {"trafilatura": lambda h, u: trafilatura.extract(h, url=u, include_comments=False),
                  "dgsn-corpus": ours_text}
    bare, ours = run(extractors, pages)
    print(f"{len(pages)} pages from {args.folder} (part {args.part})")
    for r in (bare, ours):
        print(f"{r['name']:<12} P {r['precision']:.4f}  R {r['recall']:.4f}  F1 {r['f1']:.4f}  "
              f"leak {r['leakage']:.3%}  {r['docs_per_s']:.1f} docs/s")
    print(f"delta F1 {ours['f1'] - bare['f1']:+.4f}  P {ours['precision'] - bare['precision']:+.4f}  "
          f"R {ours['recall'] - bare['recall']:+.4f}  speed ratio {ours['docs_per_s'] / bare['docs_per_s']:.2f}x")
    if args.page_kind:
        others = [(p.page_type, clean_html(p.html, url=p.url).page_kind)
                  for p in devsets.load(args.page_kind, args.part, args.limit)]
        recall = sum(k == "article" for k in kinds) / len(kinds)
        rejection = sum(k == "not_article" for _, k in others) / max(len(others), 1)
        news = [k for k, (_, _, gt) in zip(kinds, pages, strict=True) if is_news(gt)]
        print(f"page kind: article recall {recall:.4f} ({len(kinds)} pages)  non-article rejection {rejection:.4f} "
              f"({len(others)} pages from {args.page_kind})")
        print(f"  article recall on news (a date or an author in the ground truth): "
              f"{sum(k == 'article' for k in news) / max(len(news), 1):.4f} ({len(news)} pages)")
        types = sorted({t for t, _ in others})
        print("  rejected by type: " + ", ".join(
            f"{t} {sum(k == 'not_article' for u, k in others if u == t)}/{sum(u == t for u, _ in others)}"
            for t in types))
    if args.rounds > 1:
        ratios = [ours["docs_per_s"] / bare["docs_per_s"]]
        for _ in range(args.rounds - 1):
            bare_r, ours_r = run(extractors, pages)
            ratios.append(ours_r["docs_per_s"] / bare_r["docs_per_s"])
        print(f"speed ratio over {args.rounds} rounds: " + " ".join(f"{r:.2f}x" for r in ratios)
              + f"  median {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
