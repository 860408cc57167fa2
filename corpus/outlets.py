"""Which outlet a document is from: its `source`, the registry id.

A crawled document names its source in its WARC file's warcinfo record (the readers carry it into
the Document); a JSONL line may carry a `source` key. A document from any other dump gets the
source given on the command line (`--source ID`), else the registry source whose allowed domains
hold its URL's host, else none. The cleaners know nothing of the registry; this runs in the corpus
layer, after cleaning, in the process that writes the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from cleaners.document import Document
from crawler.sources import Source, SourceError, load_sources, match_source

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class SourceAssigner:
    """Fills `source` on documents that have none: `default`, else the registry's match."""

    def __init__(self, default: str | None = None, registry: dict[str, Source] | None = None):
        if default is not None and not _ID.match(default):
            raise SourceError(f"--source expects a registry id (lowercase letters, digits, '-'), got {default!r}")
        self.default = default
        self.registry = load_sources() if registry is None else registry

    def assign(self, doc: Document, default: str | None = None) -> Document:
        if not doc.source:
            doc.source = default or self.default or match_source(self.registry, doc.url or doc.canonical_url,
                                                                doc.language)
        return doc

    def all(self, docs: Iterable[Document], default: str | None = None) -> Iterator[Document]:
        for doc in docs:
            yield self.assign(doc, default)
