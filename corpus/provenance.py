"""Where a document came from: its history across versions and its raw record, read back from the
WARC file (or dump) by the offset stored in the table; and how the corpus records the paths of its
raw dumps (commit metadata `inputs[].path`, each document's `raw_path` and `warc_file`).

A local dump beside the corpus (under the corpus directory's parent, as WORKDIR/raw/… is beside
WORKDIR/corpus) is recorded relative to the corpus directory (`../raw/run/x.warc.gz`): the record
resolves from any working directory, and still does when the workdir is moved as a whole. A dump
elsewhere is recorded as an absolute path: it does not move with the workdir, and a relative
path would break when the workdir moves without it. fsspec URLs are recorded as they are.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from cleaners.document import Document
from cleaners.readers import InputPath, is_remote, open_input
from corpus.store import CorpusError, CorpusStore


@dataclass
class RawRecord:
    path: str
    offset: int
    headers: dict[str, str]
    http_status: str | None
    payload: bytes


def record_path(path: InputPath, corpus_dir: str | Path) -> str:
    """The path of a raw dump as the corpus records it (see the module's docstring)."""
    if is_remote(path):
        return str(path)
    corpus = Path(os.path.abspath(corpus_dir))  # lexical, as resolve_path joins it back
    target = Path(os.path.abspath(path))
    beside = corpus.parent != Path(corpus.anchor) and target.is_relative_to(corpus.parent)
    return os.path.relpath(target, corpus) if beside else str(target)


def resolve_path(recorded: str, corpus_dir: str | Path) -> str:
    """Where a recorded path is now. A relative one is relative to the corpus directory; a corpus
    built before paths were recorded so holds paths relative to the working directory of its
    builds, taken from the current one when nothing lies at the path beside the corpus."""
    if is_remote(recorded) or os.path.isabs(recorded):
        return recorded
    beside = os.path.normpath(os.path.join(os.path.abspath(corpus_dir), recorded))
    if os.path.exists(beside) or not os.path.exists(recorded):
        return beside
    return os.path.abspath(recorded)


def record_paths(docs: list[Document], given: str, recorded: str) -> None:
    """Rewrite the raw-dump paths of documents cleaned from `given` (the cleaners set them to the
    path as it was given) to `recorded`, the form the corpus stores. The one place it is done."""
    for doc in docs:
        if doc.raw_path == given:
            doc.raw_path = recorded
        if doc.warc_file == given:
            doc.warc_file = recorded


def history(store: CorpusStore, doc_id: str, readable: Collection[int] | None = None) -> list[tuple[int, str]]:
    """(version, what happened to the document in it): added, changed, removed; versions where it
    stayed the same are left out. Only `readable` versions (default: all whose data files remain)
    are read, and not vacuum's own commits (they change no row): an event then tells what changed
    since the last version read. A document already there in the first version read after
    vacuumed ones is `present` (when it was added is vacuumed with them)."""
    readable = set(store.readable_versions() if readable is None else readable)
    events: list[tuple[int, str]] = []
    previous: str | None = None
    vacuumed_before = False  # a version before the first one read could not be read
    first = True
    for info in store.history():
        if info.version not in readable:
            vacuumed_before = vacuumed_before or first
            continue
        if info.is_vacuum:
            continue
        rows = store.read(info.version, ["doc_id", "record_hash"])
        hashes = dict(zip(rows.column("doc_id").to_pylist(), rows.column("record_hash").to_pylist(), strict=True))
        now = hashes.get(doc_id)
        if now != previous:
            if previous is None:
                what = "present" if first and vacuumed_before else "added"
            else:
                what = "removed" if now is None else "changed"
            events.append((info.version, what))
        previous = now
        first = False
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


def read_raw(row: dict[str, Any], max_payload: int = 1 << 20, corpus_dir: str | Path = ".") -> RawRecord:
    """The raw bytes a document of the corpus at `corpus_dir` was cleaned from: its WARC record,
    or its dump (a JSONL line's offset, or a whole HTML or text file)."""
    if row.get("warc_file") and row.get("warc_offset") is not None:
        warc = resolve_path(row["warc_file"], corpus_dir)
        record = read_warc_record(warc, int(row["warc_offset"]), max_payload)
        if row.get("warc_record_id") and record.headers.get("WARC-Record-ID") != row["warc_record_id"]:
            raise CorpusError(f"{warc}@{row['warc_offset']} holds {record.headers.get('WARC-Record-ID')}, "
                              f"not {row['warc_record_id']}: the file changed since the build")
        return record
    if not row.get("raw_path"):
        raise CorpusError("the document records no raw source")
    path = resolve_path(row["raw_path"], corpus_dir)
    with open_input(path) as raw, (gzip.open(raw, "rb") if str(path).endswith(".gz") else raw) as fh:
        fh.seek(int(row.get("raw_offset") or 0))
        data = fh.readline(max_payload) if row.get("raw_format") == "jsonl" else fh.read(max_payload)
    return RawRecord(str(path), int(row.get("raw_offset") or 0), {}, None, data)
