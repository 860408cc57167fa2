"""The versioned store: one Delta Lake table (delta-rs, no JVM). Each build is one atomic commit
whose metadata says what went in; a commit either lands whole or not at all, so a build killed
before or during its commit leaves the previous version readable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake

from corpus.schema import SCHEMA

META_KEY = "dgsn_corpus"


class CorpusError(Exception):
    """A corpus that does not exist, or a version it does not have."""


@dataclass
class VersionInfo:
    version: int
    timestamp: str
    operation: str
    metadata: dict[str, Any]

    @property
    def counts(self) -> dict[str, int]:
        return self.metadata.get("counts", {})


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
        return self.table(version).to_pyarrow_table(columns=columns)

    def latest_version(self) -> int | None:
        return self.table().version() if self.exists() else None

    def commit(self, upserts: pa.Table, metadata: dict[str, Any]) -> int:
        """Insert new doc_ids and replace changed ones in one commit; return the new version.

        A build with nothing to change still commits (an empty append) so that every build is
        a version with its inputs and counts on record.
        """
        props = CommitProperties(custom_metadata={META_KEY: json.dumps(metadata, ensure_ascii=False)})
        upserts = upserts.cast(SCHEMA)
        if not self.exists():
            self.path.mkdir(parents=True, exist_ok=True)
            write_deltalake(str(self.path), upserts, mode="append", commit_properties=props)
        elif upserts.num_rows == 0:
            write_deltalake(str(self.path), upserts, mode="append", commit_properties=props)
        else:
            (
                self.table()
                .merge(source=upserts, predicate="t.doc_id = s.doc_id", source_alias="s",
                       target_alias="t", commit_properties=props)
                .when_matched_update_all()
                .when_not_matched_insert_all()
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
