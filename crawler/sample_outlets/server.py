"""Sample outlets on localhost: each fake outlet is its own host (127.0.0.2, 127.0.0.3, …) with
robots.txt, and discovery the way the real ones offer it — RSS, a news sitemap under a sitemap
index, the WordPress REST API, paginated listings — plus the faults a crawler meets: a 404, a
500 that succeeds on retry, a slow page, a redirect, an off-domain redirect, a malformed sitemap,
a page disallowed by robots.txt, and conditional requests (ETag / Last-Modified, 304).

    python -m crawler.sample_outlets.server [--extra N]   # serve until interrupted

`SampleOutlets` is also used in-process by `make demo`, the tests and the benchmark; it counts the
requests each path receives, so a test can tell what was fetched and how often.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from crawler.sample_outlets import sample_pages

OFF_DOMAIN_HOST = "127.0.0.99"
LISTING_PAGE_SIZE = 5
_META = re.compile(r'<meta\s+(?:property|name)="([^"]+)"\s+content="([^"]*)"', re.I)
_TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)


@dataclass
class Article:
    path: str
    query: str
    title: str
    summary: str
    published: datetime
    body: bytes
    content_type: str
    version: int = 1
    modified: datetime | None = None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Outlet:
    id: str
    name: str
    language: str
    ip: str
    routes: tuple[str, ...]  # feed | sitemaps | wp_api | listing
    article_re: str
    articles: list[Article] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    hits: Counter[str] = field(default_factory=Counter)
    user_agents: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://{self.ip}:{self.server.server_address[1]}"

    def url(self, article: Article) -> str:
        return self.base + article.path + (f"?{article.query}" if article.query else "")


# outlet id (sample page folder) -> name, language, host, discovery routes, article path regex
OUTLETS: dict[str, tuple[str, str, str, tuple[str, ...], str]] = {
    "hespress-ar": ("Hespress (sample)", "ar", "127.0.0.2", ("feed", "listing"), r"/.+\.html$"),
    "le360-fr": ("Le360 (sample)", "fr", "127.0.0.3", ("sitemaps",), r"/societe/[^/]+/$"),
    "7news-en": ("7news (sample)", "en", "127.0.0.4", ("feed",), r"/[a-z0-9-]+/(?:\?amp=1)?$"),
    "mapexpress-fr": ("MAP Express (sample)", "fr", "127.0.0.5", ("wp_api",), r"/actualite/[^/]+/[^/]+/$"),
    "cp1256-ar": ("Akhbar Souss (sample)", "ar", "127.0.0.6", ("listing",), r"/national/\d+\.html$"),
    "offtopic-en": ("Maghreb Sport (sample)", "en", "127.0.0.7", ("feed",), r"/\d{4}/\d{2}/\d{2}/[^/]+/$"),
}

# Fault pages, by outlet: path -> behaviour. All match the outlet's article pattern.
FAULTS: dict[str, dict[str, str]] = {
    "hespress-ar": {"/private/draft-1490000.html": "disallowed", "/missing-1480001.html": "404",
                    "/old-link-1487203.html": "redirect"},
    "7news-en": {"/flaky-server-error-then-ok/": "500-once", "/slow-page-interpol-dgsn/": "slow",
                 "/moved-off-domain/": "offsite"},
}

PARAS = {
    "en": ["Moroccan police officers arrested a suspect wanted under an Interpol red notice in {city}, the "
           "General Directorate of National Security (DGSN) said in a statement on {day}.",
           "The suspect, aged {age}, was placed in custody pending extradition proceedings requested by the "
           "judicial authorities of the issuing country, the statement added.",
           "Case file {n} was handled by the judicial police in coordination with the Interpol National "
           "Central Bureau in Rabat, which confirmed the identity of the wanted person."],
    "fr": ["Les services de la Direction générale de la sûreté nationale (DGSN) ont interpellé à {city} un "
           "individu visé par une notice rouge d'Interpol, selon un communiqué publié {day}.",
           "Le mis en cause, âgé de {age} ans, a été placé en garde à vue en attendant la procédure "
           "d'extradition engagée par les autorités du pays requérant.",
           "Le dossier numéro {n} a été traité en coordination avec le Bureau central national d'Interpol "
           "à Rabat, précise la même source."],
    "ar": ["أوقفت عناصر الشرطة القضائية بمدينة {city} شخصا يبلغ من العمر {age} سنة، يشكل موضوع نشرة حمراء "
           "صادرة عن الإنتربول، حسب بلاغ للمديرية العامة للأمن الوطني يوم {day}.",
           "وقد جرى وضع المشتبه فيه تحت تدبير الحراسة النظرية في انتظار البت في طلب تسليمه إلى سلطات "
           "البلد الطالب.",
           "وأشار البلاغ إلى أن الملف رقم {n} عولج بتنسيق مع المكتب المركزي الوطني للإنتربول بالرباط."],
}
OFFTOPIC = ["The local football club won {n} to nil on {day} in front of a full stadium in {city}.",
            "Supporters celebrated late into the night as the team climbed to {age}th place in the table."]
CITIES = ["Tangier", "Agadir", "Fes", "Oujda", "Nador", "Marrakech", "Rabat", "Casablanca"]


def _meta(body: str) -> dict[str, str]:
    return {k.lower(): html.unescape(v) for k, v in _META.findall(body)}


def _page_article(page: Any) -> Article:
    text = page.body.decode("cp1256" if ".cp1256." in page.file else "utf-8", errors="replace")
    meta = _meta(text)
    title = meta.get("og:title") or html.unescape((_TITLE.search(text) or [None, ""])[1]).strip()
    published = datetime.fromisoformat(meta.get("article:published_time", page.fetched_at).replace("Z", "+00:00"))
    parts = urlsplit(page.url)
    return Article(parts.path, parts.query, title, meta.get("og:description", ""), published.astimezone(UTC),
                   page.body, page.content_type)


def _synthetic(outlet_id: str, language: str, n: int, now: datetime) -> Article:
    on_topic = n % 4 != 3 and outlet_id != "offtopic-en"
    city = CITIES[n % len(CITIES)]
    values = {"city": city, "age": 20 + n % 40, "n": n, "day": (now - timedelta(hours=n)).strftime("%A")}
    paras = [p.format(**values) for p in (PARAS[language] if on_topic else OFFTOPIC)]
    if on_topic:
        title = {"en": f"Suspect wanted by Interpol arrested in {city} (case {n})",
                 "fr": f"{city}: arrestation d'un individu recherché par Interpol (dossier {n})",
                 "ar": f"توقيف مبحوث عنه من طرف الإنتربول بمدينة {city} (الملف {n})"}[language]
    else:
        title = f"Football: home win in {city} (match {n})"
    slug = f"story-{n}"
    path = {"hespress-ar": f"/{slug}-{1500000 + n}.html", "le360-fr": f"/societe/{slug}_{n:026d}/",
            "7news-en": f"/{slug}/", "mapexpress-fr": f"/actualite/societe-et-regions/{slug}/",
            "cp1256-ar": f"/national/{60000 + n}.html", "offtopic-en": f"/2026/11/01/{slug}/"}[outlet_id]
    direction = ' dir="rtl"' if language == "ar" else ""
    body = (f'<!DOCTYPE html><html lang="{language}"{direction}><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:title" content="{html.escape(title)}">'
            f'<meta property="og:description" content="{html.escape(paras[0][:150])}">'
            f'<meta property="article:published_time" content="{(now - timedelta(hours=n)).isoformat()}">'
            f'</head><body><header><nav><a href="/">Home</a></nav></header><article><h1>{title}</h1>'
            f'<div class="entry-content">{"".join(f"<p>{p}</p>" for p in paras)}</div>'
            f'<div class="sharedaddy"><h3>Share this:</h3><a>Facebook</a><a>X</a></div></article>'
            f'<footer>© {outlet_id}</footer></body></html>').encode()
    return Article(path, "", title, paras[0][:150], now - timedelta(hours=n), body, "text/html; charset=UTF-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog (5) drops connections under a concurrent crawl

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A crawler killed mid-request resets its connections: nothing to report."""


