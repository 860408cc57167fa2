"""Raw items to Documents, as a stream. A document that cannot be cleaned or comes out empty is
dropped with a counted reason and a log line; it never stops the run."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from cleaners import clean_html, clean_text
from cleaners.document import Document
from cleaners.readers import RawItem, ReadStats, decode_item

log = logging.getLogger(__name__)

MIN_WORDS = 1  # the corpus scope filter applies its own, configurable, length threshold


def clean_item(item: RawItem) -> Document:
    fields = dict(
        fetched_at=item.fetched_at, warc_record_id=item.warc_record_id, raw_path=item.raw_path,
        raw_format=item.raw_format, raw_offset=item.raw_offset, raw_sha256=item.raw_sha256,
        published_at=item.published_at,
    )
    if item.raw_format == "warc":
        fields.update(warc_file=item.raw_path, warc_offset=item.raw_offset)
    if item.kind == "html":
        doc = clean_html(item.content, url=item.url, encoding=item.charset, **fields)
        if item.title and not doc.title:
            doc.title = item.title
        return doc
    return clean_text(decode_item(item), url=item.url, title=item.title, **fields)


def clean_items(items: Iterable[RawItem], stats: ReadStats) -> Iterator[Document]:
    for item in items:
        try:
            doc = clean_item(item)
        except Exception as exc:  # one bad page must not stop a run; it is reported by location
            stats.bad(item.raw_path, item.raw_offset, f"cleaning failed: {type(exc).__name__}: {exc}")
            continue
        if doc.word_count < MIN_WORDS:
            stats.counts["dropped:empty"] += 1
            log.info("dropped empty document %s@%s (%s)", item.raw_path, item.raw_offset, item.url)
            continue
        stats.counts["documents"] += 1
        yield doc
