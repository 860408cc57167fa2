"""Decompression bombs for tests, made in well under a second: a gzip member of N MiB of zeros is
one deflate block of 1 MiB of zeros (compressed once, ended with a full flush so it refers to
nothing before it) repeated N times, about 1 KB per MiB."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from functools import cache, lru_cache
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.helpers import article_html

MIB = 1 << 20
_ZEROS = bytes(MIB)


@cache
def _zero_block() -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(_ZEROS) + c.flush(zlib.Z_FULL_FLUSH)


def _zeros_crc(crc: int, mib: int) -> int:
    for _ in range(mib):
        crc = zlib.crc32(_ZEROS, crc)
    return crc


def _flushed(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


@lru_cache(maxsize=8)
def gzip_bomb(mib: int, prefix: bytes = b"", suffix: bytes = b"") -> bytes:
    """One gzip member that inflates to `prefix`, `mib` MiB of zeros, then `suffix`."""
    crc = zlib.crc32(suffix, _zeros_crc(zlib.crc32(prefix), mib))
    size = len(prefix) + mib * MIB + len(suffix)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + _flushed(prefix) + _zero_block() * mib
            + last.compress(suffix) + last.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF))


def _writer_record(writer: WARCWriter, url: str, body: bytes, headers: list[tuple[str, str]]):
    return writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                     http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"))


def good_records(first: int, n: int) -> bytes:
    """`n` article responses (each its own gzip member), numbered from `first`."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for i in range(first, first + n):
        writer.write_record(_writer_record(writer, f"https://news.example.ma/article-{i}/",
                                           article_html(i).encode(), [("Content-Type", "text/html; charset=utf-8")]))
    return buf.getvalue()


def record_bomb(mib: int, url: str = "https://bomb.example/record/") -> bytes:
    """A WARC response record whose own gzip member inflates to `mib` MiB (its payload)."""
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    length = len(http) + mib * MIB
    header = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
              f"WARC-Target-URI: {url}\r\nWARC-Date: 2024-06-03T10:00:00Z\r\n"
              f"Content-Type: application/http; msgtype=response\r\nContent-Length: {length}\r\n\r\n").encode()
    return gzip_bomb(mib, header + http, b"\r\n\r\n")


def encoding_bomb(mib: int, url: str = "https://bomb.example/encoded/") -> bytes:
    """A WARC response record as our crawler stores one: the body as received, `Content-Encoding:
    gzip`, ~1 KB per MiB it inflates to."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    writer.write_record(_writer_record(writer, url, gzip_bomb(mib), [
        ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]))
    return buf.getvalue()


def write_bomb_warcs(directory: Path, mib: int) -> dict[str, Path]:
    """Two .warc.gz files, each with articles before and after a bomb: one whose record inflates
    to `mib` MiB, one whose HTTP body does (Content-Encoding: gzip). Articles 0-3 and 10-13."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"record": directory / "record-bomb.warc.gz", "encoding": directory / "encoding-bomb.warc.gz"}
    files["record"].write_bytes(good_records(0, 2) + record_bomb(mib) + good_records(2, 2))
    files["encoding"].write_bytes(good_records(10, 2) + encoding_bomb(mib) + good_records(12, 2))
    return files
