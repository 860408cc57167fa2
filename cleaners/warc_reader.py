"""The WARC reader (crawls, Common Crawl, CC-NEWS): records and their offsets read past damage, for
the cleaners and for the crawler's recovery of a killed run's files alike. Torn records are told
from whole ones by their framing alone (a short read, a gzip member that does not end), never by
an error in content the reader could not process. fastwarc parses (several times faster than
warcio, which still writes the crawler's files and undoes HTTP Content-Encoding here)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from fastwarc.stream_io import BrotliReader, GzipReader
from fastwarc.warc import ArchiveIterator, HeaderMap, WarcRecord, WarcRecordType
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

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


def _member_ends(fh: BinaryIO, at: int, cap: int) -> bool:
    """Whether the gzip member at `at` ends, its trailer included (zlib checks its CRC and length)."""
    fh.seek(at)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    inflated = 0
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail or fh.read(CHUNK)
            if not data or inflated > 2 * cap:
                return False
            inflated += len(inflater.decompress(data, CHUNK))
    except zlib.error:
        return False
    return True


_CONTENT_LENGTH = re.compile(rb"\r\nContent-Length:[ \t]*(\d+)", re.I)
HEADER_MAX = 64 * 1024  # fastwarc parses WARC headers up to 32 KiB


def _plain_record_end(fh: BinaryIO, at: int) -> int:
    """Where the whole record at `at` of an uncompressed WARC ends: its header block, the block of
    its Content-Length, and the two CRLFs after it."""
    fh.seek(at)
    head = fh.read(HEADER_MAX)
    cut = head.find(b"\r\n\r\n")
    m = _CONTENT_LENGTH.search(head, 0, cut + 2)
    if cut < 0 or m is None:
        return at
    end = at + cut + 4 + int(m.group(1))
    fh.seek(end)
    tail = fh.read(4)
    return end + len(tail) - len(tail.lstrip(b"\r\n"))


def http_head(record: WarcRecord) -> HeaderMap | None:
    """The status line and headers of a record's HTTP message (None when its block is none),
    parsed on first use."""
    if not record.is_http:
        return None
    if not record.is_http_parsed:
        record.parse_http()
    return record.http_headers


def header_fields(headers: HeaderMap) -> dict[str, str]:
    """A header block by lower-cased name, the first of a repeated name kept, as HeaderMap.get
    gives it: one call into fastwarc for a record's many reads, each of which costs about as much
    as this whole copy (reading a CC-NEWS file, they took a fifth of the time)."""
    return {name.lower(): value for name, value in reversed(headers.astuples())}


def http_status(http: HeaderMap) -> str:
    """The status code as the status line spells it (`200`; whatever bytes stand there in a broken one)."""
    parts = (http.status_line or "").split(None, 2)
    return parts[1] if len(parts) > 1 else ""


def payload_stream(record: WarcRecord, http_fields: dict[str, str] | None = None) -> BinaryIO:
    """The record's payload with its HTTP Transfer- and Content-Encoding undone, as warcio's
    content_stream() did, by warcio's decoders (a body that does not decode from its first bytes
    is read as stored), except brotli, which warcio fails on with brotli >= 1.2: fastwarc's reader
    decodes it. Only bodies stored encoded (our crawler stores them as received) pass through
    Python; Common Crawl stores payloads decoded. `http_fields`: the HTTP head's `header_fields`,
    when the caller has them."""
    return _decoder(record, http_fields) or record.reader


def _decoder(record: WarcRecord, http_fields: dict[str, str] | None) -> BinaryIO | None:
    """The stream that undoes the payload's encodings (`payload_stream`), None when it is stored as sent."""
    if http_fields is None:
        http = http_head(record)
        if http is None:
            return None
        http_fields = header_fields(http)
    encoding = (http_fields.get("content-encoding") or "").strip().lower() or None
    chunked = (http_fields.get("transfer-encoding") or "").strip().lower() == "chunked"
    if encoding not in ("gzip", "deflate", "br"):  # what warcio decodes; others are read as stored
        encoding = None
    if chunked:
        return ChunkedDataReader(record.reader, decomp_type=encoding)
    if encoding == "br":
        return BrotliReader(record.reader)
    if encoding:
        return BufferedReader(record.reader, decomp_type=encoding)
    return None


_WHOLE, _PASS_OVER = "whole", "pass over"  # WarcScanner record states (else: why the record is torn)


