"""Near-duplicate clusters: the same story syndicated across outlets (a wire copy with a different
lead line, an outlet tagline, small edits). MinHash over word 5-gram shingles of the folded text,
banded LSH for candidates, the estimated Jaccard to confirm.

Every member stays in the corpus; `near_dup_cluster` names the cluster (the doc_id of its first
member) and exactly one member per cluster is `is_canonical`: the original source when the others
credit a wire agency, else the earliest published. A document in no cluster has no cluster id and
is canonical.

Signatures: rensa's R-MinHash (Rust) over 64-bit 5-gram hashes that numpy combines from rensa's word
hashes, a batch at a time: benchmarks/minhash.py measures it against datasketch and a numpy MinHash
(the same clusters on the syndication set, many times the speed).

The index lives beside the table in `_neardup/`: a base file (every member: signature, cluster,
rank) and one segment per later version (its new or changed members and its removals), listed with
their sizes and SHA-256 in `manifest.json`. A build appends a segment and rewrites only the small
manifest (each file written to a temporary name, then renamed); past MAX_SEGMENTS segments, or once
they outweigh the base, they are compacted into a new base. An index that does not match the
table's latest build version, or whose manifest or any file is missing, truncated or altered, is
rebuilt from the table: signatures from the text, clusters from the table's own `near_dup_cluster`
column, so a rebuild changes no document's cluster.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from datasketch.lsh import _optimal_param
from rensa import RMinHash

from cleaners.topics import fold

log = logging.getLogger(__name__)

NUM_PERM = 128
SEED = 1
SHINGLE_WORDS = 5
SHINGLE_CHARS = 100_000  # ~15,000 words: many times a long article, a few MB of shingles at most
RESTORE_BATCH = 1024  # rows of the table read back into the index at a time
INDEX_DIR = "_neardup"  # a leading underscore: Delta's vacuum leaves it alone
MANIFEST = "manifest.json"
FORMAT = 2
MAX_SEGMENTS = 16
# Documents a band bucket holds. A new document is compared with the documents of its buckets: a
# bucket of every copy of a story syndicated 100,000 times would make each placement compare with
# all of them (hours, quadratic). The first BUCKET_CAP hold the bucket; a later copy still meets
# them (they share its band) and joins their cluster, and it lands in its other buckets as usual.
BUCKET_CAP = 32
PENDING_PAIRS = 1 << 16
LEVEL_RATIO = 4
KEY_BATCH = 4096  # documents whose band keys are computed at once when placing a batch
# Signatures are comparable only with the same shingling and sketch: a manifest of another makes a rebuild.
ALGORITHM = (f"rensa-{importlib.metadata.version('rensa')}-r{RMinHash.ALGORITHM_VERSION}-seed{SEED}-perm{NUM_PERM}"
             f"-w{SHINGLE_WORDS}-c{SHINGLE_CHARS}-unicode{unicodedata.unidata_version}-2")
_WORD = re.compile(r"\w+")
_U64 = np.uint64
_EMPTY_WORD = 0x2545F4914F6CDD1D
_GRAM_MUL = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                      0xFF51AFD7ED558CCD], np.uint64)[:SHINGLE_WORDS]


@dataclass(slots=True)
class Member:
    cluster: str
    credited: bool  # the document credits a wire agency: a copy, not the original
    published_at: str

    def rank(self, doc_id: str) -> tuple[bool, str, str]:
        return self.credited, self.published_at or "9999", doc_id


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while documents are placed: placing makes many small
    containers (a cluster's set, a bucket's list) and no reference cycles, and each collection of
    the oldest generation walks all of them (a quarter of the time placing 100k build documents:
    14.7 s -> 11.3 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class UnusableIndex(Exception):
    """An index file that cannot be used (missing, truncated, altered, of another format)."""


def words(text: str) -> list[str]:
    """The words shingled, as the regex reads them (the vectorised `_word_hashes` splits the same
    words; the tests hold the two together)."""
    return _WORD.findall(fold(text[:SHINGLE_CHARS]))


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: linear combinations become well-spread hashes."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


@functools.cache
def _char_tables() -> np.ndarray:
    """For each code point of the Basic Multilingual Plane, a random 64-bit value for what `fold`
    makes of it (0: nothing, a combining mark or a tatweel; the code point itself when it expands
    to several characters, ß or a ligature), odd when that is a word character (regex \\w:
    alphanumeric or '_'), even when not. Surrogates, U+FFFF and every code point beyond the BMP separate words.
    One `fold` of all of them, NUL-separated (NUL is a starter: nothing composes across it)."""
    chars = "\0".join(chr(cp) if not 0xD800 <= cp < 0xE000 else " " for cp in range(1, 0xFFFF))
    mapped = np.arange(0x10000, dtype=np.uint64)
    word = np.zeros(0x10000, bool)
    for cp, folded in enumerate(fold(chars).split("\0"), start=1):
        if not folded:
            mapped[cp] = 0
        elif len(folded) == 1:
            mapped[cp] = ord(folded)
        if mapped[cp]:
            c = chr(mapped[cp])
            word[cp] = c.isalnum() or c == "_"
    word[0xD800:0xE000] = word[0] = word[0xFFFF] = False
    mapped[0xD800:0xE000] = mapped[0] = mapped[0xFFFF] = 0x20
    value = _mix(mapped + _U64(0x632BE59BD9B4E019)) & ~_U64(1) | word.astype(np.uint64)
    value[value == 0] = 2
    value[mapped == 0] = 0
    return value


_P = 0x100000001B3
_CHUNK_CHARS = 1 << 20  # characters hashed per numpy pass (about 40 bytes each at the peak)


@functools.cache
def _powers() -> tuple[np.ndarray, np.ndarray]:
    """P^i and P^-i modulo 2^64 (P odd, so invertible) for the polynomial prefix hash."""
    n = _CHUNK_CHARS + SHINGLE_CHARS + 2
    with np.errstate(over="ignore"):
        pw = np.empty(n, np.uint64)
        pw[0] = 1
        pw[1:] = np.cumprod(np.full(n - 1, _P, np.uint64), dtype=np.uint64)
        ipw = np.empty(n, np.uint64)
        ipw[0] = 1
        ipw[1:] = np.cumprod(np.full(n - 1, pow(_P, -1, 1 << 64), np.uint64), dtype=np.uint64)
    return pw, ipw


def _word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the folded words of each text (a text without words: one constant word),
    flat, and the number per text. One numpy pass over all the texts' code points: lookup tables
    fold them (as `fold` would) and mark word characters, a polynomial prefix hash gives every
    word run its hash. No Python object per word."""
    capped = [t[:SHINGLE_CHARS] for t in texts]
    lengths = np.fromiter(map(len, capped), np.int64, len(capped))
    starts = np.zeros(len(capped), np.int64)
    starts[1:] = np.cumsum(lengths + 1)[:-1]  # one space between texts: no word spans two
    cps = np.minimum(np.frombuffer(" ".join(capped).encode("utf-32-le", "surrogatepass"), np.uint32), 0xFFFF)
    vals = _char_tables()[cps]
    at = None
    if not vals.all():  # combining marks or tatweels: they go, as in fold (é written e + U+0301 is é)
        at = np.flatnonzero(vals)
        vals = vals[at]
    edges = np.diff((vals & _U64(1)).view(np.int64), prepend=0, append=0)
    w_start, w_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    pw, ipw = _powers()
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(vals) + 1, np.uint64)
        np.cumsum(vals * pw[:len(vals)], dtype=np.uint64, out=prefix[1:])
        hashes = _mix((prefix[w_end] - prefix[w_start]) * ipw[w_start] + (w_end - w_start).astype(np.uint64))
    char_starts = starts if at is None else np.searchsorted(at, starts)
    found = np.diff(np.searchsorted(w_start, char_starts), append=len(w_start))  # words per text
    counts = np.maximum(found, 1)
    out = np.full(int(counts.sum()), _EMPTY_WORD, np.uint64)
    empty_before = np.cumsum(found == 0) - (found == 0)
    out[np.arange(len(hashes)) + np.repeat(empty_before, found)] = hashes
    return out, counts