class SampleOutlets:
    """Start with `start()` (or as a context manager); `registry(path)` writes a sources file."""

    def __init__(self, extra_articles: int = 0, now: datetime | None = None, slow_seconds: float = 1.0):
        self.now = now or datetime.now(UTC).replace(microsecond=0)
        self.slow_seconds = slow_seconds
        self.outlets: dict[str, Outlet] = {}
        self.offsite: ThreadingHTTPServer | None = None
        pages = [p for p in sample_pages() if p.status == 200 and "html" in p.content_type]
        for oid, (name, lang, ip, routes, article_re) in OUTLETS.items():
            outlet = Outlet(oid, name, lang, ip, routes, article_re)
            outlet.articles = [_page_article(p) for p in pages if p.file.startswith(oid + "/")]
            outlet.articles += [_synthetic(oid, lang, n, self.now) for n in range(1, extra_articles + 1)]
            self.outlets[oid] = outlet
        self._failed_once: set[str] = set()
        self.offsite_hits = 0

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> SampleOutlets:
        for outlet in self.outlets.values():
            outlet.server = _Server((outlet.ip, 0), _handler(self, outlet))
            threading.Thread(target=outlet.server.serve_forever, daemon=True).start()
        self.offsite = _Server((OFF_DOMAIN_HOST, 0), _handler(self, None))
        threading.Thread(target=self.offsite.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in [o.server for o in self.outlets.values()] + [self.offsite]:
            if server is not None:
                server.shutdown()
                server.server_close()

    def __enter__(self) -> SampleOutlets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests use ------------------------------------------------------------------------
    def article_urls(self, outlet_id: str | None = None) -> dict[str, str]:
        """Every article URL (faults excluded) -> its outlet id."""
        return {o.url(a): o.id for o in self.outlets.values() if outlet_id in (None, o.id) for a in o.articles}

    def hits(self, url: str) -> int:
        parts = urlsplit(url)
        outlet = next(o for o in self.outlets.values() if o.ip == parts.hostname)
        with outlet.lock:
            return outlet.hits[parts.path]

    def total_hits(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for o in self.outlets.values():
            with o.lock:
                out.update({o.base + p: n for p, n in o.hits.items()})
        return out

    def edit(self, url: str, new_body: bytes) -> None:
        """Change an article (as an editor would): new body, Last-Modified and ETag."""
        parts = urlsplit(url)
        outlet = next(o for o in self.outlets.values() if o.ip == parts.hostname)
        article = next(a for a in outlet.articles if a.path == parts.path)
        article.body, article.version = new_body, article.version + 1
        article.modified = datetime.now(UTC).replace(microsecond=0)

    def registry(self, path: str | Path) -> Path:
        """Write a sources registry (crawler/sources.yaml schema) for these outlets."""
        entries = []
        for o in self.outlets.values():
            discovery: dict[str, Any] = {}
            if "feed" in o.routes:
                discovery["feeds"] = [f"{o.base}/feed/"]
            if "sitemaps" in o.routes:
                discovery["sitemaps"] = [f"{o.base}/sitemap_index.xml"]
            if "wp_api" in o.routes:
                discovery["wp_api"] = f"{o.base}/wp-json/wp/v2/"
            if "listing" in o.routes:
                pages = -(-len(self._listed(o)) // LISTING_PAGE_SIZE) + 1  # one past the end, as in real bounds
                discovery["listings"] = [{"url": f"{o.base}/category/news/page/{{page}}/", "pages": pages}]
            entries.append({"id": f"sample-{o.id}", "name": o.name, "languages": [o.language],
                            "allowed_domains": [o.ip], "article_pattern": "^" + re.escape(o.base) + o.article_re,
                            "discovery": discovery})
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    # -- documents -----------------------------------------------------------------------------
    def _faults(self, outlet: Outlet) -> list[tuple[str, str]]:
        return list(FAULTS.get(outlet.id, {}).items())

    def _listed(self, outlet: Outlet) -> list[tuple[str, str, str, datetime]]:
        """(url, title, summary, date) of everything discovery offers: articles, then faults."""
        items = [(outlet.url(a), a.title, a.summary, a.modified or a.published) for a in outlet.articles]
        for path, _ in self._faults(outlet):
            items.append((outlet.base + path, "DGSN et Interpol: " + path.strip("/"), "Interpol DGSN", self.now))
        return sorted(items, key=lambda i: i[3], reverse=True)

    def feed(self, outlet: Outlet) -> bytes:
        items = "".join(
            f"<item><title>{html.escape(t)}</title><link>{html.escape(u)}</link>"
            f"<pubDate>{format_datetime(d)}</pubDate><description>{html.escape(s)}</description></item>"
            for u, t, s, d in self._listed(outlet))
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{outlet.name}</title>'
                f"<link>{outlet.base}/</link>{items}</channel></rss>").encode()

    def sitemap(self, outlet: Outlet, name: str) -> bytes | None:
        ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        if name == "sitemap_index.xml":
            maps = "".join(f"<sitemap><loc>{outlet.base}/{m}</loc><lastmod>{self.now.isoformat()}</lastmod></sitemap>"
                           for m in ("news-sitemap.xml", "post-sitemap.xml", "broken-sitemap.xml"))
            return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {ns}>{maps}</sitemapindex>'.encode()
        if name == "news-sitemap.xml":
            news = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
            urls = "".join(
                f"<url><loc>{html.escape(u)}</loc><news:news><news:publication><news:name>{outlet.name}"
                f"</news:name><news:language>{outlet.language}</news:language></news:publication>"
                f"<news:publication_date>{d.isoformat()}</news:publication_date>"
                f"<news:title>{html.escape(t)}</news:title></news:news></url>"
                for u, t, _, d in self._listed(outlet)[:10])
            return f'<?xml version="1.0" encoding="UTF-8"?><urlset {ns} {news}>{urls}</urlset>'.encode()
        if name == "post-sitemap.xml":
            urls = "".join(f"<url><loc>{html.escape(u)}</loc><lastmod>{d.isoformat()}</lastmod></url>"
                           for u, _, _, d in self._listed(outlet))
            return f'<?xml version="1.0" encoding="UTF-8"?><urlset {ns}>{urls}</urlset>'.encode()
        if name == "broken-sitemap.xml":
            return f'<?xml version="1.0"?><urlset {ns}><url><loc>{outlet.base}/x</loc></urlset'.encode()
        return None

    def wp_posts(self, outlet: Outlet, query: dict[str, list[str]]) -> tuple[bytes, int, int]:
        term = (query.get("search") or [""])[0].casefold()
        after = query.get("after")
        per_page = min(int((query.get("per_page") or ["10"])[0]), 100)
        page = max(int((query.get("page") or ["1"])[0]), 1)
        rows = [i for i in self._listed(outlet) if term in (i[1] + " " + i[2]).casefold()]
        if after:
            cutoff = datetime.fromisoformat(after[0]).replace(tzinfo=UTC)
            rows = [i for i in rows if i[3] > cutoff]
        total = len(rows)
        pages = max(1, -(-total // per_page))
        chunk = rows[(page - 1) * per_page: page * per_page]
        posts = [{"link": u, "title": {"rendered": html.escape(t)}, "excerpt": {"rendered": f"<p>{html.escape(s)}</p>"},
                  "date_gmt": d.strftime("%Y-%m-%dT%H:%M:%S"), "modified_gmt": d.strftime("%Y-%m-%dT%H:%M:%S")}
                 for u, t, s, d in chunk]
        return json.dumps(posts, ensure_ascii=False).encode("utf-8"), total, pages

    def listing(self, outlet: Outlet, page: int) -> bytes | None:
        rows = self._listed(outlet)
        chunk = rows[(page - 1) * LISTING_PAGE_SIZE: page * LISTING_PAGE_SIZE]
        if not chunk:
            return None
        links = []
        for k, (u, t, _, _) in enumerate(chunk):
            # Every fifth link is a picture with no text: discovery has no title for it.
            anchor = f'<img src="/thumb/{k}.jpg" alt="">' if k == 4 else html.escape(t)
            links.append(f'<li><a href="{html.escape(u)}">{anchor}</a></li>')
        nav = f'<a class="next" href="{outlet.base}/category/news/page/{page + 1}/">Next</a>'
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{outlet.name}</title></head><body>"
                f"<ul class='posts'>{''.join(links)}</ul>{nav}</body></html>").encode()


def _handler(outlets: SampleOutlets, outlet: Outlet | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=UTF-8",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if outlet is None:  # the off-domain host
                outlets.offsite_hits += 1
                self._send(200, b"<html><body><p>Off-domain page about Interpol.</p></body></html>")
                return
            with outlet.lock:
                outlet.hits[parts.path] += 1
                outlet.user_agents[self.headers.get("User-Agent", "")] += 1
            self._route(outlet, parts.path, parse_qs(parts.query))

        def _route(self, o: Outlet, path: str, query: dict[str, list[str]]) -> None:
            if path == "/robots.txt":
                self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                return
            if path == "/feed/" and "feed" in o.routes:
                self._send(200, outlets.feed(o), "application/rss+xml; charset=UTF-8")
                return
            if path.endswith(".xml") and "sitemaps" in o.routes:
                body = outlets.sitemap(o, path.lstrip("/"))
                if body is not None:
                    self._send(200, body, "application/xml; charset=UTF-8")
                    return
            if path == "/wp-json/wp/v2/posts" and "wp_api" in o.routes:
                body, total, pages = outlets.wp_posts(o, query)
                self._send(200, body, "application/json; charset=UTF-8",
                           {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)})
                return
            m = re.fullmatch(r"/category/news/page/(\d+)/", path)
            if m and "listing" in o.routes:
                body = outlets.listing(o, int(m.group(1)))
                if body is not None:
                    self._send(200, body)
                    return
            fault = FAULTS.get(o.id, {}).get(path)
            if fault:
                self._fault(o, path, fault)
                return
            article = next((a for a in o.articles if a.path == path), None)
            if article is None:
                self._send(404, b"<html><body><h1>404</h1><p>Page not found.</p></body></html>")
                return
            modified = format_datetime(article.modified or article.published, usegmt=True)
            if self.headers.get("If-None-Match") == article.etag or (
                    self.headers.get("If-Modified-Since") == modified and not self.headers.get("If-None-Match")):
                self.send_response(304)
                self.send_header("ETag", article.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send(200, article.body, article.content_type, {"ETag": article.etag, "Last-Modified": modified})

        def _fault(self, o: Outlet, path: str, fault: str) -> None:
            page = (f"<!DOCTYPE html><html><head><title>{path}</title></head><body><article><h1>DGSN</h1>"
                    f"<p>La DGSN et Interpol ont coopéré dans cette affaire ({path}), selon un communiqué "
                    f"publié ce jour par la direction générale de la sûreté nationale.</p></article></body></html>")
            if fault == "404":
                self._send(404, b"<html><body><h1>404</h1></body></html>")
            elif fault == "500-once":
                key = o.id + path
                if key not in outlets._failed_once:
                    outlets._failed_once.add(key)
                    self._send(500, b"<html><body>Internal Server Error</body></html>")
                else:
                    self._send(200, page.encode("utf-8"))
            elif fault == "slow":
                time.sleep(outlets.slow_seconds)
                self._send(200, page.encode("utf-8"))
            elif fault == "redirect":
                target = o.articles[0]
                self._send(301, b"", headers={"Location": o.url(target)})
            elif fault == "offsite":
                assert outlets.offsite is not None
                port = outlets.offsite.server_address[1]
                self._send(302, b"", headers={"Location": f"http://{OFF_DOMAIN_HOST}:{port}/landing/"})
            else:  # "disallowed": served, but robots.txt forbids it
                self._send(200, page.encode("utf-8"))

    return Handler


def main() -> None:
    ap = argparse.ArgumentParser(description="Serve the sample outlets on localhost until interrupted.")
    ap.add_argument("--extra", type=int, default=0, help="synthetic articles per outlet")
    ap.add_argument("--registry", default="sample-sources.yaml", help="where to write the sources registry")
    args = ap.parse_args()
    with SampleOutlets(extra_articles=args.extra) as outlets:
        path = outlets.registry(args.registry)
        for o in outlets.outlets.values():
            print(f"{o.id:<14} {o.base}")
        print(f"registry: {path}  (dgsn-corpus crawl --sources {path})")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
