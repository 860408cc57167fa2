"""Common Crawl / CC-NEWS WARC files: their record layout (warcinfo, request, response, metadata),
payloads stored decoded with renamed encoding headers, `WARC-Truncated` responses, a response with
no Content-Type, and a file cut short mid-record; also read through an fsspec URL."""

from __future__ import annotations

from pathlib import Path

from cleaners.pipeline import clean_items
from cleaners.readers import ReadStats, expand_inputs, iter_items
from tests.helpers import article_html, write_cc_warc

PAGES = [(f"https://news.example.ma/2024/06/story-{i}/", article_html(i, city=city))
         for i, city in enumerate(["Tangier", "Fes", "Agadir"])]


def _clean(inputs: list[str]) -> tuple[list, ReadStats]:
    stats = ReadStats()
    return list(clean_items(iter_items(expand_inputs(inputs), stats), stats)), stats


def test_cc_news_layout_truncated_payload_and_torn_tail(tmp_path: Path) -> None:
    path = write_cc_warc(tmp_path / "CC-NEWS-20240603100000-00001.warc.gz", PAGES, truncate_at=620)
    docs, stats = _clean([str(path)])

    assert [d.url for d in docs] == [u for u, _ in PAGES]
    assert "Fes" in docs[1].text and "bank transfers" in docs[1].text
    # the response without Content-Type is read all the same
    assert "Tangier" in docs[0].text
    # the truncated payload is cleaned as far as it goes, and counted
    assert "Agadir" in docs[2].text and "bank transfers" not in docs[2].text
    assert stats.counts["warc_truncated_payloads"] == 1
    # requests, metadata and warcinfo are skipped by type, not lost silently
    assert stats.counts["skipped:warc_request"] == 3
    assert stats.counts["skipped:warc_metadata"] == 3
    assert stats.counts["skipped:warc_warcinfo"] == 1
    # the record cut short at the end of the file is reported with its offset
    assert stats.counts["bad_records"] == 1
    assert str(stats.problems[0]).startswith(f"{path}@") and "truncated record" in str(stats.problems[0])
    assert all(d.warc_record_id and d.fetched_at and d.warc_offset is not None for d in docs)


def test_fsspec_url_reads_the_same_documents(tmp_path: Path) -> None:
    path = write_cc_warc(tmp_path / "cc.warc.gz", PAGES, torn_tail=False)
    local, _ = _clean([str(path)])
    remote, stats = _clean([path.as_uri()])
    assert [d.raw_path for d in remote] == [path.as_uri()] * 3
    assert [(d.doc_id, d.text, d.warc_offset) for d in remote] == [(d.doc_id, d.text, d.warc_offset) for d in local]
    globbed, _ = _clean([tmp_path.as_uri() + "/*.warc.gz"])
    assert len(globbed) == 3
