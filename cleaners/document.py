"""The Document: one row of the corpus.

It lives in `cleaners` (the bottom layer) because cleaners produce it; `corpus` stores it.
Field names are public interface (see DESIGN.md): add fields, never rename or drop one.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Bumped whenever the cleaned text of a page may change (`rebuild` re-cleans what an older version
# cleaned). The content and page-kind models record the version they were trained on, and a test
# holds them to this one: retrain both (cleaners/models/train_content.py, then train_page_kind.py).
CLEANER_VERSION = "0.6.2"

# Query parameters that never change what a news page shows.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|amp|outputType|ref|mc_cid|mc_eid)$", re.I)


@dataclass
class Removal:
    """One span a rule took out of the text: the audit trail users read to trust a removal."""

    rule: str
    text: str
    # Character offset in the repaired text before stripping; -1 for text printed before <html>.
    offset: int
    # A learned rule's confidence (model.boilerplate: probability of boilerplate); None for the
    # hand-written rules. Not stored in the corpus table (its removal struct is rule, text, offset).
    score: float | None = None


@dataclass
class Document:
    doc_id: str = ""
    url: str | None = None
    canonical_url: str | None = None
    source: str | None = None
    language: str | None = None
    language_score: float | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    modified_at: str | None = None
    fetched_at: str | None = None
    text: str = ""
    word_count: int = 0
    content_hash: str = ""
    near_dup_cluster: str | None = None
    is_canonical: bool = True
    topics: list[str] = field(default_factory=list)
    matched_terms: list[str] = field(default_factory=list)
    warc_file: str | None = None
    warc_record_id: str | None = None
    warc_offset: int | None = None
    cleaner_version: str = CLEANER_VERSION
    removed: list[Removal] = field(default_factory=list)
    # Added beyond DESIGN.md: where any raw item (not only WARC) came from, and extra metadata.
    raw_path: str | None = None
    raw_format: str | None = None
    raw_offset: int | None = None
    raw_sha256: str | None = None
    site_name: str | None = None
    section: str | None = None  # the outlet's own section (article:section, JSON-LD articleSection)
    tags: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # per-paragraph check; >1 = mixed-language
    topic_score: float | None = None  # topic term matches per 100 words (set by the corpus scope step)
    page_kind: str | None = None  # "article" or "not_article" (cleaners/models/page_kind.py); None: no HTML

    def to_dict(self) -> dict[str, Any]:
        """dataclasses.asdict(self), without its deep copy of every str and number (several times
        the time: every document is converted, to stage it or write it out)."""
        return _plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["removed"] = [
            r if isinstance(r, Removal) else Removal(**r) for r in (kwargs.get("removed") or [])
        ]
        for name in ("authors", "topics", "matched_terms", "tags", "credits", "languages"):
            kwargs[name] = list(kwargs.get(name) or [])
        return cls(**kwargs)

    def finalize(self) -> Document:
        """Fill the fields derived from text and identity, so every Document is self-consistent."""
        self.word_count = sum(len(words) for words in _word_chunks(self.text))
        self.content_hash = content_hash(self.text)
        if not self.doc_id:
            key = self.canonical_url or self.url
            self.doc_id = make_doc_id(key) if key else "raw-" + (self.raw_sha256 or self.content_hash)[:24]
        return self


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """What dataclasses.asdict makes of a value of a Document (dataclasses, lists, dicts and
    immutable scalars), the scalars not copied."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [_plain(v) for v in value]
    if kind is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return {name: _plain(getattr(value, name)) for name in _field_names(kind)}
    return copy.deepcopy(value)  # as asdict does (no Document field holds such a value)


def normalize_url(url: str) -> str:
    """Identity of a page: scheme and host lowercased, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)]
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def make_doc_id(url: str) -> str:
    """Stable across versions and cleaner changes: derived from the canonical URL only."""
    return hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:24]


_CHUNK = 1 << 20  # characters: bounds the word lists below on a page of many MBs
_SPACE = re.compile(r"\s")  # the whitespace str.split() splits on


def _word_chunks(text: str) -> Iterator[list[str]]:
    """text.split() in pieces cut at whitespace: C-speed splitting (a regex match object per word
    costs several times more), with memory bounded by the chunk, not the page."""
    pos, n = 0, len(text)
    while pos < n:
        end = pos + _CHUNK
        if end < n:
            m = _SPACE.search(text, end)
            end = m.start() if m else n
        yield text[pos:end].split()
        pos = end


def content_hash(text: str) -> str:
    """Exact-duplicate key: whitespace and case differences do not make two texts different."""
    h = hashlib.sha256()  # of " ".join(text.casefold().split()), fed a chunk at a time
    sep = ""
    for words in _word_chunks(text.casefold()):
        if words:
            h.update((sep + " ".join(words)).encode("utf-8"))
            sep = " "
    return h.hexdigest()
