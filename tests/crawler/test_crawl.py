"""The crawler end to end against the sample outlets served on localhost (real HTTP servers on
127.0.0.x), running the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from cleaners.topics import is_on_topic
from crawler.lock import EXIT_LOCKED, workdir_lock
from crawler.sample_outlets.server import FAULTS, SampleOutlets
from tests.conftest import REPO

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=0", "--set", "RETRY_BACKOFF_BASE=0.1"]


def crawl_cmd(workdir: Path, registry: Path, *extra: str, command: str = "crawl") -> list[str]:
    return [sys.executable, "-m", "corpus.cli", command, "--workdir", str(workdir), "--sources", str(registry),
            *FAST, *extra]


def run(cmd: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def summaries(workdir: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((workdir / "runs").glob("*.json"))]


def article_responses(workdir: Path, run_id: str = "*") -> Counter[str]:
    """200 responses per URL over every WARC file of the workdir, or of one run (what the crawler fetched)."""
    out: Counter[str] = Counter()
    for path in sorted((workdir / "raw").glob(f"{run_id}/*.warc.gz*")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.http_headers.get_statuscode() == "200":
                    out[record.rec_headers.get_header("WARC-Target-URI")] += 1
    return out


@pytest.fixture
def outlets():
    with SampleOutlets(extra_articles=4, slow_seconds=0.5) as o:
        yield o


def test_first_crawl_routes_politeness_faults_and_warc(tmp_path: Path, outlets: SampleOutlets) -> None:
    registry = outlets.registry(tmp_path / "sources.yaml")
    proc = run(crawl_cmd(tmp_path / "w", registry))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (summary,) = summaries(tmp_path / "w")
    src = summary["sources"]
    # every discovery route finds its articles
    assert src["sample-7news-en"]["discovered_via/feed"] > 0
    assert src["sample-le360-fr"]["discovered_via/sitemap"] > 0
    assert src["sample-mapexpress-fr"]["discovered_via/wp_api"] > 0
    assert src["sample-cp1256-ar"]["discovered_via/listing"] > 0
    for oid in ("7news-en", "le360-fr", "mapexpress-fr", "cp1256-ar", "hespress-ar"):
        o = outlets.outlets[oid]
        on_topic = [a for a in o.articles if "Football" not in a.title]
        assert all(outlets.hits(o.url(a)) == 1 for a in on_topic), oid
    # off-topic items with a title are skipped before fetching; the feed-only sports outlet is never read
    sport = outlets.outlets["offtopic-en"]
    assert src["sample-offtopic-en"]["fetched"] == 0 and src["sample-offtopic-en"]["off_topic"] > 0
    assert all(outlets.hits(sport.url(a)) == 0 for a in sport.articles)
    # robots.txt, the 404, the retried 500, the off-domain redirect, the malformed sitemap
    hes, news = outlets.outlets["hespress-ar"], outlets.outlets["7news-en"]
    assert outlets.hits(hes.base + "/private/draft-1490000.html") == 0
    assert src["sample-hespress-ar"]["disallowed"] == 1
    assert outlets.hits(hes.base + "/missing-1480001.html") == 1 and src["sample-hespress-ar"]["errors"] == 1
    assert outlets.hits(news.base + "/flaky-server-error-then-ok/") == 2
    assert outlets.hits(news.base + "/moved-off-domain/") == 1 and outlets.offsite_hits == 0
    assert src["sample-le360-fr"]["discovery_errors"] == 1
    assert "broken-sitemap.xml" in proc.stderr
    assert src["sample-le360-fr"]["fetched"] >= 2  # the crawl went on after the bad sitemap
    assert set(FAULTS) <= {o.id for o in outlets.outlets.values()}
    # WARC files: closed, valid for warcio's checker, every article response in them once
    warcs = summary["warc_files"]
    assert warcs and not list((tmp_path / "w" / "raw").glob("*/*.open"))
    for path in warcs:
        check = run([sys.executable, "-m", "warcio.cli", "check", path])
        assert check.returncode == 0, check.stdout + check.stderr
    fetched = article_responses(tmp_path / "w")
    assert max(fetched.values()) == 1
    cp = outlets.outlets["cp1256-ar"]
    assert cp.url(cp.articles[0]) in fetched


def test_rerun_fetches_nothing_unchanged_and_refetches_an_edit(tmp_path: Path, outlets: SampleOutlets) -> None:
    registry = outlets.registry(tmp_path / "sources.yaml")
    workdir = tmp_path / "w"
    assert run(crawl_cmd(workdir, registry)).returncode == 0
    first = outlets.total_hits()
    assert run(crawl_cmd(workdir, registry)).returncode == 0
    second = summaries(workdir)[-1]
    articles = outlets.article_urls()
    after = outlets.total_hits()
    refetched = [u for u in articles if after[u.split("?")[0]] > first[u.split("?")[0]]]
    assert refetched == [], refetched
    assert second["totals"]["fetched"] == 0

    le360 = outlets.outlets["le360-fr"]
    edited = le360.articles[0]
    outlets.edit(le360.url(edited), edited.body.replace(b"</article>", b"<p>Mise \xc3\xa0 jour.</p></article>"))
    other = le360.url(le360.articles[1])
    before_edit = outlets.total_hits()
    assert run(crawl_cmd(workdir, registry)).returncode == 0
    third = summaries(workdir)[-1]
    now = outlets.total_hits()
    assert now[le360.url(edited)] == before_edit[le360.url(edited)] + 1
    assert now[other] == before_edit[other]
    assert third["sources"]["sample-le360-fr"]["fetched/changed"] == 1


def test_kill_9_mid_crawl_then_rerun_loses_nothing_and_fetches_nothing_twice(tmp_path: Path) -> None:
    with SampleOutlets(extra_articles=25, slow_seconds=0.5) as outlets:
        registry = outlets.registry(tmp_path / "sources.yaml")
        workdir = tmp_path / "w"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(crawl_cmd(workdir, registry, "--set", "DOWNLOAD_DELAY=0.05"), cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        articles = outlets.article_urls()
        deadline = time.monotonic() + 120
        while sum(outlets.total_hits()[u.split("?")[0]] for u in articles) < 25:
            assert proc.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert list((workdir / "raw").glob("*/*.warc.gz.open")), "a killed crawl leaves its open WARC files"
        rerun = run(crawl_cmd(workdir, registry))
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        assert not list((workdir / "raw").glob("*/*.open"))
        fetched = article_responses(workdir)
        # Every article that discovery can tell is on topic from its title alone must be there.
        wanted = {u for u in articles if is_on_topic(_title(outlets, u))}
        assert len(wanted) > 60
        assert wanted <= set(fetched), sorted(wanted - set(fetched))[:3]
        twice = {u: n for u, n in fetched.items() if n > 1 and u in articles}
        assert twice == {}
        assert summaries(workdir)[-1]["recovered_warc_files"]


def _title(outlets: SampleOutlets, url: str) -> str:
    for o in outlets.outlets.values():
        for a in o.articles:
            if o.url(a) == url:
                return a.title
    return ""


def test_overlapping_run_exits_at_once_with_status_75(tmp_path: Path, outlets: SampleOutlets) -> None:
    registry = outlets.registry(tmp_path / "sources.yaml")
    with workdir_lock(tmp_path / "w"):
        started = time.monotonic()
        proc = run(crawl_cmd(tmp_path / "w", registry, command="run"))
        assert proc.returncode == EXIT_LOCKED
        assert time.monotonic() - started < 30
        assert f"another run (pid {os.getpid()}) holds" in proc.stderr
    assert sum(outlets.total_hits().values()) == 0


def test_run_crawls_then_builds_a_version_from_new_warc_files(tmp_path: Path, outlets: SampleOutlets,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    registry = outlets.registry(tmp_path / "sources.yaml")
    workdir = tmp_path / "w"
    monkeypatch.setenv("DGSN_PROGRESS_SECONDS", "0")  # a progress line at every update (not a terminal)
    first = run(crawl_cmd(workdir, registry, command="run"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert "version 0 of" in first.stdout
    crawl_lines = [line for line in first.stderr.splitlines() if line.startswith("crawl: ")]
    assert crawl_lines and "responses" in crawl_lines[-1] and "fetched" in crawl_lines[-1]
    assert any(line.startswith("build: ") and "files" in line for line in first.stderr.splitlines())
    second = run(crawl_cmd(workdir, registry, command="run"))
    assert "version 1 of" in second.stdout and "0 added, 0 changed" in second.stdout
    versions = [json.loads(line) for line in run([sys.executable, "-m", "corpus.cli", "versions", "--corpus",
                                                  str(workdir / "corpus"), "--json"]).stdout.splitlines()]
    inputs = [i["path"] for v in versions for i in v["inputs"]]
    assert len(inputs) == len(set(inputs))  # each WARC file is built once
    assert versions[0]["counts"]["added"] >= 15
    # every document names its outlet: the registry id from its WARC file's warcinfo record
    from urllib.parse import urlsplit

    from corpus.store import CorpusStore

    rows = CorpusStore(workdir / "corpus").read(columns=["url", "source"]).to_pylist()
    outlet_of_host = {urlsplit(o.base).netloc: f"sample-{oid}" for oid, o in outlets.outlets.items()}
    assert len(rows) >= 15
    assert [r["source"] for r in rows] == [outlet_of_host[urlsplit(r["url"]).netloc] for r in rows]


def test_scrapy_crawl_news_from_the_repo_root(tmp_path: Path, outlets: SampleOutlets) -> None:
    registry = outlets.registry(tmp_path / "sources.yaml")
    proc = run([sys.executable, "-m", "scrapy", "crawl", "news", "-a", "source=sample-mapexpress-fr",
                "-s", f"DGSN_SOURCES={registry}", "-s", f"DGSN_WORKDIR={tmp_path / 'w'}", "-s", "DOWNLOAD_DELAY=0",
                "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'dgsn/fetched': " in proc.stderr
    (warc,) = (tmp_path / "w" / "raw").glob("*/*.warc.gz")
    assert warc.name.startswith("sample-mapexpress-fr-")
    mapexpress = outlets.outlets["mapexpress-fr"]
    # the WordPress API is searched with the topic terms: every on-topic post is fetched, once
    assert all(outlets.hits(mapexpress.url(a)) == 1 for a in mapexpress.articles if is_on_topic(a.title))


def test_since_limits_discovery_to_newer_articles(tmp_path: Path, outlets: SampleOutlets) -> None:
    registry = outlets.registry(tmp_path / "sources.yaml")
    proc = run(crawl_cmd(tmp_path / "w", registry, "--since", "2100-01-01"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (summary,) = summaries(tmp_path / "w")
    src = summary["sources"]
    # Dated routes (sitemaps, feeds, the WordPress API's after=) honour it; listings carry no dates.
    for sid in ("sample-le360-fr", "sample-7news-en", "sample-mapexpress-fr"):
        assert src[sid]["fetched"] == 0, sid
    assert src["sample-le360-fr"]["too_old_sitemaps"] > 0 and src["sample-7news-en"]["too_old"] > 0
    bad = run(crawl_cmd(tmp_path / "w", registry, "--since", "last week"))
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_revisits_are_conditional_requests_answered_304(tmp_path: Path, outlets: SampleOutlets) -> None:
    registry = outlets.registry(tmp_path / "sources.yaml")
    workdir = tmp_path / "w"
    assert run(crawl_cmd(workdir, registry)).returncode == 0
    fetched_first = sum(summaries(workdir)[-1]["sources"][s]["fetched"] for s in ("sample-7news-en",))
    # every article is "recent" and due for a revisit at once: the server answers 304 to each
    again = run(crawl_cmd(workdir, registry, "--since", "2000-01-01", "--set", "DGSN_REVISIT_INTERVAL_HOURS=0"))
    assert again.returncode == 0, again.stderr[-3000:]
    row = summaries(workdir)[-1]["sources"]["sample-7news-en"]
    assert row["fetched"] == 0 and row["unchanged"] >= fetched_first > 0
    news = outlets.outlets["7news-en"]
    assert all(outlets.hits(news.url(a)) == 2 for a in news.articles if is_on_topic(a.title))
    statuses = Counter()
    for path in sorted((workdir / "raw").glob("*/sample-7news-en-*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    statuses[record.http_headers.get_statuscode()] += 1
    # articles send ETag and Last-Modified, so each revisit is a 304; the fault pages send neither
    assert statuses["304"] == len([a for a in news.articles if is_on_topic(a.title)])


def test_default_user_agent_and_a_per_source_override(tmp_path: Path, outlets: SampleOutlets) -> None:
    import yaml

    registry = outlets.registry(tmp_path / "sources.yaml")
    data = yaml.safe_load(registry.read_text(encoding="utf-8"))
    for entry in data["sources"]:
        if entry["id"] == "sample-mapexpress-fr":
            entry["politeness"] = {"user_agent": "example-research-bot/2 (+https://example.org/contact)"}
    registry.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc = run(crawl_cmd(tmp_path / "w", registry, "--source", "sample-mapexpress-fr", "--source", "sample-le360-fr"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(outlets.outlets["mapexpress-fr"].user_agents) == {"example-research-bot/2 (+https://example.org/contact)"}
    (default,) = outlets.outlets["le360-fr"].user_agents
    assert default.startswith("dgsn-corpus/") and "+http" in default
    assert not outlets.outlets["7news-en"].user_agents  # --source limits the crawl
