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
import json
import logging
import posixpath
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from cleaners.records import (
    CHUNK,
    GZIP_MAGIC,
    HTML_SNIFF,
    WARC_MAGIC,
    InputError,
    InputPath,
    RawItem,
    ReadStats,
    brief,
    input_size,
    input_stat,
    is_gzip,
    is_remote,
    max_record_bytes,
    open_input,
    read_capped,
)
from cleaners.unicode import decode_bytes
from cleaners.warc_reader import WarcScanner, iter_warc

# What callers import from here; the shared parts live in cleaners.records, WARC in cleaners.warc_reader.
__all__ = ["InputError", "InputPath", "RawItem", "ReadStats", "WarcScanner", "decode_item", "detect_format",
           "expand_inputs", "input_size", "input_stat", "is_remote", "iter_items", "iter_jsonl", "iter_warc",
           "max_record_bytes", "open_input"]

log = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")  # "*.warc.gz.open" (being written) only if named
OPEN_SUFFIX = ".open"  # the crawler's name for a WARC file it is still writing
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
TEXT_SUFFIXES = (".txt", ".text", ".txt.gz")


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
    if head.startswith(GZIP_MAGIC):
        try:  # a gzipped dump of any format (the readers decompress it as they read)
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4096)
        except zlib.error:
            return None
    if head.startswith(WARC_MAGIC):
        return "warc"
    if HTML_SNIFF.match(head):
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
        if str(raw) == "-":
            raise InputError("standard input (-) is read by `clean` only: save it to a file for this command")
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


def _is_web(path: InputPath) -> bool:
    """An http(s) URL: a page, whose address is also the document's URL."""
    return str(path).split("://", 1)[0].lower() in ("http", "https") and is_remote(path)


def _expand_remote(url: str) -> list[str]:
    if _is_web(url):
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
                    stats.too_large(path, 0, "file (decompressed)" if is_gzip(path) else "file", cap)
                else:
                    yield RawItem(content=data, kind=fmt, raw_path=str(path), raw_format=fmt,
                                  url=str(path) if _is_web(path) else None)
        except Exception as exc:  # the readers catch record failures; this is a failure of the file itself
            stats.bad(path, stats.where, f"unreadable: {brief(exc)}")


def _read_file(path: InputPath, cap: int) -> bytes | None:
    """A whole HTML or text file, gunzipped as it is read; None if over the cap."""
    with open_input(path) as fh:
        gz = fh.read(3) == GZIP_MAGIC
        fh.seek(0)
        if gz:
            with gzip.GzipFile(fileobj=fh) as unzipped:
                return read_capped(unzipped, cap)
        return read_capped(fh, cap)


# -- JSONL ---------------------------------------------------------------------------------------

def _lines(fh: BinaryIO, cap: int) -> Iterator[tuple[int, bytes | None]]:
    """(offset, line) of each line of a file, read in chunks; a line longer than `cap` comes as
    (offset, None), its bytes dropped as they are read (never held whole)."""
    buf = bytearray()
    base = 0  # file offset of buf[0]
    long_line: int | None = None  # offset of the over-long line being dropped
    while chunk := fh.read(CHUNK):
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
    gz = is_gzip(path)
    with open_input(path) as raw, (gzip.GzipFile(fileobj=raw) if gz else raw) as fh:
        for lineno, (start, line) in enumerate(_lines(fh, cap), start=1):
            stats.where = start
            try:
                item = _jsonl_item(line, lineno, path, start, stats, cap)
            except Exception as exc:  # whatever the line holds, it is this line's failure
                stats.bad(path, start, f"line {lineno}: {brief(exc)}")
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
