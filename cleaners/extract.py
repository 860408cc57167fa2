"""HTML stage: prune known theme chrome from the DOM, then extract main text and metadata with
trafilatura (htmldate for the modified date)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree

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


@lru_cache(maxsize=1)
def _prune_xpath() -> list[str]:
    return list(load_data("html_prune.yaml")["xpath"])


def parse_html(html: str) -> etree._Element | None:
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def extract(html: str, url: str | None = None) -> Extracted:
    tree = parse_html(html)
    if tree is None:
        return Extracted()
    result = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True,
        prune_xpath=_prune_xpath(),
    )
    if result is None:
        return Extracted()
    meta = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    authors = [a.strip() for a in (meta.get("author") or "").split(";") if a.strip()]
    modified = None
    try:
        modified = find_date(tree, original_date=False, extensive_search=False, url=url)
    except Exception:  # htmldate is best effort on broken markup; a missing date is not an error
        modified = None
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