def shingle_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every text's word 5-grams (a text of five words or fewer: one shingle of
    them all), flat, with row offsets (len(texts) + 1). At most _CHUNK_CHARS characters: see `chunks`."""
    flat, counts = _word_hashes(texts)
    n = len(flat)
    padded = np.zeros(n + SHINGLE_WORDS, np.uint64)
    padded[:n] = flat
    first = np.cumsum(counts) - counts  # each text's first word
    with np.errstate(over="ignore"):
        grams = flat * _GRAM_MUL[0]
        for j in range(1, SHINGLE_WORDS):
            grams += padded[j:j + n] * _GRAM_MUL[j]
        short = first[counts < SHINGLE_WORDS]  # one shingle of fewer words: none of the next text's
        for j in range(1, SHINGLE_WORDS):
            over = short[counts[counts < SHINGLE_WORDS] <= j]
            grams[over] -= padded[over + j] * _GRAM_MUL[j]
    starts_shingles = np.maximum(counts - SHINGLE_WORDS + 1, 1)  # words of each text that start one
    keep = np.arange(n) - np.repeat(first, counts) < np.repeat(starts_shingles, counts)
    offsets = np.zeros(len(texts) + 1, np.uint64)
    offsets[1:] = np.cumsum(starts_shingles)
    return _mix(grams[keep]), offsets


def chunks(texts: Sequence[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive runs of texts with at most _CHUNK_CHARS characters shingled
    (or one text): what `shingle_hashes` takes at once, so memory is bounded."""
    lo = 0
    while lo < len(texts):
        hi, chars = lo + 1, min(len(texts[lo]), SHINGLE_CHARS)
        while hi < len(texts) and chars + min(len(texts[hi]), SHINGLE_CHARS) + 1 <= _CHUNK_CHARS:
            chars += min(len(texts[hi]), SHINGLE_CHARS) + 1
            hi += 1
        yield lo, hi
        lo = hi


