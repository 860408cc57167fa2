"""Bodies too large to handle: the recorder does not store one Scrapy rejects for its decoded size,
and recovery of a killed run never cuts a file at a record it could not read."""

from __future__ import annotations

import gzip
import json
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from cleaners.readers import ReadStats, iter_items
from crawler.run import recover_unfinished
from crawler.state import CrawlState
from crawler.warc import WarcFileWriter
from tests.bombs import MIB, gzip_bomb
from tests.conftest import REPO
from tests.helpers import article_html


def _records(path: Path) -> list[tuple[int, str, str | None]]:
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        return [(it.offset, r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in it]


REGISTRY = """
sources:
  - id: test-en
    name: Test News
    languages: [en]
    allowed_domains: [news.example.ma]
    article_pattern: '^https://news\\.example\\.ma/'
    discovery:
      feeds: [https://news.example.ma/feed/]
"""


def test_recovery_keeps_every_record_after_a_bomb_and_cuts_only_the_torn_tail(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(REGISTRY, encoding="utf-8")
    writer = WarcFileWriter(tmp_path / "raw" / "20240101T000000Z", prefix="test-en")
    urls = [f"https://news.example.ma/article-{i}/" for i in range(6)]
    bomb_url = "https://news.example.ma/bomb/"
    html = [("Content-Type", "text/html; charset=utf-8")]
    for i, url in enumerate(urls[:3]):
        writer.write_response(url, 200, "OK", html, article_html(i).encode())
    # A body recorded as received before Scrapy rejected it (an older crawler did): 1 GiB decoded.
    writer.write_response(bomb_url, 200, "OK", [*html, ("Content-Encoding", "gzip")], gzip_bomb(1024))
    for i, url in enumerate(urls[3:], start=3):
        writer.write_response(url, 200, "OK", html, article_html(i).encode())
    open_path = writer._path
    assert open_path is not None and open_path.name.endswith(".open")
    writer._fh.close()  # the process dies here: no close(), the file keeps its .open name
    whole = open_path.read_bytes()
    with open(open_path, "ab") as fh:  # while it was writing one more record
        fh.write(gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 900\r\n\r\nHTTP/1.1 200")[:40])

    # The next start recovers the file in a process that cannot hold the bomb in memory (600 MB).
    recover = ("import sys; from pathlib import Path; from crawler.run import recover_unfinished; "
               "from crawler.sources import load_sources; from crawler.state import CrawlState; "
               "w = Path(sys.argv[1]); s = CrawlState(w / 'state.sqlite'); "
               "print(recover_unfinished(w, s, load_sources(w / 'sources.yaml'))[0]); s.close()")
    proc = subprocess.run([sys.executable, "-c", recover, str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (600 << 20,) * 2))
    assert proc.returncode == 0, proc.stderr[-3000:]
    final = Path(proc.stdout.strip())
    assert final.read_bytes() == whole  # only the torn tail is cut
    assert "too_large" in proc.stderr  # the bomb is reported, with its offset
    state = CrawlState(tmp_path / "state.sqlite")
    try:
        kept = [u for _, t, u in _records(final) if t == "response"]
        assert kept == [*urls[:3], bomb_url, *urls[3:]]
        for url in urls:  # every whole response after the bomb is remembered, not only those before it
            assert state.get(url) is not None, url
        assert state.get(bomb_url) is None  # too large to hash: kept in the file, fetched again later
    finally:
        state.close()


def test_recovery_keeps_a_damaged_record_with_whole_records_after_it(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "run"
    writer = WarcFileWriter(raw, prefix="test")
    for i in range(4):
        writer.write_response(f"https://news.example.ma/a-{i}/", 200, "OK", [("Content-Type", "text/html")],
                              article_html(i).encode())
    open_path = writer._path
    writer._fh.close()
    data = bytearray(open_path.read_bytes())
    offsets = [o for o, t, _ in _records(open_path) if t == "response"]
    data[offsets[1] + 30:offsets[1] + 60] = bytes(30)  # garbage inside the second response's gzip member
    open_path.write_bytes(bytes(data))
    state = CrawlState(tmp_path / "state.sqlite")
    try:
        (final,) = recover_unfinished(tmp_path, state, {})
    finally:
        state.close()
    assert final.read_bytes() == bytes(data)  # nothing cut: the damage is not a torn tail
    stats = ReadStats()
    assert [i.url for i in iter_items([final], stats)] == [f"https://news.example.ma/a-{i}/" for i in (0, 2, 3)]
    assert [p.offset for p in stats.problems] == [offsets[1]]


SPIDER = textwrap.dedent('''
    import gzip, json, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess
    from crawler.run import scrapy_settings

    bomb = open(sys.argv[2], "rb").read()
    page = gzip.compress(b"<html><body><p>A small page, sent compressed.</p></body></html>")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args): pass
        def do_GET(self):
            body = {"/bomb": bomb, "/page": page}.get(self.path)
            if body is None:
                self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    class Probe(Spider):
        name = "probe"
        source_id = "probe"
        run_id = "probe-run"
        raw_dir = sys.argv[1]
        seen = {}

        async def start(self):
            for path in ("/bomb", "/page"):
                yield Request(base + path, callback=self.parse, errback=self.failed, cb_kwargs={"path": path})

        def parse(self, response, path):
            self.seen[path.strip("/")] = len(response.body)

        def failed(self, failure):
            self.seen[failure.request.url.rsplit("/", 1)[1]] = type(failure.value).__name__

    settings = scrapy_settings(__import__("pathlib").Path(sys.argv[1]), "probe-run", None, {
        "DOWNLOAD_MAXSIZE": 8 * 1024 * 1024, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "WARNING", "RETRY_ENABLED": False})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Probe)
    process.crawl(crawler)
    process.start()
    print(json.dumps({"seen": Probe.seen, "stats": {k: v for k, v in crawler.stats.get_stats().items()
                                                     if k.startswith("dgsn/")}}))
''')


def test_recorder_stores_no_body_that_scrapy_rejects_for_its_decoded_size(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip_bomb(64))  # 64 KB on the wire, 64 MiB decoded: over an 8 MiB DOWNLOAD_MAXSIZE
    script = tmp_path / "probe.py"
    script.write_text(SPIDER, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "raw"), str(bomb)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["seen"] == {"bomb": "IgnoreRequest", "page": 63}  # Scrapy rejects it after the recorder ran
    assert result["stats"]["dgsn/warc_bodies_over_maxsize"] == 1
    (warc,) = (tmp_path / "raw").glob("*.warc.gz")
    bodies = {}
    with open(warc, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                url = record.rec_headers.get_header("WARC-Target-URI").rsplit("/", 1)[1]
                bodies[url] = (record.rec_headers.get_header("WARC-Truncated"), record.raw_stream.read())
    assert bodies["bomb"] == ("length", b"")  # marked, and not stored
    assert bodies["page"][0] is None and bodies["page"][1].startswith(b"\x1f\x8b")  # as received
    stats = ReadStats()
    items = list(iter_items([warc], stats))
    assert [i.url.rsplit("/", 1)[1] for i in items] == ["page"]
    assert stats.counts["skipped:warc_truncated_length"] == 1
    assert bomb.stat().st_size < MIB
