"""A build: raw dumps -> cleaned Documents -> scope -> exact dedup -> near-duplicate clusters ->
upsert by doc_id -> one new version.

Steps are small functions over lists of Documents. Every document that does not make it into the
table goes to the `rejected` table with its reason, and every raw item that did not become a
document is counted with a reason in the commit metadata: nothing is silently lost.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleaners import CLEANER_VERSION
from cleaners.document import Document
from cleaners.readers import InputPath, expand_inputs, input_size, input_stat, is_remote
from corpus.neardup import NUM_PERM, NearDupIndex, signatures
from corpus.outlets import SourceAssigner
from corpus.progress import Progress
from corpus.provenance import record_path, record_paths, resolve_path
from corpus.schema import SCHEMA, to_table
from corpus.scope import ScopeConfig
from corpus.shards import Rejected, ShardFailure, dask_client, in_input_order, stage_shards
from corpus.staging import REJECTED_SCHEMA, ShardStage, StagedShard
from corpus.store import BUILD_LOCK, CorpusError, CorpusStore
from crawler.lock import dir_lock

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

MAX_PROBLEMS_IN_METADATA = 200
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
    # Wall seconds of the build's two stages: reading and cleaning its dumps into staged shards
    # (reused shards take no cleaning), then deciding, indexing and committing the version.
    seconds: dict[str, float] = field(default_factory=dict)


class Row(NamedTuple):
    """What the build decides a kept document's fate by: a few of its fields, not its text."""
    key: tuple[int, int]  # (shard, row) in the staged shards, in input order
    doc_id: str
    fetched_at: str
    published_at: str
    content_hash: str
    record_hash: str
    credited: bool


Fate = tuple[str, str]  # the reason a kept document is rejected after all, and its detail


def rejected_latest(kept: list[Row], latest_rejected: dict[str, str]) -> dict[str, str]:
    """The documents whose latest capture in this build was rejected (too short now, out of scope),
    with that capture's fetch time: they leave the corpus, which shows each document's latest
    capture, never an older text. `latest_rejected`: the latest rejected capture of each doc_id."""
    latest: dict[str, str] = {}
    for row in kept:
        latest[row.doc_id] = max(latest.get(row.doc_id, ""), row.fetched_at)
    return {d: when for d, when in latest_rejected.items() if d not in latest or when > latest[d]}


def dedup_batch(rows: list[Row], fate: dict[tuple[int, int], Fate]) -> list[Row]:
    """One document per doc_id (the latest capture wins; on a tie the later in input order), then
    one per content_hash (the earliest published wins; ties broken by doc_id so the choice is
    stable). The losers' fates go to `fate`."""
    by_id: dict[str, Row] = {}
    for row in rows:
        prev = by_id.get(row.doc_id)
        if prev is not None:
            older, row = (row, prev) if row.fetched_at < prev.fetched_at else (prev, row)
            fate[older.key] = ("superseded_capture", row.doc_id)
        by_id[row.doc_id] = row
    by_hash: dict[str, Row] = {}
    for row in sorted(by_id.values(), key=lambda r: (r.published_at or "9999", r.doc_id)):
        if (kept := by_hash.get(row.content_hash)) is not None:
            fate[row.key] = ("duplicate_content", kept.doc_id)
            continue
        by_hash[row.content_hash] = row
    return list(by_hash.values())


def plan_upserts(rows: list[Row], existing: pa.Table,
                 fate: dict[tuple[int, int], Fate]) -> tuple[list[Row], dict[str, int]]:
    """Documents to write (new or changed) and counts against the current version; exact
    duplicates of other documents already in the table go to `fate`."""
    current = {
        d: (h, r) for d, h, r in zip(existing.column("doc_id").to_pylist(),
                                      existing.column("content_hash").to_pylist(),
                                      existing.column("record_hash").to_pylist(), strict=True)
    }
    owner_of_hash = {h: d for d, (h, _) in current.items()}
    write: list[Row] = []
    added = changed = unchanged = 0
    for row in rows:
        owner = owner_of_hash.get(row.content_hash)
        if owner is not None and owner != row.doc_id:
            fate[row.key] = ("duplicate_content", owner)
            continue
        if row.doc_id not in current:
            added += 1
        elif current[row.doc_id][1] != row.record_hash:
            changed += 1
        else:
            unchanged += 1
            continue
        write.append(row)
    counts = {"added": added, "changed": changed, "removed": 0, "unchanged": unchanged,
              "documents": len(current) + added}
    return write, counts


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


