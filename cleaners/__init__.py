"""Cleaners: pure functions from raw input to a Document. No I/O of their own (readers excepted).

    from cleaners import clean_html, clean_text
    doc = clean_html(page_bytes, url="https://example.ma/article/")

The entry points load lazily: the crawler imports `cleaners.topics` without paying for trafilatura.
"""

from __future__ import annotations

from typing import Any

from cleaners.document import CLEANER_VERSION, Document, Removal

__all__ = ["CLEANER_VERSION", "Document", "Removal", "clean_html", "clean_text"]


def __getattr__(name: str) -> Any:
    if name in ("clean_html", "clean_text"):
        from cleaners import clean

        return getattr(clean, name)
    raise AttributeError(f"module 'cleaners' has no attribute {name!r}")
