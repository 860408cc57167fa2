"""Corpus: the versioned store (Delta Lake), builds, exports, and the dgsn-corpus CLI.

`corpus.open(path)` reads a corpus from Python (see `corpus.api`); it is imported on first use so
that `import corpus.cli` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Corpus", "CorpusError", "open"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from corpus import api

        return getattr(api, name)
    raise AttributeError(f"module 'corpus' has no attribute {name!r}")
