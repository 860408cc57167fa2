"""Page metadata from markup: JSON-LD, Open Graph / article / Dublin Core meta tags, the canonical
link, and htmldate for the publication date (markup only).

This replaces trafilatura's `extract_metadata`, which cost more than the rest of our cleaning on a
news page (its author and category searches walk the whole tree with dozens of XPaths). News sites
carry what we keep — title, authors, dates, site name, section, tags — in JSON-LD or meta tags,
which are read here in one pass over <head> and the JSON-LD scripts.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from htmldate import find_date
from lxml import etree


@dataclass
class Metadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    modified_at: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    # The article text as the publisher's JSON-LD gives it (schema.org articleBody), raw.
    article_body: str | None = None


# JSON-LD types that describe the page's own article (not a breadcrumb, an organization, a video).
_ARTICLE_TYPES = {"article", "newsarticle", "reportagenews", "analysisnewsarticle", "opinionnewsarticle",
                  "reviewnewsarticle", "backgroundnewsarticle", "blogposting", "liveblogposting", "posting",
                  "socialmediaposting", "scholarlyarticle", "techarticle", "report", "webpage"}
_H1 = etree.XPath("(//h1)[1]//text()")
# Bylines in the page body: the first short element that markup names as the author.
_NOT_BYLINES = frozenset(("meta", "link", "script", "style", "img", "body", "html"))


def _named_authors(tree: etree._Element) -> Iterator[etree._Element]:
    """The elements of the page that markup names as the author, in document order: the XPath
    //*[@rel='author' or @itemprop='author' or contains(@class, 'author') or contains(@class, 'byline')
    or contains(@id, 'author') or contains(@class, 'writer')][not(self::meta or self::link or
    self::script or self::style or self::img or self::body or self::html)], walked lazily (the
    first short one is taken, and libxml2's XPath would walk the whole page first)."""
    for el in tree.getroottree().getroot().iter(etree.Element):
        if el.tag in _NOT_BYLINES:
            continue
        get = el.get
        cls = get("class") or ""
        if (get("rel") == "author" or get("itemprop") == "author" or "author" in cls or "byline" in cls
                or "author" in (get("id") or "") or "writer" in cls):
            yield el

_BYLINE_SKIP = re.compile(r"avatar|bio|box|desc|about|image|photo|comment|more|social", re.I)
_SPACE = re.compile(r"\s+")
# Byline prefixes that are not part of a name, in our three languages.
_BY = re.compile(r"^(?:(?:written|posted|article|reported|story)\s+by|by|par|écrit par|auteur|author|"
                 r"بقلم|كتبه|إعداد|اعداد)(?:\s*:\s*|\s+|$)", re.I)
_MAX_AUTHORS = 8


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = _SPACE.sub(" ", html.unescape(value)).strip()
    return value or None


def _iso(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD author value (a string, a Person, or a list of either)."""
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    if isinstance(value, dict):
        value = value.get("name")
    name = _text(value)
    if not name or name.startswith(("http://", "https://")):
        return []
    return [_BY.sub("", name)]


def _byline(tree: etree._Element) -> list[str]:
    for el in _named_authors(tree):
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if _BYLINE_SKIP.search(marks):
            continue
        name_el = el.find(".//*[@itemprop='name']")
        text = _text(" ".join((name_el if name_el is not None else el).itertext()))
        if not text:
            continue
        name = _BY.sub("", text)
        if name.lower() in ("writer", "editor", "author", "auteur"):
            continue
        if 0 < len(name) <= 60 and len(name.split()) <= 6 and not any(c.isdigit() for c in name):
            return [name]
    return []


def _split_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for v in value for t in _split_list(v)]
    text = _text(value)
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


@dataclass
class _Head:
    """What one pass over the page's <meta>, <link>, <script> and <title> elements finds."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    json_ld: list[str] = field(default_factory=list)
    canonical: str | None = None
    title: str | None = None


def _scan(tree: etree._Element) -> _Head:
    head = _Head()
    for el in tree.iter("meta", "link", "script", "title"):
        tag = el.tag
        if tag == "meta":
            key = el.get("property") or el.get("name") or el.get("itemprop")
            value = _text(el.get("content"))
            if key and value:
                head.meta.setdefault(key.strip().lower(), []).append(value)
        elif tag == "script":
            if el.get("type") == "application/ld+json" and el.text:
                head.json_ld.append(el.text)
        elif tag == "link":
            href = (el.get("href") or "").strip()
            if head.canonical is None and el.get("rel") == "canonical" and href.startswith("http"):
                head.canonical = href
        elif head.title is None:
            head.title = _text("".join(el.itertext()))
    return head


def _json_ld_nodes(scripts: list[str]) -> Iterator[dict[str, Any]]:
    for script in scripts:
        try:
            data = json.loads(script)
        except ValueError:
            continue  # malformed JSON-LD is common; the meta tags still count
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                if "@graph" in node:
                    stack.append(node["@graph"])
                yield node


def _article_node(scripts: list[str]) -> dict[str, Any]:
    """The page's article in JSON-LD: the first node of an article type, preferring real
    articles over a generic WebPage."""
    best: dict[str, Any] = {}
    for node in _json_ld_nodes(scripts):
        types = node.get("@type")
        types = {str(t).lower() for t in (types if isinstance(types, list) else [types])}
        if not types & _ARTICLE_TYPES:
            continue
        if "webpage" not in types:
            return node
        best = best or node
    return best


def _first(tags: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if key in tags:
            return tags[key][0]
    return None


def extract_metadata(tree: etree._Element, url: str | None = None) -> Metadata:
    """Metadata of a parsed page. JSON-LD wins over meta tags (sites fill it from the article
    record; meta tags are often theme defaults), the page's own markup over guesses."""
    head = _scan(tree)
    meta = head.meta
    article = _article_node(head.json_ld)
    publisher = article.get("publisher")

    title = (_text(article.get("headline")) or _first(meta, "og:title", "twitter:title", "dc.title")
             or _text("".join(_H1(tree))) or head.title)

    authors = _names(article.get("author"))
    meta_authors = next((names for key in ("author", "article:author", "dc.creator", "parsely-author",
                                           "sailthru.author") if (names := [n for v in meta.get(key, [])
                                                                            for n in _names(v)])), [])
    # A one-word meta author is as often the site's name as a person's: trust it last.
    if not authors and any(" " in n for n in meta_authors):
        authors = meta_authors
    authors = authors or _byline(tree) or meta_authors

    canonical = head.canonical or _first(meta, "og:url") or url

    site_name = (_text(publisher.get("name")) if isinstance(publisher, dict) else None) \
        or _first(meta, "og:site_name", "application-name", "twitter:site")
    if site_name:
        site_name = site_name.lstrip("@")

    section = _text(article.get("articleSection") if not isinstance(article.get("articleSection"), list)
                    else next(iter(article["articleSection"]), None)) \
        or _first(meta, "article:section", "parsely-section", "section")

    tags = _split_list(article.get("keywords")) or meta.get("article:tag", []) \
        or _split_list(meta.get("news_keywords", []) or meta.get("keywords", []))

    modified = _iso(_text(article.get("dateModified"))) or _iso(
        _first(meta, "article:modified_time", "og:updated_time", "last-modified", "datemodified"))
    # A full timestamp from the article record or its meta tag; htmldate (a date) when neither has one.
    published = _iso(_text(article.get("datePublished"))) or _iso(
        _first(meta, "article:published_time", "datepublished", "og:published_time", "publishdate",
               "pubdate", "parsely-pub-date", "sailthru.date"))
    if published and published[:10] > date.today().isoformat():
        published = None
    if not published:
        published = find_date(tree, url=canonical, original_date=True, extensive_search=False,
                              max_date=date.today().isoformat())

    return Metadata(title=title, authors=list(dict.fromkeys(authors))[:_MAX_AUTHORS], published_at=published or None,
                    modified_at=modified, site_name=site_name, canonical_url=canonical, section=section,
                    tags=list(dict.fromkeys(tags)),
                    article_body=body if isinstance(body := article.get("articleBody"), str) else None)
