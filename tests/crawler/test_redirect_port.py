"""The crawler host runs no remote-control or telnet server. A redirect from an allowed host to
another port of the same host is refused (Scrapy's OffsiteMiddleware compares host names only); a
redirect on the same port is followed. Real HTTP servers on localhost, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

ARTICLE = (b"<html><head><title>Interpol and the DGSN arrest a suspect</title></head><body><article>"
           b"<h1>Interpol and the DGSN arrest a suspect</h1><p>The DGSN said officers arrested a man wanted "
           b"under an Interpol red notice in Tangier on Monday, after a joint investigation.</p>"
           b"</article></body></html>")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hits: Counter[str]
    routes: dict[str, tuple[int, dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.hits[self.path] += 1
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for k, v in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve() -> _Server:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.hits, server.routes = Counter(), {}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    site, other = _serve(), _serve()
    yield site, other
    for s in (site, other):
        s.shutdown()
        s.server_close()


def test_redirect_to_another_port_of_an_allowed_host_is_refused(tmp_path: Path, servers) -> None:
    site, other = servers
    base, other_base = f"http://127.0.0.1:{site.server_port}", f"http://127.0.0.1:{other.server_port}"
    items = "".join(f"<item><title>Interpol DGSN {n}</title><link>{base}/article-{n}.html</link></item>"
                    for n in (1, 2))
    site.routes.update({
        "/feed/": (200, {"Content-Type": "application/rss+xml"},
                   f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>".encode()),
        "/article-1.html": (302, {"Location": f"{other_base}/article-1.html"}, b""),
        "/article-2.html": (302, {"Location": f"{base}/article-2b.html"}, b""),
        "/article-2b.html": (200, {}, ARTICLE),
    })
    other.routes["/article-1.html"] = (200, {}, ARTICLE)
    registry = tmp_path / "sources.yaml"
    registry.write_text(yaml.safe_dump({"sources": [{
        "id": "local-en", "name": "Local", "languages": ["en"], "allowed_domains": ["127.0.0.1"],
        "article_pattern": r"^http://127\.0\.0\.1:\d+/article-\w+\.html$",
        "discovery": {"feeds": [f"{base}/feed/"]}}]}), "utf-8")
    proc = subprocess.run([sys.executable, "-m", "corpus.cli", "crawl", "--workdir", str(tmp_path / "w"),
                           "--sources", str(registry), "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=0",
                           "--set", "RETRY_TIMES=0"], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert site.hits["/article-1.html"] == 1 and other.hits["/article-1.html"] == 0  # refused
    assert site.hits["/article-2b.html"] == 1  # the same port: followed
    assert "refused redirect" in proc.stderr and f"{other_base}/article-1.html" in proc.stderr
    (summary,) = [json.loads(p.read_text("utf-8")) for p in (tmp_path / "w" / "runs").glob("*.json")]
    assert summary["sources"]["local-en"]["fetched"] >= 1
    # no code-running or telnet server beside the crawl, and no job file left for one
    assert not (tmp_path / "state" / "scrapy" / "job_files").exists()  # RemoteControl makes it, for its token
