"""The WARC reader (crawls, Common Crawl, CC-NEWS): records and their offsets read past damage, for
the cleaners and for the crawler's recovery of a killed run's files alike. Torn records are told
from whole ones by their framing alone (a short read, a gzip member that does not end), never by
an error in content the reader could not process."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader

from cleaners.records import (
    CHUNK,
    GZIP_MAGIC,
    HTML_SNIFF,
    HTML_TYPES,
    WARC_MAGIC,
    InputPath,
    RawItem,
    ReadStats,
    brief,
    input_stat,
    label,
    max_record_bytes,
    open_input,
    read_capped,
)


def _find_next_record(fh: BinaryIO, start: int, gz: bool) -> int | None:
    """Byte offset of the next record start at or after `start`, or None. In a .warc.gz a start is
    a gzip member that inflates to a WARC header (the magic bytes alone also occur in compressed data)."""
    magic = GZIP_MAGIC if gz else WARC_MAGIC
    pos = start
    while True:
        fh.seek(pos)
        chunk = fh.read(CHUNK)
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
        self.gz = fh.read(3) == GZIP_MAGIC
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
                self._state = f"unreadable record: {brief(exc)}"
        return self._state == _WHOLE

    def _check(self) -> str:
        assert self._it is not None and self._record is not None
        raw = self._record.raw_stream
        declared = (self._record.rec_headers.get_header("Content-Length") or "").strip()
        if not declared.isdigit():  # it is mandatory: the header block was cut before or inside it
            return "truncated record: its header block is cut"
        read = 0
        while chunk := raw.read(CHUNK):
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
                failure, at = f"unreadable record: {brief(exc)}", it.offset
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
                stats.bad(path, offset, f"unreadable record: {brief(exc)}")
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
    if mime and mime not in HTML_TYPES:  # decided before the payload is read (or inflated)
        stats.skip(f"non_html:{label(mime)}")
        return None
    try:  # content_stream() undoes the HTTP Content-Encoding (our crawler stores bodies as received)
        content = read_capped(record.content_stream(), scanner.cap)
    except Exception as exc:
        stats.bad(path, offset, f"unreadable payload: {brief(exc)}")
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
    if not mime and not HTML_SNIFF.match(content[:2048]):
        stats.skip("non_html:unknown")
        return None
    return RawItem(
        content=content, kind="html", raw_path=str(path), raw_format="warc", raw_offset=offset,
        url=headers.get_header("WARC-Target-URI"), fetched_at=headers.get_header("WARC-Date"),
        warc_record_id=headers.get_header("WARC-Record-ID"), charset=charset,
        source=infos.source_of(record),
    )
