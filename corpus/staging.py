"""Finished shards of a build not yet committed, kept on disk (CORPUS/_shards/) rather than in memory.

Each shard is two Parquet files, its kept documents and its rejected rows, written in row groups
of `batch_size()` rows as the documents come out of the cleaners, and a small pickle of the rest
(sha256, counts, problems) written last: a shard whose pickle is there is complete, so a build
rerun after a crash takes it as it is. The build reads them back one batch at a time (the columns
it needs only), so its memory does not grow with the number of records scanned. Files of an
interrupted shard carry a .tmp suffix and are never read; the directory goes once the build
commits.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from cleaners import CLEANER_VERSION
from cleaners.document import Document
from cleaners.readers import InputPath, input_stat, max_record_bytes
from corpus.schema import SCHEMA, to_table

BATCH_ENV = "DGSN_BUILD_BATCH"
DEFAULT_BATCH = 5000
REJECTED_SCHEMA = SCHEMA.append(pa.field("reason", pa.string())).append(pa.field("detail", pa.string()))


def batch_size() -> int:
    """Documents per batch (a Parquet row group, a read): DGSN_BUILD_BATCH, default 5000."""
    value = os.environ.get(BATCH_ENV, "")
    return max(1, int(value)) if value.strip().isdigit() else DEFAULT_BATCH


@dataclass
class StagedShard:
    path: str
    sha256: str
    bytes: int
    kept: int
    rejected: int
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    key: str = ""
    reused: bool = False  # finished by an earlier, uncommitted run
    prefilter: bool = True  # cleaned with the scope prefilter (see cleaners.prefilter)


class ShardStage:
    """The staged shards of one corpus. Keyed by the file's path, size and modification time,
    the cleaner version, the record cap and `tag` (the scope and what the build stamps on
    documents): a file that changed, or another configuration, never reuses an old result."""

    def __init__(self, directory: Path, tag: str = ""):
        self.directory = Path(directory)
        self.tag = tag

    def key(self, path: InputPath, extra: str = "") -> str:
        try:
            size, mtime = input_stat(path)
        except (OSError, ValueError):  # gone: a key no later state of the file has
            size, mtime = -1, None
        key = f"{path}\0{size}\0{mtime!r}\0{CLEANER_VERSION}\0{self.tag}\0{max_record_bytes()}\0{extra}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def _files(self, key: str) -> tuple[Path, Path, Path]:
        d = self.directory
        return d / f"{key}.kept.parquet", d / f"{key}.rejected.parquet", d / f"{key}.pickle"

    def get(self, path: InputPath, extra: str = "") -> StagedShard | None:
        key = self.key(path, extra)
        kept, rejected, meta = self._files(key)
        try:
            with open(meta, "rb") as fh:
                shard = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None
        if not isinstance(shard, StagedShard) or shard.path != str(path) or not (kept.exists() and rejected.exists()):
            return None
        shard.key, shard.reused = key, True
        return shard

    def writer(self, path: InputPath, extra: str = "") -> ShardWriter:
        self.directory.mkdir(parents=True, exist_ok=True)
        return ShardWriter(self, str(path), self.key(path, extra))

    def iter_kept(self, shard: StagedShard, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        return _batches(self._files(shard.key)[0], columns)

    def iter_rejected(self, shard: StagedShard, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        return _batches(self._files(shard.key)[1], columns)

    def clear(self) -> None:
        if self.directory.is_dir():
            for f in self.directory.iterdir():
                f.unlink(missing_ok=True)
            self.directory.rmdir()


def _tmp(directory: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=directory, suffix=".tmp")
    os.close(fd)
    return Path(name)


def _batches(path: Path, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
    # pre_buffer (pyarrow's default) fetches the columns of every row group ahead and holds them
    # until the file is closed: a whole shard's texts in memory (244 MB for a shard of 100k
    # stories of 3.9 KB). Read one row group at a time instead.
    with pq.ParquetFile(path, pre_buffer=False) as f:
        yield from f.iter_batches(batch_size=batch_size(), columns=columns)


class ShardWriter:
    """Writes one shard's documents as they come; `finish` makes it complete. Leaving the `with`
    block without `finish` (an error) removes what was written."""

    def __init__(self, stage: ShardStage, path: str, key: str):
        self.stage, self.path, self.key = stage, path, key
        self.targets = stage._files(key)
        self.tmps = [_tmp(stage.directory) for _ in range(3)]
        self.writers = [pq.ParquetWriter(self.tmps[0], SCHEMA), pq.ParquetWriter(self.tmps[1], REJECTED_SCHEMA)]
        self.kept: list[Document] = []
        self.rejected: list[tuple[Document, str, str]] = []
        self.n_kept = self.n_rejected = 0
        self.batch = batch_size()

    def add(self, doc: Document, reason: str = "", detail: str = "") -> None:
        if reason:
            self.rejected.append((doc, reason, detail))
            if len(self.rejected) >= self.batch:
                self._flush_rejected()
        else:
            self.kept.append(doc)
            if len(self.kept) >= self.batch:
                self._flush_kept()

    def _flush_kept(self) -> None:
        if self.kept:
            self.writers[0].write_table(to_table(self.kept), row_group_size=self.batch)
            self.n_kept += len(self.kept)
            self.kept = []

    def _flush_rejected(self) -> None:
        if self.rejected:
            table = to_table([d for d, _, _ in self.rejected])
            table = (table.append_column("reason", pa.array([r for _, r, _ in self.rejected], pa.string()))
                     .append_column("detail", pa.array([d for _, _, d in self.rejected], pa.string())))
            self.writers[1].write_table(table, row_group_size=self.batch)
            self.n_rejected += len(self.rejected)
            self.rejected = []

    def finish(self, sha256: str, size: int, counts: dict[str, int], problems: list[str],
               prefilter: bool = True) -> StagedShard:
        self._flush_kept()
        self._flush_rejected()
        for w in self.writers:
            w.close()
        shard = StagedShard(self.path, sha256, size, self.n_kept, self.n_rejected, counts, problems, self.key,
                            prefilter=prefilter)
        with open(self.tmps[2], "wb") as fh:
            pickle.dump(shard, fh, protocol=pickle.HIGHEST_PROTOCOL)
        for tmp, target in zip(self.tmps, self.targets, strict=True):  # the pickle, the marker, last
            os.replace(tmp, target)
        self.tmps = []
        return shard

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.tmps:  # not finished: nothing of this shard stays
            for w in self.writers:
                try:
                    w.close()
                except Exception:  # noqa: S110 - the files go anyway
                    pass
            for tmp in self.tmps:
                tmp.unlink(missing_ok=True)
