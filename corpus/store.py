"""The versioned store: one Delta Lake table (delta-rs, no JVM). Each build is one atomic commit
whose metadata says what went in; a commit either lands whole or not at all, so a build killed
before or during its commit leaves the previous version readable."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

# delta-rs allocates with jemalloc, which by default keeps freed pages for 10 s: the memory of a
# build's writes then stacks on everything the build holds (about 90 MB more peak RSS at 100k
# documents, benchmarks/memory.py). Read once, when deltalake is first loaded; a value set by the
# user wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

from deltalake import CommitProperties, DeltaTable

from corpus.datafiles import append
from corpus.schema import SCHEMA, conform
from crawler.lock import DirectoryLocked, dir_lock

META_KEY = "dgsn_corpus"
_DELETE = "-delete-"
RELEASES_FILE = "_releases.json"
RELEASES_LOCK = "_releases.lock"
RELEASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
BUILD_LOCK = "_build.lock"  # inside the table directory; a leading underscore keeps vacuum off it
REJECTED_DIR = "_rejected"  # a Delta table of its own; a leading underscore keeps vacuum off it
# Released versions must stay readable: keep the log long (data files are kept by `vacuum` below).
# Data files of about this size (corpus/datafiles.py writes them a row group at a time; a merge's,
# delta-rs holds in memory while it writes them).
FILE_BYTES = 16 << 20
TABLE_PROPERTIES = {"delta.logRetentionDuration": "interval 36500 days"}


class CorpusError(Exception):
    """A corpus that does not exist, or a version it does not have."""


class VacuumedVersion(CorpusError):
    """A version whose data files `vacuum` deleted: the log still lists it, its rows are gone."""


VACUUM_OPERATIONS = frozenset({"VACUUM START", "VACUUM END"})


def version_ranges(versions: Sequence[int]) -> str:
    """0, 3-9, 12: short enough for a one-line message however many versions there are."""
    parts: list[str] = []
    ordered = sorted(set(versions))
    start = prev = None
    for v in [*ordered, None]:
        if prev is not None and v == prev + 1:
            prev = v
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = v
    return ", ".join(parts) or "none"


@dataclass
class VersionInfo:
    version: int
    timestamp: str
    operation: str
    metadata: dict[str, Any]

    @property
    def counts(self) -> dict[str, int]:
        return self.metadata.get("counts", {})

    @property
    def is_vacuum(self) -> bool:
        """delta-rs logs each vacuum as two commits of its own (start, end): versions that change no row."""
        return self.operation in VACUUM_OPERATIONS

    @property
    def kind(self) -> str:
        """build, rebuild or vacuum (another writer's commit: its Delta operation, lower case)."""
        if self.is_vacuum:
            return "vacuum"
        return str(self.metadata.get("operation") or self.operation.lower())


def scan(table: DeltaTable, root: Path, columns: list[str] | None = None) -> pa.Table:
    """The rows of `table` (a local Delta table at `root`), read by pyarrow's own local filesystem.

    `DeltaTable.to_pyarrow_table()` reads through delta-rs's object store wrapped as a Python
    filesystem; with deltalake 1.6 and pyarrow 26 a process that did so often aborts at exit
    ("terminate called without an active exception", SIGABRT) after all its work is done. The
    same dataset (files, statistics, protocol checks by deltalake) over pyarrow's LocalFileSystem
    exits cleanly.
    """
    local = pafs.SubTreeFileSystem(str(Path(root).resolve()), pafs.LocalFileSystem())
    return table.to_pyarrow_dataset(filesystem=local).to_table(columns=columns)


class CorpusStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def exists(self) -> bool:
        return DeltaTable.is_deltatable(str(self.path))

    def table(self, version: int | None = None) -> DeltaTable:
        if not self.exists():
            raise CorpusError(f"no corpus at {self.path}")
        try:
            return DeltaTable(str(self.path), version=version)
        except Exception as exc:  # delta-rs raises a generic error for a version it lacks
            if version is None:
                raise
            raise CorpusError(f"corpus {self.path} has no version {version}") from exc

    def read(self, version: int | None = None, columns: list[str] | None = None) -> pa.Table:
        table = self.table(version)
        try:
            return scan(table, self.path, columns)
        except FileNotFoundError as exc:  # delta-rs finds out only when it opens a deleted data file
            if table.version() in self.readable_versions():
                raise
            raise self.vacuumed_error(table.version()) from exc

    # -- which versions can still be read -------------------------------------------------------
    def readable_versions(self) -> list[int]:
        """Versions whose data files are all still there (vacuum deletes those of old versions).

        One pass over the Delta log's JSON commits, checking each data file once: 0.01 s for a
        50-version table, 0.3 s for a 1000-version one. Loading each version with delta-rs instead
        lists and replays the log every time: 0.2 s and 15 s (a year of crawls every three hours
        makes 3000 versions). Our tables keep their log for good (TABLE_PROPERTIES); a log that
        lacks early commits is walked with delta-rs."""
        log_dir = self.path / "_delta_log"
        commits = sorted(int(p.stem) for p in log_dir.glob("*.json") if p.stem.isdigit())
        if not commits or commits != list(range(len(commits))):
            return self._readable_versions_by_loading()
        exists: dict[str, bool] = {}
        missing: set[str] = set()  # data files of the version reached so far that are gone
        readable = []
        for version in commits:
            with open(log_dir / f"{version:020d}.json", encoding="utf-8") as fh:
                for line in fh:
                    action = json.loads(line) if line.strip() else {}
                    if "add" in action:
                        name = action["add"]["path"]
                        if name not in exists:
                            exists[name] = self._data_file_exists(name)
                        if not exists[name]:
                            missing.add(name)
                    elif "remove" in action:
                        missing.discard(action["remove"]["path"])
            if not missing:
                readable.append(version)
        return readable

    def _data_file_exists(self, name: str) -> bool:
        """`name` as an add action records it: a URL-encoded path relative to the table, or a URI."""
        if "://" in name:
            parsed = urlparse(name)
            return parsed.scheme != "file" or os.path.exists(unquote(parsed.path))
        return (self.path / unquote(name)).exists()

    def _readable_versions_by_loading(self) -> list[int]:
        latest = self.table()
        first = min((v.version for v in self.history()), default=latest.version())
        out = []
        for version in range(first, latest.version() + 1):
            latest.load_as_version(version)
            if all(os.path.exists(unquote(urlparse(u).path)) if "://" in u else os.path.exists(u)
                   for u in latest.file_uris()):
                out.append(version)
        return out

    def vacuumed_error(self, version: int) -> VacuumedVersion:
        return VacuumedVersion(f"version {version} of {self.path} was vacuumed (its data files are deleted); "
                               f"readable versions: {version_ranges(self.readable_versions())}")

    def check_readable(self, version: int) -> int:
        """`version`, or VacuumedVersion when vacuum deleted its data files."""
        if version not in self.readable_versions():
            raise self.vacuumed_error(version)
        return version

    def read_rows(self, doc_ids: list[str], version: int | None = None) -> pa.Table:
        """Whole rows of the given documents (a filtered scan, not the whole table)."""
        if not doc_ids:
            return SCHEMA.empty_table()
        # Filtered after the scan, one batch at a time (memory: the rows wanted, not the table): a
        # pushed-down filter trips over the string_view columns delta-rs 1.x reads (pyarrow has no
        # kernel comparing them with the statistics' strings).
        table = self.table(version)
        local = pafs.SubTreeFileSystem(str(self.path.resolve()), pafs.LocalFileSystem())
        wanted = pa.array(list(doc_ids), pa.string())
        parts = [SCHEMA.empty_table()]
        try:
            for batch in table.to_pyarrow_dataset(filesystem=local).to_batches(batch_size=1024):
                rows = conform(pa.Table.from_batches([batch]))
                if (rows := rows.filter(pc.is_in(rows["doc_id"], value_set=wanted))).num_rows:
                    parts.append(rows)
        except FileNotFoundError as exc:
            if table.version() in self.readable_versions():
                raise
            raise self.vacuumed_error(table.version()) from exc
        return pa.concat_tables(parts)

    # -- the rejected table ---------------------------------------------------------------------
    @property
    def rejected_path(self) -> Path:
        return self.path / REJECTED_DIR

    def commit_rejected(self, rows: pa.Table | pa.RecordBatchReader) -> None:
        """Append rows (a table, or a stream of batches) to the rejected table, in one commit."""
        if isinstance(rows, pa.Table):
            if not rows.num_rows:
                return
            rows = rows.to_reader()
        append(self.rejected_path, rows, CommitProperties(), None, FILE_BYTES)

    def rejected(self) -> pa.Table:
        """Rejected documents of the builds that committed a version (a build killed between its
        two commits leaves rows whose build_id no version has: they are not shown)."""
        if not DeltaTable.is_deltatable(str(self.rejected_path)):
            return pa.table({"doc_id": pa.array([], pa.string()), "reason": pa.array([], pa.string())})
        rows = scan(DeltaTable(str(self.rejected_path)), self.rejected_path)
        builds = [v.metadata.get("build_id") for v in self.history()]
        rows = rows.cast(pa.schema([pa.field(f.name, pa.string()) if pa.types.is_string_view(f.type) else f
                                    for f in rows.schema]))
        return rows.filter(pc.is_in(rows["build_id"], value_set=pa.array([b for b in builds if b], pa.string())))

    def latest_version(self) -> int | None:
        return self.table().version() if self.exists() else None

    def latest_build_version(self) -> int | None:
        """The newest version that is not a vacuum's own commit: the one whose build saved the
        near-duplicate index (a vacuum after it changes no row)."""
        if not self.exists():
            return None
        return max((v.version for v in self.history() if not v.is_vacuum), default=self.latest_version())

    def commit(self, upserts: pa.Table | pa.RecordBatchReader, metadata: dict[str, Any],
               deletes: Sequence[str] = (), append_only: bool = False) -> int:
        """Insert new doc_ids, replace changed ones and delete `deletes` in one commit; return the
        new version. `upserts` may be a stream of batches (a build's): they go to data files as
        they come (corpus/datafiles.py; a merge's, through delta-rs) and one commit ends it, so a
        build killed before that leaves only unreferenced files (vacuum deletes them).
        `append_only`: the caller knows that no row of `upserts` has a doc_id in the table, so no
        merge (which reads the table) is needed.

        A build with nothing to change still commits (an empty append) so that every build is
        a version with its inputs and counts on record.
        """
        props = CommitProperties(custom_metadata={META_KEY: json.dumps(metadata, ensure_ascii=False)})
        if isinstance(upserts, pa.Table):
            append_only = append_only or upserts.num_rows == 0
            upserts = upserts.cast(SCHEMA).to_reader()
        if not self.exists() or (append_only and not deletes):
            append(self.path, upserts, props, TABLE_PROPERTIES, FILE_BYTES)
        else:
            # Rows to delete travel in the same merge, marked by a record_hash no real row has.
            doomed = pa.table({"doc_id": pa.array(list(deletes), pa.string()),
                               "record_hash": pa.array([_DELETE] * len(deletes), pa.string())})
            doomed = pa.concat_tables([SCHEMA.empty_table(), doomed], promote_options="default").cast(SCHEMA)
            source = pa.RecordBatchReader.from_batches(
                SCHEMA, itertools.chain((b.cast(SCHEMA) for b in upserts), doomed.to_batches()))
            # merge_schema: a table from before a field was added gains it (older rows read null).
            (
                self.table()
                .merge(source=source, predicate="t.doc_id = s.doc_id", source_alias="s",
                       target_alias="t", merge_schema=True, commit_properties=props)
                .when_matched_delete(predicate=f"s.record_hash = '{_DELETE}'")
                .when_matched_update_all(predicate=f"s.record_hash <> '{_DELETE}'")
                .when_not_matched_insert_all(predicate=f"s.record_hash <> '{_DELETE}'")
                .execute()
            )
        return self.table().version()

    def history(self) -> list[VersionInfo]:
        out = []
        for entry in self.table().history():
            ts = datetime.fromtimestamp(entry["timestamp"] / 1000, UTC).isoformat(timespec="seconds")
            raw = entry.get(META_KEY)
            meta = json.loads(raw) if isinstance(raw, str) else {}
            out.append(VersionInfo(entry["version"], ts, entry.get("operation", ""), meta))
        return sorted(out, key=lambda v: v.version)

    # -- releases -------------------------------------------------------------------------------
    @property
    def releases_path(self) -> Path:
        return self.path / RELEASES_FILE

    def releases(self) -> dict[str, dict[str, Any]]:
        """name -> {version, created_at}, in the order they were made."""
        if not self.releases_path.exists():
            return {}
        return json.loads(self.releases_path.read_text(encoding="utf-8"))

    def create_release(self, name: str, version: int | None = None) -> int:
        if not RELEASE_NAME.fullmatch(name) or name.isdigit():
            raise CorpusError(f"bad release name {name!r}: letters, digits, '.', '_', '-' (not only digits)")
        with dir_lock(self.path, RELEASES_LOCK, wait=30, what="release"):
            releases = self.releases()
            if name in releases:
                raise CorpusError(f"release {name} exists (version {releases[name]['version']})")
            version = self.resolve(version)  # checks that the version exists and can be read
            releases[name] = {"version": version, "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
            tmp = self.releases_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(releases, indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.releases_path)
        return version

    def resolve(self, ref: str | int | None) -> int:
        """A version number or a release name -> a version of this table that can be read (None:
        the latest). VacuumedVersion for one whose data files vacuum deleted."""
        if ref is None:
            return self.table().version()
        if isinstance(ref, int) or str(ref).isdigit():
            return self.check_readable(self.table(int(ref)).version())
        release = self.releases().get(str(ref))
        if release is None:
            raise CorpusError(f"corpus {self.path} has no release {ref!r}")
        return self.check_readable(int(release["version"]))

    def vacuum(self, retention_hours: int = 168, dry_run: bool = False) -> list[str]:
        """Delete data files no version newer than the retention needs, except those of released
        versions (they stay readable for good), and, when no build is running, data files older
        than the retention that no version ever listed (a killed build's). Returns the files
        deleted (or that would be)."""
        keep = sorted({int(r["version"]) for r in self.releases().values()})
        try:  # no build running: also the data files of killed builds, which no version lists ("full")
            with dir_lock(self.path, BUILD_LOCK, what="build"):
                return self.table().vacuum(retention_hours=retention_hours, dry_run=dry_run, full=True,
                                           enforce_retention_duration=False, keep_versions=keep or None)
        except DirectoryLocked:  # a build's files being written are no version's yet: leave them
            return self.table().vacuum(retention_hours=retention_hours, dry_run=dry_run,
                                       enforce_retention_duration=False, keep_versions=keep or None)

    # -- diffs ----------------------------------------------------------------------------------
    def diff(self, a: int, b: int) -> dict[str, list[str]]:
        """doc_ids added, removed and changed (what a reader sees: record_hash) from version a to b."""
        cols = ["doc_id", "record_hash"]
        old = dict(zip(*(self.read(a, cols).column(c).to_pylist() for c in cols), strict=True))
        new = dict(zip(*(self.read(b, cols).column(c).to_pylist() for c in cols), strict=True))
        return {"added": sorted(new.keys() - old.keys()), "removed": sorted(old.keys() - new.keys()),
                "changed": sorted(d for d in new.keys() & old.keys() if new[d] != old[d])}