def recluster(index: NearDupIndex, write: list[tuple[str, bool, str]], sigs: np.ndarray, existing: pa.Table,
              store: CorpusStore, touched: set[str] = frozenset()) -> tuple[pa.Table, int]:
    """Place the documents being written ((doc_id, credited, published_at), their signatures the
    rows of `sigs`) in clusters;
    return the rows already in the table whose cluster or canonical flag that changes (rewritten
    in the same commit), and their number. `touched`: clusters already changed (by documents
    removed). Only those rows are read from the table."""
    touched = set(touched) | index.add_signed(write, sigs)
    writing = {d for d, _, _ in write}
    now = {d: (c, k) for d, c, k in zip(existing.column("doc_id").to_pylist(),
                                         existing.column("near_dup_cluster").to_pylist(),
                                         existing.column("is_canonical").to_pylist(), strict=True)}
    moved = {d: index.assignment(d) for d in index.cluster_members(touched) - writing if d in now}
    moved = {d: a for d, a in moved.items() if a != now[d]}
    if not moved:
        return SCHEMA.empty_table(), 0
    rows = store.read_rows(sorted(moved))
    return _with_clusters(rows, [moved[d] for d in rows.column("doc_id").to_pylist()]), len(moved)


def _with_clusters(rows: pa.Table, assignments: list[tuple[str | None, bool]]) -> pa.Table:
    rows = rows.set_column(rows.schema.get_field_index("near_dup_cluster"), "near_dup_cluster",
                           pa.array([c for c, _ in assignments], pa.string()))
    return rows.set_column(rows.schema.get_field_index("is_canonical"), "is_canonical",
                           pa.array([k for _, k in assignments], pa.bool_()))


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
    clock = time.perf_counter()
    build_id = uuid.uuid4().hex[:12]
    input_meta: list[dict[str, Any]] = []
    read: Counter[str] = Counter()
    shards: list[StagedShard] = []  # the ones taken, in input order
    failed: list[str] = []
    record_problems: list[str] = []
    reread: set[str] = set()  # the dumps read, as given (for a rebuild: where they are now)
    stage = ShardStage(store.path / SHARD_CACHE, tag=config.digest())

    recorded_as = functools.cache(lambda path: record_path(path, store.path))  # once per dump, not per document

    def prepare(path: str, doc: Document) -> Document:  # before a document is staged
        record_paths([doc], path, recorded_as(path))
        return sources.assign(doc, defaults.get(path, sources.default))

    cleaned = 0
    results = stage_shards(files, config, stage, client=client, prepare=prepare, on_document=progress.item,
                           extra=lambda path: f"{recorded_as(path)}\0{defaults.get(path, sources.default)}",
                           no_prefilter=no_prefilter)
    for result in in_input_order(files, results):
        if isinstance(result, StagedShard):  # exact counts once a shard is in (a cluster's come only then)
            cleaned += result.kept + result.rejected
            progress.count = cleaned
        progress.file_done(result.bytes if isinstance(result, StagedShard) else 0)
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
        input_meta.append({"path": record_path(result.path, store.path), "sha256": result.sha256,
                           "bytes": result.bytes, **({"source": default} if default else {}),
                           **({} if result.prefilter else {"prefilter": False})})
        reread.add(result.path)
        read.update(result.counts)
        read["shards_reused" if result.reused else "shards_cleaned"] += 1
        record_problems.extend(result.problems)
        shards.append(result)
    cleaning_s = time.perf_counter() - clock
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

    # What happens to each kept document is decided from a few columns of the staged shards; the
    # texts are read again only to sign the documents written and to write them.
    kept = _kept_rows(stage, shards)
    columns = ["doc_id", "content_hash", "record_hash", "near_dup_cluster", "is_canonical", "warc_file", "raw_path"]
    existing = store.read(columns=columns) if store.exists() else SCHEMA.empty_table().select(columns)
    reasons: Counter[str] = Counter()
    wanted = {r.doc_id for r in kept} | set(existing.column("doc_id").to_pylist())
    latest_rejected = _latest_rejected(stage, shards, wanted, reasons)
    fate: dict[tuple[int, int], Fate] = {}
    now_rejected = rejected_latest(kept, latest_rejected)
    for row in kept:
        if row.doc_id in now_rejected:
            fate[row.key] = ("superseded_capture", row.doc_id)
    deduped = dedup_batch([r for r in kept if r.doc_id not in now_rejected], fate)
    del kept
    deletes: list[str] = []
    if rebuild:  # documents of the re-read dumps that no longer come out of them
        # Rows record their dump as they were built: relative to the corpus, absolute, or (older
        # corpora) relative to the working directory of that build.
        where_now = functools.cache(lambda p: resolve_path(p, store.path) if p else None)
        cols = (existing.column(c).to_pylist() for c in ("doc_id", "warc_file", "raw_path"))
        from_dumps = {d for d, w, r in zip(*cols, strict=True) if where_now(r) in reread or where_now(w) in reread}
        deletes = sorted(from_dumps - {r.doc_id for r in deduped})
    if stale := now_rejected.keys() & set(existing.column("doc_id").to_pylist()):
        # unless the table holds a capture newer than the rejected one (an old dump built late)
        rows = store.read(columns=["doc_id", "fetched_at"])
        held = dict(zip(rows.column("doc_id").to_pylist(), rows.column("fetched_at").to_pylist(), strict=True))
        deletes = sorted(set(deletes) | {d for d in stale if now_rejected[d] >= (held.get(d) or "")})
    if deletes:
        existing = existing.filter(pc.invert(pc.is_in(existing["doc_id"], value_set=pa.array(deletes, pa.string()))))
    write, counts = plan_upserts(deduped, existing, fate)
    del deduped
    counts["removed"] = len(deletes)
    reasons.update(reason for reason, _ in fate.values())
    index = near_dup_index(store, config)
    gone = index.remove(deletes)
    writing = {r.key for r in write}
    moved, counts["reclustered"] = recluster(index, *_signed(stage, shards, write), existing, store, gone)
    del existing, write
    reasons = Counter(dict(sorted(reasons.items())))
    metadata: dict[str, Any] = {
        "build_id": build_id,
        "operation": "rebuild" if rebuild else "build",
        "cleaner_version": CLEANER_VERSION,
        "config_hash": config.digest(),
        "started_at": started,
        "inputs": input_meta,
        "counts": counts,
        "rejected": dict(reasons),
        "dropped": dict(sorted(dropped.items())),
        "read": dict(sorted(read.items())),
        "problems": problems[:MAX_PROBLEMS_IN_METADATA],
        "problems_total": len(problems),
        "failed_shards": [record_path(f, store.path) for f in failed],
    }
    # The rejected rows first: if the build dies before its main commit, they carry a build_id
    # that no version has, and readers of the rejected table skip them.
    if reasons:
        store.commit_rejected(pa.RecordBatchReader.from_batches(
            REJECTED_SCHEMA.append(pa.field("build_id", pa.string())),
            _rejected_batches(stage, shards, fate, build_id)))
    upserts = pa.RecordBatchReader.from_batches(SCHEMA, _upsert_batches(stage, shards, writing, index, moved))
    append_only = not (counts["changed"] or counts["reclustered"] or deletes)
    version = store.commit(upserts, metadata, deletes, append_only=append_only)
    try:
        index.save(store.path, version)
    except Exception as exc:  # the version is in; only its side file is not (the next build rebuilds it)
        log.warning("build: version %s is committed, but its near-duplicate index was not saved (%s: %s); "
                    "the next build rebuilds it from the table", version, type(exc).__name__, exc)
    stage.clear()
    seconds = {"cleaning": round(cleaning_s, 1), "after_cleaning": round(time.perf_counter() - clock - cleaning_s, 1)}
    return BuildReport(version, counts, dropped, dict(read), problems, dict(reasons), failed, seconds)