class WarcScanner:
    """The records of a WARC file and their offsets, read past damage, for the cleaners' reader and
    the crawler's recovery alike. fastwarc parses; this class adds what it leaves to its caller:
    telling a whole record from a torn one, and going on after damage.

    A record is whole when its block is as long as its Content-Length says and, in a .warc.gz, its
    gzip member ends (fastwarc's gzip reader takes a member without its trailer as whole, so the
    member that ends the file is checked again with zlib). A torn or unparseable record is reported
    (once per damaged stretch) and the scan goes on at the next record start found after it, with
    a new fastwarc iterator. A record too large to read (the caller says so with `too_large`, or
    its block inflates past the cap) is passed over the same way in a .warc.gz, so a decompression
    bomb is never inflated to its end. In a gzip member that holds several records, the records
    after the first have no offset of their own: they are reported (at the member) and passed over.

    `torn_at`: where damage that runs to the end of the file begins, None when the file ends with a
    whole record, or with one passed over (which may well be whole): the only place a killed
    writer's file may be cut.

    The record yielded is one object that fastwarc fills anew for each record (`inplace`): use it
    before taking the next."""

    def __init__(self, fh: BinaryIO, size: int, path: InputPath, stats: ReadStats, cap: int):
        self.fh, self.size, self.path, self.stats, self.cap = fh, size, path, stats, cap
        fh.seek(0)
        self.gz = fh.read(3) == GZIP_MAGIC
        self.torn_at: int | None = None
        self._gzip: GzipReader | None = None  # the current iterator's inflating reader (a .warc.gz)
        self._record: WarcRecord | None = None
        self._offset = 0
        self._state: str | None = None
        self._end: int | None = None  # where the last whole record ends (a .warc.gz: its member's end)

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
            except Exception as exc:  # fastwarc raises OSError on data it cannot inflate or parse
                self._state = f"unreadable record: {brief(exc)}"
        return self._state == _WHOLE

    def _check(self) -> str:
        assert self._record is not None
        record = self._record
        # Content-Length is mandatory, and fastwarc fails on one it cannot read, so a record whose
        # header block was cut before or inside it is one of length 0 (read, only then: ~1 µs a call)
        if record.content_length == 0 and not (record.headers.get("Content-Length") or "").strip().isdigit():
            return "truncated record: its header block is cut"
        reader = record.reader
        while reader.consume(CHUNK):
            if self.gz and reader.tell() > self.cap:
                return _PASS_OVER
        missing = record.content_length - reader.tell()  # (the block's length, less its HTTP head once parsed)
        if missing > 0:
            return f"truncated record: {missing} bytes missing"
        if self._gzip is not None:
            end = self._gzip.inner_tell()
            if end >= self.size and not _member_ends(self.fh, self._offset, self.cap):
                return "truncated record: its gzip member does not end"
            self._end = end
        return _WHOLE

    def __iter__(self) -> Iterator[tuple[int, WarcRecord]]:
        pos = 0
        damaged: int | None = None  # start of the damaged stretch being passed
        while pos < self.size:
            failure: str | None = None
            resume: int | None = None
            at = pos
            self._end = None
            try:
                records = self._records(pos)
                gzip = self._gzip
                for record in records:
                    at = record.stream_pos
                    member = gzip.frame_start_position() if gzip is not None else at
                    if member != at:  # fastwarc gives the records inside such a member its end as offset
                        at = pos if member is None else member
                        failure = ("its gzip member goes on past the record: not one record per member "
                                   "(`warcio recompress` fixes it)")
                        break
                    self._record, self._offset, self._state = record, at, None
                    yield at, record
                    if not self.finish():
                        if self._state == _PASS_OVER:
                            resume = at + 1
                        else:
                            failure = self._state
                        break
                    damaged = None
                else:
                    at = self._segment_end(pos)
                    if at >= self.size:
                        return
                    failure = "truncated or unreadable record"
            except Exception as exc:  # fastwarc raises OSError on a header or gzip member it cannot read
                failure, at = f"unreadable record: {brief(exc)}", self._segment_end(pos)
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

    def _records(self, pos: int) -> ArchiveIterator:
        """A fastwarc iterator from `pos` on (a record start). HTTP heads are parsed on demand
        (`http_head`), so one that does not parse is that record's failure, not the iterator's."""
        self.fh.seek(pos)
        self._gzip = GzipReader(self.fh) if self.gz else None
        return ArchiveIterator(self._gzip if self._gzip is not None else self.fh, parse_http=False,
                               stream_detect=False, inplace=True)

    def _segment_end(self, pos: int) -> int:
        """Where the last whole record read since `pos` ends (`pos` if none was): there the
        records fastwarc could not read begin."""
        if self._state != _WHOLE or self._record is None or self._offset < pos:
            return pos
        if self._end is not None:
            return self._end
        return _plain_record_end(self.fh, self._offset)


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
                if scanner.finish():  # else the record is torn, and the scanner reports that
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

    def read(self, record: WarcRecord) -> None:
        payload = record.reader.read(WARCINFO_MAX_BYTES)
        source = None
        for line in payload.decode("utf-8", "replace").splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip().lower() == "source" and value.strip():
                source = value.strip()
                break
        self.last = source
        record_id = record.headers.get("WARC-Record-ID")
        if record_id:
            self.by_id[record_id] = source

    def source_of(self, info_id: str | None) -> str | None:
        """The source of the warcinfo a record names by its WARC-Warcinfo-ID (`info_id`)."""
        if info_id and info_id in self.by_id:
            return self.by_id[info_id]
        return self.last


