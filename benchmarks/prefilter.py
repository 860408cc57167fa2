"""Scope prefilter against full cleaning, same records, same run, interleaved: records per second
each way (the prefilter alone; the full cleaning with the scope's topic match), their ratio, how
many records the prefilter rejects, and any record the full path finds in scope that the
prefilter rejected (a loss: must be 0).

    .venv/bin/python benchmarks/prefilter.py INPUT... [--limit N] [--config SCOPE.yaml] [--builds]

INPUT is anything `dgsn-corpus build` reads (WARC, CC-NEWS, HTML files, JSONL); the WCXB dev
pages work as they are (`../shared/devsets/wcxb-dev-other/html`). Timings on a shared machine are
noisy: read the ratio, not the absolute rates. `--builds` also times two whole builds of the
inputs into scratch corpora (reading, cleaning or prefiltering, committing), with the prefilter
and without, and compares the documents they keep.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cleaners.pipeline import clean_item  # noqa: E402
from cleaners.prefilter import could_be_in_scope  # noqa: E402
from cleaners.readers import ReadStats, decode_item, expand_inputs, iter_items  # noqa: E402
from cleaners.topics import topic_hits  # noqa: E402
from corpus.scope import ScopeConfig  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--builds", action="store_true")
    args = ap.parse_args()
    terms = ScopeConfig.load(args.config).extra_terms
    stats = ReadStats()
    pre_s = full_s = 0.0
    n = rejected = in_scope = 0
    losses: list[str] = []
    for item in iter_items(expand_inputs(args.inputs), stats):
        if args.limit is not None and n >= args.limit:
            break
        text = decode_item(item)
        # interleaved: both ways on this record, in alternating order, before the next record
        order = (0, 1) if n % 2 else (1, 0)
        for which in order:
            t0 = time.perf_counter()
            if which == 0:
                passed = could_be_in_scope(text, terms, is_html=item.kind == "html", title=item.title)
                pre_s += time.perf_counter() - t0
            else:
                doc = clean_item(item, text)
                hits = topic_hits(f"{doc.title or ''}\n{doc.text}", terms)
                full_s += time.perf_counter() - t0
        n += 1
        rejected += not passed
        in_scope += bool(hits)
        if hits and not passed:
            losses.append(f"{item.raw_path}@{item.raw_offset} {item.url}: {sorted(hits)}")
    if not n:
        sys.exit("no records read")
    print(f"records: {n}, in scope (full path): {in_scope}, rejected by the prefilter: {rejected} "
          f"({100 * rejected / n:.1f} %)")
    print(f"prefilter: {n / pre_s:.1f} records/s; full cleaning: {n / full_s:.1f} records/s; "
          f"ratio {full_s / pre_s:.1f}x")
    print(f"lost by the prefilter (in scope, rejected): {len(losses)}")
    for loss in losses:
        print(f"  {loss}")
    if args.builds:
        losses.extend(compare_builds(args.inputs, ScopeConfig.load(args.config)))
    sys.exit(1 if losses else 0)


def compare_builds(inputs: list[str], config: ScopeConfig) -> list[str]:
    import tempfile

    from corpus.build import build
    from corpus.store import CorpusStore

    with tempfile.TemporaryDirectory() as tmp:
        seconds, kept = {}, {}
        for name, prefilter in (("prefilter", True), ("full", False)):
            t0 = time.perf_counter()
            report = build(inputs, Path(tmp) / name, config, prefilter=prefilter)
            seconds[name] = time.perf_counter() - t0
            table = CorpusStore(Path(tmp) / name).read(columns=["doc_id", "content_hash"])
            kept[name] = set(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))
            print(f"build with {name}: {seconds[name]:.1f} s, {len(kept[name])} documents kept, "
                  f"{report.read.get('skipped:prefilter_out_of_scope', 0)} records prefiltered")
        print(f"build time ratio (full / prefilter): {seconds['full'] / seconds['prefilter']:.1f}x; "
              f"same documents kept: {kept['full'] == kept['prefilter']}")
        return [] if kept["full"] == kept["prefilter"] else [f"builds differ: {kept['full'] ^ kept['prefilter']}"]


if __name__ == "__main__":
    main()
