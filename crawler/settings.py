"""Scrapy settings for the dgsn-corpus crawler. Politeness first: robots.txt obeyed, AutoThrottle,
at most 2 concurrent requests per domain, an identifying User-Agent with a contact URL, a size
cap, retries with backoff; allowed domains are enforced on every request, redirects included
(Scrapy's downloader OffsiteMiddleware), and a redirect keeps its port (RedirectPortMiddleware)."""

BOT_NAME = "dgsn-corpus"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "dgsn-corpus/0.1 (+https://github.com/dgsn-corpus/dgsn-corpus; research crawler)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubles each time
RETRY_BACKOFF_MAX = 60.0
CONCURRENT_ITEMS = 16  # callbacks yield a handful of items or requests; 100 workers each is waste
COOKIES_ENABLED = False
# Extensions a crawler host does not need, off and unloaded: the telnet console, the memory
# debugger, and RemoteControl (Scrapy 2.19: an HTTP server on localhost that runs Python code
# sent to it, with its token in a job file under the user's state directory).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
MEMDEBUG_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.memdebug.MemoryDebugger": None,
}
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.CrawlStateMiddleware": 120,
    "crawler.middlewares.BackoffMiddleware": 560,
    "crawler.middlewares.RedirectPortMiddleware": 605,  # between RedirectMiddleware and RedirectStateMiddleware
    "crawler.middlewares.RedirectStateMiddleware": 610,
    "crawler.middlewares.WarcRecorderMiddleware": 950,
}

# dgsn-corpus settings
DGSN_WORKDIR = "dgsn-work"  # WARC files under raw/<run-id>/, state.sqlite, runs/, corpus/
DGSN_SOURCES = ""  # a sources registry other than crawler/sources.yaml
DGSN_RUN_ID = ""  # set by `dgsn-corpus crawl`; a timestamp otherwise
WARC_MAX_BYTES = 1024 * 1024 * 1024
# Revisits: an article first seen less than this many days ago is fetched again (as a
# conditional request) when its last fetch is at least this many hours old, to capture edits.
DGSN_REVISIT_WINDOW_DAYS = 3
DGSN_REVISIT_INTERVAL_HOURS = 6
# `crawl --redis`: a crawler process that sent no heartbeat for this long is taken for dead, and
# the requests it had in flight go back into the shared queue.
DGSN_REDIS_LIVE_SECONDS = 20
# `crawl --redis`: crawler processes started within this many seconds of a round's start join it
# (and skip what it already discovered); a later start begins a new round.
DGSN_REDIS_ROUND_SECONDS = 900
