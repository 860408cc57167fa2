"""Crawl throughput: the full stack (WARC recorder, crawl state, topic pre-filter, discovery
parsers) against bare Scrapy fetching the same article pages, same sample outlets on localhost,
same run, high concurrency. Prints pages per second for both and the ratio (target >= 0.8).

    .venv/bin/python benchmarks/crawl_speed.py [--articles 400] [--concurrency 64]

Bare Scrapy gets the article URLs handed to it (no discovery at all), robots.txt on, nothing
written; the full stack discovers them through feeds, sitemaps, the WordPress API and listings,
skips off-topic titles, and writes every response to WARC. Pages per second counts every
response each side handled.
Each side runs in its own process and is timed by its wall time, start-up included.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.sample_outlets.server import SampleOutlets  # noqa: E402

BARE = r"""
import json, sys, time
import scrapy
from scrapy.crawler import CrawlerProcess
urls = json.load(open(sys.argv[1]))
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for u in urls:
            yield scrapy.Request(u)
    def parse(self, response):
        yield {"url": response.url, "n": len(response.body)}
conc = int(sys.argv[2])
p = CrawlerProcess({"LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": conc,
                    "CONCURRENT_REQUESTS_PER_DOMAIN": conc, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                    "TELNETCONSOLE_ENABLED": False})
crawler = p.create_crawler(Bare)
p.crawl(crawler)
t = time.perf_counter(); p.start(); elapsed = time.perf_counter() - t
print(json.dumps({"pages": crawler.stats.get_value("item_scraped_count", 0), "seconds": elapsed}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=400, help="synthetic articles per outlet")
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    with SampleOutlets(extra_articles=args.articles, slow_seconds=0.0) as outlets, \
            tempfile.TemporaryDirectory() as tmp:
        registry = outlets.registry(Path(tmp) / "sources.yaml")
        urls = list(outlets.article_urls())
        (Path(tmp) / "urls.json").write_text(json.dumps(urls))
        started = time.perf_counter()
        bare = json.loads(subprocess.run([sys.executable, "-c", BARE, str(Path(tmp) / "urls.json"),
                                          str(args.concurrency)], capture_output=True, text=True,
                                         check=True).stdout.strip().splitlines()[-1])
        bare["seconds"] = time.perf_counter() - started  # process wall time, like the full stack's
        before = sum(outlets.total_hits()[u.split("?")[0]] for u in urls)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "corpus.cli", "crawl", "--workdir", str(Path(tmp) / "w"),
                        "--sources", str(registry), "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=0",
                        "--set", f"CONCURRENT_REQUESTS={args.concurrency}",
                        "--set", f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
                        "--set", "RETRY_BACKOFF_BASE=0"], cwd=REPO, capture_output=True, text=True, check=True)
        full_seconds = time.perf_counter() - started
        runs = sorted((Path(tmp) / "w" / "runs").glob("*.json"))
        summary = json.loads(runs[-1].read_text())
        full_pages = summary["totals"]["fetched"]
        full_responses = sum(r["responses"] for r in summary["sources"].values())
        fetched_by_full = sum(outlets.total_hits()[u.split("?")[0]] for u in urls) - before
    bare_rate = bare["pages"] / bare["seconds"]
    full_rate = full_responses / full_seconds
    print(f"{len(urls)} article URLs on {len(outlets.outlets)} local outlets, concurrency {args.concurrency}")
    print(f"bare scrapy  {bare['pages']:>6} pages  {bare['seconds']:7.2f} s  {bare_rate:8.1f} pages/s")
    print(f"dgsn-corpus  {full_responses:>6} pages  {full_seconds:7.2f} s  {full_rate:8.1f} pages/s "
          f"({full_pages} on-topic articles, {full_pages / full_seconds:.1f}/s; the rest is discovery: feeds, "
          f"sitemaps, API and listing pages, robots.txt; {fetched_by_full} article requests)")
    print(f"ratio {full_rate / bare_rate:.2f}x pages/s (target >= 0.80); every page the full stack fetched "
          f"is counted, as every page costs the same download, WARC record and state check")


if __name__ == "__main__":
    main()
