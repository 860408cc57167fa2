"""Running crawls on a schedule (the workdir lock is crawler.lock): recovery of what a killed run left behind,
one Scrapy process crawling every selected source, and a JSON summary per run."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from cleaners.readers import ReadStats, WarcScanner, max_record_bytes
from cleaners.warc_reader import http_head, payload_stream
from crawler.sources import Source, load_sources
from crawler.spiders.news import NewsSpider
from crawler.state import CrawlState

log = logging.getLogger(__name__)

SUMMARY_KEYS = ("discovered", "fetched", "unchanged", "off_topic", "errors")
PROGRESS_KEYS = ("warc_records", *SUMMARY_KEYS)


def recover_unfinished(workdir: Path, state: CrawlState, registry: dict[str, Source]) -> list[Path]:
    """Close the `*.warc.gz.open` files of a killed run: cut each where its torn tail begins (the
    record being written when the run died), record in the crawl state the article responses it
    holds, and rename it `*.warc.gz`. Nothing else is ever cut: a record that is damaged with whole
    records after it, or too large to read, stays in the file (and is reported)."""
    recovered = []
    for path in sorted((workdir / "raw").glob("*/*.warc.gz.open")):
        responses, good_end = _complete_responses(path)
        if good_end < path.stat().st_size:
            with open(path, "r+b") as fh:
                fh.truncate(good_end)
        final = path.with_suffix("")
        os.replace(path, final)
        for response in responses:
            _remember(state, registry, final, *response)
        recovered.append(final)
        log.warning("recovered %s from a killed run (%d responses)", final, len(responses))
    return recovered


def _complete_responses(path: Path) -> tuple[list[tuple[Any, ...]], int]:
    """(url, date, status, etag, last-modified, offset, payload sha256) of each whole response
    record, and where the file's torn tail begins (its size if it has none)."""
    out: list[tuple[Any, ...]] = []
    stats = ReadStats()
    cap = max_record_bytes()
    size = path.stat().st_size
    with open(path, "rb") as fh:
        scanner = WarcScanner(fh, size, path, stats, cap)
        for offset, record in scanner:
            if record.headers.get("WARC-Type") != "response" or record.headers.get("WARC-Truncated"):
                continue  # a truncated body (over the size cap) is no fetch to remember
            try:
                http = http_head(record)
                if http is None:
                    continue
                digest = _payload_sha256(payload_stream(record), cap)
            except Exception as exc:  # the body is kept as it is; only its fetch is not remembered
                stats.bad(path, offset, f"unreadable payload: {type(exc).__name__}: {str(exc)[:120]}")
                continue
            if digest is None:
                scanner.too_large("payload (decoded)")
            elif scanner.finish():
                out.append((record.headers.get("WARC-Target-URI"), record.headers.get("WARC-Date"),
                            http.status_code or 0,
                            http.get("ETag"), http.get("Last-Modified"), offset, digest))
    for problem in stats.problems:
        log.warning("recovering %s: %s (kept)", path, problem)
    if scanner.torn_at is not None:
        log.info("%s: cut at %d, where its torn last record begins", path, scanner.torn_at)
    return out, size if scanner.torn_at is None else scanner.torn_at


def _payload_sha256(stream: Any, cap: int) -> str | None:
    """sha256 of a decoded payload (what the crawl state records for a fetch), None if over the cap."""
    digest = hashlib.sha256()
    n = 0
    while chunk := stream.read(1 << 20):
        n += len(chunk)
        if n > cap:
            return None
        digest.update(chunk)
    return digest.hexdigest()


def _remember(state: CrawlState, registry: dict[str, Source], warc: Path, url: str, date: str, status: int,
              etag: str | None, last_modified: str | None, offset: int, payload_hash: str) -> None:
    """Record a response the killed run fetched but may not have recorded, so it is not fetched
    twice: article URLs of a known source, unless the state already has this fetch or a newer one."""
    known = state.get(url)
    source = str(known["source"]) if known else next((s.id for s in registry.values() if s.is_article(url)), None)
    if source is None:
        return
    when = datetime.fromisoformat(date.replace("Z", "+00:00"))
    last = known.get("last_fetched") if known else None
    if last and datetime.fromisoformat(str(last)) >= when:
        return
    state.record_fetch(url, source, status, etag=etag, last_modified=last_modified,
                       content_hash=payload_hash if status == 200 else None,
                       warc_file=str(warc), warc_offset=offset, when=when)


