"""clean_text and clean_html: the two entry points, composed of the stages in this package."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cleaners.document import Document, Removal
from cleaners.extract import extract_tree
from cleaners.language import identify_document
from cleaners.strip import Judge, Stripper
from cleaners.topics import match_topics
from cleaners.unicode import decode_bytes, remove_arabic_marks, repair


@lru_cache(maxsize=1)
def _stripper() -> Stripper:
    return Stripper()


# Text that PHP (or anything else) printed before the document itself starts.
_DOC_START = re.compile(r"<!doctype\s|<html[\s>]", re.I)
_TAGS = re.compile(r"<[^>]{0,200}>")


def clean_text(text: str, url: str | None = None, *, title: str | None = None,
               strip_arabic_marks: bool = False, **fields: object) -> Document:
    """Clean a text dump (one article). A known `title` is used instead of detecting a headline;
    re-cleaning a Document's own text with its title gives the same Document text."""
    return _clean(text, url, title, [], fields, strip_arabic_marks)[0]


def _clean(text: str, url: str | None, title: str | None, removed: list[Removal],
           fields: dict[str, object], strip_arabic_marks: bool = False,
           judge: Judge | None = None) -> tuple[Document, str]:
    """The Document, and the repaired text the rules ran over (removal offsets point into it)."""
    repaired = repair(text)
    title = repair(title) or None if title else None
    result = _stripper().strip(repaired, title=title, judge=judge)
    result.removed[:0] = removed
    if strip_arabic_marks:  # after the rules, so removal offsets still point into `repaired`
        result.text = remove_arabic_marks(result.text)
        result.title = remove_arabic_marks(result.title) if result.title else None
    language, score, languages = identify_document(result.text)
    topics, terms = match_topics(f"{result.title or ''}\n{result.text}")
    doc = Document(url=url, title=result.title, text=result.text, language=language,
                   language_score=score, removed=result.removed, credits=result.credits,
                   site_name=result.site_name, topics=topics, matched_terms=terms, languages=languages)
    for name, value in fields.items():
        if value is not None and hasattr(doc, name):
            setattr(doc, name, value)
    return doc.finalize(), repaired


def clean_html(html: str | bytes, url: str | None = None, *, encoding: str | None = None,
               captions: bool = True, strip_arabic_marks: bool = False, model: bool = True,
               kind: bool = True, **fields: object) -> Document:
    """Extract the main text and metadata of a page, then clean it like a text dump.
    `captions` keeps image captions as paragraphs; `strip_arabic_marks` removes tatweel and
    harakat (off: Arabic letters are kept as written); `model` lets the content model drop the
    boilerplate lines the rules left (cleaners/models/content.py, rule `model.boilerplate`);
    `kind` sets `page_kind`, article or not_article (cleaners/models/page_kind.py).
    Raises cleaners.extract.PageTooLarge for a page of more than MAX_PAGE_ELEMENTS elements."""
    doc, _ = _clean_html(html, url, encoding, fields, strip_arabic_marks, captions, model, kind=kind)
    return doc


def explain_html(html: str | bytes, url: str | None = None, encoding: str | None = None,
                 model: bool = True, **fields: object) -> tuple[Document, str]:
    """The Document (the one clean_html gives for the same arguments) and the text its rules ran
    over (removal offsets point into it)."""
    return _clean_html(html, url, encoding, fields, model=model)


def explain_text(text: str, url: str | None = None, *, title: str | None = None,
                 **fields: object) -> tuple[Document, str]:
    return _clean(text, url, title, [], fields)


def _clean_html(html: str | bytes, url: str | None, encoding: str | None, fields: dict[str, object],
                strip_arabic_marks: bool = False, captions: bool = True, model: bool = True,
                make_judge: Callable[[Any], Judge] | None = None, kind: bool = True,
                on_page: Callable[[Any], None] | None = None) -> tuple[Document, str]:
    """`make_judge` (of the page's tree) replaces the content model: training records the lines
    and features through it. `kind`: judge whether the page is an article (page_kind);
    `on_page` takes the page-kind feature row instead of the model (training records it)."""
    if isinstance(html, bytes):
        html = decode_bytes(html, encoding)
    preamble_removed: list[Removal] = []
    start = _DOC_START.search(html, 0, 65536)
    if start and html[:start.start()].strip():
        preamble = repair(_TAGS.sub("", html[:start.start()]))
        preamble_removed = _stripper().classify_preamble(preamble)
        html = html[start.start():]
    page: list[float] = []
    if kind:
        from cleaners.models import page_kind  # numpy: only when used

        def inspect(tree: Any) -> None:
            page.extend(page_kind.page_features(tree, url))
    text, meta, tree = extract_tree(html, url=url, captions=captions, inspect=inspect if kind else None)
    judge = None
    if model:
        if make_judge is None:
            from cleaners.models.content import LineJudge as make_judge  # numpy: only when used
        judge = make_judge(tree)
    extra = dict(canonical_url=meta.canonical_url, authors=meta.authors, published_at=meta.published_at,
                 modified_at=meta.modified_at, section=meta.section, tags=meta.tags)
    extra.update({k: v for k, v in fields.items() if v is not None})
    doc, repaired = _clean(text, url, meta.title, preamble_removed, extra, strip_arabic_marks, judge)
    doc.site_name = doc.site_name or meta.site_name
    if page:
        row = page_kind.features(page, doc.text, doc.title, doc.published_at, doc.authors, text,
                                 [r.rule for r in doc.removed])
        if on_page is not None:
            on_page(row)
        else:
            doc.page_kind = page_kind.page_kind(row)
    return doc, repaired