def signatures(texts: Sequence[str]) -> np.ndarray:
    """MinHash signatures (len(texts) x NUM_PERM, uint32) of the texts' word 5-grams."""
    out = np.empty((len(texts), NUM_PERM), np.uint32)
    for lo, hi in chunks(texts):
        flat, offsets = shingle_hashes(texts[lo:hi])
        out[lo:hi] = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, NUM_PERM, SEED).to_rows()
    return out


def signature(text: str) -> np.ndarray:
    return signatures([text])[0]


_BAND_MUL = _mix(np.arange(1, NUM_PERM + 1, dtype=np.uint64))


def _band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band of each signature (n x bands): a document is a candidate for another
    when a band's key is the same (an accidental collision only costs a Jaccard check)."""
    part = sigs[:, :bands * rows].astype(np.uint64).reshape(len(sigs), bands, rows)
    with np.errstate(over="ignore"):
        keys = (part * _BAND_MUL[:rows]).sum(axis=2, dtype=np.uint64)
        return _mix(keys ^ (np.arange(bands, dtype=np.uint64) << _U64(56)))


@dataclass
class _Entry:
    name: str
    version: int
    size: int
    sha256: str


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk, say: no half-written file is left to load
        tmp.unlink(missing_ok=True)
        raise


def _strings(values: Iterable[str]) -> np.ndarray:
    """UTF-8 in a fixed-width bytes array (numpy drops trailing NULs: doc_ids, cluster names and
    ISO dates have none)."""
    return np.array([v.encode("utf-8") for v in values], dtype=np.bytes_).reshape(-1)


def _unstrings(arr: np.ndarray) -> list[str]:
    return [v.decode("utf-8") for v in arr.tolist()]


