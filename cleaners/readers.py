"""Readers of raw dumps: WARC / WARC.gz (crawls, Common Crawl, CC-NEWS), HTML files, JSONL, plain
text. Directories and globs expand. A path with a protocol (`s3://…`, `gs://…`, `https://…`) is read
through fsspec, with the filesystem package the user installs for it (s3fs, gcsfs, …).

Every item keeps its provenance (path, byte offset, WARC record id, URL, capture date). A bad
record never stops a file: it is counted and reported with file and offset (JSONL: and line), and
reading resumes at the next record boundary. Memory stays bounded: nothing is decompressed or
read whole past the record cap (`max_record_bytes`), and a record over it is skipped as
`too_large`.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import logging
import os
import posixpath
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
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
        chunk = stream.read(min(_CHUNK, cap + 1 - n))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        n += len(chunk)
    return None


_UNSAFE_LABEL = re.compile(r"[^A-Za-z0-9.+/_-]")


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
        self.skip("too_large")
        problem = Problem(str(path), offset, f"too_large: {what} over {cap / MIB:g} MiB ({MAX_RECORD_ENV}); skipped")
        self.problems.append(problem)
        log.info("%s", problem)


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
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4096)
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
    crawl's): they are appended to `skipped`. Named one by one, they are read. The record cap
    (DGSN_MAX_RECORD_MB) is checked here too, so that a bad value stops a command before any work."""
    max_record_bytes()
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


def iter_items(inputs: Iterable[InputPath], stats: ReadStats, max_bytes: int | None = None) -> Iterator[RawItem]:
    """Raw items of every input. `max_bytes`: the record cap (default: max_record_bytes())."""
    cap = max_bytes or max_record_bytes()
    for path in inputs:
        try:
            fmt = detect_format(path) or _sniff(path)
        except OSError as exc:
            stats.bad(path, None, f"unreadable: {exc}")
            continue
        if fmt is None:
            stats.skip("unknown_format")
            log.info("skipping %s: not a WARC, HTML, JSONL or text file", path)
            continue
        stats.counts[f"files:{fmt}"] += 1
        stats.where = 0
        try:
            if fmt == "warc":
                yield from iter_warc(path, stats, cap)
            elif fmt == "jsonl":
                yield from iter_jsonl(path, stats, cap)
            else:
                data = _read_file(path, cap)
                if data is None:
                    stats.too_large(path, 0, "file (decompressed)" if _is_gzip(path) else "file", cap)
                else:
                    yield RawItem(content=data, kind=fmt, raw_path=str(path), raw_format=fmt)
        except Exception as exc:  # the readers catch record failures; this is a failure of the file itself
            stats.bad(path, stats.where, f"unreadable: {_brief(exc)}")


def _read_file(path: InputPath, cap: int) -> bytes | None:
    """A whole HTML or text file, gunzipped as it is read; None if over the cap."""
    with open_input(path) as fh:
        gz = fh.read(3) == _GZIP_MAGIC
        fh.seek(0)
        if gz:
            with gzip.GzipFile(fileobj=fh) as unzipped:
                return read_capped(unzipped, cap)
        return read_capped(fh, cap)


# -- WARC ----------------------------------------------------------------------------------------

def _find_next_record(fh: BinaryIO, start: int, gz: bool) -> int | None:
    """Byte offset of the next record start at or after `start`, or None. In a .warc.gz a start is
    a gzip member that inflates to a WARC header (the magic bytes alone also occur in compressed data)."""
    magic = _GZIP_MAGIC if gz else _WARC_MAGIC
    pos = start
    while True:
        fh.seek(pos)
        chunk = fh.read(_CHUNK)
        if not chunk:
            return None
        at = chunk.find(magic)
        while at >= 0:
            if not gz or _starts_warc_member(fh, pos + at):
                return pos + at
            at = chunk.find(magic, at + 1)
        if len(chunk) < len(magic):
            return None
        pos += len(chunk) - (len(magic) - 1)


def _starts_warc_member(fh: BinaryIO, at: int) -> bool:
    fh.seek(at)
    try:
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(fh.read(4096), 16)
    except zlib.error:
        return False
    return head.startswith(b"WARC/")


def _is_gzip(path: InputPath) -> bool:
    with open_input(path) as fh:
        return fh.read(3) == _GZIP_MAGIC


_WHOLE, _PASS_OVER = "whole", "pass over"  # WarcScanner record states (else: why the record is torn)