def _log_levels(level: str) -> None:
    for name in ("scrapy", "crawler", "protego", "twisted", "news"):
        logging.getLogger(name).setLevel(level)


def scrapy_settings(workdir: Path, run_id: str, sources_file: str | None,
                    overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("DGSN_WORKDIR", str(workdir), priority="cmdline")
    settings.set("DGSN_RUN_ID", run_id, priority="cmdline")
    if sources_file:
        settings.set("DGSN_SOURCES", str(sources_file), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def crawl(workdir: str | Path, *, sources_file: str | Path | None = None, source_ids: Sequence[str] = (),
          since: str | None = None, overrides: dict[str, Any] | None = None,
          on_progress: Callable[[dict[str, int]], None] | None = None) -> dict[str, Any]:
    """Crawl the selected sources (default: all) once; return and write the run summary.
    `on_progress` gets the running totals (responses, discovered, fetched, ...) every second.

    The caller holds the workdir lock."""
    workdir = Path(workdir)
    registry = load_sources(sources_file)
    ids = list(source_ids) or sorted(registry)
    unknown = [s for s in ids if s not in registry]
    if unknown:
        raise KeyError(f"unknown source(s): {', '.join(unknown)}")
    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%S%fZ")
    state = CrawlState(workdir / "state.sqlite")
    try:
        recovered = recover_unfinished(workdir, state, registry)
    finally:
        state.close()
    settings = scrapy_settings(workdir, run_id, str(sources_file) if sources_file else None, overrides)
    slots = {}
    for sid in ids:
        polite = registry[sid].politeness
        if "concurrent_requests_per_domain" in polite or "download_delay" in polite:
            for domain in registry[sid].allowed_domains:
                slots[domain] = {k: v for k, v in (("concurrency", polite.get("concurrent_requests_per_domain")),
                                                   ("delay", polite.get("download_delay"))) if v is not None}
    if slots:
        settings.set("DOWNLOAD_SLOTS", slots, priority="cmdline")
    # Logging is the caller's (the CLI's): no second root handler, and Scrapy's level follows it.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    _log_levels(settings.get("LOG_LEVEL"))  # CrawlerProcess resets the scrapy and twisted levels
    crawlers = {}
    for sid in ids:
        crawler = process.create_crawler(NewsSpider)
        crawlers[sid] = crawler
        process.crawl(crawler, source=sid, since=since, sources_file=str(sources_file) if sources_file else None)
    def report() -> None:
        if on_progress is not None:
            stats = [c.stats.get_stats() if c.stats else {} for c in crawlers.values()]
            on_progress({k: sum(int(st.get(f"dgsn/{k}", 0)) for st in stats) for k in PROGRESS_KEYS})

    if on_progress is not None:
        from twisted.internet import task

        task.LoopingCall(report).start(1.0, now=False)
    process.start()
    report()  # the totals at the end, however short the crawl
    per_source = {}
    for sid, crawler in crawlers.items():
        stats = crawler.stats.get_stats() if crawler.stats else {}
        row = {k: int(stats.get(f"dgsn/{k}", 0)) for k in SUMMARY_KEYS}
        row["finish_reason"] = stats.get("finish_reason")
        row["responses"] = int(stats.get("dgsn/warc_records", 0))
        row.update({k.removeprefix("dgsn/"): v for k, v in stats.items()
                    if k.startswith("dgsn/") and k.removeprefix("dgsn/") not in row})
        per_source[sid] = row
    warcs = sorted(str(p) for p in (workdir / "raw" / run_id).glob("*.warc.gz"))
    summary = {
        "run_id": run_id, "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "since": since,
        "sources": per_source, "totals": {k: sum(r[k] for r in per_source.values()) for k in SUMMARY_KEYS},
        "warc_files": warcs, "recovered_warc_files": [str(p) for p in recovered],
    }
    runs = workdir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    tmp = runs / f"{run_id}.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, runs / f"{run_id}.json")
    return summary
