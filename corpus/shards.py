"""Cleaning raw dumps one file (a shard) per task: in this process, or on a Dask cluster
(`--workers N` starts a local one, `--scheduler tcp://HOST:PORT` joins a running one).

Both run the same `clean_shard`, and the caller puts results back in input order, so the output
does not depend on where or in which order shards ran. A worker sends back cleaned documents, not
raw bytes; with a scope, only in-scope documents travel whole, and scope rejections as rows with a
text preview (their raw record stays reachable through the provenance fields). For `clean`, which
keeps every document, a worker writes them to the cache directory instead (`to_files`), and the
result that travels is small. Finished shards are
kept in a cache directory until the caller has committed them, so a rerun after a crash skips
them. A shard that keeps failing (Dask retries it) comes back as a ShardFailure naming the file
(and the offset it reached); a failure is never cached, so a later run cleans the file again.

Workers of a remote scheduler need dgsn-corpus installed, and the raw dumps at the same paths or
URLs (fsspec: `s3://…` with s3fs installed on the workers, and so on).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from cleaners import CLEANER_VERSION
from cleaners.document import Document
from cleaners.pipeline import DOC_TIME_LIMIT, PREFILTER_REASON, Prefiltered, clean_items
from cleaners.readers import InputPath, ReadStats, input_stat, iter_items, max_record_bytes, open_input
from corpus.scope import ScopeConfig, apply_scope
from corpus.staging import ShardStage, StagedShard

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

RETRIES = 2  # a failed shard runs at most 1 + RETRIES times
REJECTED_PREVIEW_CHARS = 500  # text kept with a document rejected by the scope filter

Rejected = tuple[Document, str, str]  # the document, the reason, a detail (e.g. the doc_id it duplicates)
R = TypeVar("R", bound="ShardResult | StagedShard | ShardFailure")


@dataclass
class ShardResult:
    path: str
    sha256: str
    bytes: int
    documents: list[Document]  # cleaned (and in scope, when a scope was given)
    rejected: list[Rejected] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    reused: bool = False  # taken from the cache of an earlier, uncommitted run
    prefilter: bool = True  # cleaned with the scope prefilter (see cleaners.prefilter)
    documents_file: str | None = None  # where `documents` went instead (clean_shard's `target`)


@dataclass
class ShardFailure:
    path: str
    error: str


def sha256_file(path: InputPath) -> str:
    h = hashlib.sha256()
    with open_input(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def clean_shard(path: InputPath, config: ScopeConfig | None = None,
                time_limit_s: float = DOC_TIME_LIMIT,
                on_document: Callable[..., None] | None = None, prefilter: bool = True,
                target: str | None = None) -> ShardResult:
    """Clean one raw-dump file. With a scope, documents it rejects (empty ones included) come back
    in `rejected` with their text cut to a preview; without one, every non-empty document comes
    back in `documents`. `on_document(1, position=offset)` is called after each (progress).
    `prefilter` (with a scope only): records that cannot be in scope are not cleaned; they come
    back in `rejected` without text, as `prefilter_out_of_scope`. With `target`, the kept documents
    are written there as they come (JSONL of Documents, in place once complete; read_documents
    reads it) instead of coming back: memory holds one document, not the file's."""
    size, _ = input_stat(path)
    sha = sha256_file(path)
    stats = ReadStats()
    kept: list[Document] = []
    rejected: list[Rejected] = []
    prefiltering = prefilter and config is not None
    with _documents_file(target) as sink:
        for doc, reason in iter_shard(path, config, stats, time_limit_s, on_document, prefilter=prefiltering):
            if reason:
                rejected.append((doc, reason, ""))
            elif sink is not None:
                sink.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
            else:
                kept.append(doc)
    return ShardResult(str(path), sha, size, kept, rejected, dict(stats.counts), [str(p) for p in stats.problems],
                       prefilter=prefiltering, documents_file=target)


@contextmanager
def _documents_file(target: str | None) -> Iterator[TextIO | None]:
    """A file written beside `target` and moved into place only when the `with` block ends well."""
    if target is None:
        yield None
        return
    tmp = f"{target}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            yield fh
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def read_documents(target: str | Path) -> Iterator[Document]:
    """The documents clean_shard wrote to `target`, one at a time."""
    with open(target, encoding="utf-8") as fh:
        for line in fh:
            yield Document.from_dict(json.loads(line))


def _clean_shard_task(path: InputPath, prefilter: bool, target: str | None,
                      config: ScopeConfig | None) -> ShardResult:
    """clean_shard with its prefilter choice and target as positional arguments, for Client.map."""
    return clean_shard(path, config, prefilter=prefilter, target=target)


