"""The sources registry and the discovery parsers, on their own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crawler.discovery import DiscoveryError, parse_feed, parse_listing, parse_sitemap, parse_wp_posts
from crawler.sources import SourceError, load_sources, parse_source

GOOD = {
    "id": "example-fr", "name": "Example", "languages": ["fr"], "allowed_domains": ["www.example.ma"],
    "article_pattern": r"^https://www\.example\.ma/\d+-[^/]+\.html$",
    "discovery": {"feeds": ["https://www.example.ma/feed"],
                  "listings": [{"url": "https://www.example.ma/page/{page}", "pages": 2}]},
}


def test_shipped_registry_loads_with_at_least_15_outlets_in_three_languages() -> None:
    registry = load_sources()
    assert len(registry) >= 15
    assert {lang for s in registry.values() for lang in s.languages} >= {"ar", "fr", "en"}
    assert any("interpol.int" in d for s in registry.values() for d in s.allowed_domains)


@pytest.mark.parametrize(("change", "key"), [
    ({"id": "Bad Id"}, "id"),
    ({"languages": ["de"]}, "languages"),
    ({"allowed_domains": ["https://www.example.ma"]}, "allowed_domains"),
    ({"article_pattern": "(unclosed"}, "article_pattern"),
    ({"discovery": {}}, "discovery"),
    ({"discovery": {"feeds": ["https://elsewhere.com/feed"]}}, "discovery.feeds"),
    ({"discovery": {"listings": [{"url": "https://www.example.ma/page/", "pages": 2}]}}, "discovery.listings"),
    ({"discovery": {"rss": ["https://www.example.ma/feed"]}}, "discovery.rss"),
    ({"politeness": {"concurrent_requests_per_domain": 8}}, "politeness.concurrent_requests_per_domain"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_entry_names_source_and_key(change: dict, key: str) -> None:
    entry = {**GOOD, **change}
    with pytest.raises(SourceError) as err:
        parse_source(entry)
    assert f"key '{key}'" in str(err.value)
    assert ("'example-fr'" in str(err.value)) or key == "id"


def test_missing_key_and_duplicate_ids(tmp_path: Path) -> None:
    entry = dict(GOOD)
    del entry["article_pattern"]
    with pytest.raises(SourceError, match="'example-fr': key 'article_pattern': missing"):
        parse_source(entry)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"sources": [GOOD, GOOD]}), encoding="utf-8")
    with pytest.raises(SourceError, match="duplicate"):
        load_sources(path)


def test_feed_rss_and_atom() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><item><title>DGSN: arrest</title>
    <link>https://www.example.ma/1-a.html#comments</link><pubDate>Tue, 10 Nov 2026 08:00:00 +0100</pubDate>
    <description>&lt;p&gt;Interpol notice&lt;/p&gt;</description></item></channel></rss>"""
    (item,) = parse_feed(rss, "https://www.example.ma/feed")
    assert item.url == "https://www.example.ma/1-a.html"
    assert item.title == "DGSN: arrest" and item.summary == "Interpol notice"
    assert item.published and item.published.isoformat() == "2026-11-10T07:00:00+00:00"
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title>
    <link rel="alternate" href="/2-b.html"/><updated>2026-11-10T08:00:00Z</updated></entry></feed>"""
    (entry,) = parse_feed(atom, "https://www.example.ma/feed")
    assert entry.url == "https://www.example.ma/2-b.html"


def test_sitemap_index_news_and_errors() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>
    <loc>https://www.example.ma/news.xml</loc><lastmod>2026-11-01</lastmod></sitemap></sitemapindex>"""
    kind, found = parse_sitemap(index)
    assert kind == "index" and found[0].url == "https://www.example.ma/news.xml"
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://www.example.ma/1-a.html</loc>
    <news:news><news:publication_date>2026-11-02T10:00:00+00:00</news:publication_date>
    <news:title>Interpol et la DGSN</news:title></news:news></url></urlset>"""
    kind, (item,) = parse_sitemap(news)
    assert kind == "urlset" and item.title == "Interpol et la DGSN" and item.published.day == 2
    with pytest.raises(DiscoveryError, match="malformed"):
        parse_sitemap(b"<urlset><url><loc>x</loc></url")
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>
    <urlset><url><loc>&lol2;</loc></url></urlset>"""
    with pytest.raises(DiscoveryError, match="entity declarations refused"):
        parse_sitemap(bomb)


def test_wp_posts_and_listing() -> None:
    posts = b'[{"link": "https://www.example.ma/3-c.html", "title": {"rendered": "DGSN &#8211; bilan"},' \
            b' "excerpt": {"rendered": "<p>Texte</p>"}, "date_gmt": "2026-11-03T09:00:00"}]'
    (post,) = parse_wp_posts(posts)
    assert post.title == "DGSN – bilan" and post.summary == "Texte" and post.published.hour == 9
    with pytest.raises(DiscoveryError):
        parse_wp_posts(b"<html>not json</html>")
    page = b"""<html><body><a href="/4-d.html">Interpol</a><a href="/about/">About</a>
    <a href="https://www.example.ma/4-d.html"><img src="x.jpg"></a></body></html>"""
    found = parse_listing(page, "https://www.example.ma/page/1", lambda u: u.endswith(".html"))
    assert [(f.url, f.title) for f in found] == [("https://www.example.ma/4-d.html", "Interpol")]


@pytest.mark.parametrize("padding", [b"<!--" + b"x" * 100_000 + b"-->", b" " * 100_000])
def test_entity_declarations_after_the_first_64_kb_are_refused_too(padding: bytes) -> None:
    bomb = (b'<?xml version="1.0"?>' + padding + b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b'<urlset><url><loc>&lol2;</loc></url></urlset>')
    with pytest.raises(DiscoveryError, match="entity declarations refused"):
        parse_sitemap(bomb)
    # a DTD without entity declarations is read as before
    kind, (item,) = parse_sitemap(b'<?xml version="1.0"?>' + padding + b'<!DOCTYPE urlset [<!ELEMENT urlset ANY>]>'
                                  b'<urlset><url><loc>https://www.example.ma/1-a.html</loc></url></urlset>')
    assert kind == "urlset" and item.url == "https://www.example.ma/1-a.html"
