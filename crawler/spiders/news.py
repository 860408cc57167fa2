"""The one generic spider: `scrapy crawl news -a source=ID [-a since=YYYY-MM-DD]`.

Discovery through the routes the source declares (feeds, sitemaps filtered by date, WordPress
REST API with the topic terms, listings, site search). Where discovery gives a title or summary,
off-topic items are skipped before fetching; article pages that are fetched are always kept (the
WARC recorder has them). The crawl state decides what a rerun fetches again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from cleaners.topics import SEARCH_TERMS, is_on_topic
from crawler.discovery import DiscoveryError, Found, parse_feed, parse_listing, parse_sitemap, parse_wp_posts
from crawler.middlewares import AlreadyFetched
from crawler.sources import Source, load_sources
from crawler.state import CrawlState, Plan, RevisitPolicy

log = logging.getLogger(__name__)

WP_MAX_PAGES = 20
SITEMAP_MAX_DEPTH = 3
INCREMENTAL_OVERLAP = timedelta(days=1)


def parse_since(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class NewsSpider(scrapy.Spider):
    name = "news"

    source: Source
    state: CrawlState
    frontier: Any = None  # crawler.frontier.RedisFrontier when the crawl shares a Redis frontier

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup()
        crawler.signals.connect(spider._closed, signal=scrapy.signals.spider_closed)
        return spider

    def _setup(self) -> None:
        settings = self.crawler.settings
        source_id = getattr(self, "source", None)
        if not source_id or not isinstance(source_id, str):
            raise ValueError("the news spider needs -a source=ID (see crawler/sources.yaml)")
        registry = load_sources(getattr(self, "sources_file", None) or settings.get("DGSN_SOURCES") or None)
        if source_id not in registry:
            raise ValueError(f"unknown source {source_id!r}; known: {', '.join(sorted(registry))}")
        self.source_id = source_id
        self.source = registry[source_id]
        self.allowed_domains = list(self.source.allowed_domains)
        polite = self.source.politeness
        if "download_delay" in polite:  # read by Scrapy's downloader for this spider's slots
            self.download_delay = float(polite["download_delay"])
        if "user_agent" in polite:  # read by Scrapy's UserAgentMiddleware
            self.user_agent = str(polite["user_agent"])
        workdir = Path(settings.get("DGSN_WORKDIR"))
        self.run_id = settings.get("DGSN_RUN_ID") or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.raw_dir = str(workdir / "raw" / self.run_id)
        policy = RevisitPolicy(timedelta(days=settings.getfloat("DGSN_REVISIT_WINDOW_DAYS")),
                               timedelta(hours=settings.getfloat("DGSN_REVISIT_INTERVAL_HOURS")))
        self.state = CrawlState(workdir / "state.sqlite", policy)
        explicit = parse_since(getattr(self, "since", None))
        last = self.state.last_finished_run(self.source_id)
        # First run: everything discovery offers. Later runs: what changed since the last one.
        self.since = explicit or (last - INCREMENTAL_OVERLAP if last else None)
        self.state.start_run(self.run_id, self.source_id)
        self._seen: set[str] = set()

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        if spider is not self:
            return
        if reason == "finished":
            self.state.finish_run(self.run_id, self.source_id)
        self.state.close()

    # -- crawl state (shared with the other crawler processes on a Redis frontier) --------------
    def plan(self, url: str, discovered: datetime | None) -> Plan:
        if self.frontier is not None:
            self.frontier.adopt(self.state, url)
        return self.state.plan(url, self.source_id, discovered)

    def mark_off_topic(self, url: str) -> None:
        self.state.mark_off_topic(url, self.source_id)
        if self.frontier is not None:
            self.frontier.share_off_topic(url)

    def record_fetch(self, url: str, status: int, **fields: Any) -> str:
        change = self.state.record_fetch(url, self.source_id, status, **fields)
        if self.frontier is not None:
            self.frontier.share_fetch(url, self.state.get(url))
        return change

    def _inc(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"dgsn/{key}", n)

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        src = self.source
        for url in src.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error, meta={"route": "feed"})
        for url in src.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                                 meta={"route": "sitemap", "depth_left": SITEMAP_MAX_DEPTH})
        if src.wp_api:
            for term in SEARCH_TERMS:
                yield self._wp_request(term, 1)
        for listing in src.listings:
            for page in range(1, listing.pages + 1):
                yield scrapy.Request(listing.url.replace("{page}", str(page)), callback=self.parse_listing,
                                     errback=self.on_error, meta={"route": "listing"})
        for search in src.search:
            for term in SEARCH_TERMS:
                for page in range(1, search.pages + 1):
                    url = search.url.replace("{query}", quote(term)).replace("{page}", str(page))
                    yield scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                                         meta={"route": "search"})

    def _wp_request(self, term: str, page: int) -> scrapy.Request:
        params = {"search": term, "per_page": 50, "page": page, "orderby": "date",
                  "_fields": "link,title,excerpt,date_gmt,modified_gmt"}
        if self.since:
            params["after"] = self.since.strftime("%Y-%m-%dT%H:%M:%S")
        assert self.source.wp_api
        return scrapy.Request(f"{self.source.wp_api}posts?{urlencode(params)}", callback=self.parse_wp,
                              errback=self.on_error, meta={"route": "wp_api"}, cb_kwargs={"term": term, "page": page})

    # -- discovery callbacks ---------------------------------------------------------------------
    def _discovered(self, found: list[Found], route: str) -> Iterator[scrapy.Request]:
        for item in found:
            if item.url in self._seen:
                continue
            self._seen.add(item.url)
            if not self.source.is_article(item.url):
                self._inc("not_article")
                continue
            if self.since and item.published and item.published < self.since:
                self._inc("too_old")
                continue
            if (item.title or item.summary) and not is_on_topic(item.title, item.summary):
                self._inc("off_topic")
                self.mark_off_topic(item.url)
                continue
            plan = self.plan(item.url, item.published)
            if plan.reason == "off-topic":
                self._inc("off_topic")
                continue
            self._inc("discovered")
            self._inc(f"discovered_via/{route}")
            if not plan.fetch:
                self._inc("unchanged")
                continue
            meta = {"dgsn_article": True, "route": route, "plan": plan.reason,
                    "handle_httpstatus_list": [304]}
            yield scrapy.Request(item.url, callback=self.parse_article, errback=self.on_error,
                                 headers=plan.headers, meta=meta)

    def _discovery_failed(self, response: Response, exc: DiscoveryError) -> None:
        self._inc("errors")
        self._inc("discovery_errors")
        self.logger.error("%s: %s at %s", self.source_id, exc, response.url)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            found = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self._discovery_failed(response, exc)
            return
        yield from self._discovered(found, "feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            kind, found = parse_sitemap(response.body)
        except DiscoveryError as exc:
            self._discovery_failed(response, exc)
            return
        if kind == "urlset":
            yield from self._discovered(found, "sitemap")
            return
        depth = response.meta.get("depth_left", 0) - 1
        for child in found:
            if depth < 0 or not self.source.owns(child.url):
                continue
            if self.since and child.published and child.published < self.since:
                self._inc("too_old_sitemaps")
                continue
            yield scrapy.Request(child.url, callback=self.parse_sitemap, errback=self.on_error,
                                 meta={"route": "sitemap", "depth_left": depth})

    def parse_wp(self, response: Response, term: str, page: int) -> Iterator[scrapy.Request]:
        try:
            found = parse_wp_posts(response.body)
        except DiscoveryError as exc:
            self._discovery_failed(response, exc)
            return
        yield from self._discovered(found, "wp_api")
        total = int(response.headers.get(b"X-WP-TotalPages", b"1") or 1)
        if page < min(total, WP_MAX_PAGES):
            yield self._wp_request(term, page + 1)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            found = parse_listing(response.body, response.url, self.source.is_article)
        except DiscoveryError as exc:
            self._discovery_failed(response, exc)
            return
        yield from self._discovered(found, response.meta.get("route", "listing"))

    # -- articles ------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        change = response.meta.get("dgsn_change", "new")
        if response.status == 304 or change in ("same", "not-modified"):
            self._inc("unchanged")
        else:
            self._inc("fetched")
            self._inc(f"fetched/{change}")
        warc = response.meta.get("warc") or {}
        yield {"source": self.source_id, "url": response.url, "status": response.status, "change": change,
               "route": response.meta.get("route"), "warc_file": warc.get("file"),
               "warc_offset": warc.get("offset")}

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        if self.frontier is not None and request is not None:
            self.frontier.request_done(request)
        if failure.check(HttpError):
            listing_page = meta.get("route") in ("listing", "search") and not meta.get("dgsn_article")
            if listing_page and failure.value.response.status == 404:
                self._inc("listing_end")  # a page bound past the last listing page
                return
        elif failure.check(AlreadyFetched):
            self._inc("unchanged")
            return
        elif failure.check(IgnoreRequest):  # robots.txt disallows it (HttpError is a subclass)
            self._inc("disallowed")
            return
        self._inc("errors")
        self.logger.warning("%s: %s on %s", self.source_id, failure.getErrorMessage(),
                            request.url if request is not None else "?")
