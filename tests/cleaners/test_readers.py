"""Readers of raw dumps, on real files: WARC (good, truncated, corrupt), HTML, JSONL, text."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from cleaners.pipeline import clean_items
from cleaners.readers import InputError, ReadStats, expand_inputs, iter_items
from tests.helpers import article_html, write_warc


def _pages(n: int) -> list[tuple[str, str]]:
    return [(f"https://news.example.ma/article-{i}/", article_html(i)) for i in range(n)]


def _offsets(path: Path) -> list[int]:
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        out = []
        for record in it:
            out.append(it.offset)
            record.content_stream().read()
        return out


def test_warc_html_responses_with_provenance(tmp_path: Path) -> None:
    (warc,) = write_warc(tmp_path, _pages(3))
    stats = ReadStats()
    items = list(iter_items([warc], stats))
    assert [i.url for i in items] == [f"https://news.example.ma/article-{i}/" for i in range(3)]
    assert stats.counts["skipped:non_html:image/png"] == 1
    assert stats.counts["skipped:http_status_404"] == 1
    assert stats.counts["skipped:warc_request"] == 5
    assert stats.counts["skipped:warc_warcinfo"] == 1
    assert stats.problems == []
    offsets = _offsets(warc)
    for item in items:
        assert item.raw_offset in offsets
        assert item.warc_record_id and item.warc_record_id.startswith("<urn:uuid:")
        assert item.fetched_at and item.fetched_at.endswith("Z")
        # The offset leads back to the very record: read it again from there.
        with open(warc, "rb") as fh:
            fh.seek(item.raw_offset)
            record = next(iter(ArchiveIterator(fh)))
            assert record.rec_headers.get_header("WARC-Record-ID") == item.warc_record_id


def test_truncated_warc_yields_good_records_and_reports_the_bad_one(tmp_path: Path) -> None:
    (warc,) = write_warc(tmp_path, _pages(4), extra_records=False)
    offsets = _offsets(warc)  # warcinfo, then response/request pairs
    last_response = offsets[-2]
    data = warc.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: last_response + (offsets[-1] - last_response) // 2])
    stats = ReadStats()
    items = list(iter_items([cut], stats))
    assert len(items) == 3
    assert stats.counts["bad_records"] == 1
    assert stats.problems[0].path == str(cut) and stats.problems[0].offset == last_response


def test_corrupt_record_in_the_middle_is_skipped_and_reading_resumes(tmp_path: Path) -> None:
    (warc,) = write_warc(tmp_path, _pages(4), extra_records=False)
    offsets = _offsets(warc)
    second_response = offsets[3]
    data = bytearray(warc.read_bytes())
    data[second_response + 20: second_response + 60] = b"\xff" * 40
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(bytes(data))
    stats = ReadStats()
    urls = [i.url for i in iter_items([bad], stats)]
    assert urls == [f"https://news.example.ma/article-{i}/" for i in (0, 2, 3)]
    assert stats.counts["bad_records"] == 1
    assert stats.problems[0].offset == second_response


def test_uncompressed_truncated_record_is_reported(tmp_path: Path) -> None:
    (warc,) = write_warc(tmp_path, _pages(2), extra_records=False)
    full = tmp_path / "full.warc"
    full.write_bytes(gzip.decompress(warc.read_bytes()))
    last_response = _offsets(full)[-2]
    path = tmp_path / "plain.warc"
    path.write_bytes(full.read_bytes()[: last_response + 600])
    stats = ReadStats()
    items = list(iter_items([path], stats))
    assert len(items) == 1
    assert stats.counts["bad_records"] == 1
    assert stats.problems[0].offset == last_response
    assert "truncated" in stats.problems[0].reason


def test_jsonl_html_text_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    lines = [
        json.dumps({"url": "https://a.example/1", "html": article_html(1), "date": "2024-05-01"}),
        "{not json",
        json.dumps({"url": "https://a.example/2", "text": "Police in Rabat arrested two suspects on Monday.",
                    "title": "Two arrested"}),
        json.dumps({"url": "https://a.example/3"}),
        json.dumps(["a list"]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stats = ReadStats()
    items = list(iter_items([path], stats))
    assert [(i.kind, i.url) for i in items] == [("html", "https://a.example/1"), ("text", "https://a.example/2")]
    assert items[1].raw_offset == len(lines[0]) + 1 + len(lines[1]) + 1
    assert items[0].published_at == "2024-05-01" and items[1].title == "Two arrested"
    assert stats.counts["bad_records"] == 2
    assert "line 2" in str(stats.problems[0]) and "line 5" in str(stats.problems[1])
    assert stats.counts["skipped:jsonl_no_html_or_text"] == 1
    docs = list(clean_items(items, stats))
    assert docs[1].title == "Two arrested" and docs[0].published_at == "2024-05-01"


def test_directories_globs_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.html").write_text(article_html(1), encoding="utf-8")
    (tmp_path / "a" / "two.txt").write_text("Text dump about the DGSN.", encoding="utf-8")
    (tmp_path / "a" / "image.bin").write_bytes(b"\x00\x01\x02binary")
    files = expand_inputs([tmp_path / "a"])
    assert [f.name for f in files] == ["image.bin", "one.html", "two.txt"]
    assert [f.name for f in expand_inputs([str(tmp_path / "a" / "*.txt")])] == ["two.txt"]
    stats = ReadStats()
    items = list(iter_items(files, stats))
    assert [(i.raw_format, Path(i.raw_path).name) for i in items] == [("html", "one.html"), ("text", "two.txt")]
    assert stats.counts["skipped:unknown_format"] == 1
    with pytest.raises(InputError, match="no such file or directory: .*nope"):
        expand_inputs([tmp_path / "nope"])
    with pytest.raises(InputError, match="no input matches"):
        expand_inputs([str(tmp_path / "*.warc")])


def test_windows_1256_page_without_charset_is_decoded(tmp_path: Path) -> None:
    text = "أعلنت المديرية العامة للأمن الوطني عن توقيف شخص مبحوث عنه بموجب نشرة حمراء صادرة عن الإنتربول"
    html = (f"<html><head><title>خبر</title></head><body><article><p>{text}.</p>"
            f"<p>{text} في مدينة أكادير.</p></article></body></html>")
    path = tmp_path / "ar.html"
    path.write_bytes(html.encode("cp1256"))
    stats = ReadStats()
    (doc,) = list(clean_items(iter_items([path], stats), stats))
    assert text in doc.text
    assert doc.language == "ar"


def test_warc_headers_are_read_case_blind_and_the_first_of_a_repeated_one_wins(tmp_path: Path) -> None:
    """As a header lookup of fastwarc gives them (the reader takes a record's headers in one call)."""
    page = b"<html><head><title>T</title></head><body><p>Text</p></body></html>"
    http = (b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=windows-1256\r\n"
            b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(page)) + page
    warc = tmp_path / "odd.warc"
    warc.write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nwarc-target-uri: https://news.example.ma/first/\r\n"
                     b"WARC-Target-URI: https://news.example.ma/second/\r\nWARC-DATE: 2024-06-01T10:00:00Z\r\n"
                     b"WARC-Record-ID: <urn:uuid:1>\r\nWARC-Record-ID: <urn:uuid:2>\r\n"
                     b"Content-Type: application/http; msgtype=response\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(http) + http + b"\r\n\r\n")
    stats = ReadStats()
    (item,) = iter_items([warc], stats)
    assert (item.url, item.fetched_at, item.warc_record_id) == (
        "https://news.example.ma/first/", "2024-06-01T10:00:00Z", "<urn:uuid:1>")
    assert item.charset == "windows-1256" and item.content == page
    assert stats.problems == []


def _record(warc_type: str | None, block: bytes, n: int) -> bytes:
    head = f"WARC/1.0\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{n:012d}>\r\n"
    if warc_type is not None:
        head += f"WARC-Type: {warc_type}\r\n"
    head += f"WARC-Target-URI: https://news.example.ma/{n}/\r\nContent-Type: application/http; msgtype=response\r\n"
    return (head + f"Content-Length: {len(block)}\r\n\r\n").encode() + block + b"\r\n\r\n"


def test_record_types_of_any_spelling(tmp_path: Path) -> None:
    """The type is read as fastwarc parses it (its names in any case); a type outside the standard
    is counted by its own name, and a record with none is reported, the records around it read."""
    page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + article_html(1).encode()
    warc = tmp_path / "types.warc"
    records = [_record("response", page, 1), _record("Response", page, 2), _record("x-custom", b"abc", 3),
               _record(None, b"abc", 4), _record("metadata", b"via: x\r\n", 5), _record("response", page, 6)]
    warc.write_bytes(b"".join(records))
    stats = ReadStats()
    items = list(iter_items([warc], stats))
    assert [i.url for i in items] == [f"https://news.example.ma/{n}/" for n in (1, 2, 6)]
    assert stats.counts["warc_records"] == 6
    assert stats.counts["skipped:warc_x-custom"] == 1
    assert stats.counts["skipped:warc_metadata"] == 1
    assert [(p.offset, p.reason) for p in stats.problems] == [
        (sum(map(len, records[:3])), "unparseable record (no WARC-Type)")]
