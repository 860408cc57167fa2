"""MinHash signatures per second on one core, end to end from text (fold, the SHINGLE_CHARS cap,
word 5-gram shingles, the sketch), for datasketch, rensa and batched numpy, on the same texts in
the same run, interleaved; then the clusters each gives on the generated syndication set
(pair precision and recall against the truth), through datasketch's MinHashLSH or the banded hash
table corpus.neardup uses.

    .venv/bin/python benchmarks/minhash.py [--docs 2000] [--rounds 5] [--stories 400]

Speeds are noisy on a shared machine: read the ratios to datasketch (measured in the same rounds),
not the absolute figures.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # rensa's batch calls: one core, like the others
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from datasketch import MinHash, MinHashLSH  # noqa: E402

from cleaners.topics import fold  # noqa: E402
from corpus import neardup  # noqa: E402
from corpus.neardup import NUM_PERM, SHINGLE_CHARS, SHINGLE_WORDS, NearDupIndex  # noqa: E402
from corpus.synthetic import syndication_set  # noqa: E402

Impl = Callable[[list[str]], np.ndarray]


def news_texts(n: int, seed: int = 3) -> list[str]:
    """Article-length texts (300-1500 words): a third English, French (accents), Arabic."""
    rng = random.Random(seed)
    latin = ["".join(rng.choice("bcdfghjklmnprstvz") + rng.choice("aeiouéèà") for _ in range(rng.randint(1, 4)))
             for _ in range(5000)]
    ascii_ = ["".join(rng.choice("bcdfghjklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(1, 4)))
              for _ in range(5000)]
    arabic = ["".join(rng.choice("ابتثجحخدذرزسشصضطظعغفقكلمنهوي") + rng.choice(["", "ا", "و", "ي", "ة", "أ"])
                      for _ in range(rng.randint(1, 4))) for _ in range(5000)]
    out = []
    for i in range(n):
        vocab = (ascii_, latin, arabic)[i % 3]
        words = [rng.choice(vocab) for _ in range(rng.randint(300, 1500))]
        for j in range(0, len(words), rng.randint(12, 25)):  # sentences
            words[j] = words[j].capitalize() + ("." if j else "")
        out.append(" ".join(words))
    return out


def _grams(text: str) -> list[str]:
    words = neardup.words(text)
    if len(words) <= SHINGLE_WORDS:
        return [" ".join(words)]
    return [" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]


def datasketch_sigs(texts: list[str]) -> np.ndarray:
    """The code before: datasketch's MinHash (sha1 of each 5-gram, 128 affine permutations)."""
    out = np.empty((len(texts), NUM_PERM), np.uint32)
    for i, text in enumerate(texts):
        m = MinHash(num_perm=NUM_PERM, scheme="affine32")
        m.update_batch([g.encode("utf-8") for g in _grams(text)])
        out[i] = m.hashvalues
    return out


def rensa_string_sigs(texts: list[str]) -> np.ndarray:
    """rensa R-MinHash over the 5-gram strings built in Python."""
    from rensa import RMinHash

    return np.array(RMinHash.digest_matrix_from_token_sets([_grams(t) for t in texts], NUM_PERM, 1).to_rows(),
                    np.uint32)


_MERSENNE = np.uint64((1 << 61) - 1)
_rng = np.random.RandomState(1)
_A = _rng.randint(1, 1 << 32, NUM_PERM, dtype=np.uint64)
_B = _rng.randint(0, 1 << 32, NUM_PERM, dtype=np.uint64)


def numpy_sigs(texts: list[str]) -> np.ndarray:
    out = np.empty((len(texts), NUM_PERM), np.uint32)
    for lo, hi in neardup.chunks(texts):
        out[lo:hi] = _numpy_sigs(texts[lo:hi])
    return out


def _numpy_sigs(texts: list[str], chunk: int = 1 << 15) -> np.ndarray:
    """Classical MinHash in numpy: the 5-gram hashes of corpus.neardup, folded to 32 bits, then 128
    permutations (a*x + b) mod (2^61 - 1), vectorised over all shingles of the batch, `chunk`
    shingles at a time (memory: chunk x 128 x 8 bytes), the minimum per document by reduceat."""
    flat, offsets = neardup.shingle_hashes(texts)
    x = (flat >> np.uint64(32)) ^ (flat & np.uint64(0xFFFFFFFF))
    out = np.full((len(texts), NUM_PERM), np.iinfo(np.uint32).max, np.uint32)
    doc_of = np.repeat(np.arange(len(texts)), np.diff(offsets).astype(np.int64))
    for lo in range(0, len(x), chunk):
        part = x[lo:lo + chunk, None]
        ph = ((part * _A + _B) % _MERSENNE).astype(np.uint32)  # a, b, x < 2^32: no wrap
        docs = doc_of[lo:lo + chunk]
        starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
        mins = np.minimum.reduceat(ph, starts, axis=0)
        np.minimum.at(out, docs[starts], mins)
    return out


