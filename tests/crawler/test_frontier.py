"""Two crawler processes sharing one frontier on a real redis-server (started here on localhost),
against the sample outlets: together they fetch every article once, a rerun on either machine
skips what the other fetched, and a crawler killed mid-run and restarted resumes the frontier
with nothing lost."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from cleaners.topics import is_on_topic
from crawler.sample_outlets.server import SampleOutlets
from tests.conftest import REPO
from tests.crawler.test_crawl import article_responses, crawl_cmd, run, summaries

REDIS_SERVER = shutil.which("redis-server")
ROUND_SECONDS = 4.0
ROUNDS = ["--set", "DGSN_REDIS_LIVE_SECONDS=3", "--set", f"DGSN_REDIS_ROUND_SECONDS={ROUND_SECONDS}"]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if REDIS_SERVER is None:
        pytest.fail("redis-server is not installed (.ci/run installs Debian's redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)


def _wanted(outlets: SampleOutlets) -> set[str]:
    """Articles that discovery can tell are on topic (the off-topic ones are skipped unfetched)."""
    return {o.url(a) for o in outlets.outlets.values() for a in o.articles if is_on_topic(a.title)} \
        & set(outlets.article_urls())


def _start(workdir: Path, registry: Path, redis_url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(crawl_cmd(workdir, registry, "--redis", redis_url, "--set", "DOWNLOAD_DELAY=0.05",
                                      *ROUNDS, *extra),
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


def _finish(proc: subprocess.Popen) -> None:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]


def test_two_crawlers_share_the_frontier_and_each_article_is_fetched_once(tmp_path: Path, redis_url: str) -> None:
    with SampleOutlets(extra_articles=12, slow_seconds=0.3) as outlets:
        registry = outlets.registry(tmp_path / "sources.yaml")
        a, b = tmp_path / "a", tmp_path / "b"
        procs = [_start(a, registry, redis_url), _start(b, registry, redis_url)]
        for proc in procs:
            _finish(proc)
        got_a, got_b = article_responses(a), article_responses(b)
        wanted = _wanted(outlets)
        assert len(wanted) > 40
        assert wanted <= set(got_a) | set(got_b), sorted(wanted - set(got_a) - set(got_b))[:3]
        both = Counter(got_a) + Counter(got_b)
        articles = set(outlets.article_urls())
        assert {u: n for u, n in both.items() if n > 1 and u in articles} == {}  # robots.txt: once per process
        # every discovery page (feed, sitemap, API, listing) was fetched once, by one of them
        discovery = {u: n for u, n in outlets.total_hits().items() if "feed" in u or "sitemap" in u}
        assert discovery and all(n == 1 for n in discovery.values()), {u: n for u, n in discovery.items() if n > 1}

        # The next scheduled round, on either machine, fetches nothing the other one fetched.
        time.sleep(ROUND_SECONDS)
        for workdir in (a, b):
            rerun = run(crawl_cmd(workdir, registry, "--redis", redis_url, *ROUNDS))
            time.sleep(ROUND_SECONDS)
            assert rerun.returncode == 0, rerun.stderr[-3000:]
            fetched = {s: {k: v for k, v in row.items() if k.startswith("fetched")}
                       for s, row in summaries(workdir)[-1]["sources"].items() if row["fetched"]}
            last = summaries(workdir)[-1]["run_id"]
            assert fetched == {}, [u for u in article_responses(workdir, last) if u in articles]
        after = Counter(article_responses(a)) + Counter(article_responses(b))
        assert {u: n for u, n in after.items() if u in articles} == {u: n for u, n in both.items() if u in articles}
        assert after[next(u for u in after if u.endswith("/feed/"))] == 3  # each round discovers anew


def test_killed_crawler_restarts_on_the_frontier_and_nothing_is_lost(tmp_path: Path, redis_url: str) -> None:
    with SampleOutlets(extra_articles=25, slow_seconds=0.3) as outlets:
        registry = outlets.registry(tmp_path / "sources.yaml")
        a, b = tmp_path / "a", tmp_path / "b"
        first = _start(a, registry, redis_url)
        wanted = _wanted(outlets)
        deadline = time.monotonic() + 120
        while sum(outlets.total_hits()[u] for u in wanted) < 20:
            assert first.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)  # and closes its stderr pipe
        queued = redis.Redis.from_url(redis_url)
        assert sum(queued.zcard(k) for k in queued.scan_iter(match="dgsn:*:requests")) > 0  # the frontier outlives it

        # another machine joins, then the killed one comes back
        second = _start(b, registry, redis_url)
        time.sleep(1.0)
        again = _start(a, registry, redis_url)
        for proc in (second, again):
            _finish(proc)
        got = Counter(article_responses(a)) + Counter(article_responses(b))
        assert wanted <= set(got), sorted(wanted - set(got))[:3]  # nothing lost
        # Fetched twice only if the kill fell between writing the response to WARC and telling Redis
        # (one transaction, right after the write); the first copy is then in the killed run's file.
        twice = {u for u, n in got.items() if n > 1 and u in set(outlets.article_urls())}
        first_run = min(p.name for p in (a / "raw").iterdir())
        assert len(twice) <= 1 and twice <= set(article_responses(a, first_run)), twice
        assert summaries(a)[-1]["recovered_warc_files"]