def _staged(stage: ShardStage, shards: list[StagedShard], columns: list[str] | None = None,
            rejected: bool = False) -> Iterator[tuple[int, int, pa.RecordBatch]]:
    """(shard, first row, batch) over the kept (or rejected) rows of every staged shard."""
    for s, shard in enumerate(shards):
        first = 0
        for batch in (stage.iter_rejected if rejected else stage.iter_kept)(shard, columns):
            yield s, first, batch
            first += batch.num_rows


def _kept_rows(stage: ShardStage, shards: list[StagedShard]) -> list[Row]:
    rows: list[Row] = []
    cols = ["doc_id", "fetched_at", "published_at", "content_hash", "record_hash"]
    for s, first, batch in _staged(stage, shards, [*cols, "credits"]):
        credited = pc.fill_null(pc.greater(pc.list_value_length(batch.column("credits")), 0), False).to_pylist()
        values = [batch.column(c).to_pylist() for c in cols]
        for i, (d, f, p, c, r) in enumerate(zip(*values, strict=True)):
            rows.append(Row((s, first + i), d, f or "", p or "", c, r, credited[i]))
    return rows


def _latest_rejected(stage: ShardStage, shards: list[StagedShard], wanted: set[str],
                     reasons: Counter[str]) -> dict[str, str]:
    """The latest rejected capture of each doc_id in `wanted` (kept in this build, or in the
    table); the reasons counted on the way. Memory: those doc_ids, not the rows scanned."""
    value_set = pa.array(sorted(wanted), pa.string())
    latest: dict[str, str] = {}
    for _, _, batch in _staged(stage, shards, ["doc_id", "fetched_at", "reason"], rejected=True):
        for count in pc.value_counts(batch.column("reason")).to_pylist():
            reasons[count["values"]] += count["counts"]
        hit = batch.filter(pc.is_in(batch.column("doc_id"), value_set=value_set))
        for d, f in zip(hit.column("doc_id").to_pylist(), hit.column("fetched_at").to_pylist(), strict=True):
            latest[d] = max(latest.get(d, ""), f or "")
    return latest