def iter_shard(path: InputPath, config: ScopeConfig | None, stats: ReadStats,
               time_limit_s: float = DOC_TIME_LIMIT,
               on_document: Callable[..., None] | None = None,
               prefilter: bool = True) -> Iterator[tuple[Document, str]]:
    """The documents of one file as they are cleaned, each with the scope's reason to reject it
    ("" for one kept; a rejected one's text is cut to a preview; one the prefilter rejected has
    none). ShardError when the file fails as a whole."""
    prefiltering = prefilter and config is not None
    try:
        for doc in clean_items(iter_items([path], stats), stats, time_limit_s, keep_empty=config is not None,
                               scope_terms=config.extra_terms if prefiltering and config else None):
            if on_document is not None:
                on_document(1, position=doc.raw_offset)
            if isinstance(doc, Prefiltered):
                yield doc, PREFILTER_REASON
                continue
            try:
                reason = apply_scope(doc, config) if config is not None else None
            except Exception as exc:  # one document's failure, like a cleaning failure
                stats.bad(doc.raw_path, doc.raw_offset, f"scope failed: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            if reason:
                doc.text = doc.text[:REJECTED_PREVIEW_CHARS]
            yield doc, reason or ""
    except Exception as exc:  # records fail one by one; this is the file's own failure: say where it stopped
        raise ShardError(f"{type(exc).__name__}: {str(exc)[:300]} (at {path}@{stats.where or 0})") from exc


class ShardError(Exception):
    """A file that failed as a whole, with the offset it had reached."""


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, ShardError) else f"{type(exc).__name__}: {exc}"


