"""Corpus builds at two sizes (default 10k and 100k generated documents): build time, peak memory,
near-duplicate documents per second, and the diff of two versions at each size, with the scaling
factor from the smaller to the larger size (target: close to linear, at most 12x the time for 10x
the documents).

    .venv/bin/python benchmarks/corpus_scale.py [--sizes 10000 100000] [--workdir DIR]

Each size runs in a child process (peak RSS is the child's own). The documents are the generated
syndication set of corpus.synthetic (wire stories and their copies), written as a JSONL dump, so a
build does everything a real one does: clean, scope, dedup, cluster, commit. The second version
re-reads a dump where 5% of the documents changed and 5% are new.
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

CONFIG = "languages: [en, fr, ar, it, es, pt, la, eo, nl, de, sw, tl, id, ms, so, mg, ro, ca, hr]\nmin_words: 20\n"


def write_dump(path: Path, n: int, seed: int, edit_every: int = 0, new_from: int | None = None) -> None:
    from corpus.synthetic import syndication_set

    stories = max(1, n // 3)
    with open(path, "w", encoding="utf-8") as fh:
        for i, (doc, _) in enumerate(syndication_set(stories, seed=seed)):
            if i >= n:
                break
            text = doc.text
            if edit_every and i % edit_every == 0:
                text += "\nUpdate: the prosecutor confirmed the charges on Monday."
            url = doc.url if new_from is None or i < new_from else f"{doc.url}-new"
            fh.write(json.dumps({"url": url, "title": None, "text": text, "date": doc.published_at,
                                 "fetched_at": "2025-06-01T00:00:00+00:00"}) + "\n")


def child(size: int, workdir: Path) -> None:
    import resource

    from corpus.build import build
    from corpus.neardup import NearDupIndex
    from corpus.scope import ScopeConfig
    from corpus.store import CorpusStore
    from corpus.synthetic import syndication_set

    config_path = workdir / "scope.yaml"
    config_path.write_text(CONFIG, encoding="utf-8")
    config = ScopeConfig.load(config_path)
    first, second = workdir / "v0.jsonl", workdir / "v1.jsonl"
    write_dump(first, size, seed=11)
    write_dump(second, size, seed=11, edit_every=20, new_from=size - size // 20)
    corpus = workdir / "corpus"
    t0 = time.perf_counter()
    r0 = build([first], corpus, config)
    t1 = time.perf_counter()
    r1 = build([second], corpus, config)
    t2 = time.perf_counter()
    changes = CorpusStore(corpus).diff(0, 1)
    t3 = time.perf_counter()
    docs = [d for d, _ in syndication_set(max(1, size // 3), seed=11)][:size]
    index = NearDupIndex(config.near_dup_threshold)
    t4 = time.perf_counter()
    index.add((d.doc_id, d.text, bool(d.credits), d.published_at) for d in docs)
    t5 = time.perf_counter()
    print(json.dumps({
        "size": size, "build_s": round(t1 - t0, 2), "second_build_s": round(t2 - t1, 2), "diff_s": round(t3 - t2, 2),
        "near_dup_docs_per_s": round(len(docs) / (t5 - t4), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "documents": r1.counts["documents"], "rejected": r0.rejected,
        "second": {k: r1.counts[k] for k in ("added", "changed", "reclustered")},
        "diff": {k: len(v) for k, v in changes.items()},
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000])
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child, args.workdir)
        return
    base = Path(args.workdir or tempfile.mkdtemp(prefix="corpus-scale-"))
    results = []
    for size in args.sizes:
        work = base / str(size)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        out = subprocess.run([sys.executable, __file__, "--child", str(size), "--workdir", str(work)],
                             check=True, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]))
    small, large = results
    factor = large["size"] / small["size"]

    def ratio(key: str) -> str:
        return f"{large[key] / max(small[key], 0.01):.1f}x"

    print(f"scaling {small['size']} -> {large['size']} documents ({factor:.0f}x): build time {ratio('build_s')}, "
          f"second build {ratio('second_build_s')}, diff {ratio('diff_s')}, peak RSS {ratio('peak_rss_mb')} "
          f"(target: build time at most {1.2 * factor:.0f}x)")
    if args.workdir is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
