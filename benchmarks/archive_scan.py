"""A CC-NEWS-shaped archive scan end to end: generated WARC files (benchmarks/ccnews.py: one gzip
member per record; warcinfo, then request, response, metadata per page; 0.5 % of the pages in
scope, in Arabic, French or English, the rest off-topic news in thirteen languages) built into a
corpus by `dgsn-corpus build`, at each size:

- records/s end to end, one process and `--workers N` (and per core: the target is >= 1,000);
- in-scope documents kept against the full path, `build --no-prefilter` (they must be equal); when
  the build has no `--no-prefilter` (no prefilter yet), every build is the full path, and it says so;
- peak RSS of the build (the largest process: the build or one of its Dask workers);
- the factor from the smallest to the largest size (target: at most 1.1x the size factor in time,
  11x for 100k -> 1M records).

Then `--kept N` (default 100,000; 0 skips it): a build whose N documents are all kept (a JSONL dump
of in-scope stories as text), timed with `clean` of the same dump in the same run, so documents/s
after cleaning = N / (build time - clean time) (target: >= 2,000); the same in CPU time (user +
system of each child and the children it waited for), which other load on the machine moves less;
and N / the build's own stage after cleaning (its "took:" line: deciding, indexing, committing),
since build - clean also counts what the build does while cleaning and `clean` does not: the scope
prefilter and staging the shards. The same build with `--no-prefilter` (which keeps the same
documents of such a dump) is timed too: build - that build is the prefilter's cost, and that
build - clean the cost of staging and committing.

    .venv/bin/python benchmarks/archive_scan.py [--records 100000 | --sizes 100000,1000000]
        [--workers 2] [--kept 100000] [--keep DIR] [--skip-full]

Each build runs as its own child process (its time includes start-up; its peak RSS is os.wait4's).
Timings on a shared machine are noisy: compare the runs of one invocation, not across invocations.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import ccnews  # noqa: E402

CLI = [sys.executable, "-m", "corpus.cli"]
_DOCUMENTS = re.compile(r"^version \d+ of .*?(\d+) documents$", re.M)
_TOOK = re.compile(r"^  took: cleaning ([\d.]+) s, after cleaning ([\d.]+) s$", re.M)


def run_child(cmd: list[str]) -> dict:
    """Run `cmd` as a child: wall seconds, its peak RSS (MB; os.wait4's: the largest of it and the
    children it waited for, Dask workers among them) and its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    out_file, err_file = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    # both pipes read to their ends (no deadlock), then the child reaped by wait4 for its rusage

    def drain(src, dst) -> None:
        shutil.copyfileobj(src, dst)

    threads = [threading.Thread(target=drain, args=(proc.stdout, out_file)),
               threading.Thread(target=drain, args=(proc.stderr, err_file))]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    out_file.seek(0)
    err_file.seek(0)
    out, err = out_file.read().decode(), err_file.read().decode()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:6])} ... failed ({proc.returncode}):\n{err[-3000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "stdout": out, "stderr": err}


def has_prefilter_flag() -> bool:
    help_text = subprocess.run([*CLI, "build", "--help"], cwd=REPO, capture_output=True, text=True).stdout
    return "--no-prefilter" in help_text


def build(files: list[Path], corpus: Path, workers: int | None, full: bool) -> dict:
    cmd = [*CLI, "build", *map(str, files), "--corpus", str(corpus), "-q"]
    if workers:
        cmd += ["--workers", str(workers)]
    if full:
        cmd.append("--no-prefilter")
    result = run_child(cmd)
    m = _DOCUMENTS.search(result["stdout"])
    if m is None:
        raise SystemExit(f"no summary line in the build's output:\n{result['stdout'][-2000:]}")
    result["documents"] = int(m.group(1))
    return result


def scan(size: int, base: Path, workers: int, skip_full: bool, prefilter: bool, in_scope_share: float) -> dict:
    work = base / f"scan-{size}"
    shutil.rmtree(work, ignore_errors=True)
    t0 = time.perf_counter()
    files, records, in_scope = ccnews.generate(work / "warc", size, in_scope_share=in_scope_share, workers=workers)
    gen_s = time.perf_counter() - t0
    mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"[{size}] generated {records} records ({len(files)} files, {mb:.0f} MB, {in_scope} in-scope pages) "
          f"in {gen_s:.0f} s", flush=True)
    runs = {"one process": build(files, work / "corpus-1", None, False),
            f"--workers {workers}": build(files, work / f"corpus-{workers}", workers, False)}
    if prefilter and not skip_full:
        runs[f"full path (--no-prefilter, --workers {workers})"] = build(files, work / "corpus-full", workers, True)
    out = {"size": size, "records": records, "in_scope_pages": in_scope, "runs": {}}
    for name, r in runs.items():
        cores = workers if "workers" in name else 1
        rate = records / r["wall_s"]
        out["runs"][name] = {"wall_s": round(r["wall_s"], 1), "records_per_s": round(rate),
                             "records_per_s_per_core": round(rate / cores), "peak_rss_mb": round(r["peak_rss_mb"]),
                             "documents": r["documents"]}
        print(f"[{size}] {name}: {r['wall_s']:.1f} s, {rate:.0f} records/s ({rate / cores:.0f} per core; target "
              f">= 1000), peak RSS {r['peak_rss_mb']:.0f} MB, {r['documents']} documents kept", flush=True)
    kept = {name: r["documents"] for name, r in runs.items()}
    full_note = "" if prefilter else " (no --no-prefilter in this build: every run is the full path)"
    print(f"[{size}] documents kept: {kept}, {'equal' if len(set(kept.values())) == 1 else 'NOT EQUAL'}; "
          f"{in_scope} in-scope pages generated{full_note}", flush=True)
    out["kept_equal"] = len(set(kept.values())) == 1
    return out


