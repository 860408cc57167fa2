"""The sources registry (crawler/sources.yaml): which outlets to crawl and how to discover their
articles. Validated on load; a bad entry is an error naming the source and the key."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

# Read through importlib.resources, not a path beside __file__, so that the registry also loads from a zipped
# egg (scrapyd imports a deployed project from its .egg file).
DEFAULT_REGISTRY: Traversable = resources.files("crawler") / "sources.yaml"
REGISTRY_ENV = "DGSN_SOURCES"  # a registry other than the bundled one, for every command
LANGUAGES = {"ar", "fr", "en", "es"}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HOST = re.compile(r"^[a-z0-9.-]+$")
_TOP_KEYS = {"id", "name", "languages", "allowed_domains", "article_pattern", "discovery", "politeness", "notes"}
_DISCOVERY_KEYS = {"feeds", "sitemaps", "wp_api", "listings", "search"}
_POLITENESS = {"download_delay": float, "concurrent_requests_per_domain": int, "user_agent": str}


class SourceError(ValueError):
    """A registry entry is invalid; the message names the source id and the key."""


@dataclass(frozen=True)
class Paged:
    url: str
    pages: int


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    languages: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    article_pattern: re.Pattern[str]
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    wp_api: str | None = None
    listings: tuple[Paged, ...] = ()
    search: tuple[Paged, ...] = ()
    politeness: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def is_article(self, url: str) -> bool:
        return bool(self.article_pattern.search(url)) and self.owns(url)

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


def _fail(sid: str, key: str, message: str) -> SourceError:
    return SourceError(f"source {sid!r}: key {key!r}: {message}")


def _url(sid: str, key: str, value: Any, domains: tuple[str, ...]) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise _fail(sid, key, f"not an http(s) URL: {value!r}")
    host = (urlsplit(value.replace("{page}", "1").replace("{query}", "q")).hostname or "").lower()
    if not any(host == d or host.endswith("." + d) for d in domains):
        raise _fail(sid, key, f"host {host!r} is not in allowed_domains")
    return value


def _paged(sid: str, key: str, items: Any, domains: tuple[str, ...], needs: tuple[str, ...]) -> tuple[Paged, ...]:
    if not isinstance(items, list):
        raise _fail(sid, key, "must be a list of {url, pages}")
    out = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"url", "pages"} or "url" not in item:
            raise _fail(sid, key, f"each entry needs url (and optional pages): {item!r}")
        url = _url(sid, key, item["url"], domains)
        for placeholder in needs:
            if placeholder not in url:
                raise _fail(sid, key, f"url must contain {placeholder}: {url}")
        pages = item.get("pages", 1)
        if not isinstance(pages, int) or not 1 <= pages <= 1000:
            raise _fail(sid, f"{key}.pages", f"must be an integer 1-1000, got {pages!r}")
        out.append(Paged(url, pages))
    return tuple(out)


def parse_source(entry: Any) -> Source:
    if not isinstance(entry, dict):
        raise SourceError(f"registry entry is not a mapping: {entry!r}")
    sid = entry.get("id")
    if not isinstance(sid, str) or not _ID.match(sid):
        raise SourceError(f"source {sid!r}: key 'id': must match {_ID.pattern}")
    unknown = set(entry) - _TOP_KEYS
    if unknown:
        raise _fail(sid, sorted(unknown)[0], "unknown key")
    for key in ("name", "languages", "allowed_domains", "article_pattern", "discovery"):
        if key not in entry:
            raise _fail(sid, key, "missing")
    if not isinstance(entry["name"], str) or not entry["name"].strip():
        raise _fail(sid, "name", "must be a non-empty string")
    langs = entry["languages"]
    if not isinstance(langs, list) or not langs or set(langs) - LANGUAGES:
        raise _fail(sid, "languages", f"must be a non-empty list from {sorted(LANGUAGES)}")
    domains = entry["allowed_domains"]
    if not isinstance(domains, list) or not domains or not all(
            isinstance(d, str) and _HOST.match(d) for d in domains):
        raise _fail(sid, "allowed_domains", "must be a non-empty list of host names (no scheme or port)")
    domains = tuple(d.lower() for d in domains)
    try:
        pattern = re.compile(entry["article_pattern"])
    except (re.error, TypeError) as exc:
        raise _fail(sid, "article_pattern", f"invalid regex: {exc}") from exc
    disc = entry["discovery"]
    if not isinstance(disc, dict) or not disc:
        raise _fail(sid, "discovery", "needs at least one of " + ", ".join(sorted(_DISCOVERY_KEYS)))
    unknown = set(disc) - _DISCOVERY_KEYS
    if unknown:
        raise _fail(sid, f"discovery.{sorted(unknown)[0]}", "unknown key")
    feeds = tuple(_url(sid, "discovery.feeds", u, domains) for u in _list(sid, "discovery.feeds", disc.get("feeds")))
    sitemaps = tuple(_url(sid, "discovery.sitemaps", u, domains)
                     for u in _list(sid, "discovery.sitemaps", disc.get("sitemaps")))
    wp_api = disc.get("wp_api")
    if wp_api is not None:
        wp_api = _url(sid, "discovery.wp_api", wp_api, domains).rstrip("/") + "/"
    listings = _paged(sid, "discovery.listings", disc.get("listings", []), domains, ("{page}",))
    search = _paged(sid, "discovery.search", disc.get("search", []), domains, ("{query}",))
    if not (feeds or sitemaps or wp_api or listings or search):
        raise _fail(sid, "discovery", "no discovery route")
    polite = entry.get("politeness") or {}
    if not isinstance(polite, dict):
        raise _fail(sid, "politeness", "must be a mapping")
    for key, value in polite.items():
        kind = _POLITENESS.get(key)
        if kind is None:
            raise _fail(sid, f"politeness.{key}", "unknown key")
        if kind is str and not isinstance(value, str):
            raise _fail(sid, f"politeness.{key}", "must be a string")
        if kind is not str and (not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
            raise _fail(sid, f"politeness.{key}", "must be a non-negative number")
    if not 1 <= int(polite.get("concurrent_requests_per_domain", 1)) <= 2:
        raise _fail(sid, "politeness.concurrent_requests_per_domain", "must be 1 or 2")
    return Source(sid, entry["name"].strip(), tuple(langs), domains, pattern, feeds, sitemaps, wp_api,
                  listings, search, dict(polite))


def _list(sid: str, key: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(sid, key, "must be a list of URLs")
    return value


def registry_path(path: str | Path | None = None) -> Path | Traversable:
    """The registry to read: `path`, else $DGSN_SOURCES, else the bundled crawler/sources.yaml."""
    path = path or os.environ.get(REGISTRY_ENV)
    return Path(path) if path else DEFAULT_REGISTRY


def load_sources(path: str | Path | None = None) -> dict[str, Source]:
    """Registry by source id (`path`, else $DGSN_SOURCES, else crawler/sources.yaml)."""
    path = registry_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"cannot read the sources registry {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise SourceError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourceError(f"{path}: expected a mapping with a 'sources' list")
    out: dict[str, Source] = {}
    for entry in data["sources"]:
        source = parse_source(entry)
        if source.id in out:
            raise _fail(source.id, "id", "duplicate")
        out[source.id] = source
    return out


def match_source(registry: dict[str, Source], url: str | None, language: str | None = None) -> str | None:
    """The id of the source whose allowed domains hold the URL's host (the most specific domain
    wins). Outlets that share a domain (one per language) are told apart by their article pattern,
    then by the document's language; still more than one, or none: None."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    best, candidates = 0, []
    for source in registry.values():
        depth = max((len(d) for d in source.allowed_domains if host == d or host.endswith("." + d)), default=0)
        if depth > best:
            best, candidates = depth, [source]
        elif depth and depth == best:
            candidates.append(source)
    for narrow in (lambda s: bool(s.article_pattern.search(url)), lambda s: language in s.languages):
        if len(candidates) > 1:
            candidates = [s for s in candidates if narrow(s)] or candidates
    return candidates[0].id if len(candidates) == 1 else None
