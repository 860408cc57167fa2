"""Discovery parsers: RSS/Atom feeds, sitemaps (index, urlset, Google News), WordPress REST API
posts and listing pages, each into `Found` entries. Pure functions over bytes, so each is tested
on its own. XML is parsed without entity expansion or network access, and a document that
declares entities is refused outright (billion-laughs and XXE)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urldefrag, urljoin

import lxml.html
from lxml import etree


class DiscoveryError(ValueError):
    """A feed, sitemap or API answer that cannot be read; reported, and the crawl goes on."""


@dataclass(frozen=True)
class Found:
    url: str
    title: str | None = None
    summary: str | None = None
    published: datetime | None = None  # publication or lastmod, timezone-aware UTC


_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_TAGS = re.compile(r"<[^>]+>")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
                          remove_pis=True, load_dtd=False)


def _xml(data: bytes, what: str) -> etree._Element:
    """The parser never expands entities; a document that declares any is refused all the same.
    The byte search is a quick refusal before parsing; the parsed internal DTD is the check, and
    it covers the whole prolog however long (a declaration after 64 KB of comments too)."""
    if _ENTITY_DECL.search(data[:65536]):
        raise DiscoveryError(f"{what}: entity declarations refused")
    try:
        root = etree.fromstring(data.strip(), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"{what}: malformed XML: {exc}") from exc
    if root is None:
        raise DiscoveryError(f"{what}: empty document")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.entities()):
        raise DiscoveryError(f"{what}: entity declarations refused")
    return root


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 (sitemaps, Atom, WordPress) or RFC 822 (RSS) to aware UTC; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return " ".join(html.unescape(_TAGS.sub(" ", text)).split()) or None


def _child(el: etree._Element, *names: str) -> etree._Element | None:
    for child in el:
        if _local(child.tag) in names:
            return child
    return None


def parse_feed(data: bytes, base_url: str) -> list[Found]:
    """RSS 2.0, RSS 1.0 (RDF) and Atom."""
    root = _xml(data, "feed")
    kind = _local(root.tag)
    if kind not in ("rss", "rdf", "feed"):
        raise DiscoveryError(f"feed: unexpected root element <{kind}>")
    out = []
    for item in root.iter():
        name = _local(item.tag)
        if name == "item":
            link = _text(_child(item, "link")) or _text(_child(item, "guid"))
            date = _text(_child(item, "pubdate", "date", "published", "updated"))
            summary = _text(_child(item, "description", "encoded"))
        elif name == "entry":
            link_el = next((c for c in item if _local(c.tag) == "link"
                            and c.get("rel", "alternate") == "alternate"), None)
            link = link_el.get("href") if link_el is not None else None
            date = _text(_child(item, "published", "updated"))
            summary = _text(_child(item, "summary", "content"))
        else:
            continue
        if link:
            out.append(Found(urldefrag(urljoin(base_url, link.strip()))[0], _text(_child(item, "title")),
                             summary, parse_date(date)))
    return out


def parse_sitemap(data: bytes) -> tuple[str, list[Found]]:
    """("index", child sitemaps) or ("urlset", pages); Google News title and date when present."""
    root = _xml(data, "sitemap")
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise DiscoveryError(f"sitemap: unexpected root element <{kind}>")
    out = []
    for el in root:
        if _local(el.tag) not in ("sitemap", "url"):
            continue
        loc = _text(_child(el, "loc"))
        if not loc:
            continue
        title = None
        date = _text(_child(el, "lastmod"))
        news = _child(el, "news")
        if news is not None:
            title = _text(_child(news, "title"))
            date = _text(_child(news, "publication_date")) or date
        out.append(Found(loc, title, None, parse_date(date)))
    return ("index" if kind == "sitemapindex" else "urlset"), out


def parse_wp_posts(data: bytes) -> list[Found]:
    """A page of /wp-json/wp/v2/posts."""
    try:
        posts = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DiscoveryError(f"wp-json: not JSON: {exc}") from exc
    if not isinstance(posts, list):
        raise DiscoveryError("wp-json: expected a list of posts")
    out = []
    for post in posts:
        if not isinstance(post, dict) or not isinstance(post.get("link"), str):
            continue
        title = (post.get("title") or {}).get("rendered") if isinstance(post.get("title"), dict) else None
        excerpt = (post.get("excerpt") or {}).get("rendered") if isinstance(post.get("excerpt"), dict) else None
        date = post.get("date_gmt") or post.get("date")
        if isinstance(date, str) and post.get("date_gmt"):
            date += "Z" if not date.endswith("Z") else ""
        out.append(Found(post["link"], _clean(title), _clean(excerpt), parse_date(date)))
    return out


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(html.unescape(_TAGS.sub(" ", value)).split()) or None


def parse_listing(data: bytes, base_url: str, is_article) -> list[Found]:
    """Links on a listing or search page that look like articles, with their anchor text."""
    try:
        doc = lxml.html.document_fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        raise DiscoveryError(f"listing: unreadable HTML: {exc}") from exc
    seen: dict[str, Found] = {}
    for a in doc.iter("a"):
        href = a.get("href")
        if not href:
            continue
        url = urldefrag(urljoin(base_url, href.strip()))[0]
        if not is_article(url):
            continue
        title = " ".join(a.text_content().split()) or None
        if url not in seen or (title and not seen[url].title):
            seen[url] = Found(url, title)
    return list(seen.values())