class NearDupIndex:
    def __init__(self, threshold: float):
        self.threshold = threshold
        self.bands, self.rows = _optimal_param(threshold, NUM_PERM, 0.5, 0.5)
        self.members: dict[str, Member] = {}
        self.clusters: dict[str, set[str]] = {}
        # Signatures: rows of one array (a row is never reused: a re-placed document gets a new one).
        self._sigs = np.empty((0, NUM_PERM), np.uint32)
        self._alive = np.empty(0, bool)
        self._ids: list[str] = []  # row -> doc_id
        self._row: dict[str, int] = {}  # doc_id -> its live row
        # Band buckets, (band key, row) pairs: sorted numpy levels, each at least LEVEL_RATIO times
        # the next, and the latest pairs in a dict until PENDING_PAIRS of them are merged into a
        # level. A dict entry per pair (25 per document) made most of a build's memory.
        self._levels: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending: dict[int, list[int]] = {}
        self._pending_pairs = 0
        self._canonical: dict[str, str] = {}  # cluster -> its canonical doc_id, once asked
        # what changed since the index was loaded or saved: the next segment
        self._upserted: set[str] = set()
        self._removed: set[str] = set()
        self._version: int | None = None  # the version the files on disk hold (None: none)
        self._base: _Entry | None = None
        self._segments: list[_Entry] = []

    # -- persistence ----------------------------------------------------------------------------
    @staticmethod
    def dir_for(corpus_dir: Path) -> Path:
        return Path(corpus_dir) / INDEX_DIR

    @classmethod
    def load(cls, corpus_dir: Path, version: int, threshold: float) -> NearDupIndex | None:
        """The index saved with `version`, or None (logged) when it is missing, damaged, of another
        version or another algorithm: the caller rebuilds it from the table."""
        folder = cls.dir_for(corpus_dir)
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT or manifest.get("algorithm") != ALGORITHM:
                raise UnusableIndex(f"format {manifest.get('format')}, {manifest.get('algorithm')}")
            if manifest.get("version") != version:
                raise UnusableIndex(f"it holds version {manifest.get('version')}, the table is at {version}")
            base = _Entry(**manifest["base"])
            segments = [_Entry(**s) for s in manifest["segments"]]
            index = cls(threshold)
            for entry in [base, *segments]:
                index._apply(cls._read(folder, entry))
        except FileNotFoundError as exc:
            log.warning("near-duplicate index: %s is missing", exc.filename)
            return None
        except (OSError, ValueError, KeyError, TypeError, UnusableIndex) as exc:
            log.warning("near-duplicate index in %s unusable (%s: %s)", folder, type(exc).__name__, exc)
            return None
        index._version, index._base, index._segments = version, base, segments
        index._upserted, index._removed = set(), set()
        return index

    @staticmethod
    def _read(folder: Path, entry: _Entry) -> dict[str, np.ndarray]:
        path = folder / entry.name
        if path.stat().st_size != entry.size or _sha256(path) != entry.sha256:
            raise UnusableIndex(f"{entry.name} is truncated or altered (size or SHA-256 differs from the manifest)")
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    def _apply(self, data: dict[str, np.ndarray]) -> None:
        for doc_id in _unstrings(data["removed"]):
            self._remove(doc_id)
        sigs = data["signatures"]
        if sigs.shape[1:] != (NUM_PERM,) or sigs.dtype != np.uint32:
            raise UnusableIndex(f"signatures of shape {sigs.shape} and type {sigs.dtype}")
        keys = _band_keys(sigs, self.bands, self.rows)
        doc_ids = _unstrings(data["doc_ids"])
        rows = zip(doc_ids, sigs, keys, _unstrings(data["clusters"]), data["credited"].tolist(),
                   _unstrings(data["published_at"]), strict=True)
        if not self.members and len(set(doc_ids)) == len(doc_ids):  # a base: its buckets in one sort
            self._load_base(keys, rows)
            return
        for doc_id, sig, key, cluster, credited, published_at in rows:
            self._remove(doc_id)
            self._place(doc_id, sig, key, Member(cluster, bool(credited), published_at))

    def _load_base(self, keys: np.ndarray, rows: Iterable[tuple]) -> None:
        """Place distinct documents in an empty index as `_place` would one by one: each bucket
        holds the first BUCKET_CAP of them, in their order."""
        first = len(self._ids)
        for doc_id, sig, _, cluster, credited, published_at in rows:
            self._new_row(doc_id, sig)
            self.members[doc_id] = Member(cluster, bool(credited), published_at)
            self.clusters.setdefault(cluster, set()).add(doc_id)
        flat = keys.reshape(-1)
        order = np.argsort(flat, kind="stable")  # by key, then by document order
        k = flat[order]
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        rank = np.arange(len(k)) - np.repeat(starts, np.diff(np.r_[starts, len(k)]))
        keep = rank < BUCKET_CAP
        self._levels.append((k[keep], (order[keep] // keys.shape[1] + first).astype(np.int64)))

    def _arrays(self, doc_ids: list[str], removed: list[str]) -> dict[str, np.ndarray]:
        members = [self.members[d] for d in doc_ids]
        return {"doc_ids": _strings(doc_ids), "removed": _strings(removed),
                "signatures": self._sigs[[self._row[d] for d in doc_ids]].reshape(-1, NUM_PERM),
                "clusters": _strings(m.cluster for m in members),
                "credited": np.array([m.credited for m in members], bool),
                "published_at": _strings(m.published_at for m in members)}

    def _write(self, folder: Path, name: str, version: int, arrays: dict[str, np.ndarray]) -> _Entry:
        path = folder / name
        _write_atomic(path, lambda fh: np.savez(fh, **arrays))
        return _Entry(name, version, path.stat().st_size, _sha256(path))

    def save(self, corpus_dir: Path, version: int) -> Path:
        """Record `version`: a new segment with what changed since the index was loaded or last
        saved (earlier files are not rewritten), or a new base when there is none to extend or the
        segments grew too many or too large. Returns the manifest."""
        folder = self.dir_for(corpus_dir)
        folder.mkdir(parents=True, exist_ok=True)
        base, segments = self._base, list(self._segments)
        if base is not None and self._version is not None and version > self._version:
            upserted = sorted(d for d in self._upserted if d in self.members)
            segments.append(self._write(folder, f"seg-v{version}.npz", version,
                                        self._arrays(upserted, sorted(self._removed))))
            if len(segments) > MAX_SEGMENTS or sum(s.size for s in segments) > base.size:
                log.info("near-duplicate index: compacting %d segments into a new base", len(segments))
                base = None
        if base is None or self._version is None or version <= self._version:
            base = self._write(folder, f"base-v{version}.npz", version, self._arrays(sorted(self.members), []))
            segments = []
        manifest = {"format": FORMAT, "algorithm": ALGORITHM, "version": version,
                    "base": vars(base), "segments": [vars(s) for s in segments]}
        path = folder / MANIFEST
        _write_atomic(path, lambda fh: fh.write(json.dumps(manifest, indent=1).encode("utf-8")))
        self._version, self._base, self._segments = version, base, segments
        self._upserted, self._removed = set(), set()
        keep = {MANIFEST, base.name, *(s.name for s in segments)}
        for old in folder.iterdir():  # files of replaced bases, of older formats, of builds that died
            if old.name not in keep:
                old.unlink(missing_ok=True)
        return path

    @classmethod
    def restore(cls, threshold: float, rows: Iterable[tuple[str, str, bool, str, str | None]]) -> NearDupIndex:
        """An index rebuilt from the table's (doc_id, text, credited, published_at, near_dup_cluster)
        rows: signatures from the text, clusters as the table has them (a lost index changes no
        document's cluster)."""
        index = cls(threshold)
        rows = list(rows)
        named = {c for *_, c in rows if c is not None}
        for lo in range(0, len(rows), RESTORE_BATCH):
            part = rows[lo:lo + RESTORE_BATCH]
            sigs = signatures([r[1] for r in part])
            keys = _band_keys(sigs, index.bands, index.rows)
            for (doc_id, _, credited, published_at, cluster), sig, key in zip(part, sigs, keys, strict=True):
                if cluster is None:  # alone: named after itself, unless a cluster already has that name
                    cluster = doc_id if doc_id not in named else f"{doc_id}~{len(rows)}"
                index._place(doc_id, sig, key, Member(cluster, bool(credited), published_at or ""))
        return index

    # -- clustering -----------------------------------------------------------------------------
    def signature_of(self, doc_id: str) -> np.ndarray:
        return self._sigs[self._row[doc_id]]

    def _reserve(self, n: int) -> None:
        """Room for `n` more rows (exactly, when the array must grow)."""
        if (cap := len(self._ids) + n) > len(self._sigs):
            self._sigs = np.resize(self._sigs, (cap, NUM_PERM))
            self._alive = np.concatenate([self._alive, np.zeros(cap - len(self._alive), bool)])

    def _new_row(self, doc_id: str, sig: np.ndarray) -> int:
        row = len(self._ids)
        if row == len(self._sigs):  # grow by half: amortised appends
            self._reserve(max(1024, row // 2))
        self._sigs[row] = sig
        self._alive[row] = True
        self._ids.append(doc_id)
        self._row[doc_id] = row
        return row

    def _bucket_rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The live rows in the keys' buckets (levels and pending pairs; a row may come more than
        once), and the number in each key's bucket."""
        rows, which = [], []
        for lk, lr in self._levels:
            lo = np.searchsorted(lk, keys, "left")
            n = np.searchsorted(lk, keys, "right") - lo
            if total := int(n.sum()):
                rows.append(lr[np.arange(total) + np.repeat(lo - (np.cumsum(n) - n), n)])
                which.append(np.repeat(np.arange(len(keys)), n))
        pending_rows: list[int] = []
        pending_which: list[int] = []
        get = self._pending.get
        for i, k in enumerate(keys.tolist()):
            if (held := get(k)) is not None:
                pending_rows += held
                pending_which += [i] * len(held)
        if pending_rows:
            rows.append(np.array(pending_rows, np.int64))
            which.append(np.array(pending_which, np.int64))
        if not rows:
            return np.empty(0, np.int64), np.zeros(len(keys), np.int64)
        found, at = np.concatenate(rows), np.concatenate(which)
        live = self._alive[found]
        return found[live], np.bincount(at[live], minlength=len(keys))

    def _place(self, doc_id: str, sig: np.ndarray, keys: np.ndarray, member: Member,
               counts: np.ndarray | None = None) -> None:
        """`counts`: the number of live documents in each key's bucket, when the caller has them."""
        row = self._new_row(doc_id, sig)
        self.members[doc_id] = member
        self.clusters.setdefault(member.cluster, set()).add(doc_id)
        self._canonical.pop(member.cluster, None)
        counts = self._bucket_rows(keys)[1] if counts is None else counts
        pending = self._pending
        for k in keys[counts < BUCKET_CAP].tolist():
            if (held := pending.get(k)) is None:
                pending[k] = [row]
            else:
                held.append(row)
            self._pending_pairs += 1
        if self._pending_pairs >= PENDING_PAIRS:
            self._flush()

    def _flush(self) -> None:
        """The pending pairs become a sorted level; levels merge while one is not LEVEL_RATIO times
        the next (pairs of removed documents are dropped then)."""
        if not self._pending_pairs:
            return
        keys, rows = self._pending_arrays()
        self._pending, self._pending_pairs = {}, 0
        order = np.argsort(keys, kind="stable")
        self._levels.append((keys[order], rows[order]))
        while len(self._levels) > 1 and len(self._levels[-2][0]) < LEVEL_RATIO * len(self._levels[-1][0]):
            (k2, r2), (k1, r1) = self._levels.pop(), self._levels.pop()
            k, r = np.concatenate([k1, k2]), np.concatenate([r1, r2])
            live = self._alive[r]
            k, r = k[live], r[live]
            order = np.argsort(k, kind="stable")
            self._levels.append((k[order], r[order]))

    def _pending_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The pending (key, row) pairs as two arrays."""
        n = self._pending_pairs
        return (np.fromiter((k for k, held in self._pending.items() for _ in held), np.uint64, n),
                np.fromiter((r for held in self._pending.values() for r in held), np.int64, n))

    def bucket_sizes(self) -> np.ndarray:
        """The number of live documents in each band bucket."""
        pending_keys, pending_rows = self._pending_arrays()
        keys = np.concatenate([k for k, _ in self._levels] + [pending_keys])
        rows = np.concatenate([r for _, r in self._levels] + [pending_rows])
        return np.unique(keys[self._alive[rows]], return_counts=True)[1]

    def _remove(self, doc_id: str) -> str | None:
        member = self.members.pop(doc_id, None)
        if member is None:
            return None
        self._alive[self._row.pop(doc_id)] = False  # its bucket pairs are dropped at the next merge
        self._canonical.pop(member.cluster, None)
        cluster = self.clusters[member.cluster]
        cluster.discard(doc_id)
        if not cluster:
            del self.clusters[member.cluster]
        self._upserted.discard(doc_id)
        self._removed.add(doc_id)
        return member.cluster

    def remove(self, doc_ids: Iterable[str]) -> set[str]:
        """Take documents out; returns the clusters they left (still existing ones)."""
        left = {c for d in doc_ids if (c := self._remove(d)) is not None}
        return {c for c in left if c in self.clusters}

    def add(self, docs: Iterable[tuple[str, str, bool, str]]) -> set[str]:
        """Add (doc_id, text, credited, published_at) documents, each to the cluster of its most
        similar indexed document, or to a new cluster; a doc_id already indexed (a changed
        document) is re-placed. Returns the clusters whose membership changed."""
        batch = sorted(docs, key=lambda d: (d[2], d[3] or "9999", d[0]))
        return self._add_signed([(d[0], d[2], d[3]) for d in batch], signatures([d[1] for d in batch]),
                                range(len(batch)))

    def add_signed(self, docs: Sequence[tuple[str, bool, str]], sigs: np.ndarray) -> set[str]:
        """`add` of (doc_id, credited, published_at) documents whose signatures are computed
        already (row i of `sigs`, from `signatures`, is docs[i]'s): a build signs its texts one
        batch at a time into one array, then places all its documents in one order (that of `add`)."""
        order = sorted(range(len(docs)), key=lambda i: (docs[i][1], docs[i][2] or "9999", docs[i][0]))
        return self._add_signed(docs, sigs, order)

    def _add_signed(self, docs: Sequence[tuple[str, bool, str]], sigs: np.ndarray, order: Sequence[int]) -> set[str]:
        touched: set[str] = set()
        self._reserve(len(order))
        with _gc_paused():
            for lo in range(0, len(order), KEY_BATCH):  # band keys a slice at a time: bounded memory
                part = np.asarray(order[lo:lo + KEY_BATCH], np.int64)
                for i, key in zip(part.tolist(), _band_keys(sigs[part], self.bands, self.rows), strict=True):
                    doc_id, credited, published_at = docs[i]
                    self._add_one(doc_id, sigs[i], key, credited, published_at, touched)
        return {c for c in touched if c in self.clusters}

    def _add_one(self, doc_id: str, sig: np.ndarray, key: np.ndarray, credited: bool, published_at: str,
                 touched: set[str]) -> None:
        """Place one document; the clusters it left and joined go to `touched`."""
        if (old := self._remove(doc_id)) is not None:
            touched.add(old)
        rows, counts = self._bucket_rows(key)  # a row met in several buckets is compared again
        best = None
        if len(rows):  # the most similar; of equals, the smallest doc_id
            similar = np.count_nonzero(self._sigs[rows] == sig, axis=1)
            top = similar.max()
            if top / NUM_PERM >= self.threshold:
                best = min(self._ids[r] for r in rows[similar == top].tolist())
        if best is not None:
            cluster = self.members[best].cluster
        else:  # a new cluster is named after its first member (unless a cluster has that name)
            cluster = doc_id if doc_id not in self.clusters else f"{doc_id}~{len(self.members)}"
        self._place(doc_id, sig, key, Member(cluster, credited, published_at or ""), counts)
        self._upserted.add(doc_id)
        touched.add(cluster)

    def assignment(self, doc_id: str) -> tuple[str | None, bool]:
        """(near_dup_cluster, is_canonical) of an indexed document."""
        member = self.members[doc_id]
        ids = self.clusters[member.cluster]
        if len(ids) == 1:
            return None, True
        canonical = self._canonical.get(member.cluster)
        if canonical is None:  # once per cluster, not per member: a cluster may hold 100,000
            canonical = self._canonical[member.cluster] = min(ids, key=lambda d: self.members[d].rank(d))
        return member.cluster, doc_id == canonical

    def cluster_members(self, clusters: Iterable[str]) -> set[str]:
        return {d for c in clusters for d in self.clusters.get(c, ())}