_TYPE_NAMES = {int(t): str(t) for t in (WarcRecordType.warcinfo, WarcRecordType.response, WarcRecordType.resource,
                                        WarcRecordType.request, WarcRecordType.metadata, WarcRecordType.revisit,
                                        WarcRecordType.conversion, WarcRecordType.continuation)}
_TYPE_SKIPS: dict[str, str] = {}  # the counter of each record type passed over (per record: one lookup)


def _read_payload(record: WarcRecord, http_fields: dict[str, str] | None, cap: int) -> bytes | None:
    """The payload, decoded (`payload_stream`), if it holds at most `cap` bytes, else None. A payload
    stored as sent is read in one call: its length is the record's Content-Length (less the HTTP
    head), so one over the cap is not read at all, and a torn one reads short (the scanner tells)."""
    decoder = _decoder(record, http_fields)
    if decoder is not None:
        return read_capped(decoder, cap)
    reader = record.reader
    remaining = record.content_length - reader.tell()
    if remaining > cap:
        return None
    return reader.read(remaining) if remaining > 0 else b""


def _warc_item(record: WarcRecord, path: InputPath, offset: int, stats: ReadStats, infos: _WarcInfos,
               scanner: WarcScanner) -> RawItem | None:
    headers = record.headers
    # the type fastwarc parsed (a tenth of a header lookup); an odd one is read from the header
    rec_type = _TYPE_NAMES.get(int(record.record_type)) or headers.get("WARC-Type")
    stats.counts["warc_records"] += 1
    if rec_type is None:
        if scanner.finish():  # else its header block is cut, and the scanner reports that
            stats.bad(path, offset, "unparseable record (no WARC-Type)")
        return None
    if rec_type == "warcinfo":
        infos.read(record)
    if rec_type not in ("response", "resource"):
        skip = _TYPE_SKIPS.get(rec_type)
        if skip is None:
            skip = f"skipped:warc_{label(rec_type)}"
            if len(_TYPE_SKIPS) < 64:  # the standard's eight types, and a few odd ones
                _TYPE_SKIPS[rec_type] = skip
        stats.counts[skip] += 1
        return None
    http = http_head(record)
    http_fields = None
    if http is not None:
        status = http_status(http)
        if rec_type == "response" and not status.startswith("2"):
            stats.skip(f"http_status_{label(status) or 'unknown'}")
            return None
        http_fields = header_fields(http)
    fields = header_fields(headers)
    ctype = (http_fields if http_fields is not None else fields).get("content-type") or ""
    # Common Crawl records the type it identified from the payload; servers often send none
    mime = ctype.split(";")[0].strip().lower() or \
        (fields.get("warc-identified-payload-type") or "").split(";")[0].strip().lower()
    m = _CHARSET.search(ctype)
    charset = m.group(1) if m else None
    if mime and mime not in HTML_TYPES:  # decided before the payload is read (or inflated)
        stats.skip(f"non_html:{label(mime)}")
        return None
    try:
        content = _read_payload(record, http_fields, scanner.cap)
    except Exception as exc:
        if scanner.finish():  # else the record is torn, and the scanner reports that
            stats.bad(path, offset, f"unreadable payload: {brief(exc)}")
        return None
    if content is None:
        scanner.too_large("payload (decoded)")
        return None
    if not scanner.finish():
        return None  # torn: the scanner reports it
    truncated = fields.get("warc-truncated")
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
        url=fields.get("warc-target-uri"), fetched_at=fields.get("warc-date"),
        warc_record_id=fields.get("warc-record-id"), charset=charset,
        source=infos.source_of(fields.get("warc-warcinfo-id")),
    )


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
