"""End-to-end builds on a Dask LocalCluster at 1, 2, 4, 8 and 16 workers (only the counts the
machine has cores for): records per second from the raw dumps to the committed version, the
documents kept (equal at every count), the build process's peak RSS and the largest worker's, and
the speedup over 1 worker (target: at least 0.8 x N up to the core count). The same build in one
process without Dask, the bare path, shows what the cluster costs.

    .venv/bin/python benchmarks/scaling.py [--shards 32] [--per-shard 40] [--max-workers N]
    .venv/bin/python benchmarks/scaling.py --ccnews 100000 [--max-workers N]

The shards are generated WARC files (the tests' article pages, each with theme chrome, a PNG and a
404), written once to a temporary directory. With `--ccnews N`, they are the archive scan's instead
(benchmarks/ccnews.py: N records in 32 gzip-per-record files, 0.5 % of the pages in scope), the
figures are those of benchmarks/archive_scan.py (records/s end to end and per core, peak RSS), and
the full path (`--no-prefilter`, in one process) is run too: every worker count must keep the
documents it keeps. Each worker is one process with one thread, started
and warmed up (models loaded) before the clock starts. Each build runs in a child process of its
own, so its peak RSS is its own. Times are noisy on a shared machine: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def write_shards(directory: Path, shards: int, per_shard: int) -> list[Path]:
    from tests.helpers import article_html, write_warc

    cities = ["Tangier", "Fes", "Agadir", "Oujda", "Nador", "Rabat", "Meknes", "Tetouan"]
    paths = []
    for s in range(shards):
        pages = [(f"https://news.example.ma/{s}/article-{i}/",
                  article_html(s * 10_000 + i, city=cities[i % len(cities)], extra=_filler(i)))
                 for i in range(per_shard)]
        [path] = write_warc(directory / f"shard-{s:04d}", pages)
        paths.append(path)
    return paths


def _filler(i: int) -> str:
    """Article-sized pages: a few more paragraphs of varying text."""
    return "".join(f"<p>Paragraph {k} of report {i}: the prosecutor heard {k + i} witnesses and the court "
                   f"adjourned the hearing of case {i}-{k} to a later date, officials said.</p>" for k in range(12))


def child(paths: list[Path], workers: int, corpus: Path, prefilter: bool = True) -> dict[str, float]:
    """One build (workers 0: in this process), timed after the warm-up; `prefilter=False`: the full path."""
    import resource

    from corpus.build import build
    from corpus.scope import ScopeConfig
    from corpus.shards import clean_shard, dask_client

    config = ScopeConfig()
    clean_shard(paths[0], config)  # imports and models loaded before the clock starts
    if workers == 0:
        started = time.perf_counter()
        report = build(paths, corpus, config, prefilter=prefilter)
    else:
        with dask_client(workers=workers) as client:
            client.run(clean_shard, paths[0], config)  # every worker warmed up before the clock starts
            started = time.perf_counter()
            report = build(paths, corpus, config, scheduler=client.scheduler.address, prefilter=prefilter)
    seconds = time.perf_counter() - started
    if report.failed_shards:
        raise SystemExit(f"shards failed: {report.failed_shards}")
    return {"seconds": seconds, "records": report.read.get("warc_records", 0), "kept": report.counts["documents"],
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def run(paths: list[Path], workers: int, tmp: Path, prefilter: bool = True) -> dict[str, float]:
    corpus = tmp / f"corpus-{workers}"
    out = subprocess.run([sys.executable, __file__, "--child", str(workers), "--corpus", str(corpus),
                          *([] if prefilter else ["--no-prefilter"]), *map(str, paths)],
                         check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    shutil.rmtree(corpus, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=32)
    parser.add_argument("--per-shard", type=int, default=40)
    parser.add_argument("--max-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ccnews", type=int, default=0, metavar="RECORDS",
                        help="scan a CC-NEWS-shaped archive of RECORDS records instead (as benchmarks/archive_scan.py)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-prefilter", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.paths, args.child, args.corpus, prefilter=not args.no_prefilter)))
        return
    counts = [n for n in (1, 2, 4, 8, 16) if n <= min(args.max_workers, os.cpu_count() or 1)]

    with tempfile.TemporaryDirectory(prefix="dgsn-scaling-") as tmp:
        if args.ccnews:
            import ccnews

            paths, records, in_scope = ccnews.generate(Path(tmp) / "warc", args.ccnews,
                                                       per_file=-(-args.ccnews // 32))
            size = sum(p.stat().st_size for p in paths) / 1e6
            print(f"{len(paths)} CC-NEWS-shaped files, {records} records, {in_scope} in-scope pages, "
                  f"{size:.0f} MB of WARC; {os.cpu_count()} cores")
        else:
            paths = write_shards(Path(tmp), args.shards, args.per_shard)
            size = sum(p.stat().st_size for p in paths) / 1e6
            print(f"{len(paths)} shards, {args.per_shard} articles each, {size:.1f} MB of WARC; "
                  f"{os.cpu_count()} cores")
        bare = run(paths, 0, Path(tmp))

        def line(r: dict[str, float]) -> str:
            return (f"{r['records'] / r['seconds']:8.1f} records/s {r['kept']:6.0f} kept  "
                    f"peak RSS {r['rss_mb']:6.0f} MB (largest worker {r['worker_rss_mb']:6.0f} MB)")

        print(f"{'in process (no Dask)':>22}: {line(bare)}")
        if args.ccnews:
            full = run(paths, 0, Path(tmp), prefilter=False)
            print(f"{'full path, in process':>22}: {line(full)}  (--no-prefilter: every record cleaned)")
            assert full["kept"] == bare["kept"], f"the prefilter kept {bare['kept']}, the full path {full['kept']}"
        one = None
        for n in counts:
            r = run(paths, n, Path(tmp))
            assert r["kept"] == bare["kept"], f"{n} workers kept {r['kept']} documents, the bare path {bare['kept']}"
            one = one or r["seconds"]
            speedup = one / r["seconds"]
            print(f"{n:>14} worker(s): {line(r)}  {r['records'] / r['seconds'] / n:8.1f} records/s/core  "
                  f"speedup {speedup:5.2f}x over 1 worker "
                  f"({speedup / n:.2f} x N; target >= 0.8 x N)  {bare['seconds'] / r['seconds']:5.2f}x the bare path")


if __name__ == "__main__":
    main()
