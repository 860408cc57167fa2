"""Readers of raw dumps: WARC / WARC.gz (crawls, Common Crawl, CC-NEWS), HTML files, JSONL, plain
text. Directories and globs expand. A path with a protocol (`s3://…`, `gs://…`, `https://…`) is read
through fsspec, with the filesystem package the user installs for it (s3fs, gcsfs, …).

Every item keeps its provenance (path, byte offset, WARC record id, URL, capture date). A bad
record never stops a file: it is counted and reported with file and offset, and reading resumes
at the next record boundary.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import logging
import posixpath
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from cleaners.unicode import decode_bytes

log = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")  # "*.warc.gz.open" (being written) only if named
OPEN_SUFFIX = ".open"  # the crawler's name for a WARC file it is still writing
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
TEXT_SUFFIXES = (".txt", ".text", ".txt.gz")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_SNIFF = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)", re.I | re.S)
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
_CHUNK = 1 << 20


class InputError(Exception):
    """An input path does not exist or matches nothing: a user error, reported on one line."""


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

    def skip(self, reason: str) -> None:
        self.counts[f"skipped:{reason}"] += 1

    def bad(self, path: str | Path, offset: int | None, reason: str) -> None:
        self.counts["bad_records"] += 1
        problem = Problem(str(path), offset, reason)
        self.problems.append(problem)
        log.info("bad record %s", problem)


def detect_format(path: InputPath) -> str | None:
    name = posixpath.basename(str(path)).lower()
    for fmt, suffixes in (("warc", WARC_SUFFIXES), ("html", HTML_SUFFIXES),
                          ("jsonl", JSONL_SUFFIXES), ("text", TEXT_SUFFIXES)):
        if name.endswith(suffixes):
            return fmt
    return None


def _sniff(path: InputPath) -> str | None:
    with open_input(path) as fh:
        head = fh.read(4096)
    if head.startswith(_GZIP_MAGIC):
        try:  # a gzipped dump of any format (the readers decompress it as they read)
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error:
            return None
    if head.startswith(_WARC_MAGIC):
        return "warc"
    if _HTML_SNIFF.match(head):
        return "html"
    if head.lstrip().startswith(b"{"):
        return "jsonl"
    if b"\x00" not in head:
        return "text"
    return None


def expand_inputs(inputs: Sequence[str | Path], skipped: list[InputPath] | None = None) -> list[InputPath]:
    """Files to read, in a stable order. Raises InputError naming the first missing input.

    A directory or glob leaves out WARC files still being written (`*.warc.gz.open`, a running
    crawl's): they are appended to `skipped`. Named one by one, they are read."""
    files: list[InputPath] = []
    found: list[InputPath] = []  # through a directory or a glob
    for raw in inputs:
        if is_remote(raw):
            files.extend(_expand_remote(str(raw)))
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files.append(path)
            continue
        elif any(ch in str(raw) for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(str(raw), recursive=True))
            if not matches:
                raise InputError(f"no input matches {raw}")
            found = [p for m in matches for p in (sorted(p for p in m.rglob("*") if p.is_file())
                                                   if m.is_dir() else [m])]
        elif path.exists():
            raise InputError(f"not a regular file or directory: {raw}")
        else:
            raise InputError(f"no such file or directory: {raw}")
        for p in found:
            if p.name.endswith(OPEN_SUFFIX):
                if skipped is not None:
                    skipped.append(p)
            else:
                files.append(p)
    return list(dict.fromkeys(files))


def _expand_remote(url: str) -> list[str]:
    if url.split("://", 1)[0].lower() in ("http", "https"):
        return [url]  # a page, never a directory to list (fsspec would list the links of an HTML page)
    try:
        import fsspec

        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # fsspec names the package to install
        raise InputError(f"cannot read {url}: {exc}") from exc
    if any(ch in root for ch in "*?["):
        found = fs.glob(root)
        paths = [p for m in found for p in (fs.find(m) if fs.isdir(m) else [m])]
        if not paths:
            raise InputError(f"no input matches {url}")
    elif fs.isdir(root):
        paths = fs.find(root)
    elif fs.isfile(root):
        paths = [root]
    else:
        raise InputError(f"no such file or directory: {url}")
    return [fs.unstrip_protocol(p) for p in sorted(paths)]


def iter_items(inputs: Iterable[InputPath], stats: ReadStats) -> Iterator[RawItem]:
    for path in inputs:
        fmt = detect_format(path) or _sniff(path)
        if fmt is None:
            stats.skip("unknown_format")
            log.info("skipping %s: not a WARC, HTML, JSONL or text file", path)
            continue
        stats.counts[f"files:{fmt}"] += 1
        try:
            if fmt == "warc":
                yield from iter_warc(path, stats)
            elif fmt == "jsonl":
                yield from iter_jsonl(path, stats)
            else:
                data = _read_maybe_gzip(path)
                yield RawItem(content=data, kind=fmt, raw_path=str(path), raw_format=fmt)
        except OSError as exc:
            stats.bad(path, None, f"unreadable: {exc}")


def _read_maybe_gzip(path: InputPath) -> bytes:
    with open_input(path) as fh:
        data = fh.read()
    return gzip.decompress(data) if data.startswith(_GZIP_MAGIC) else data


# -- WARC ----------------------------------------------------------------------------------------

def _find_next_record(fh: BinaryIO, start: int, gz: bool) -> int | None:
    """Byte offset of the next plausible record start at or after `start`, or None."""
    magic = _GZIP_MAGIC if gz else _WARC_MAGIC
    fh.seek(start)
    pos = start
    tail = b""
    while True:
        chunk = fh.read(_CHUNK)
        if not chunk:
            return None
        buf = tail + chunk
        at = buf.find(magic)
        if at >= 0:
            return pos - len(tail) + at
        tail = buf[-(len(magic) - 1):]
        pos += len(chunk)


def _is_gzip(path: InputPath) -> bool:
    with open_input(path) as fh:
        return fh.read(3) == _GZIP_MAGIC


def iter_warc(path: InputPath, stats: ReadStats) -> Iterator[RawItem]:
    gz = _is_gzip(path)
    size, _ = input_stat(path)
    infos = _WarcInfos()
    with open_input(path) as fh:
        pos = 0
        in_bad_region = False
        while pos < size:
            fh.seek(pos)
            it = ArchiveIterator(fh, check_digests=False)
            failure: str | None = None
            try:
                for record in it:
                    offset = it.offset  # start of this record (get_record_offset would skip it)
                    in_bad_region = False
                    item = _warc_item(record, path, offset, stats, infos)
                    if item is not None:
                        yield item
                end = it.offset
                if end < size:
                    failure = "truncated or unreadable record"
            except (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError) as exc:
                end = it.offset
                failure = f"{type(exc).__name__}: {str(exc)[:120]}"
            if failure is None:
                return
            if not in_bad_region:
                stats.bad(path, end, failure)
            in_bad_region = True
            nxt = _find_next_record(fh, end + 1, gz)
            if nxt is None:
                return
            pos = nxt


WARCINFO_MAX_BYTES = 64 * 1024  # a warcinfo payload is a few lines of `name: value` fields


class _WarcInfos:
    """The `source` each warcinfo record of a file names (our crawler writes the registry id there),
    by record id: a record names its warcinfo by WARC-Warcinfo-ID; without one (other tools' files),
    the last warcinfo read before it applies."""

    def __init__(self) -> None:
        self.by_id: dict[str, str | None] = {}
        self.last: str | None = None

    def read(self, record) -> None:
        payload = record.content_stream().read(WARCINFO_MAX_BYTES)
        source = None
        for line in payload.decode("utf-8", "replace").splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip().lower() == "source" and value.strip():
                source = value.strip()
                break
        self.last = source
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if record_id:
            self.by_id[record_id] = source

    def source_of(self, record) -> str | None:
        info_id = record.rec_headers.get_header("WARC-Warcinfo-ID")
        if info_id and info_id in self.by_id:
            return self.by_id[info_id]
        return self.last


def _warc_item(record, path: InputPath, offset: int, stats: ReadStats,
               infos: _WarcInfos | None = None) -> RawItem | None:
    rec_type = record.rec_type
    headers = record.rec_headers
    stats.counts["warc_records"] += 1
    if rec_type is None:
        stats.bad(path, offset, "unparseable record (no WARC-Type)")
        return None
    if rec_type == "warcinfo" and infos is not None:
        infos.read(record)
    if rec_type not in ("response", "resource"):
        stats.skip(f"warc_{rec_type}")
        return None
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode() or ""
        if rec_type == "response" and not status.startswith("2"):
            stats.skip(f"http_status_{status or 'unknown'}")
            return None
        ctype = record.http_headers.get_header("Content-Type") or ""
    else:
        ctype = headers.get_header("Content-Type") or ""
    # Common Crawl records the type it identified from the payload; servers often send none
    mime = ctype.split(";")[0].strip().lower() or \
        (headers.get_header("WARC-Identified-Payload-Type") or "").split(";")[0].strip().lower()
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", ctype, re.I)
    charset = m.group(1) if m else None
    try:
        content = record.content_stream().read()
    except (zlib.error, EOFError, ValueError, OSError) as exc:
        stats.bad(path, offset, f"unreadable payload: {type(exc).__name__}: {str(exc)[:80]}")
        return None
    raw = record.raw_stream
    if isinstance(raw, LimitReader) and raw.limit > 0:
        stats.bad(path, offset, f"truncated record: {raw.limit} bytes missing")
        return None
    if headers.get_header("WARC-Truncated"):
        stats.counts["warc_truncated_payloads"] += 1
    if mime not in _HTML_TYPES and not (not mime and _HTML_SNIFF.match(content[:2048])):
        stats.skip(f"non_html:{mime or 'unknown'}")
        return None
    return RawItem(
        content=content, kind="html", raw_path=str(path), raw_format="warc", raw_offset=offset,
        url=headers.get_header("WARC-Target-URI"), fetched_at=headers.get_header("WARC-Date"),
        warc_record_id=headers.get_header("WARC-Record-ID"), charset=charset,
        source=infos.source_of(record) if infos is not None else None,
    )


# -- JSONL ---------------------------------------------------------------------------------------

def iter_jsonl(path: InputPath, stats: ReadStats) -> Iterator[RawItem]:
    gz = _is_gzip(path)
    with open_input(path) as raw, (gzip.open(raw, "rb") if gz else raw) as fh:
        offset = 0
        for lineno, line in enumerate(fh, start=1):
            start = offset
            offset += len(line)
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                stats.bad(path, start, f"line {lineno}: invalid JSON: {exc}")
                continue
            if not isinstance(obj, dict):
                stats.bad(path, start, f"line {lineno}: not a JSON object")
                continue
            html, text = obj.get("html"), obj.get("text")
            body, kind = (html, "html") if isinstance(html, str) and html.strip() else (text, "text")
            if not isinstance(body, str) or not body.strip():
                stats.skip("jsonl_no_html_or_text")
                continue
            yield RawItem(
                content=body.encode("utf-8"), kind=kind, raw_path=str(path), raw_format="jsonl",
                raw_offset=start, url=_str_or_none(obj.get("url")),
                fetched_at=_str_or_none(obj.get("fetched_at")), title=_str_or_none(obj.get("title")),
                published_at=_str_or_none(obj.get("date") or obj.get("published_at")), charset="utf-8",
                source=_str_or_none(obj.get("source")),
            )


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def decode_item(item: RawItem) -> str:
    return decode_bytes(item.content, item.charset)