def kept_build(n: int, base: Path) -> dict:
    """A build that keeps all its `n` documents, against `clean` of the same dump."""
    work = base / f"kept-{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    dump = work / "stories.jsonl"
    rng = random.Random(17)
    with open(dump, "w", encoding="utf-8") as fh:
        for i in range(n):
            lang = ccnews.IN_SCOPE_LANGUAGES[i % 3]
            title, paragraphs = ccnews.article(rng, lang, True)
            fh.write(json.dumps({"url": f"https://news{i % 997}.example.{lang}/story-{i}.html", "title": title,
                                 "text": "\n\n".join(paragraphs), "date": f"2024-06-{1 + i % 28:02d}"},
                                ensure_ascii=False) + "\n")
    clean = run_child([*CLI, "clean", str(dump), "--out", str(work / "clean.jsonl"), "-q"])
    built = build([dump], work / "corpus", None, False)
    full = build([dump], work / "corpus-full", None, True)
    shutil.rmtree(work / "corpus-full", ignore_errors=True)
    after = max(built["wall_s"] - clean["wall_s"], 1e-9)
    staged = max(full["wall_s"] - clean["wall_s"], 1e-9)
    after_cpu = max(built["cpu_s"] - clean["cpu_s"], 1e-9)
    took = _TOOK.search(built["stderr"])
    # the build's own stage after cleaning (printed to 0.1 s: a tiny build can show 0.0)
    stage_s = max(float(took.group(2)), 0.05) if took else float("nan")
    print(f"[kept {n}] clean {clean['wall_s']:.1f} s, build {built['wall_s']:.1f} s (peak RSS "
          f"{built['peak_rss_mb']:.0f} MB), {built['documents']} documents kept: "
          f"{built['documents'] / after:.0f} documents/s after cleaning, as build - clean (target >= 2000)",
          flush=True)
    print(f"[kept {n}] in CPU time (user + system): clean {clean['cpu_s']:.1f} s, "
          f"build {built['cpu_s']:.1f} s: {built['documents'] / after_cpu:.0f} documents/s after cleaning", flush=True)
    print(f"[kept {n}] the build's own stages (its 'took' line): cleaning {took.group(1) if took else '?'} s, "
          f"after cleaning {stage_s:.1f} s: {built['documents'] / stage_s:.0f} documents/s after cleaning "
          "(build - clean also counts the build's scope prefilter and shard staging, which clean does not do)",
          flush=True)
    print(f"[kept {n}] build --no-prefilter {full['wall_s']:.1f} s ({full['documents']} documents kept): the prefilter "
          f"cost {built['wall_s'] - full['wall_s']:.1f} s; staging and committing, as build --no-prefilter - clean: "
          f"{staged:.1f} s, {full['documents'] / staged:.0f} documents/s", flush=True)
    return {"documents": built["documents"], "clean_s": round(clean["wall_s"], 1),
            "build_s": round(built["wall_s"], 1), "clean_cpu_s": round(clean["cpu_s"], 1),
            "build_cpu_s": round(built["cpu_s"], 1), "peak_rss_mb": round(built["peak_rss_mb"]),
            "documents_per_s_after_cleaning": round(built["documents"] / after),
            "documents_per_s_after_cleaning_cpu": round(built["documents"] / after_cpu),
            "build_after_cleaning_s": stage_s, "documents_per_s_build_stage": round(built["documents"] / stage_s)
            if took else None, "build_no_prefilter_s": round(full["wall_s"], 1),
            "documents_per_s_no_prefilter_after_cleaning": round(full["documents"] / staged)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000, help="WARC records of the scan (default 100000)")
    ap.add_argument("--sizes", default=None, help="comma-separated sizes instead of --records: 100000,1000000")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--kept", type=int, default=100_000, help="documents of the all-kept build (0: none)")
    ap.add_argument("--in-scope-share", type=float, default=0.005)
    ap.add_argument("--skip-full", action="store_true", help="no --no-prefilter build (it extracts every page)")
    ap.add_argument("--keep", type=Path, default=None, help="work directory, kept afterwards")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.records]
    base = args.keep or Path(tempfile.mkdtemp(prefix="archive-scan-"))
    base.mkdir(parents=True, exist_ok=True)
    prefilter = has_prefilter_flag()
    print(f"build --no-prefilter: {'present' if prefilter else 'absent (no prefilter: builds are the full path)'}",
          flush=True)
    try:
        results = [scan(size, base, args.workers, args.skip_full, prefilter, args.in_scope_share) for size in sizes]
        if len(results) > 1:
            small, large = results[0], results[-1]
            factor = large["records"] / small["records"]
            t_small = small["runs"]["one process"]["wall_s"]
            t_large = large["runs"]["one process"]["wall_s"]
            print(f"scaling {small['records']} -> {large['records']} records ({factor:.0f}x): one-process time "
                  f"{t_large / t_small:.1f}x (target <= {1.1 * factor:.0f}x), peak RSS "
                  f"{large['runs']['one process']['peak_rss_mb'] / small['runs']['one process']['peak_rss_mb']:.1f}x")
        kept = kept_build(args.kept, base) if args.kept else None
        print(json.dumps({"scans": results, "kept": kept}))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
