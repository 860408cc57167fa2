"""Raw items to Documents, as a stream. A document that cannot be cleaned, takes too long, is
binary, or comes out empty is dropped with a counted reason and a log line; it never stops the run."""

from __future__ import annotations

import ctypes
import logging
import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from cleaners import clean_html, clean_text
from cleaners.document import Document
from cleaners.extract import PageTooLarge
from cleaners.prefilter import could_be_in_scope, raw_canonical_url
from cleaners.readers import RawItem, ReadStats, decode_item
from cleaners.topics import Term
from cleaners.unicode import is_mostly_text

log = logging.getLogger(__name__)

MIN_WORDS = 1  # the corpus scope filter applies its own, configurable, length threshold
DOC_TIME_LIMIT = 60.0  # seconds per document; 0 disables
REARM_S = 0.5  # the time limit alarm repeats at this interval until the document is abandoned


class DocumentTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block with DocumentTimeout after `seconds`: in the main thread by SIGALRM
    (which also interrupts blocking calls), in any other thread, such as a Dask worker's, by a
    watchdog thread that raises it asynchronously in the blocked one. Neither interrupts a single
    long call into C (one lxml parse); both land at the next Python instruction.

    The interrupt repeats every REARM_S until the block ends: an exception raised while Python runs
    a gc callback or a `__del__` is printed and swallowed, and a single one landing there would
    let the block run on unbounded."""
    if seconds <= 0:
        yield
    elif threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
    else:
        with _watchdog(seconds):
            yield


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    ended = False

    def expire(signum: int, frame: object) -> None:
        if not ended:
            raise DocumentTimeout(f"took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, REARM_S)
    try:
        yield
    finally:
        ended = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    """Have `exc` raised in the thread at its next Python instruction (None: cancel a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc else None)


@contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    ended = threading.Event()
    lock = threading.Lock()  # no interrupt is sent once the block has ended

    def watch() -> None:
        wait = seconds
        while not ended.wait(wait):
            with lock:
                if not ended.is_set():
                    _raise_in(target, DocumentTimeout)
            wait = REARM_S

    threading.Thread(target=watch, name="document-time-limit", daemon=True).start()
    try:
        yield
    finally:
        while not ended.is_set():
            try:
                with lock:
                    ended.set()
                    _raise_in(target, None)
            except DocumentTimeout:  # sent just before the block ended: it ends all the same
                pass


def item_fields(item: RawItem) -> dict[str, object]:
    """The Document fields a raw item gives (provenance, and what the dump says of the page)."""
    fields: dict[str, object] = dict(
        fetched_at=item.fetched_at, warc_record_id=item.warc_record_id, raw_path=item.raw_path,
        raw_format=item.raw_format, raw_offset=item.raw_offset, raw_sha256=item.raw_sha256,
        published_at=item.published_at, source=item.source,
    )
    if item.raw_format == "warc":
        fields.update(warc_file=item.raw_path, warc_offset=item.raw_offset)
    return fields


def clean_item(item: RawItem, text: str | None = None) -> Document:
    """`text`: the item already decoded (saves decoding it again)."""
    text = decode_item(item) if text is None else text
    fields = item_fields(item)
    if item.kind == "html":
        doc = clean_html(text, url=item.url, **fields)
        if item.title and not doc.title:
            doc.title = item.title
        return doc
    return clean_text(text, url=item.url, title=item.title, **fields)


PREFILTER_REASON = "prefilter_out_of_scope"


@dataclass
class Prefiltered(Document):
    """The stand-in of a page the scope prefilter rejected: provenance and identity, no text."""


def prefiltered_document(item: RawItem, text: str) -> Prefiltered:
    canonical = raw_canonical_url(text) if item.kind == "html" else None
    fields = {k: v for k, v in item_fields(item).items() if v is not None}
    doc = Prefiltered(url=item.url, canonical_url=canonical or item.url, title=item.title, **fields)
    doc.finalize()
    return doc


def _passes(item: RawItem, text: str, terms: Sequence[Term]) -> bool:
    try:
        return could_be_in_scope(text, terms, is_html=item.kind == "html", title=item.title)
    except Exception as exc:  # a page the prefilter cannot read is cleaned in full: it never loses one
        log.warning("scope prefilter failed on %s@%s (%s: %s); cleaning it in full",
                    item.raw_path, item.raw_offset, type(exc).__name__, exc)
        return True


def clean_items(items: Iterable[RawItem], stats: ReadStats, time_limit_s: float = DOC_TIME_LIMIT,
                keep_empty: bool = False, scope_terms: Sequence[Term] | None = None) -> Iterator[Document]:
    """Documents of the raw items. `keep_empty` yields documents that came out empty too (the
    corpus build records them, with what the rules removed, in its rejected table).
    `scope_terms` (extra topic terms, besides the built-in ones) turns the scope prefilter on: a
    page that cannot match any topic term is not cleaned but counted
    (`skipped:prefilter_out_of_scope`) and yielded as a text-less `Prefiltered` stand-in (yielded,
    not collected: a scan that is nearly all out of scope holds one at a time)."""
    for item in items:
        where = f"{item.raw_path}@{item.raw_offset}"
        try:
            with time_limit(time_limit_s):
                text = decode_item(item)
                if not is_mostly_text(text):
                    stats.counts["dropped:binary"] += 1
                    log.info("dropped binary content %s (%s)", where, item.url)
                    continue
                if scope_terms is not None and not _passes(item, text, scope_terms):
                    stats.skip(PREFILTER_REASON)
                    doc = prefiltered_document(item, text)
                else:
                    doc = clean_item(item, text)
        except PageTooLarge as exc:
            stats.too_large_because(item.raw_path, item.raw_offset, str(exc))
            continue
        except DocumentTimeout as exc:
            stats.counts["dropped:timeout"] += 1
            stats.bad(item.raw_path, item.raw_offset, f"cleaning {exc}; skipped")
            continue
        except Exception as exc:  # one bad page must not stop a run; it is reported by location
            stats.bad(item.raw_path, item.raw_offset, f"cleaning failed: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if isinstance(doc, Prefiltered):
            yield doc
            continue
        if doc.word_count < MIN_WORDS and not keep_empty:
            stats.counts["dropped:empty"] += 1
            log.info("dropped empty document %s (%s)", where, item.url)
            continue
        stats.counts["documents"] += 1
        yield doc
