"""Near-duplicate clusters: the same story syndicated across outlets (a wire copy with a different
lead line, an outlet tagline, small edits). MinHash over word 5-gram shingles of the folded text,
LSH for candidates, the estimated Jaccard to confirm.

Every member stays in the corpus; `near_dup_cluster` names the cluster (the doc_id of its first
member) and exactly one member per cluster is `is_canonical`: the original source when the others
credit a wire agency, else the earliest published. A document in no cluster has no cluster id and
is canonical.

The index (LSH tables, signatures, members) is saved beside the table as `_neardup/v{N}.pkl` after
version N commits, so a build compares its documents with every earlier version without
recomputing them. A missing index (a build killed between its commit and the save) is rebuilt
from the table.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from cleaners.topics import fold

log = logging.getLogger(__name__)

NUM_PERM = 128
SCHEME = "affine32"  # datasketch's: 32-bit hash values, so a signature is 512 bytes
SHINGLE_WORDS = 5
SHINGLE_CHARS = 100_000  # ~15,000 words: many times a long article, a few MB of shingles at most
INDEX_DIR = "_neardup"  # a leading underscore: Delta's vacuum leaves it alone
KEEP_INDEXES = 2
_WORD = re.compile(r"\w+")


@dataclass
class Member:
    cluster: str
    credited: bool  # the document credits a wire agency: a copy, not the original
    published_at: str

    def rank(self, doc_id: str) -> tuple[bool, str, str]:
        return self.credited, self.published_at or "9999", doc_id


def signature(text: str) -> np.ndarray:
    """MinHash of the text's word 5-grams. Only the first SHINGLE_CHARS characters are shingled: a
    shingle list costs about 200 bytes per character of text, and a story's copies share their
    opening anyway; the rest would change the estimate for pages far longer than any article only."""
    words = _WORD.findall(fold(text[:SHINGLE_CHARS]))
    if len(words) <= SHINGLE_WORDS:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]
    m = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    m.update_batch([g.encode("utf-8") for g in grams])
    return m.hashvalues.astype(np.uint32, copy=False)


def _minhash(sig: np.ndarray) -> MinHash:
    return MinHash(num_perm=NUM_PERM, hashvalues=sig, scheme=SCHEME)


class NearDupIndex:
    def __init__(self, threshold: float):
        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.signatures: dict[str, np.ndarray] = {}
        self.members: dict[str, Member] = {}
        self.clusters: dict[str, set[str]] = {}

    # -- persistence ----------------------------------------------------------------------------
    @staticmethod
    def path_for(corpus_dir: Path, version: int) -> Path:
        return Path(corpus_dir) / INDEX_DIR / f"v{version}.pkl"

    @classmethod
    def load(cls, corpus_dir: Path, version: int, threshold: float) -> NearDupIndex | None:
        path = cls.path_for(corpus_dir, version)
        if not path.exists():
            return None
        try:
            with open(path, "rb") as fh:
                index = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            log.warning("unreadable near-duplicate index %s (%s): rebuilding it", path, exc)
            return None
        if not isinstance(index, cls) or index.threshold != threshold:
            return None
        return index

    def save(self, corpus_dir: Path, version: int) -> Path:
        path = self.path_for(corpus_dir, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        try:
            with open(tmp, "wb") as fh:
                pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:  # a full disk, say: no half-written index is left to load
            tmp.unlink(missing_ok=True)
            raise
        for old in sorted(path.parent.glob("v*.pkl"), key=lambda p: int(p.stem[1:]))[:-KEEP_INDEXES]:
            old.unlink(missing_ok=True)
        return path

    # -- clustering -----------------------------------------------------------------------------
    def _remove(self, doc_id: str) -> str | None:
        member = self.members.pop(doc_id, None)
        if member is None:
            return None
        self.lsh.remove(doc_id)
        del self.signatures[doc_id]
        cluster = self.clusters[member.cluster]
        cluster.discard(doc_id)
        if not cluster:
            del self.clusters[member.cluster]
        return member.cluster

    def remove(self, doc_ids: Iterable[str]) -> set[str]:
        """Take documents out; returns the clusters they left (still existing ones)."""
        left = {c for d in doc_ids if (c := self._remove(d)) is not None}
        return {c for c in left if c in self.clusters}

    def add(self, docs: Iterable[tuple[str, str, bool, str]]) -> set[str]:
        """Add (doc_id, text, credited, published_at) documents, each to the cluster of its most
        similar indexed document, or to a new cluster; a doc_id already indexed (a changed
        document) is re-placed. Returns the clusters whose membership changed."""
        return self.add_signed((doc_id, signature(text), credited, published_at)
                               for doc_id, text, credited, published_at in docs)

    def add_signed(self, docs: Iterable[tuple[str, np.ndarray, bool, str]]) -> set[str]:
        """`add` with each text's signature() already computed: a build computes them one batch
        of texts at a time, then places all its documents in one order (the same as `add`)."""
        touched: set[str] = set()
        batch = sorted(docs, key=lambda d: (d[2], d[3] or "9999", d[0]))
        for doc_id, sig, credited, published_at in batch:
            if (old := self._remove(doc_id)) is not None:
                touched.add(old)
            mh = _minhash(sig)
            best, best_j = None, self.threshold
            for cand in self.lsh.query(mh):
                j = float(np.count_nonzero(self.signatures[cand] == sig)) / NUM_PERM
                if j >= best_j:
                    best, best_j = cand, j
            if best is not None:
                cluster = self.members[best].cluster
            else:  # a new cluster is named after its first member (unless a cluster has that name)
                cluster = doc_id if doc_id not in self.clusters else f"{doc_id}~{len(self.members)}"
            self.lsh.insert(doc_id, mh)
            self.signatures[doc_id] = sig
            self.members[doc_id] = Member(cluster, credited, published_at or "")
            self.clusters.setdefault(cluster, set()).add(doc_id)
            touched.add(cluster)
        return {c for c in touched if c in self.clusters}

    def assignment(self, doc_id: str) -> tuple[str | None, bool]:
        """(near_dup_cluster, is_canonical) of an indexed document."""
        member = self.members[doc_id]
        ids = self.clusters[member.cluster]
        if len(ids) == 1:
            return None, True
        canonical = min(ids, key=lambda d: self.members[d].rank(d))
        return member.cluster, doc_id == canonical

    def cluster_members(self, clusters: Iterable[str]) -> set[str]:
        return {d for c in clusters for d in self.clusters.get(c, ())}
