"""Extraction quality and speed: our `clean_html` against bare `trafilatura.extract`, same pages,
same run. Any folder in WCXB layout works (html/*.html.gz, ground-truth/*.json).

    .venv/bin/python benchmarks/quality.py ../shared/devsets/wcxb-dev-articles [--limit N]

Metric (WCXB's): lowercase \\w+ bag-of-words overlap with ground_truth.main_content, precision /
recall / F1 per page, averaged; a page with empty ground truth scores 1 only for an empty output.
Leakage: share of `without` snippets found in the output. Speed: documents per second, one process.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cleaners import clean_html  # noqa: E402

_WORD = re.compile(r"\w+")


def prf(pred: str, gold: str) -> tuple[float, float, float]:
    p, g = Counter(_WORD.findall(pred.lower())), Counter(_WORD.findall(gold.lower()))
    if not g:
        return (1.0, 1.0, 1.0) if not p else (0.0, 0.0, 0.0)
    if not p:
        return 0.0, 0.0, 0.0
    overlap = sum((p & g).values())
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


def load(folder: Path, limit: int | None) -> list[tuple[str, str | None, dict]]:
    pages = []
    for path in sorted((folder / "html").glob("*.html.gz"))[:limit]:
        stem = path.name.split(".")[0]
        truth = json.loads((folder / "ground-truth" / f"{stem}.json").read_text(encoding="utf-8"))
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        pages.append((html, truth.get("url"), truth["ground_truth"]))
    return pages


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
    slowing the machine down for a while slows both sides alike, so the ratio holds."""
    outputs: dict[str, list[str]] = {name: [] for name in extractors}
    seconds = dict.fromkeys(extractors, 0.0)
    for html, url, _ in pages:
        for name, fn in extractors.items():
            start = time.perf_counter()
            outputs[name].append(fn(html, url) or "")
            seconds[name] += time.perf_counter() - start
    return [score(name, outputs[name], seconds[name], pages) for name in extractors]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    pages = load(args.folder, args.limit)
    clean_html(pages[0][0])  # load rules and the language model outside the timing
    bare, ours = run({"trafilatura": lambda h, u: trafilatura.extract(h, url=u, include_comments=False),
                      "dgsn-corpus": lambda h, u: clean_html(h, url=u).text}, pages)
    print(f"{len(pages)} pages from {args.folder}")
    for r in (bare, ours):
        print(f"{r['name']:<12} P {r['precision']:.4f}  R {r['recall']:.4f}  F1 {r['f1']:.4f}  "
              f"leak {r['leakage']:.3%}  {r['docs_per_s']:.1f} docs/s")
    print(f"delta F1 {ours['f1'] - bare['f1']:+.4f}  P {ours['precision'] - bare['precision']:+.4f}  "
          f"R {ours['recall'] - bare['recall']:+.4f}  speed ratio {ours['docs_per_s'] / bare['docs_per_s']:.2f}x")


if __name__ == "__main__":
    main()
