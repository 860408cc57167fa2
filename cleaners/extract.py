"""HTML stage: prune known theme chrome from the DOM, then extract main text and metadata with
trafilatura (dates through htmldate, markup only: the extensive text search costs more than the
rest of the cleaning and news pages carry their dates in meta tags)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

import trafilatura
from lxml import etree
from trafilatura.utils import load_html

from cleaners.rules import load_data


@dataclass
class Extracted:
    text: str = ""
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    modified_at: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    tags: list[str] = field(default_factory=list)


_MODIFIED_META = etree.XPath(
    "//meta[@property='article:modified_time' or @property='og:updated_time' or @name='last-modified'"
    " or @itemprop='dateModified']/@content"
)
_JSON_LD = etree.XPath("//script[@type='application/ld+json']/text()")
_DATE_MODIFIED = re.compile(r'"dateModified"\s*:\s*"([^"]{8,40})"')


@lru_cache(maxsize=1)
def _prune_config() -> tuple[frozenset[str], frozenset[str]]:
    data = load_data("html_prune.yaml")
    return frozenset(data["ids"]), frozenset(data["classes"])


def prune_chrome(tree: etree._Element) -> int:
    """Remove chrome containers; one pass over the elements (an XPath per selector costs more
    than the whole extraction on large pages)."""
    ids, classes = _prune_config()
    doomed = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id") in ids or (cls := el.get("class")) and not classes.isdisjoint(cls.split()):
            doomed.append(el)
    for el in doomed:
        _drop_tree(el)
    return len(doomed)


def _drop_tree(el: etree._Element) -> None:
    """Remove an element and its children, keeping its tail text (as lxml.html's drop_tree)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _iso(value: str) -> str | None:
    value = value.strip()
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def modified_date(tree: etree._Element) -> str | None:
    for value in _MODIFIED_META(tree):
        if (iso := _iso(str(value))) is not None:
            return iso
    for script in _JSON_LD(tree):
        m = _DATE_MODIFIED.search(str(script))
        if m and (iso := _iso(json.loads(f'"{m.group(1)}"'))) is not None:
            return iso
    return None


def parse_html(html: str) -> etree._Element | None:
    """trafilatura's own loader: a plain lxml.etree tree (lxml.html's element classes cost a
    lookup on every node trafilatura visits)."""
    try:
        return load_html(html)
    except (etree.ParserError, ValueError):
        return None


def expose_captions(tree: etree._Element, keep: bool) -> None:
    """trafilatura drops <figure> captions with the images; as paragraphs they are kept (the
    default: a caption often carries facts), or they are removed outright."""
    for caption in list(tree.iter("figcaption")):
        if keep:
            caption.tag = "p"
            parent = caption.getparent()
            if parent is not None and parent.tag == "figure":
                parent.tag = "div"
        else:
            _drop_tree(caption)


def extract(html: str, url: str | None = None, captions: bool = True) -> Extracted:
    tree = parse_html(html)
    if tree is None:
        return Extracted()
    modified = modified_date(tree)
    prune_chrome(tree)
    expose_captions(tree, captions)
    result = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params={"original_date": True, "extensive_search": False,
                                "max_date": date.today().isoformat()},
    )
    if result is None:
        return Extracted()
    meta = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    authors = [a.strip() for a in (meta.get("author") or "").split(";") if a.strip()]
    tags = [t.strip() for t in (meta.get("tags") or []) + (meta.get("categories") or []) if t and t.strip()]
    return Extracted(
        text=meta.get("text") or "",
        title=meta.get("title") or None,
        authors=authors,
        published_at=meta.get("date") or None,
        modified_at=modified,
        site_name=meta.get("sitename") or None,
        canonical_url=meta.get("url") or None,
        tags=list(dict.fromkeys(tags)),
    )