class WarcScanner:
    """The records of a WARC file and their offsets, read past damage, for the cleaners' reader and
    the crawler's recovery alike.

    A record is whole when its block is as long as its Content-Length says and, in a .warc.gz, its
    gzip member ends. A torn or unparseable record is reported (once per damaged stretch) and the
    scan goes on at the next record start found after it. A record too large to read (the caller
    says so with `too_large`, or its block inflates past the cap) is passed over the same way in a
    .warc.gz, so a decompression bomb is never inflated to its end.

    `torn_at`: where damage that runs to the end of the file begins, None when the file ends with a
    whole record, or with one passed over (which may well be whole): the only place a killed
    writer's file may be cut."""

    def __init__(self, fh: BinaryIO, size: int, path: InputPath, stats: ReadStats, cap: int):
        self.fh, self.size, self.path, self.stats, self.cap = fh, size, path, stats, cap
        fh.seek(0)
        self.gz = fh.read(3) == _GZIP_MAGIC
        self.torn_at: int | None = None
        self._it: ArchiveIterator | None = None
        self._record = None
        self._offset = 0
        self._state: str | None = None

    def too_large(self, what: str) -> None:
        """The current record is over the cap: reported, skipped, and passed over."""
        self.stats.too_large(self.path, self._offset, what, self.cap)
        if self.gz:
            self._state = _PASS_OVER

    def finish(self) -> bool:
        """Read the current record to its end; True if it is whole (else the scan reports it)."""
        if self._state is None:
            try:
                self._state = self._check()
            except Exception as exc:
                self._state = f"unreadable record: {_brief(exc)}"
        return self._state == _WHOLE

    def _check(self) -> str:
        assert self._it is not None and self._record is not None
        raw = self._record.raw_stream
        declared = (self._record.rec_headers.get_header("Content-Length") or "").strip()
        if not declared.isdigit():  # it is mandatory: the header block was cut before or inside it
            return "truncated record: its header block is cut"
        read = 0
        while chunk := raw.read(_CHUNK):
            read += len(chunk)
            if self.gz and read > self.cap:
                return _PASS_OVER
        self._it.read_to_end(self._record)  # the blank lines after the block; sets the iterator's offset
        missing = raw.limit if isinstance(raw, LimitReader) else 0
        if missing > 0:
            return f"truncated record: {missing} bytes missing"
        decompressor = self._it.reader.decompressor
        if decompressor is not None and not decompressor.eof:
            if self.fh.tell() >= self.size:
                return "truncated record: its gzip member does not end"
            return "its gzip member goes on past the record: not one record per member (`warcio recompress` fixes it)"
        return _WHOLE

    def __iter__(self) -> Iterator[tuple[int, object]]:
        pos = 0
        damaged: int | None = None  # start of the damaged stretch being passed
        while pos < self.size:
            self.fh.seek(pos)
            it = self._it = ArchiveIterator(self.fh, check_digests=False)
            failure: str | None = None
            resume: int | None = None
            at = pos
            try:
                for record in it:
                    at = it.offset  # start of this record (get_record_offset would read past it)
                    self._record, self._offset, self._state = record, at, None
                    yield at, record
                    self.finish()
                    if self._state == _PASS_OVER:
                        resume = at + 1
                        break
                    if self._state != _WHOLE:
                        failure = self._state
                        break
                    damaged = None
                else:
                    if it.offset >= self.size:
                        return
                    failure, at = "truncated or unreadable record", it.offset
            except Exception as exc:  # warcio raises all sorts on a cut header (AttributeError among them)
                failure, at = f"unreadable record: {_brief(exc)}", it.offset
            at = max(at, pos)  # warcio's offsets mean nothing inside a gzip member that holds several records
            if failure is not None and damaged is None:
                damaged = at
                self.stats.bad(self.path, at, failure)
            nxt = _find_next_record(self.fh, resume if resume is not None else at + 1, self.gz)
            if nxt is None:
                if failure is not None:
                    self.torn_at = damaged
                return
            if resume is not None:
                damaged = None
            pos = nxt


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}"


def iter_warc(path: InputPath, stats: ReadStats, max_bytes: int | None = None) -> Iterator[RawItem]:
    cap = max_bytes or max_record_bytes()
    size, _ = input_stat(path)
    infos = _WarcInfos()
    with open_input(path) as fh:
        scanner = WarcScanner(fh, size, path, stats, cap)
        for offset, record in scanner:
            stats.where = offset
            try:
                item = _warc_item(record, path, offset, stats, infos, scanner)
            except Exception as exc:  # a failure of this record's content, not of the file
                stats.bad(path, offset, f"unreadable record: {_brief(exc)}")
                continue
            if item is not None and scanner.finish():
                yield item


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


