"""Peak memory while cleaning generated WARC dumps: `dgsn-corpus clean` against a bare loop of
warcio + trafilatura.extract over the same file, each in its own process (ru_maxrss).

    .venv/bin/python benchmarks/memory.py [--sizes 100 1000] [--page-kb 200]

Target: our peak RSS under 300 MB and about the same for both dump sizes (streaming, nothing
accumulates). Pages are ~200 KB like real news pages (scripts, menus, an article).

    .venv/bin/python benchmarks/memory.py --build-records 100000 1000000 [--kept 1000] [--per-file 50000]

Peak RSS of `dgsn-corpus build` over JSONL dumps of that many records, of which `--kept` are
in-scope stories and the rest short off-topic items the scope rejects (cheap to clean, so the run
measures what the build holds, not the cleaners). Target: flat in the records scanned (within 15 %),
under 1 GB at 1M records with 100k kept.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.warc import WarcFileWriter  # noqa: E402

BARE = r"""
import sys, trafilatura
from warcio.archiveiterator import ArchiveIterator
n = 0
with open(sys.argv[1], "rb") as fh:
    for record in ArchiveIterator(fh):
        if record.rec_type == "response":
            trafilatura.extract(record.content_stream().read(), include_comments=False)
            n += 1
print(n)
"""

WORDS = ("police suspect Interpol arrested Tangier statement prosecutor investigation network fraud "
         "officers custody extradition national security director cooperation operation").split()


def page(rng: random.Random, n: int, kb: int) -> bytes:
    paras = "".join("<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + ".</p>" for _ in range(8))
    # Random letters compress about as well as real page code (~4x), so the dump's size on disk
    # says how much HTML it holds.
    filler = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789{}();=", k=kb * 1024 - 4000))
    script = f"<script>var data = '{filler}';</script>"
    nav = "<nav>" + "".join(f"<a href='/s/{i}'>Section {i}</a>" for i in range(40)) + "</nav>"
    return (f"<!DOCTYPE html><html><head><title>Article {n}</title>{script}</head><body>{nav}"
            f"<article><h1>Article {n} about Interpol</h1>{paras}</article><footer>© site</footer>"
            f"</body></html>").encode()


def make_warc(directory: Path, megabytes: int, kb: int) -> Path:
    rng = random.Random(megabytes)
    with WarcFileWriter(directory, prefix=f"bench-{megabytes}mb", max_bytes=1 << 40) as w:
        n = 0
        while n == 0 or w.current_size < megabytes * 1024 * 1024:
            n += 1
            w.write_response(f"https://bench.example/{n}", 200, "OK", [("Content-Type", "text/html")], page(rng, n, kb))
    return w.closed_files[0]


def peak(cmd: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one child process, from its own rusage (os.wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{cmd[:4]} exited {proc.returncode}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


STORY = ("The General Directorate of National Security said officers in {city} arrested a man wanted "
         "under an Interpol red notice for fraud committed abroad, case {n}, and placed him in custody "
         "pending extradition proceedings requested by the issuing country on day {n}. ")


def make_jsonl(directory: Path, records: int, kept: int, per_file: int) -> list[Path]:
    """`kept` distinct stories spread evenly among `records` JSONL lines; the rest off-topic."""
    import json

    every = max(1, records // max(kept, 1))
    rng = random.Random(records)
    paths, out, made = [], None, 0
    for i in range(records):
        if i % per_file == 0:
            if out:
                out.close()
            paths.append(directory / f"dump-{i // per_file:04d}.jsonl")
            out = open(paths[-1], "w", encoding="utf-8")  # noqa: SIM115
        if i % every == 0 and made < kept:
            made += 1
            # distinct stories on one template (near-duplicates of one another they would be one
            # cluster of `kept` members; test_neardup_index covers that case)
            details = " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(40))
            text = STORY.format(city=("Fes", "Rabat", "Tangier")[i % 3], n=i) + details + ". " + STORY.format(
                city="Casablanca", n=i + 1)
        else:
            text = f"Weather item {i}: mild and dry."
        out.write(json.dumps({"url": f"https://bench.example/{i}", "text": text}) + "\n")
    if out:
        out.close()
    return paths


def build_peaks(records: list[int], kept: int, per_file: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(records):
            work = Path(tmp) / str(n)
            work.mkdir()
            dumps = make_jsonl(work, n, kept, per_file)
            corpus = work / "corpus"
            rss, seconds = peak([sys.executable, "-m", "corpus.cli", "build", *map(str, dumps),
                                 "--corpus", str(corpus), "-q"])
            from corpus.store import CorpusStore

            docs = CorpusStore(corpus).read(columns=["doc_id"]).num_rows
            print(f"build of {n:>8} records ({docs} kept, {len(dumps)} files): peak RSS {rss:7.1f} MB "
                  f"({seconds:6.1f} s, {n / seconds:7.0f} records/s; times are noisy)", flush=True)
            shutil.rmtree(work)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="dump sizes in MB, ascending")
    ap.add_argument("--page-kb", type=int, default=200)
    ap.add_argument("--build-records", type=int, nargs="+", default=None,
                    help="measure `build` instead: JSONL dumps of these many records")
    ap.add_argument("--kept", type=int, default=1000, help="in-scope stories among the records (--build-records)")
    ap.add_argument("--per-file", type=int, default=50_000, help="records per JSONL dump (--build-records)")
    args = ap.parse_args()
    if args.build_records:
        build_peaks(args.build_records, args.kept, args.per_file)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for size in sorted(args.sizes):
            warc = make_warc(Path(tmp), size, args.page_kb)
            out = str(Path(tmp) / "o.jsonl")
            ours, t_ours = peak([sys.executable, "-m", "corpus.cli", "clean", str(warc), "--out", out])
            bare, t_bare = peak([sys.executable, "-c", BARE, str(warc)])
            print(f"{size:>5} MB dump: dgsn-corpus clean peak RSS {ours:7.1f} MB ({t_ours:6.1f} s) | "
                  f"bare warcio+trafilatura {bare:7.1f} MB ({t_bare:6.1f} s)")
            warc.unlink()


if __name__ == "__main__":
    main()
