"""What every reader of raw dumps shares: the raw item with its provenance, the counts and
problems of a read, the cap on one record's bytes, and opening local paths and fsspec URLs."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger("cleaners.readers")

HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_SNIFF = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)", re.I | re.S)
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
CHUNK = 1 << 20
MIB = 1 << 20
MAX_RECORD_ENV = "DGSN_MAX_RECORD_MB"
DEFAULT_MAX_RECORD_BYTES = 16 * MIB  # the crawler's DOWNLOAD_MAXSIZE: it never fetches a larger body


class InputError(Exception):
    """An input path does not exist or matches nothing: a user error, reported on one line."""


def max_record_bytes() -> int:
    """The cap on the decoded bytes of one record (a WARC payload, a JSONL line, an HTML or text
    file): `DGSN_MAX_RECORD_MB` megabytes (MiB), else 16, the crawler's own download cap. Read per
    call, so local Dask workers started by this process use the same value."""
    raw = os.environ.get(MAX_RECORD_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_RECORD_BYTES
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise InputError(f"{MAX_RECORD_ENV}={raw!r}: give a positive number of megabytes")
    return int(value * MIB)


def read_capped(stream: BinaryIO, cap: int) -> bytes | None:
    """The bytes of a stream if it holds at most `cap`, else None. Read in chunks, so a
    decompressing stream inflates at most a chunk (and its own buffer) past the cap."""
    chunks: list[bytes] = []
    n = 0
    while n <= cap:
        chunk = stream.read(min(CHUNK, cap + 1 - n))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        n += len(chunk)
    return None


_UNSAFE_LABEL = re.compile(r"[^A-Za-z0-9.+/_-]")


@functools.lru_cache(maxsize=4096)  # a dump repeats a few record types, statuses and MIME types
def label(value: str) -> str:
    """A part of a counter name taken from a dump's own bytes (a MIME type, a status, a record
    type): control and other odd characters replaced, length bounded."""
    return _UNSAFE_LABEL.sub("?", value)[:64]


InputPath = Path | str  # a local Path, or a URL string read through fsspec


def is_remote(path: InputPath) -> bool:
    return "://" in str(path)


def open_input(path: InputPath) -> BinaryIO:
    """A seekable binary file object for a local path or an fsspec URL."""
    if is_remote(path):
        import fsspec

        return fsspec.open(str(path), "rb").open()
    return open(path, "rb")


def input_stat(path: InputPath) -> tuple[int, float]:
    """Size in bytes and modification time (0 when the filesystem has none)."""
    if is_remote(path):
        import fsspec

        fs, root = fsspec.core.url_to_fs(str(path))
        info = fs.info(root)
        mtime = info.get("mtime") or info.get("LastModified") or info.get("updated") or 0
        return int(info.get("size") or 0), mtime.timestamp() if hasattr(mtime, "timestamp") else float(mtime or 0)
    st = Path(path).stat()
    return st.st_size, st.st_mtime


def input_size(path: InputPath) -> int:
    """Bytes of an input, for progress: 0 when it cannot be read (reading it reports that)."""
    try:
        return input_stat(path)[0]
    except (OSError, ValueError):
        return 0


@dataclass
class RawItem:
    content: bytes
    kind: str  # "html" or "text"
    raw_path: str
    raw_format: str  # warc | html | jsonl | text
    raw_offset: int = 0
    url: str | None = None
    fetched_at: str | None = None
    warc_record_id: str | None = None
    charset: str | None = None
    title: str | None = None
    published_at: str | None = None
    source: str | None = None  # the outlet's registry id, when the dump names it (warcinfo, JSONL)

    @property
    def raw_sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Problem:
    path: str
    offset: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path if self.offset is None else f"{self.path}@{self.offset}"
        return f"{where}: {self.reason}"


@dataclass
class ReadStats:
    """What was read, skipped (by reason) and found bad (with file and offset)."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    where: int | None = None  # offset of the record being read (for a failure of the file as a whole)

    def skip(self, reason: str) -> None:
        self.counts[f"skipped:{reason}"] += 1

    def bad(self, path: InputPath, offset: int | None, reason: str) -> None:
        self.counts["bad_records"] += 1
        problem = Problem(str(path), offset, reason)
        self.problems.append(problem)
        log.info("bad record %s", problem)

    def too_large(self, path: InputPath, offset: int, what: str, cap: int) -> None:
        """A record over the cap: skipped, and reported where it is (it is no damage, so not a bad record)."""
        self.too_large_because(path, offset, f"{what} over {cap / MIB:g} MiB ({MAX_RECORD_ENV})")

    def too_large_because(self, path: InputPath, offset: int | None, why: str) -> None:
        self.skip("too_large")
        problem = Problem(str(path), offset, f"too_large: {why}; skipped")
        self.problems.append(problem)
        log.info("%s", problem)


def brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}"


def is_gzip(path: InputPath) -> bool:
    with open_input(path) as fh:
        return fh.read(3) == GZIP_MAGIC
