"""A build: raw dumps -> cleaned Documents -> scope -> exact dedup -> near-duplicate clusters ->
upsert by doc_id -> one new version.

Steps are small functions over lists of Documents. Every document that does not make it into the
table goes to the `rejected` table with its reason, and every raw item that did not become a
document is counted with a reason in the commit metadata: nothing is silently lost.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from cleaners import CLEANER_VERSION
from cleaners.document import Document
from cleaners.readers import InputPath, expand_inputs, input_size, input_stat, is_remote
from corpus.neardup import NearDupIndex
from corpus.outlets import SourceAssigner
from corpus.progress import Progress
from corpus.provenance import record_path, record_paths, resolve_path
from corpus.schema import SCHEMA, record_hash, to_table
from corpus.scope import ScopeConfig
from corpus.shards import (
    Rejected,
    ShardCache,
    ShardFailure,
    ShardResult,
    dask_client,
    in_input_order,
    run_shards,
)
from corpus.store import CorpusError, CorpusStore
from crawler.lock import dir_lock

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

MAX_PROBLEMS_IN_METADATA = 200
BUILD_LOCK = "_build.lock"  # inside the table directory; a leading underscore keeps vacuum off it
SHARD_CACHE = "_shards"  # finished shards of a build not yet committed (see corpus.shards)


class NothingToRebuild(CorpusError):
    """A rebuild that finds none of the raw dumps its corpus records: it commits nothing."""


@dataclass
class BuildReport:
    version: int
    counts: dict[str, int]
    dropped: dict[str, int]
    read: dict[str, int]
    problems: list[str] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)
    failed_shards: list[str] = field(default_factory=list)


def dedup_batch(docs: list[Document]) -> tuple[list[Document], list[Rejected]]:
    """One document per doc_id (the latest capture wins), then one per content_hash (the earliest
    published wins; ties broken by doc_id so the choice is stable)."""
    rejected: list[Rejected] = []
    by_id: dict[str, Document] = {}
    for doc in docs:
        prev = by_id.get(doc.doc_id)
        if prev is not None:
            older, doc = (doc, prev) if (doc.fetched_at or "") < (prev.fetched_at or "") else (prev, doc)
            rejected.append((older, "superseded_capture", doc.doc_id))
        by_id[doc.doc_id] = doc
    ordered = sorted(by_id.values(), key=lambda d: (d.published_at or "9999", d.doc_id))
    by_hash: dict[str, Document] = {}
    for doc in ordered:
        if (kept := by_hash.get(doc.content_hash)) is not None:
            rejected.append((doc, "duplicate_content", kept.doc_id))
            continue
        by_hash[doc.content_hash] = doc
    return list(by_hash.values()), rejected


def rejected_latest(kept: list[Document], rejected: list[Rejected]) -> tuple[list[Document], dict[str, str]]:
    """The documents whose latest capture in this build was rejected (too short now, out of scope),
    with that capture's fetch time: they leave the corpus, which shows each document's latest
    capture, never an older text. Also their older accepted captures in the build (superseded)."""
    latest: dict[str, str] = {}
    for doc in kept:
        latest[doc.doc_id] = max(latest.get(doc.doc_id, ""), doc.fetched_at or "")
    gone: dict[str, str] = {}
    for doc, _, _ in rejected:
        when = doc.fetched_at or ""
        if (doc.doc_id not in latest or when > latest[doc.doc_id]) and when >= gone.get(doc.doc_id, ""):
            gone[doc.doc_id] = when
    return [doc for doc in kept if doc.doc_id in gone], gone


def plan_upserts(docs: list[Document], existing: pa.Table) -> tuple[list[Document], list[Rejected], dict[str, int]]:
    """Documents to write (new or changed), exact duplicates of other documents already in the
    table, and counts against the current version."""
    current = {
        d: (h, r) for d, h, r in zip(existing.column("doc_id").to_pylist(),
                                      existing.column("content_hash").to_pylist(),
                                      existing.column("record_hash").to_pylist(), strict=True)
    }
    owner_of_hash = {h: d for d, (h, _) in current.items()}
    write: list[Document] = []
    rejected: list[Rejected] = []
    added = changed = unchanged = 0
    for doc in docs:
        owner = owner_of_hash.get(doc.content_hash)
        if owner is not None and owner != doc.doc_id:
            rejected.append((doc, "duplicate_content", owner))
            continue
        if doc.doc_id not in current:
            added += 1
        elif current[doc.doc_id][1] != record_hash(doc.to_dict()):
            changed += 1
        else:
            unchanged += 1
            continue
        write.append(doc)
    counts = {"added": added, "changed": changed, "removed": 0, "unchanged": unchanged,
              "documents": len(current) + added}
    return write, rejected, counts


def near_dup_index(store: CorpusStore, config: ScopeConfig) -> NearDupIndex:
    """The index saved with the current version, or one rebuilt from the table (its clusters as
    the table has them)."""
    version = store.latest_build_version()  # a vacuum's commits after it change no row
    if version is None:
        return NearDupIndex(config.near_dup_threshold)
    index = NearDupIndex.load(store.path, version, config.near_dup_threshold)
    if index is None:
        log.warning("no near-duplicate index for version %s: rebuilding it from the table", version)
        table = store.read(version, columns=["doc_id", "text", "credits", "published_at", "near_dup_cluster"])
        index = NearDupIndex.restore(config.near_dup_threshold, zip(
            table.column("doc_id").to_pylist(), table.column("text").to_pylist(),
            (bool(c) for c in table.column("credits").to_pylist()), table.column("published_at").to_pylist(),
            table.column("near_dup_cluster").to_pylist(), strict=True))
    return index


def recluster(index: NearDupIndex, write: list[Document], existing: pa.Table, store: CorpusStore,
              touched: set[str] = frozenset()) -> tuple[pa.Table, int]:
    """Place the documents being written in clusters; return the rows already in the table whose
    cluster or canonical flag that changes (rewritten in the same commit), and their number.
    `touched`: clusters already changed (by documents removed)."""
    touched = set(touched) | index.add((d.doc_id, d.text, bool(d.credits), d.published_at or "") for d in write)
    for doc in write:
        doc.near_dup_cluster, doc.is_canonical = index.assignment(doc.doc_id)
    writing = {d.doc_id for d in write}
    now = {d: (c, k) for d, c, k in zip(existing.column("doc_id").to_pylist(),
                                         existing.column("near_dup_cluster").to_pylist(),
                                         existing.column("is_canonical").to_pylist(), strict=True)}
    moved = {d: index.assignment(d) for d in index.cluster_members(touched) - writing if d in now}
    moved = {d: a for d, a in moved.items() if a != now[d]}
    if not moved:
        return SCHEMA.empty_table(), 0
    rows = store.read_rows(sorted(moved))
    rows = rows.set_column(rows.schema.get_field_index("near_dup_cluster"), "near_dup_cluster",
                           pa.array([moved[d][0] for d in rows.column("doc_id").to_pylist()], pa.string()))
    rows = rows.set_column(rows.schema.get_field_index("is_canonical"), "is_canonical",
                           pa.array([moved[d][1] for d in rows.column("doc_id").to_pylist()], pa.bool_()))
    return rows, len(moved)


def unbuilt_warcs(raw_dir: Path, corpus_dir: str | Path) -> list[Path]:
    """Closed WARC files under `raw_dir` that no version of the corpus has taken in yet."""
    done: set[str] = set()
    store = CorpusStore(corpus_dir)
    if store.exists():
        for version in store.history():
            done.update(str(Path(resolve_path(i["path"], corpus_dir)).resolve())
                        for i in version.metadata.get("inputs", []))
    return [p for p in sorted(raw_dir.glob("*/*.warc.gz")) if str(p.resolve()) not in done]


def build(inputs: Sequence[str | Path], corpus_dir: str | Path, config: ScopeConfig | None = None,
          wait: float = 0.0, scheduler: str | None = None, workers: int | None = None,
          source: str | None = None, progress: Progress | None = None, prefilter: bool = True) -> BuildReport:
    """Clean `inputs` and commit them as one new version of the corpus at `corpus_dir`.
    One build at a time per corpus: another waits up to `wait` seconds, then raises
    DirectoryLocked. `scheduler` (a Dask scheduler address) or `workers` (a local Dask cluster of
    that many processes) cleans the files on a cluster, one file per task. `source`: the registry
    id of documents whose dump names none (see corpus.outlets). `prefilter=False` cleans every
    record in full, without the scope prefilter (recorded with the inputs: a rebuild repeats it)."""
    skipped: list[InputPath] = []
    files = expand_inputs(inputs, skipped)  # raises InputError before any work is done
    sources = SourceAssigner(source)
    with dir_lock(Path(corpus_dir), BUILD_LOCK, wait=wait, what="build"), _client(scheduler, workers) as client:
        return _build(files, CorpusStore(corpus_dir), config or ScopeConfig(), [], rebuild=False, client=client,
                      sources=sources, skipped=skipped, progress=progress,
                      no_prefilter=set() if prefilter else {str(f) for f in files})


def rebuild(corpus_dir: str | Path, config: ScopeConfig | None = None, wait: float = 0.0,
            scheduler: str | None = None, workers: int | None = None,
            progress: Progress | None = None, prefilter: bool | None = None) -> BuildReport:
    """Re-clean every raw dump the corpus was built from with the current cleaners, and commit
    what that changes: documents whose text or metadata changed, documents now rejected
    (removed), documents found anew. A dump that is missing, or whose bytes differ from the
    sha256 recorded when it was built, is reported and skipped; its documents stay as they are.
    NothingToRebuild when none is found: nothing is committed. `prefilter`: None repeats each
    dump's recorded choice (`build --no-prefilter`), True or False sets it for all."""
    store = CorpusStore(corpus_dir)
    if not store.exists():
        raise CorpusError(f"no corpus at {corpus_dir}")
    with dir_lock(Path(corpus_dir), BUILD_LOCK, wait=wait, what="build"), _client(scheduler, workers) as client:
        recorded: dict[str, str] = {}  # where each dump is now -> its sha256 when it was built
        defaults: dict[str, str] = {}  # where each dump is now -> the --source it was built with
        prefiltered: dict[str, bool] = {}  # where each dump is now -> read with the prefilter, last time
        for version in store.history():
            for entry in version.metadata.get("inputs", []):
                where = resolve_path(entry["path"], corpus_dir)
                recorded[where] = entry["sha256"]
                if entry.get("source"):
                    defaults[where] = entry["source"]
                prefiltered[where] = entry.get("prefilter", True)
        files: list[InputPath] = []
        problems = []
        for path in recorded:
            if _exists(path):
                files.append(path)
            else:
                problems.append(f"{path}: missing; its documents are kept as they are")
        if not files:
            raise NothingToRebuild(f"none of the {len(recorded)} raw dump(s) recorded in {corpus_dir} was found "
                                   f"(first: {next(iter(recorded))}); nothing committed" if recorded else
                                   f"{corpus_dir} records no raw dump to re-read; nothing committed")
        return _build(files, store, config or ScopeConfig(), problems, rebuild=True, client=client,
                      recorded=recorded, sources=SourceAssigner(), defaults=defaults, progress=progress,
                      no_prefilter={f for f in map(str, files)
                                    if not (prefiltered.get(f, True) if prefilter is None else prefilter)})


