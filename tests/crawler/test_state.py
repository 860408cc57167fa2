"""Crawl state decisions, with explicit clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.state import CrawlState, RevisitPolicy

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
URL = "https://www.example.ma/1-a.html"


def test_new_then_unchanged_then_revisit_then_settled(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "s.sqlite", RevisitPolicy(timedelta(days=3), timedelta(hours=6)))
    assert state.plan(URL, "src", None, now=T0).reason == "new"
    assert state.record_fetch(URL, "src", 200, etag='"v1"', last_modified="Sun, 01 Nov 2026 11:00:00 GMT",
                              content_hash="h1", when=T0) == "new"
    assert state.plan(URL, "src", None, now=T0 + timedelta(hours=1)).fetch is False
    revisit = state.plan(URL, "src", None, now=T0 + timedelta(hours=7))
    assert revisit.reason == "revisit"
    assert revisit.headers == {"If-None-Match": '"v1"', "If-Modified-Since": "Sun, 01 Nov 2026 11:00:00 GMT"}
    assert state.record_fetch(URL, "src", 304, when=T0 + timedelta(hours=7)) == "not-modified"
    assert state.record_fetch(URL, "src", 200, content_hash="h1", when=T0 + timedelta(hours=14)) == "same"
    assert state.record_fetch(URL, "src", 200, content_hash="h2", when=T0 + timedelta(hours=21)) == "changed"
    # past the revisit window: only a newer discovery date brings it back
    assert state.plan(URL, "src", None, now=T0 + timedelta(days=5)).fetch is False
    newer = state.plan(URL, "src", T0 + timedelta(days=4), now=T0 + timedelta(days=5))
    assert newer.reason == "discovery-newer" and newer.fetch
    row = state.get(URL)
    assert row is not None and row["fetch_count"] == 4 and row["content_hash"] == "h2"


def test_errors_are_retried_and_off_topic_titles_stick(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "s.sqlite")
    state.plan(URL, "src", None, now=T0)
    state.record_fetch(URL, "src", 503, when=T0)
    assert state.plan(URL, "src", None, now=T0 + timedelta(minutes=5)).reason == "retry-error"
    other = "https://www.example.ma/2-b.html"
    state.mark_off_topic(other, "src", now=T0)
    assert state.plan(other, "src", None, now=T0).reason == "off-topic"


def test_runs_give_the_incremental_cutoff(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "s.sqlite")
    assert state.last_finished_run("src") is None
    state.start_run("r1", "src", when=T0)
    assert state.last_finished_run("src") is None  # a killed run does not count
    state.finish_run("r1", "src", when=T0 + timedelta(minutes=3))
    state.start_run("r2", "src", when=T0 + timedelta(hours=6))
    assert state.last_finished_run("src") == T0
