"""A crawl frontier shared over Redis by several crawler processes (`dgsn-corpus crawl --redis URL`):
scrapy-redis's scheduler, request queue and dupefilter, adapted to this crawler.

- Keys per source (`dgsn:<source>:…`): every process runs one spider per source, all named `news`,
  and scrapy-redis would otherwise put them in one queue.
- Seeding through `start()`: each process's spider yields its discovery requests (feeds, sitemaps,
  WordPress API, listings) as in a single-process crawl; the shared dupefilter lets the first
  copy of each into the queue and drops the others. (scrapy-redis's spider mixin, which reads
  start URLs from a Redis list with the pre-2.13 `start_requests`, is not used.)
- Rounds: a round of a source starts when a process finds its queue empty, no other process on
  it, and the last round started at least DGSN_REDIS_ROUND_SECONDS ago (processes started
  together join one round even if a small source is done before the last one starts); the
  seen-set is then cleared, so a scheduled rerun discovers again. A queue left non-empty
  by killed processes is resumed as it is: the frontier survives a restart.
- Requests in flight: each process lists the requests it took from the queue until their callback
  (or errback) has handed on all it yielded, under a key that lives while the process sends
  heartbeats. The requests of a
  process that died (no heartbeat for DGSN_REDIS_LIVE_SECONDS) go back into the queue.
- Fetch records: every fetch a process records in its crawl state is also written to Redis, as is
  every URL discovery found off topic by its title; a process planning a URL its own state knows
  nothing of adopts what Redis has, so a rerun on any machine skips what any other machine
  fetched or ruled out.
- A process whose queue is empty stays until no other process has requests in flight (what they
  fetch may add more to the queue).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

    from crawler.state import CrawlState

log = logging.getLogger(__name__)

PREFIX = "dgsn"
FETCHED_KEY = f"{PREFIX}:fetched"  # url -> JSON of the last fetch any process recorded
OFF_TOPIC_KEY = f"{PREFIX}:off_topic"  # urls discovery gave an off-topic title
HEARTBEAT_SECONDS = 1.0
# scrapy-redis's PriorityQueue pop (lowest score first), and the request kept under the process's
# in-flight key, atomically
_POP_AND_CLAIM = """
local top = redis.call('zrange', KEYS[1], 0, 0)
if #top == 0 then return nil end
redis.call('zremrangebyrank', KEYS[1], 0, 0)
redis.call('hset', KEYS[2], ARGV[1], top[1])
return top[1]
"""


def redis_settings(url: str) -> dict[str, Any]:
    """Scrapy settings that put the crawl on the frontier at `url` (redis://HOST:PORT/DB)."""
    return {"SCHEDULER": "crawler.frontier.RedisFrontier", "REDIS_URL": url,
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter", "SCHEDULER_PERSIST": True,
            # outermost: the request is done once everything its callback yielded is handed on
            "SPIDER_MIDDLEWARES": {"crawler.frontier.FrontierDoneMiddleware": 10}}


def check_redis(url: str) -> None:
    """Raise ConnectionError with the URL when the server does not answer."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise ConnectionError(f"cannot reach Redis at {url}: {exc}") from exc


class RedisFrontier:
    """The Scrapy scheduler of a crawler on the shared frontier (see the module docstring)."""

    def __init__(self, crawler: Crawler, server: Any):
        self.crawler = crawler
        self.server = server
        self.live_seconds = crawler.settings.getfloat("DGSN_REDIS_LIVE_SECONDS", 20.0)
        self.round_seconds = crawler.settings.getfloat("DGSN_REDIS_ROUND_SECONDS", 900.0)
        self.member = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stats = crawler.stats
        self._heartbeat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontier:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("RedisFrontier needs REDIS_URL")
        server = connection.from_settings(crawler.settings)
        server.ping()
        frontier = cls(crawler, server)
        crawler.signals.connect(frontier.spider_idle, signal=signals.spider_idle)
        return frontier

    # -- keys --------------------------------------------------------------------------------------
    def _key(self, *parts: str) -> str:
        return ":".join((PREFIX, self.source, *parts))

    def _live_key(self, member: str) -> str:
        return self._key("live", member)

    def _inflight_key(self, member: str) -> str:
        return self._key("inflight", member)

    # -- the Scrapy scheduler interface ------------------------------------------------------------
    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.source = spider.source_id
        self.queue = PriorityQueue(self.server, spider, self._key("requests"))
        self.df = RFPDupeFilter(self.server, key=self._key("seen"),
                                debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        # Taking a request and listing it as in flight is one step: a crash cannot fall between.
        self._pop_and_claim = self.server.register_script(_POP_AND_CLAIM)
        spider.frontier = self
        with self.server.lock(self._key("lock"), timeout=30, blocking_timeout=30):
            reclaimed = self._reclaim_dead()
            others = self._live_members()
            started = float(self.server.get(self._key("round")) or 0)
            if not len(self.queue) and not others and time.time() - started >= self.round_seconds:
                self.df.clear()
                self.server.set(self._key("round"), str(time.time()))
                log.info("%s: new round on the shared frontier", self.source)
            else:
                log.info("%s: joining the round on the shared frontier (%d queued, %d other process(es), "
                         "%d request(s) of dead processes requeued)", self.source, len(self.queue), len(others),
                         reclaimed)
            self._beat()
        self._heartbeat = task.LoopingCall(self._beat)
        self._heartbeat.start(HEARTBEAT_SECONDS, now=False)

    def close(self, reason: str) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        # requests dropped before the downloader (robots.txt, offsite) were never in flight
        self.server.delete(self._inflight_key(self.member), self._live_key(self.member))

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    def enqueue_request(self, request: Request) -> bool:
        # a redirect or a retry replaces the request it came from (and carries its meta)
        self.request_done(request)
        request.meta.pop("dgsn_frontier_token", None)
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        token = uuid.uuid4().hex
        encoded = self._pop_and_claim(keys=[self.queue.key, self._inflight_key(self.member)], args=[token])
        if encoded is None:
            return None
        request = self.queue._decode_request(encoded)
        request.meta["dgsn_frontier_token"] = token
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def __len__(self) -> int:
        return len(self.queue)

    # -- in flight, heartbeats ---------------------------------------------------------------------
    def request_done(self, request: Request) -> None:
        """The request and what came of it are handled (called by FrontierDoneMiddleware after
        its callback, by the spider's errback after a failure)."""
        token = request.meta.get("dgsn_frontier_token")
        if token:
            self.server.hdel(self._inflight_key(self.member), token)

    def _beat(self) -> None:
        self.server.set(self._live_key(self.member), "1", px=int(self.live_seconds * 1000))
        # An idle engine asks its scheduler again only on its slot heartbeat (every 5 s); requests
        # other processes queue meanwhile would wait for it. Ask sooner (private attribute, hence
        # the guard: without it, the 5 s polling remains).
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and len(self.queue):
            slot.nextcall.schedule()

    def _live_members(self) -> set[str]:
        prefix = self._live_key("")
        return {k.decode()[len(prefix):] for k in self.server.scan_iter(match=prefix + "*")} - {self.member}

    def _reclaim_dead(self) -> int:
        """Put the in-flight requests of processes that stopped beating back in the queue."""
        prefix = self._inflight_key("")
        live = self._live_members() | {self.member}
        count = 0
        for key in list(self.server.scan_iter(match=prefix + "*")):
            if key.decode()[len(prefix):] in live:
                continue
            for encoded in self.server.hvals(key):
                self.queue.push(self.queue._decode_request(encoded))
                count += 1
            self.server.delete(key)
        if count:
            self.stats.inc_value("dgsn/frontier_requeued", count)
            log.warning("%s: %d request(s) of a stopped crawler put back in the queue", self.source, count)
        return count

    def spider_idle(self, **kwargs: Any) -> None:
        """Stay while another process has requests in flight: their pages may add to the queue."""
        with self.server.lock(self._key("lock"), timeout=30, blocking_timeout=30):
            self._reclaim_dead()
        if len(self.queue):
            raise DontCloseSpider
        busy = [m for m in self._live_members() if self.server.hlen(self._inflight_key(m))]
        if busy:
            raise DontCloseSpider

    # -- fetch records shared between machines -----------------------------------------------------
    def response_recorded(self, request: Request, status: int) -> None:
        """The WARC file now holds this response. An article page leads nowhere: it is done, and
        fetched as far as every other process is concerned, from this moment (the crawl state
        records it a few middlewares later; a crash in between must not have it fetched twice)."""
        if request.meta.get("dgsn_article") and (200 <= status < 300 or status == 304):
            now = datetime.now(UTC).isoformat(timespec="seconds")
            record = json.dumps({"source": self.source, "last_fetched": now, "status": status})
            pipe = self.server.pipeline()  # one round trip, one transaction
            pipe.hset(FETCHED_KEY, request.url, record)
            pipe.hdel(self._inflight_key(self.member), request.meta.get("dgsn_frontier_token", ""))
            pipe.execute()

    def share_fetch(self, url: str, record: dict[str, Any] | None) -> None:
        if record and record.get("last_fetched"):
            keep = ("source", "first_seen", "last_fetched", "status", "etag", "last_modified", "content_hash")
            self.server.hset(FETCHED_KEY, url, json.dumps({k: record.get(k) for k in keep}))

    def share_off_topic(self, url: str) -> None:
        self.server.sadd(OFF_TOPIC_KEY, url)

    def adopt(self, state: CrawlState, url: str) -> None:
        """Before planning `url`: what another machine knows of it and this one does not, its last
        fetch or an off-topic title seen in discovery, goes into this machine's crawl state."""
        local = state.get(url)
        if local and (local.get("last_fetched") or local.get("off_topic")):
            return
        shared, off_topic = self.server.hget(FETCHED_KEY, url), self.server.sismember(OFF_TOPIC_KEY, url)
        if shared:
            state.adopt(url, json.loads(shared))
        elif off_topic:
            state.mark_off_topic(url, self.source)


class FrontierDoneMiddleware:
    """Spider middleware, outermost: tells the frontier a request is done once every request and
    item its callback yielded has been handed to the engine. Until then, a crash puts the request
    back in the queue, so nothing a discovery page leads to is lost with the process."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierDoneMiddleware:
        return cls(crawler)

    def _done(self, response: Any) -> None:
        frontier = getattr(self.crawler.spider, "frontier", None)
        if frontier is not None and response.request is not None:
            frontier.request_done(response.request)

    def process_spider_output(self, response: Any, result: Any) -> Any:
        yield from result
        self._done(response)

    async def process_spider_output_async(self, response: Any, result: Any) -> Any:
        async for item in result:
            yield item
        self._done(response)
