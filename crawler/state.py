"""Crawl state in SQLite (one file in the workdir): per URL first/last seen, last fetch, status,
ETag / Last-Modified and content hash. It decides what a rerun fetches: new URLs, URLs whose
discovery date moved past the last fetch, and recent articles due for a revisit (sent as
conditional requests); everything else is skipped as unchanged."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    discovered_date TEXT,
    last_fetched TEXT,
    status INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    fetch_count INTEGER NOT NULL DEFAULT 0,
    warc_file TEXT,
    warc_offset INTEGER,
    off_topic INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (run_id, source)
);
CREATE INDEX IF NOT EXISTS runs_source ON runs (source, finished_at);
"""


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class RevisitPolicy:
    """Articles first seen less than `window` ago are refetched at most every `interval`."""

    window: timedelta = timedelta(days=3)
    interval: timedelta = timedelta(hours=6)


@dataclass(frozen=True)
class Plan:
    fetch: bool
    reason: str  # new | discovery-newer | revisit | retry-error | unchanged | off-topic
    headers: dict[str, str]


class CrawlState:
    def __init__(self, path: str | Path, policy: RevisitPolicy | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.policy = policy or RevisitPolicy()

    def close(self) -> None:
        self.db.close()

    # -- discovery -----------------------------------------------------------------------------
    def plan(self, url: str, source: str, discovered: datetime | None, now: datetime | None = None) -> Plan:
        """Record that `url` was discovered, and say whether to fetch it (and how)."""
        now = now or datetime.now(UTC)
        row = self.db.execute(
            "SELECT first_seen, last_fetched, status, etag, last_modified, off_topic FROM urls WHERE url = ?",
            (url,)).fetchone()
        disc = _iso(discovered) if discovered else None
        if row is None:
            self.db.execute(
                "INSERT INTO urls (url, source, first_seen, last_seen, discovered_date) VALUES (?, ?, ?, ?, ?)",
                (url, source, _iso(now), _iso(now), disc),
            )
            return Plan(True, "new", {})
        first_seen, last_fetched, status, etag, last_modified, off_topic = row
        self.db.execute("UPDATE urls SET last_seen = ?, discovered_date = COALESCE(?, discovered_date) "
                        "WHERE url = ?", (_iso(now), disc, url))
        fetched_at = _parse(last_fetched)
        if fetched_at is None:
            # A route that gave an off-topic title wins over one that gives no title at all.
            return Plan(False, "off-topic", {}) if off_topic else Plan(True, "new", {})
        if status not in (200, 304) and not 300 <= status < 400:
            return Plan(True, "retry-error", {})
        conditional = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        if discovered is not None and discovered > fetched_at:
            return Plan(True, "discovery-newer", conditional)
        first = _parse(first_seen) or now
        if now - first < self.policy.window and now - fetched_at >= self.policy.interval:
            return Plan(True, "revisit", conditional)
        return Plan(False, "unchanged", {})

    def mark_off_topic(self, url: str, source: str, now: datetime | None = None) -> None:
        """Discovery gave this URL an off-topic title: later title-less sightings do not fetch it."""
        stamp = _iso(now or datetime.now(UTC))
        self.db.execute("INSERT INTO urls (url, source, first_seen, last_seen, off_topic) VALUES (?, ?, ?, ?, 1) "
                        "ON CONFLICT(url) DO UPDATE SET off_topic = 1, last_seen = excluded.last_seen",
                        (url, source, stamp, stamp))

    # -- fetches -------------------------------------------------------------------------------
    def record_fetch(self, url: str, source: str, status: int, *, etag: str | None = None,
                     last_modified: str | None = None, content_hash: str | None = None,
                     warc_file: str | None = None, warc_offset: int | None = None,
                     when: datetime | None = None) -> str:
        """Store a response; return "new", "changed", "same" (same content) or "not-modified"."""
        now = _iso(when or datetime.now(UTC))
        row = self.db.execute("SELECT content_hash, last_fetched FROM urls WHERE url = ?", (url,)).fetchone()
        if status == 304:
            self.db.execute("UPDATE urls SET last_fetched = ?, last_seen = ?, fetch_count = fetch_count + 1 "
                            "WHERE url = ?", (now, now, url))
            return "not-modified"
        if row is None:
            self.db.execute("INSERT INTO urls (url, source, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                            (url, source, now, now))
            change = "new"
        elif row[1] is None:
            change = "new"
        else:
            change = "same" if row[0] == content_hash else "changed"
        self.db.execute(
            "UPDATE urls SET last_fetched = ?, last_seen = ?, status = ?, etag = ?, last_modified = ?, "
            "content_hash = ?, fetch_count = fetch_count + 1, warc_file = COALESCE(?, warc_file), "
            "warc_offset = COALESCE(?, warc_offset) WHERE url = ?",
            (now, now, status, etag, last_modified, content_hash, warc_file, warc_offset, url),
        )
        return change

    def adopt(self, url: str, record: dict[str, object]) -> None:
        """Take the fetch another crawler process recorded (`crawl --redis`), for a URL this state
        has never fetched: the next plan treats it as fetched, as if this machine had done it."""
        now = _iso(datetime.now(UTC))
        self.db.execute("INSERT INTO urls (url, source, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(url) DO NOTHING", (url, record["source"], record.get("first_seen") or now, now))
        self.db.execute(
            "UPDATE urls SET first_seen = MIN(first_seen, COALESCE(?, first_seen)), last_fetched = ?, status = ?, "
            "etag = ?, last_modified = ?, content_hash = ? WHERE url = ? AND last_fetched IS NULL",
            (record.get("first_seen"), record["last_fetched"], record.get("status"), record.get("etag"),
             record.get("last_modified"), record.get("content_hash"), url))

    def get(self, url: str) -> dict[str, object] | None:
        cur = self.db.execute("SELECT * FROM urls WHERE url = ?", (url,))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None

    # -- runs ----------------------------------------------------------------------------------
    def start_run(self, run_id: str, source: str, when: datetime | None = None) -> None:
        self.db.execute("INSERT OR REPLACE INTO runs (run_id, source, started_at) VALUES (?, ?, ?)",
                        (run_id, source, _iso(when or datetime.now(UTC))))

    def finish_run(self, run_id: str, source: str, when: datetime | None = None) -> None:
        self.db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ? AND source = ?",
                        (_iso(when or datetime.now(UTC)), run_id, source))

    def last_finished_run(self, source: str) -> datetime | None:
        row = self.db.execute("SELECT MAX(started_at) FROM runs WHERE source = ? AND finished_at IS NOT NULL",
                              (source,)).fetchone()
        return _parse(row[0]) if row and row[0] else None
