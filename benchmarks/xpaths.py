"""cleaners.xpaths against trafilatura's XPath expressions: the same nodes, and the time each side
takes, on every page of the dev sets.

Two checks, same pages:
- on the tree as parsed (before any pruning), each expression and its equivalent;
- inside the extraction: `clean_html` runs with each expression replaced by a checker that calls
  both on the tree trafilatura hands it (its converted copies, with <list>, <item>, <head>...)
  and keeps the XPath's answer.

    .venv/bin/python benchmarks/xpaths.py ../shared/devsets
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trafilatura import xpaths as xp  # noqa: E402

from cleaners import clean_html  # noqa: E402
from cleaners import xpaths as fast  # noqa: E402
from cleaners.extract import parse_html  # noqa: E402
from cleaners.models import devsets  # noqa: E402

PAIRS = [(f"{name}[{i}]", getattr(xp, name)[i], f)
         for name, (selections, _) in fast.EQUIVALENTS.items() for i, f in enumerate(selections)]


def compare(trees: list[etree._Element]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Pages whose nodes differ, and seconds, by expression (and side)."""
    differ: Counter[str] = Counter()
    seconds: Counter[tuple[str, str]] = Counter()
    for name, xpath, selection in PAIRS:
        for side, f in (("xpath", xpath), ("python", selection)):
            start = time.perf_counter()
            results = [f(tree) for tree in trees]
            seconds[name, side] += time.perf_counter() - start
            if side == "xpath":
                expected = results
        differ[name] += sum(a != b for a, b in zip(expected, results, strict=True))
    return differ, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devsets", type=Path, help="the folder holding wcxb-dev-articles and wcxb-dev-other")
    ap.add_argument("--limit", type=int, default=None, help="pages per folder")
    args = ap.parse_args()
    pages = [p for folder in ("wcxb-dev-articles", "wcxb-dev-other")
             for p in devsets.load(args.devsets / folder, "all", args.limit)]
    trees = [t for t in (parse_html(p.html) for p in pages) if t is not None]
    differ, seconds = compare(trees)
    xpath, python = (sum(t for (_, s), t in seconds.items() if s == side) for side in ("xpath", "python"))
    print(f"{len(trees)} parsed pages: {sum(differ.values())} of {len(PAIRS) * len(trees)} selections differ; "
          f"XPath {xpath:.2f} s, Python {python:.2f} s ({xpath / python:.2f}x faster)")
    for name, _, _ in PAIRS:
        print(f"  {name}: {differ[name]} pages differ; XPath {seconds[name, 'xpath']:.3f} s, "
              f"Python {seconds[name, 'python']:.3f} s")
    calls: Counter[str] = Counter()
    differ: Counter[str] = Counter()

    def record(name: str, same: bool) -> None:
        calls[name] += 1
        differ[name] += not same

    with fast.checked(record):
        for p in pages:
            clean_html(p.html, url=p.url)
    print(f"inside the extraction of {len(pages)} pages: {sum(differ.values())} of {sum(calls.values())} calls differ")
    for name in sorted(calls):
        print(f"  {name}: {calls[name]} calls, {differ[name]} differ")

if __name__ == "__main__":
    main()