def _exists(path: str) -> bool:
    if not is_remote(path):
        return Path(path).is_file()
    try:
        input_stat(path)
    except (OSError, ValueError):
        return False
    return True


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[Client | None]:
    if scheduler is None and workers is None:
        yield None
    else:
        with dask_client(scheduler, workers) as client:
            yield client


def _build(files: list[InputPath], store: CorpusStore, config: ScopeConfig, problems: list[str],
           rebuild: bool, client: Client | None = None, recorded: dict[str, str] | None = None,
           sources: SourceAssigner | None = None, defaults: dict[str, str] | None = None,
           skipped: Sequence[InputPath] = (), progress: Progress | None = None,
           no_prefilter: Collection[str] = ()) -> BuildReport:
    """`recorded`: for a rebuild, the sha256 each dump had when it was built; `defaults`: the
    source given for each dump (`build --source`); `skipped`: files the input expansion left out;
    `no_prefilter`: files (as str) cleaned without the scope prefilter."""
    sources = sources or SourceAssigner()
    defaults = defaults or {}
    progress = progress or Progress("build", quiet=True)
    progress.total_files = len(files)
    progress.total_bytes = sum(input_size(f) for f in files) or None
    started = datetime.now(UTC).isoformat(timespec="seconds")
    build_id = uuid.uuid4().hex[:12]
    input_meta: list[dict[str, Any]] = []
    read: Counter[str] = Counter()
    rejected: list[Rejected] = []
    kept: list[Document] = []
    failed: list[str] = []
    record_problems: list[str] = []
    reread: set[str] = set()  # the dumps read, as given (for a rebuild: where they are now)
    cache = ShardCache(store.path / SHARD_CACHE, tag=config.digest())
    cleaned = 0
    for result in in_input_order(files, run_shards(files, config, client=client, cache=cache,
                                                   on_document=progress.item, no_prefilter=no_prefilter)):
        if isinstance(result, ShardResult):  # exact counts once a shard is in (a cluster's come only then)
            cleaned += len(result.documents) + len(result.rejected)
            progress.count = cleaned
        progress.file_done(result.bytes if isinstance(result, ShardResult) else 0)
        if isinstance(result, ShardFailure):
            failed.append(result.path)
            problems.append(f"{result.path}: cleaning failed: {result.error}; not in this version, "
                            "a later build retries it")
            continue
        if recorded and recorded.get(result.path, result.sha256) != result.sha256:
            problems.append(f"{result.path}: not the bytes it was built from (sha256 differs); skipped, "
                            "its documents are kept as they are")
            continue
        default = defaults.get(result.path, sources.default)
        where = record_path(result.path, store.path)
        record_paths(result.documents + [doc for doc, _, _ in result.rejected], result.path, where)
        input_meta.append({"path": where, "sha256": result.sha256, "bytes": result.bytes,
                           **({"source": default} if default else {}),
                           **({} if result.prefilter else {"prefilter": False})})
        reread.add(result.path)
        read.update(result.counts)
        read["shards_reused" if result.reused else "shards_cleaned"] += 1
        record_problems.extend(result.problems)
        kept.extend(sources.all(result.documents, default))
        rejected.extend((sources.assign(doc, default), reason, detail) for doc, reason, detail in result.rejected)
    for path in skipped:
        read["skipped:open_warc"] += 1
        log.info("build: %s is still being written (.open): skipped, a later build takes it once closed", path)
    for problem in problems:  # the files skipped (bad records are logged where they are read)
        log.warning("build: %s", problem)
    problems.extend(record_problems)
    dropped = {k.split(":", 1)[1]: v for k, v in read.items() if k.startswith("dropped:")}
    read = Counter({k: v for k, v in read.items() if not k.startswith("dropped:")})
    if failed:
        read["shards_failed"] = len(failed)
    superseded, now_rejected = rejected_latest(kept, rejected)
    kept = [doc for doc in kept if doc.doc_id not in now_rejected]
    rejected += [(doc, "superseded_capture", doc.doc_id) for doc in superseded]
    kept, dups = dedup_batch(kept)
    columns = ["doc_id", "content_hash", "record_hash", "near_dup_cluster", "is_canonical", "warc_file", "raw_path"]
    existing = store.read(columns=columns) if store.exists() else SCHEMA.empty_table().select(columns)
    deletes: list[str] = []
    if rebuild:  # documents of the re-read dumps that no longer come out of them
        # Rows record their dump as they were built: relative to the corpus, absolute, or (older
        # corpora) relative to the working directory of that build.
        where_now = functools.cache(lambda p: resolve_path(p, store.path) if p else None)
        cols = (existing.column(c).to_pylist() for c in ("doc_id", "warc_file", "raw_path"))
        from_dumps = {d for d, w, r in zip(*cols, strict=True) if where_now(r) in reread or where_now(w) in reread}
        deletes = sorted(from_dumps - {d.doc_id for d in kept})
    if stale := now_rejected.keys() & set(existing.column("doc_id").to_pylist()):
        # unless the table holds a capture newer than the rejected one (an old dump built late)
        rows = store.read(columns=["doc_id", "fetched_at"])
        held = dict(zip(rows.column("doc_id").to_pylist(), rows.column("fetched_at").to_pylist(), strict=True))
        deletes = sorted(set(deletes) | {d for d in stale if now_rejected[d] >= (held.get(d) or "")})
    if deletes:
        existing = existing.filter(pc.invert(pc.is_in(existing["doc_id"], value_set=pa.array(deletes, pa.string()))))
    write, dups_of_existing, counts = plan_upserts(kept, existing)
    counts["removed"] = len(deletes)
    rejected += dups + dups_of_existing
    index = near_dup_index(store, config)
    gone = index.remove(deletes)
    moved, counts["reclustered"] = recluster(index, write, existing, store, gone)
    upserts = pa.concat_tables([to_table(write), moved.select(SCHEMA.names)]) if moved.num_rows else to_table(write)
    reasons = dict(sorted(Counter(reason for _, reason, _ in rejected).items()))
    metadata: dict[str, Any] = {
        "build_id": build_id,
        "operation": "rebuild" if rebuild else "build",
        "cleaner_version": CLEANER_VERSION,
        "config_hash": config.digest(),
        "started_at": started,
        "inputs": input_meta,
        "counts": counts,
        "rejected": reasons,
        "dropped": dict(sorted(dropped.items())),
        "read": dict(sorted(read.items())),
        "problems": problems[:MAX_PROBLEMS_IN_METADATA],
        "problems_total": len(problems),
        "failed_shards": [record_path(f, store.path) for f in failed],
    }
    # The rejected rows first: if the build dies before its main commit, they carry a build_id
    # that no version has, and readers of the rejected table skip them.
    store.commit_rejected(rejected_table(rejected, build_id))
    version = store.commit(upserts, metadata, deletes)
    try:
        index.save(store.path, version)
    except Exception as exc:  # the version is in; only its side file is not (the next build rebuilds it)
        log.warning("build: version %s is committed, but its near-duplicate index was not saved (%s: %s); "
                    "the next build rebuilds it from the table", version, type(exc).__name__, exc)
    cache.clear()
    return BuildReport(version, counts, dropped, dict(read), problems, reasons, failed)


def rejected_table(rejected: list[Rejected], build_id: str) -> pa.Table:
    table = to_table([doc for doc, _, _ in rejected])
    n = table.num_rows
    return (table.append_column("reason", pa.array([r for _, r, _ in rejected], pa.string()))
            .append_column("detail", pa.array([d for _, _, d in rejected], pa.string()))
            .append_column("build_id", pa.array([build_id] * n, pa.string())))
