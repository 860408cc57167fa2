"""WARC reading throughput: our reader (cleaners.warc_reader.iter_warc, what the build reads records,
payloads and offsets through) against bare fastwarc on the same CC-NEWS-shaped files
(benchmarks/ccnews.py: one gzip member per record; warcinfo, then request, response, metadata per
page), in the same run, best of `--rounds`, interleaved:

- bare fastwarc: an ArchiveIterator over the file, reading every response record's payload bytes;
- ours: every record framed and checked (whole or torn), HTTP head, status and type checks, payload
  read with its encodings undone, one RawItem per HTML response.

Prints records/s for both and ours / bare (target >= 0.8).

    .venv/bin/python benchmarks/warc_read.py [--records 20000] [--rounds 3] [--keep DIR]

Timings on a shared machine are noisy: read the ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import ccnews  # noqa: E402
from fastwarc.warc import ArchiveIterator, WarcRecordType  # noqa: E402

from cleaners.records import ReadStats  # noqa: E402
from cleaners.warc_reader import iter_warc  # noqa: E402


def bare(paths: list[Path]) -> tuple[int, int]:
    """(records, payload bytes of the responses) through fastwarc alone."""
    records = payload = 0
    for path in paths:
        for record in ArchiveIterator(str(path), parse_http=True, fsspec_args=False):
            records += 1
            if record.record_type == WarcRecordType.response:
                payload += len(record.reader.read())
    return records, payload


def ours(paths: list[Path]) -> tuple[int, int]:
    """(records, payload bytes of the items) through our reader."""
    stats = ReadStats()
    payload = sum(len(item.content) for path in paths for item in iter_warc(path, stats))
    return stats.counts["warc_records"], payload


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20_000, help="WARC records in all (default 20000)")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds of each reader; the best counts")
    ap.add_argument("--keep", type=Path, default=None, help="work directory, kept afterwards")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="warc-read-"))
    try:
        files, _, _ = ccnews.generate(base, args.records, per_file=args.records // 2 + 1)
        print(f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.0f} MB", flush=True)
        best: dict[str, float] = {}
        seen: dict[str, tuple[int, int]] = {}
        for _ in range(args.rounds):
            for name, read in (("bare fastwarc", bare), ("ours (iter_warc)", ours)):
                t0 = time.perf_counter()
                seen[name] = read(files)
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
        records = seen["bare fastwarc"][0]
        for name, secs in best.items():
            n, nbytes = seen[name]
            print(f"{name}: {records / secs:,.0f} records/s ({n} records, {nbytes / 1e6:.0f} MB of payloads; "
                  f"best of {args.rounds}: {secs:.2f} s)")
        ratio = best["bare fastwarc"] / best["ours (iter_warc)"]
        print(f"ours / bare fastwarc: {ratio:.2f}x (target >= 0.8)")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
