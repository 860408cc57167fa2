"""Arrow schema of the corpus table: the Document's fields, in order, plus `record_hash`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pyarrow as pa

from cleaners.document import Document

REMOVAL = pa.struct([("rule", pa.string()), ("text", pa.string()), ("offset", pa.int64())])
_STRINGS = pa.list_(pa.string())

_TYPES: dict[str, pa.DataType] = {
    "language_score": pa.float64(),
    "topic_score": pa.float64(),
    "word_count": pa.int64(),
    "is_canonical": pa.bool_(),
    "warc_offset": pa.int64(),
    "raw_offset": pa.int64(),
    "authors": _STRINGS,
    "topics": _STRINGS,
    "matched_terms": _STRINGS,
    "tags": _STRINGS,
    "credits": _STRINGS,
    "languages": _STRINGS,
    "removed": pa.list_(REMOVAL),
}

# Provenance and derived fields: a re-fetch (or a re-clean by a newer cleaner version) that
# changes only these is not a change.
PROVENANCE_FIELDS = frozenset({
    "fetched_at", "warc_file", "warc_record_id", "warc_offset", "raw_path", "raw_format",
    "raw_offset", "raw_sha256", "near_dup_cluster", "is_canonical", "cleaner_version",
})

DOC_FIELDS = [f.name for f in dataclasses.fields(Document)]
SCHEMA = pa.schema(
    [pa.field(name, _TYPES.get(name, pa.string())) for name in DOC_FIELDS]
    + [pa.field("record_hash", pa.string())]
)


def record_hash(row: dict[str, Any]) -> str:
    """Hash of what a reader of the corpus sees in a document, provenance excluded."""
    content = {k: row.get(k) for k in DOC_FIELDS if k not in PROVENANCE_FIELDS}
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def to_row(doc: Document) -> dict[str, Any]:
    row = doc.to_dict()
    row["record_hash"] = record_hash(row)
    return row


def to_table(docs: list[Document]) -> pa.Table:
    return pa.Table.from_pylist([to_row(d) for d in docs], schema=SCHEMA)