def _signed(stage: ShardStage, shards: list[StagedShard],
            write: list[Row]) -> tuple[list[tuple[str, bool, str]], np.ndarray]:
    """The documents to write as (doc_id, credited, published_at), and their near-duplicate
    signatures in one array (a row each), the texts read one batch at a time."""
    wanted = {r.key: r for r in write}
    docs: list[tuple[str, bool, str]] = []
    sigs = np.empty((len(write), NUM_PERM), np.uint32)
    for s, first, batch in _staged(stage, shards, ["text"]):
        texts = batch.column("text").to_pylist()
        rows = [(row, texts[i] or "") for i in range(len(texts)) if (row := wanted.get((s, first + i))) is not None]
        if rows:
            sigs[len(docs):len(docs) + len(rows)] = signatures([text for _, text in rows])
            docs.extend((row.doc_id, row.credited, row.published_at) for row, _ in rows)
    return docs, sigs[:len(docs)]


def _upsert_batches(stage: ShardStage, shards: list[StagedShard], writing: set[tuple[int, int]],
                    index: NearDupIndex, moved: pa.Table) -> Iterator[pa.RecordBatch]:
    for s, first, batch in _staged(stage, shards):
        take = [i for i in range(batch.num_rows) if (s, first + i) in writing]
        if take:
            rows = pa.Table.from_batches([batch]).take(take)
            rows = _with_clusters(rows, [index.assignment(d) for d in rows.column("doc_id").to_pylist()])
            yield from rows.cast(SCHEMA).to_batches()
    if moved.num_rows:
        yield from moved.select(SCHEMA.names).cast(SCHEMA).to_batches()


def _rejected_batches(stage: ShardStage, shards: list[StagedShard], fate: dict[tuple[int, int], Fate],
                      build_id: str) -> Iterator[pa.RecordBatch]:
    """The scope's rejections, then the kept documents rejected after all (duplicates, superseded)."""
    def with_build(rows: pa.Table) -> Iterator[pa.RecordBatch]:
        rows = rows.append_column("build_id", pa.array([build_id] * rows.num_rows, pa.string()))
        yield from rows.to_batches()

    for _, _, batch in _staged(stage, shards, rejected=True):
        yield from with_build(pa.Table.from_batches([batch]).cast(REJECTED_SCHEMA))
    for s, first, batch in _staged(stage, shards):
        take = [i for i in range(batch.num_rows) if (s, first + i) in fate]
        if take:
            fates = [fate[(s, first + i)] for i in take]
            rows = (pa.Table.from_batches([batch]).take(take).cast(SCHEMA)
                    .append_column("reason", pa.array([r for r, _ in fates], pa.string()))
                    .append_column("detail", pa.array([d for _, d in fates], pa.string())))
            yield from with_build(rows)


def rejected_table(rejected: list[Rejected], build_id: str) -> pa.Table:
    table = to_table([doc for doc, _, _ in rejected])
    n = table.num_rows
    return (table.append_column("reason", pa.array([r for _, r, _ in rejected], pa.string()))
            .append_column("detail", pa.array([d for _, _, d in rejected], pa.string()))
            .append_column("build_id", pa.array([build_id] * n, pa.string())))
