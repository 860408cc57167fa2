"""Downloader middlewares of the crawler.

- WarcRecorderMiddleware (next to the downloader): every response with its request, as received
  (before decompression and redirects are handled), into WARC. A body that HttpCompressionMiddleware
  will reject for decoding past DOWNLOAD_MAXSIZE (a decompression bomb) is not stored: the record
  says `WARC-Truncated: length` and has no payload.
- CrawlStateMiddleware: after redirects and decompression, records each article response in the
  crawl state and tells the spider whether the content is new, changed or the same.
- BackoffMiddleware: waits before a retry, longer each time (Scrapy's RetryMiddleware does not).
- RedirectPortMiddleware: refuses a redirect to another port (OffsiteMiddleware checks hosts only).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urljoin, urlsplit

from scrapy import Request, signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.warc import WarcFileWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


def _headers(h: Any) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in h.items() for v in values]


class WarcRecorderMiddleware:
    """One WARC writer per spider, under `spider.raw_dir`; files rotate at WARC_MAX_BYTES."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.max_bytes = crawler.settings.getint("WARC_MAX_BYTES")
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.decoded = crawler.settings.getbool("COMPRESSION_ENABLED", True)  # HttpCompressionMiddleware runs
        self.writer: WarcFileWriter | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderMiddleware:
        return cls(crawler)

    def _writer(self) -> WarcFileWriter:
        if self.writer is None:
            spider = self.crawler.spider
            settings = self.crawler.settings
            info = {"operator": settings.get("USER_AGENT"), "source": getattr(spider, "source_id", ""),
                    "run-id": getattr(spider, "run_id", ""),
                    "settings": {k: settings.get(k) for k in (
                        "USER_AGENT", "ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "CONCURRENT_REQUESTS_PER_DOMAIN",
                        "DOWNLOAD_DELAY", "DOWNLOAD_MAXSIZE", "RETRY_TIMES")}}
            self.writer = WarcFileWriter(Path(spider.raw_dir), prefix=getattr(spider, "source_id", "crawl"),
                                         max_bytes=self.max_bytes, info=info)
        return self.writer

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        body, truncated = response.body, None
        max_size = request.meta.get("download_maxsize", self.max_size)
        if self.decoded and request.method != "HEAD" and max_size and _decodes_past(response, max_size):
            body, truncated = b"", "length"
            self.crawler.stats.inc_value("dgsn/warc_bodies_over_maxsize")
            log.warning("%s: body over DOWNLOAD_MAXSIZE (%d B) once decoded: recorded without it (WARC-Truncated)",
                        response.url, max_size)
        path, offset, record_id = self._writer().write_response(
            response.url, response.status, reason, _headers(response.headers), body,
            request_headers=_headers(request.headers), method=request.method, ip=str(response.ip_address or "")
            or None, truncated=truncated,
        )
        request.meta["warc"] = {"file": str(path), "offset": offset, "record_id": record_id}
        self.crawler.stats.inc_value("dgsn/warc_records")
        frontier = getattr(self.crawler.spider, "frontier", None)
        if frontier is not None:
            frontier.response_recorded(request, response.status)
        return response

    def spider_closed(self, spider: Any) -> None:
        if self.writer is not None:
            self.writer.close()


def _decodes_past(response: Response, max_size: int) -> bool:
    """Whether the body, decoded as HttpCompressionMiddleware (which runs after this middleware)
    decodes it, passes `max_size`: that middleware then rejects the response. Its own decoders
    decide, so both agree; they stop at the limit, so memory stays bounded. A body that does not
    decode is recorded as it is (the middleware reports it)."""
    encodings = response.headers.getlist(b"Content-Encoding")
    if not encodings:
        return False
    to_decode, _ = HttpCompressionMiddleware._split_encodings(encodings)
    body = response.body
    try:
        for encoding in to_decode:
            body = HttpCompressionMiddleware._decode(body, encoding, max_size)
    except ValueError as exc:  # scrapy.utils._compression._DecompressionMaxSizeExceeded
        return hasattr(exc, "max_size")
    except Exception:
        return False
    return len(body) > max_size


class AlreadyFetched(IgnoreRequest):
    """A redirect leads to a page the crawl state has, unchanged: it is not fetched again."""


class _SpiderStateMiddleware:
    """Base of the two crawl-state middlewares: they work on the running spider's state."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _SpiderStateMiddleware:
        return cls(crawler)


class RedirectStateMiddleware(_SpiderStateMiddleware):
    """Records article redirects before RedirectMiddleware follows them (it sits just above it):
    the target may be fetched under its own URL, so without this the redirecting URL would look
    new to every run."""

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("dgsn_article") and response.status in (301, 302, 303, 307, 308):
            spider = self.crawler.spider
            warc = request.meta.get("warc") or {}
            spider.record_fetch(request.url, response.status, warc_file=warc.get("file"),
                                warc_offset=warc.get("offset"))
            location = response.headers.get(b"Location")
            target = urljoin(request.url, location.decode("latin-1")) if location else None
            if target and spider.source.owns(target) and not spider.plan(target, None).fetch:
                raise AlreadyFetched(f"redirect to {target}, which is already fetched and unchanged")
        return response


_REDIRECTS = (301, 302, 303, 307, 308)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # not a number, or out of range
        return None


class RedirectPortMiddleware:
    """OffsiteMiddleware compares host names only, so an allowed host could send the crawler to any
    of its ports (an admin panel, a database's HTTP interface). A redirect is followed to the port
    of the request it answers, or to its scheme's default port (the move from http to https)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectPortMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location") if response.status in _REDIRECTS else None
        if not location:
            return response
        target = urlsplit(urljoin(request.url, location.decode("latin-1")))
        port = _port(target)
        if port is None or port != _port(urlsplit(request.url)) and port != _DEFAULT_PORTS.get(target.scheme):
            self.crawler.stats.inc_value("dgsn/redirect_port_refused")
            log.warning("refused redirect from %s to another port: %s", request.url, target.geturl())
            raise IgnoreRequest(f"redirect to another port refused: {target.geturl()}")
        return response


class CrawlStateMiddleware(_SpiderStateMiddleware):
    """Records each final article response (after redirects and decompression); the URLs of a
    redirect chain were recorded by RedirectStateMiddleware on the way."""

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get("dgsn_article") or 300 <= response.status < 400 and response.status != 304:
            return response
        spider = self.crawler.spider
        warc = request.meta.get("warc") or {}
        status = response.status
        request.meta["dgsn_change"] = spider.record_fetch(
            request.url, status, etag=_one(response, b"ETag"),
            last_modified=_one(response, b"Last-Modified"),
            content_hash=hashlib.sha256(response.body).hexdigest() if status == 200 else None,
            warc_file=warc.get("file"), warc_offset=warc.get("offset"),
        )
        return response


def _one(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class BackoffMiddleware:
    """Exponential backoff before retried requests: base * 2**(n-1) seconds, capped."""

    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        return cls(crawler.settings.getfloat("RETRY_BACKOFF_BASE"), crawler.settings.getfloat("RETRY_BACKOFF_MAX"))

    async def process_request(self, request: Request) -> None:
        tries = request.meta.get("retry_times", 0)
        if tries and self.base > 0:
            await asyncio.sleep(min(self.base * 2 ** (tries - 1), self.cap))
        return None
