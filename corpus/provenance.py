"""Where a document came from: its history across versions and its raw record, read back from the
WARC file (or dump) by the offset stored in the table."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from cleaners.readers import open_input
from corpus.store import CorpusError, CorpusStore


@dataclass
class RawRecord:
    path: str
    offset: int
    headers: dict[str, str]
    http_status: str | None
    payload: bytes


def history(store: CorpusStore, doc_id: str) -> list[tuple[int, str]]:
    """(version, what happened to the document in it): added, changed, removed; versions where it
    stayed the same are left out."""
    events: list[tuple[int, str]] = []
    previous: str | None = None
    for info in store.history():
        rows = store.read(info.version, ["doc_id", "record_hash"])
        hashes = dict(zip(rows.column("doc_id").to_pylist(), rows.column("record_hash").to_pylist(), strict=True))
        now = hashes.get(doc_id)
        if now != previous:
            events.append((info.version, "added" if previous is None else "removed" if now is None else "changed"))
        previous = now
    return events


def read_warc_record(path: str | Path, offset: int, max_payload: int = 1 << 20) -> RawRecord:
    """The record that starts at `offset` of a WARC file (each gzip member holds one record)."""
    with open_input(path) as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            headers = dict(record.rec_headers.headers)
            status = record.http_headers.get_statuscode() if record.http_headers else None
            return RawRecord(str(path), offset, headers, status, record.content_stream().read(max_payload))
    raise CorpusError(f"no WARC record at {path}@{offset}")


def read_raw(row: dict[str, Any], max_payload: int = 1 << 20) -> RawRecord:
    """The raw bytes a document was cleaned from: its WARC record, or its dump (a JSONL line's
    offset, or a whole HTML or text file)."""
    if row.get("warc_file") and row.get("warc_offset") is not None:
        record = read_warc_record(row["warc_file"], int(row["warc_offset"]), max_payload)
        if row.get("warc_record_id") and record.headers.get("WARC-Record-ID") != row["warc_record_id"]:
            raise CorpusError(f"{row['warc_file']}@{row['warc_offset']} holds {record.headers.get('WARC-Record-ID')}, "
                              f"not {row['warc_record_id']}: the file changed since the build")
        return record
    path = row.get("raw_path")
    if not path:
        raise CorpusError("the document records no raw source")
    with open_input(path) as raw, (gzip.open(raw, "rb") if str(path).endswith(".gz") else raw) as fh:
        fh.seek(int(row.get("raw_offset") or 0))
        data = fh.readline(max_payload) if row.get("raw_format") == "jsonl" else fh.read(max_payload)
    return RawRecord(str(path), int(row.get("raw_offset") or 0), {}, None, data)