class ShardCache:
    """Finished shards of a run that has not been committed yet, one pickle per shard, keyed by the
    file's path, size and modification time, the cleaner version and `tag` (the scope): a file
    that changed, or other cleaners, never reuse an old result. The directory is this project's
    own scratch space; nothing else should write there."""

    def __init__(self, directory: Path, tag: str = ""):
        self.directory = Path(directory)
        self.tag = tag

    def _file(self, path: InputPath, suffix: str = ".pickle") -> Path:
        size, mtime = input_stat(path)
        key = f"{path}\0{size}\0{mtime!r}\0{CLEANER_VERSION}\0{self.tag}\0{max_record_bytes()}"
        return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}{suffix}"

    def documents_file(self, path: InputPath) -> str:
        """Where the documents of `path` are written when they do not travel in the result."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return str(self._file(path, ".jsonl"))

    def get(self, path: InputPath, prefilter: bool | None = None) -> ShardResult | None:
        """The cached result of `path`; with `prefilter`, only one cleaned with that choice."""
        try:
            with open(self._file(path), "rb") as fh:
                result = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None
        if not isinstance(result, ShardResult) or result.path != str(path):
            return None
        if result.documents_file is not None and not os.path.exists(result.documents_file):
            return None
        return result if prefilter is None or result.prefilter == prefilter else None

    def put(self, result: ShardResult) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self._file(result.path)
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except BaseException:  # a full disk: leave the space as it was
            Path(tmp).unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        if self.directory.is_dir():
            for f in self.directory.iterdir():
                f.unlink(missing_ok=True)
            self.directory.rmdir()


class ClusterError(Exception):
    """The Dask scheduler cannot be reached."""


CONNECT_TIMEOUT_S = 10  # seconds to reach a --scheduler


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, or of a local cluster of `workers` processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, ValueError) as exc:  # unreachable, or not an address
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        with client:
            yield client
    else:  # the dashboard on any free port (None does not turn it off, and 8787 may be taken)
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            yield client


def run_shards(paths: Sequence[InputPath], config: ScopeConfig | None = None, *,
               client: Client | None = None, cache: ShardCache | None = None,
               retries: int = RETRIES,
               on_document: Callable[..., None] | None = None,
               no_prefilter: Collection[str] = (), to_files: bool = False) -> Iterator[ShardResult | ShardFailure]:
    """Results of every path, in the order they finish: from the cache, then from this process
    (no client) or the cluster. Each path yields exactly once. `on_document`: see clean_shard (in
    this process only; a cluster's shards count when they come back). `no_prefilter`: the paths
    (as str) cleaned without the scope prefilter. `to_files` (with a cache): each shard's kept
    documents are written in the cache directory by whoever cleans it, not sent back in the
    result (`documents_file`; read_documents reads it), so no process holds a whole shard; on a
    cluster, the workers must share that directory's filesystem (ClusterError otherwise)."""
    if to_files and cache is None:
        raise ValueError("to_files needs a cache: its directory holds the documents")
    targets = {str(p): cache.documents_file(p) if to_files and cache is not None else None for p in paths}
    pending = []
    use_prefilter = {str(p): config is not None and str(p) not in no_prefilter for p in paths}
    for path in paths:
        cached = cache.get(path, use_prefilter[str(path)]) if cache is not None else None
        if cached is not None:
            cached.reused = True
            log.info("shard %s: finished in an earlier run, not cleaned again", path)
            yield cached
        else:
            pending.append(path)
    if client is None:
        for path in pending:
            try:
                result = clean_shard(path, config, on_document=on_document, prefilter=use_prefilter[str(path)],
                                     target=targets[str(path)])
            except Exception as exc:  # one bad shard must not stop the others
                yield ShardFailure(str(path), _describe(exc))
                continue
            if cache is not None:
                cache.put(result)
            yield result
        return
    for result in _on_cluster(client, pending, config, use_prefilter, retries, targets):
        if cache is not None and isinstance(result, ShardResult):
            cache.put(result)
        yield result


def _on_cluster(client: Client, pending: Sequence[InputPath], config: ScopeConfig | None,
                use_prefilter: dict[str, bool], retries: int,
                targets: dict[str, str | None] | None = None) -> Iterator[ShardResult | ShardFailure]:
    """The shards cleaned on the cluster, one file per task, as they finish. `targets`: where each
    shard's worker writes its kept documents (see clean_shard), which this process must see."""
    from distributed import as_completed

    futures = client.map(_clean_shard_task, pending, [use_prefilter[str(p)] for p in pending],
                         [(targets or {}).get(str(p)) for p in pending], config=config, retries=retries, pure=False)
    path_of = {f.key: str(p) for f, p in zip(futures, pending, strict=True)}
    for future in as_completed(futures):
        try:
            result = future.result()
        except Exception as exc:  # the task's own error after its retries, or KilledWorker
            yield ShardFailure(path_of[future.key], f"{_describe(exc)} (after {1 + retries} attempts)")
            continue
        finally:
            future.release()
        if result.documents_file and not os.path.exists(result.documents_file):
            raise ClusterError(f"a Dask worker wrote {result.documents_file}, which this machine cannot see: "
                               "it must be on a filesystem the workers share")
        yield result


def stage_shards(paths: Sequence[InputPath], config: ScopeConfig | None, stage: ShardStage, *,
                 client: Client | None = None, retries: int = RETRIES,
                 prepare: Callable[[str, Document], Document] = lambda _, doc: doc,
                 extra: Callable[[str], str] = lambda _: "",
                 on_document: Callable[..., None] | None = None,
                 no_prefilter: Collection[str] = ()) -> Iterator[StagedShard | ShardFailure]:
    """Like run_shards, but each shard's documents go to `stage` (Parquet on disk, in batches) as
    they come, so memory holds one batch, not the run: in this process, straight from the
    cleaners; from a cluster, each worker writes its shard's kept documents in the stage
    directory (which the workers must share) and they are read back one at a time.
    `prepare(path, doc)` stamps a document before it is written (where it was read from, its
    source); `extra(path)` is what else the stage key must hold for a staged shard to be reused
    (e.g. that stamp). `no_prefilter`: the paths (as str) cleaned without the scope prefilter."""
    use_prefilter = {str(p): config is not None and str(p) not in no_prefilter for p in paths}

    def key_extra(path: str) -> str:  # a shard staged with the other prefilter choice is not reused
        return f"{extra(path)}\0prefilter={use_prefilter[path]}"

    pending = []
    for path in paths:
        cached = stage.get(path, key_extra(str(path)))
        if cached is not None:
            log.info("shard %s: finished in an earlier run, not cleaned again", path)
            yield cached
        else:
            pending.append(path)
    if client is None:
        for path in pending:
            try:
                size, _ = input_stat(path)
                sha = sha256_file(path)
            except Exception as exc:  # one bad shard must not stop the others
                yield ShardFailure(str(path), _describe(exc))
                continue
            stats = ReadStats()
            try:  # a failure to stage (a full disk) is the build's own: it ends the build
                with stage.writer(path, key_extra(str(path))) as writer:
                    for doc, reason in iter_shard(path, config, stats, on_document=on_document,
                                                  prefilter=use_prefilter[str(path)]):
                        writer.add(prepare(str(path), doc), reason)
                    shard = writer.finish(sha, size, dict(stats.counts), [str(p) for p in stats.problems],
                                          prefilter=use_prefilter[str(path)])
            except ShardError as exc:
                yield ShardFailure(str(path), _describe(exc))
                continue
            yield shard
        return
    stage.directory.mkdir(parents=True, exist_ok=True)  # the workers write each shard's documents there
    targets = {str(p): str(stage.directory / f"{stage.key(p, key_extra(str(p)))}.documents.jsonl") for p in pending}
    for result in _on_cluster(client, pending, config, use_prefilter, retries, targets):
        if isinstance(result, ShardFailure):
            yield result
            continue
        with stage.writer(result.path, key_extra(result.path)) as writer:
            for doc in read_documents(result.documents_file):
                writer.add(prepare(result.path, doc))
            for doc, reason, detail in result.rejected:
                writer.add(prepare(result.path, doc), reason, detail)
            shard = writer.finish(result.sha256, result.bytes, result.counts, result.problems,
                                  prefilter=result.prefilter)
        os.unlink(result.documents_file)
        del result
        yield shard


def in_input_order(paths: Sequence[InputPath], results: Iterator[R]) -> Iterator[R]:
    """Results as they finish, handed on in the order of `paths` (each as soon as all before it
    are in), so that output never depends on which shard finished first."""
    order = {str(p): i for i, p in enumerate(paths)}
    waiting: dict[int, R] = {}
    nxt = 0
    for result in results:
        waiting[order[result.path]] = result
        while nxt in waiting:
            yield waiting.pop(nxt)
            nxt += 1