def _warc_item(record, path: InputPath, offset: int, stats: ReadStats, infos: _WarcInfos,
               scanner: WarcScanner) -> RawItem | None:
    rec_type = record.rec_type
    headers = record.rec_headers
    stats.counts["warc_records"] += 1
    if rec_type is None:
        if scanner.finish():  # else its header block is cut, and the scanner reports that
            stats.bad(path, offset, "unparseable record (no WARC-Type)")
        return None
    if rec_type == "warcinfo":
        infos.read(record)
    if rec_type not in ("response", "resource"):
        stats.skip(f"warc_{label(rec_type)}")
        return None
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode() or ""
        if rec_type == "response" and not status.startswith("2"):
            stats.skip(f"http_status_{label(status) or 'unknown'}")
            return None
        ctype = record.http_headers.get_header("Content-Type") or ""
    else:
        ctype = headers.get_header("Content-Type") or ""
    # Common Crawl records the type it identified from the payload; servers often send none
    mime = ctype.split(";")[0].strip().lower() or \
        (headers.get_header("WARC-Identified-Payload-Type") or "").split(";")[0].strip().lower()
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", ctype, re.I)
    charset = m.group(1) if m else None
    if mime and mime not in _HTML_TYPES:  # decided before the payload is read (or inflated)
        stats.skip(f"non_html:{label(mime)}")
        return None
    try:  # content_stream() undoes the HTTP Content-Encoding (our crawler stores bodies as received)
        content = read_capped(record.content_stream(), scanner.cap)
    except Exception as exc:
        stats.bad(path, offset, f"unreadable payload: {_brief(exc)}")
        return None
    if content is None:
        scanner.too_large("payload (decoded)")
        return None
    if not scanner.finish():
        return None  # torn: the scanner reports it
    truncated = headers.get_header("WARC-Truncated")
    if truncated:
        stats.counts["warc_truncated_payloads"] += 1
        if not content.strip():  # e.g. a body our crawler did not store, being over its size cap
            stats.skip(f"warc_truncated_{label(truncated.strip().lower()) or 'unspecified'}")
            return None
    if not mime and not _HTML_SNIFF.match(content[:2048]):
        stats.skip("non_html:unknown")
        return None
    return RawItem(
        content=content, kind="html", raw_path=str(path), raw_format="warc", raw_offset=offset,
        url=headers.get_header("WARC-Target-URI"), fetched_at=headers.get_header("WARC-Date"),
        warc_record_id=headers.get_header("WARC-Record-ID"), charset=charset,
        source=infos.source_of(record),
    )


# -- JSONL ---------------------------------------------------------------------------------------

def _lines(fh: BinaryIO, cap: int) -> Iterator[tuple[int, bytes | None]]:
    """(offset, line) of each line of a file, read in chunks; a line longer than `cap` comes as
    (offset, None), its bytes dropped as they are read (never held whole)."""
    buf = bytearray()
    base = 0  # file offset of buf[0]
    long_line: int | None = None  # offset of the over-long line being dropped
    while chunk := fh.read(_CHUNK):
        buf += chunk
        pos = 0
        while (nl := buf.find(b"\n", pos)) >= 0:
            if long_line is not None:
                yield long_line, None
                long_line = None
            else:
                yield base + pos, bytes(buf[pos:nl + 1])
            pos = nl + 1
        del buf[:pos]
        base += pos
        if len(buf) > cap:
            if long_line is None:
                long_line = base
            base += len(buf)
            buf.clear()
    if long_line is not None:
        yield long_line, None
    elif buf:
        yield base, bytes(buf)


_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON "\ud800" decodes to a lone one (pairs combine)


def iter_jsonl(path: InputPath, stats: ReadStats, max_bytes: int | None = None) -> Iterator[RawItem]:
    cap = max_bytes or max_record_bytes()
    gz = _is_gzip(path)
    with open_input(path) as raw, (gzip.GzipFile(fileobj=raw) if gz else raw) as fh:
        for lineno, (start, line) in enumerate(_lines(fh, cap), start=1):
            stats.where = start
            try:
                item = _jsonl_item(line, lineno, path, start, stats, cap)
            except Exception as exc:  # whatever the line holds, it is this line's failure
                stats.bad(path, start, f"line {lineno}: {_brief(exc)}")
                continue
            if item is not None:
                yield item


def _jsonl_item(line: bytes | None, lineno: int, path: InputPath, start: int, stats: ReadStats,
                cap: int) -> RawItem | None:
    if line is None:
        stats.too_large(path, start, f"line {lineno}", cap)
        return None
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except RecursionError:
        stats.bad(path, start, f"line {lineno}: invalid JSON: nested too deeply")
        return None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        stats.bad(path, start, f"line {lineno}: invalid JSON: {str(exc)[:120]}")
        return None
    if not isinstance(obj, dict):
        stats.bad(path, start, f"line {lineno}: not a JSON object")
        return None
    html, text = obj.get("html"), obj.get("text")
    body, kind = (html, "html") if isinstance(html, str) and html.strip() else (text, "text")
    if not isinstance(body, str) or not body.strip():
        stats.skip("jsonl_no_html_or_text")
        return None
    try:
        content = body.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it; U+FFFD says a character was lost
        stats.counts["jsonl_lone_surrogates_replaced"] += 1
        content = _SURROGATE.sub("\ufffd", body).encode("utf-8")
    return RawItem(
        content=content, kind=kind, raw_path=str(path), raw_format="jsonl",
        raw_offset=start, url=_str_or_none(obj.get("url")),
        fetched_at=_str_or_none(obj.get("fetched_at")), title=_str_or_none(obj.get("title")),
        published_at=_str_or_none(obj.get("date") or obj.get("published_at")), charset="utf-8",
        source=_str_or_none(obj.get("source")),
    )


def _str_or_none(value: object) -> str | None:
    return _SURROGATE.sub("\ufffd", str(value)) if value not in (None, "") else None


def decode_item(item: RawItem) -> str:
    return decode_bytes(item.content, item.charset)