IMPLS: dict[str, Impl] = {
    "datasketch": datasketch_sigs,
    "rensa (5-gram strings)": rensa_string_sigs,
    "numpy (affine, batched)": numpy_sigs,
    "corpus.neardup (numpy 5-gram hashes, rensa)": neardup.signatures,
}


def speed(texts: list[str], rounds: int, batch: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Documents per second of wall time and of this process's CPU time (what a shared machine's
    other load takes away from the wall clock, CPU time mostly keeps)."""
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for name, impl in IMPLS.items():  # interleaved: each round measures every implementation
            t0, c0 = time.perf_counter(), time.process_time()
            for lo in range(0, len(texts), batch):
                impl(texts[lo:lo + batch])
            wall[name].append(len(texts) / (time.perf_counter() - t0))
            cpu[name].append(len(texts) / (time.process_time() - c0))
    return wall, cpu


def _pairs(labels: dict[str, object]) -> set[tuple[str, str]]:
    groups: dict[object, list[str]] = defaultdict(list)
    for doc_id, label in labels.items():
        groups[label].append(doc_id)
    return {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}


def clusters_datasketch_lsh(docs: list, sigs: np.ndarray, threshold: float) -> dict[str, str]:
    """The greedy clustering of corpus.neardup, but with datasketch's MinHashLSH for candidates."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    order = sorted(range(len(docs)), key=lambda i: (bool(docs[i].credits), docs[i].published_at or "9999",
                                                      docs[i].doc_id))
    cluster: dict[str, str] = {}
    by_id = {}
    for i in order:
        d, sig = docs[i], sigs[i]
        mh = MinHash(num_perm=NUM_PERM, hashvalues=sig, scheme="affine32")
        best, best_j = None, threshold
        for cand in sorted(lsh.query(mh)):
            j = float(np.count_nonzero(by_id[cand] == sig)) / NUM_PERM
            if j > best_j or (best is None and j >= best_j):
                best, best_j = cand, j
        cluster[d.doc_id] = cluster[best] if best else d.doc_id
        lsh.insert(d.doc_id, mh)
        by_id[d.doc_id] = sig
    return cluster


def quality(stories: int, threshold: float) -> list[tuple[str, str, float, float, int, float]]:
    docs = [d for d, _ in syndication_set(stories)]
    truth = _pairs({d.doc_id: s for d, s in syndication_set(stories)})
    rows = []
    for name, impl in IMPLS.items():
        sigs = impl([d.text for d in docs])
        for lsh in ("datasketch MinHashLSH", "banded table"):
            t0 = time.process_time()
            if lsh == "banded table":
                index = NearDupIndex(threshold)
                index._add_signed([(d.doc_id, bool(d.credits), d.published_at or "") for d in docs],
                                  np.asarray(sigs, np.uint32), range(len(docs)))
                labels = {d.doc_id: index.members[d.doc_id].cluster for d in docs}
            else:
                labels = clusters_datasketch_lsh(docs, sigs, threshold)
            per_s = len(docs) / (time.process_time() - t0)
            found = _pairs(labels)
            hit = len(truth & found)
            rows.append((name, lsh, hit / len(found) if found else 1.0, hit / len(truth), len(set(labels.values())),
                         per_s))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=500, help="documents per call (the batched implementations)")
    ap.add_argument("--stories", type=int, default=400, help="stories in the syndication set (about 3.5 docs each)")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts = news_texts(args.docs)
    words = [len(fold(t[:SHINGLE_CHARS]).split()) for t in texts]
    print(f"{len(texts)} texts, {statistics.mean(words):.0f} words on average ({min(words)}-{max(words)}), "
          f"{args.rounds} interleaved rounds, batches of {args.batch}, one core")
    for impl in IMPLS.values():  # warm-up: imports, lazily built tables
        impl(texts[:10])
    wall, cpu = speed(texts, args.rounds, args.batch) if args.rounds else ({}, {})
    print(f"\n{'implementation':45} {'docs/s wall':>12} {'docs/CPU-s':>11} {'x datasketch':>13}")
    for name in wall:
        ratios = [a / b for a, b in zip(wall[name], wall["datasketch"], strict=True)]
        print(f"{name:45} {statistics.median(wall[name]):12.0f} {statistics.median(cpu[name]):11.0f} "
              f"{statistics.median(ratios):13.1f}")
    print("(medians of the rounds; x datasketch: the wall-time ratio within each round. Absolute figures are "
          f"noisy on a shared machine: load average {os.getloadavg()[0]:.1f} at the end)")
    threshold = 0.5
    print(f"\nclusters on syndication_set({args.stories}), threshold {threshold}: pair precision / recall")
    print(f"{'implementation':45} {'candidates':22} {'precision':>9} {'recall':>7} {'clusters':>8} "
          f"{'clustered/CPU-s':>15}")
    for name, lsh, p, r, n, per_s in quality(args.stories, threshold):
        print(f"{name:45} {lsh:22} {p:9.4f} {r:7.4f} {n:8d} {per_s:15.0f}")
    print("(clustered/CPU-s: the greedy clustering from signatures, LSH insert and query and Jaccard checks)")


if __name__ == "__main__":
    main()
