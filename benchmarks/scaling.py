"""Cleaning on a Dask LocalCluster at 1, 2, 4, 8 and 16 workers (as many as the machine has cores):
shards per second and documents per second, with the speedup over 1 worker (target: at least 0.8 x N
up to the core count). The same shards are also cleaned in this process without Dask, the bare
path, to show what the cluster costs.

    .venv/bin/python benchmarks/scaling.py [--shards 32] [--per-shard 40] [--max-workers N]

The shards are generated WARC files (the tests' article pages, each with theme chrome, a PNG and a
404), written once to a temporary directory. Each worker is one process with one thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


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


def run(paths: list[Path], workers: int | None) -> tuple[float, int]:
    from corpus.scope import ScopeConfig
    from corpus.shards import ShardFailure, clean_shard, dask_client, run_shards

    config = ScopeConfig()
    docs = 0
    if workers is None:
        clean_shard(paths[0], config)  # imports and models loaded before the clock starts
        started = time.perf_counter()
        for result in run_shards(paths, config):
            docs += len(result.documents)
        return time.perf_counter() - started, docs
    with dask_client(workers=workers) as client:
        client.run(clean_shard, paths[0], config)  # every worker warmed up before the clock starts
        started = time.perf_counter()
        for result in run_shards(paths, config, client=client):
            if isinstance(result, ShardFailure):
                raise SystemExit(f"shard failed: {result.path}: {result.error}")
            docs += len(result.documents)
        return time.perf_counter() - started, docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=32)
    parser.add_argument("--per-shard", type=int, default=40)
    parser.add_argument("--max-workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    counts = [n for n in (1, 2, 4, 8, 16) if n <= args.max_workers]

    with tempfile.TemporaryDirectory(prefix="dgsn-scaling-") as tmp:
        paths = write_shards(Path(tmp), args.shards, args.per_shard)
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(f"{len(paths)} shards, {args.per_shard} articles each, {size:.1f} MB of WARC; "
              f"{os.cpu_count()} cores")
        bare_s, docs = run(paths, None)
        print(f"{'in process (no Dask)':>22}: {len(paths) / bare_s:7.2f} shards/s {docs / bare_s:8.1f} docs/s")
        one = None
        for n in counts:
            seconds, got = run(paths, n)
            assert got == docs, f"{n} workers cleaned {got} documents, the bare path {docs}"
            one = one or seconds
            speedup = one / seconds
            print(f"{n:>14} worker(s): {len(paths) / seconds:7.2f} shards/s {docs / seconds:8.1f} docs/s  "
                  f"speedup {speedup:5.2f}x over 1 worker ({speedup / n:.2f} x N; target >= 0.8 x N)  "
                  f"{bare_s / seconds:5.2f}x the bare path")


if __name__ == "__main__":
    main()
