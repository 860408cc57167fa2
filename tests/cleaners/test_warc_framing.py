"""What the WARC reader adds to fastwarc's parsing, on files the test writes with warcio: offsets as
warcio gives them, bodies stored with an HTTP Content- or Transfer-Encoding read decoded (and one
that does not decode read as stored, as warcio did), damage in the middle of an uncompressed file
and a gzip member holding several records reported at their offsets, the records after them read."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.readers import ReadStats, iter_items
from tests.helpers import article_html

URL = "https://news.example.ma/article-{}/"


def _chunked(body: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 500]), body[i:i + 500]) for i in range(0, len(body), 500)) \
        + b"0\r\n\r\n"


ENCODINGS = [  # (response headers, how the body is stored)
    ([("Content-Encoding", "gzip")], gzip.compress),
    ([("Content-Encoding", "br")], brotli.compress),
    ([("Content-Encoding", "deflate")], zlib.compress),
    ([("Transfer-Encoding", "chunked")], _chunked),
    ([("Content-Encoding", "gzip")], lambda b: b),  # said to be gzip, stored decoded
    ([], lambda b: b),
]


def _warc(gz: bool) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for i, (headers, encode) in enumerate(ENCODINGS):
        writer.write_record(writer.create_warc_record(
            URL.format(i), "response", payload=io.BytesIO(body := encode(article_html(i).encode())),
            length=len(body),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers],
                                          protocol="HTTP/1.1")))
    return buf.getvalue()


def _warcio_offsets(data: bytes) -> list[int]:
    it = ArchiveIterator(io.BytesIO(data))
    out = []
    for record in it:
        out.append(it.offset)
        record.raw_stream.read()  # (warcio fails on brotli bodies with brotli >= 1.2)
    return out


def _read(path: Path) -> tuple[list, ReadStats]:
    stats = ReadStats()
    return list(iter_items([path], stats)), stats


def test_encoded_bodies_are_read_decoded_at_warcio_offsets(tmp_path: Path) -> None:
    for gz in (True, False):
        data = _warc(gz)
        path = tmp_path / ("enc.warc.gz" if gz else "enc.warc")
        path.write_bytes(data)
        items, stats = _read(path)
        assert stats.problems == []
        assert [i.url for i in items] == [URL.format(i) for i in range(len(ENCODINGS))]
        assert [i.content for i in items] == [article_html(i).encode() for i in range(len(ENCODINGS))]
        assert [i.raw_offset for i in items] == _warcio_offsets(data)


def test_damaged_header_mid_file_is_reported_at_its_record_and_the_rest_read(tmp_path: Path) -> None:
    data = bytearray(_warc(False))
    offsets = _warcio_offsets(bytes(data))
    data[offsets[2]:offsets[2] + 8] = b"GARBAGE!"  # the third record's `WARC/1.0` line
    path = tmp_path / "damaged.warc"
    path.write_bytes(bytes(data))
    items, stats = _read(path)
    assert [i.raw_offset for i in items] == offsets[:2] + offsets[3:]
    assert [p.offset for p in stats.problems] == [offsets[2]]
    assert "unreadable" in stats.problems[0].reason


def test_a_gzip_member_holding_several_records_is_reported_and_the_next_members_read(tmp_path: Path) -> None:
    """The records after the first in such a member have no offset to seek to: they are reported
    (at the member's start) and passed over; the first, at the member's start, is read."""
    whole = _warc(True)
    offsets = _warcio_offsets(whole)
    one_member = gzip.compress(gzip.decompress(whole[:offsets[3]]))  # records 0-2 in a single member
    path = tmp_path / "members.warc.gz"
    path.write_bytes(one_member + whole[offsets[3]:])
    items, stats = _read(path)
    shift = len(one_member) - offsets[3]
    assert [(i.url, i.raw_offset) for i in items] == [(URL.format(0), 0)] + [
        (URL.format(n), offsets[n] + shift) for n in (3, 4, 5)]
    assert [p.offset for p in stats.problems] == [0]
    assert "not one record per member" in stats.problems[0].reason
