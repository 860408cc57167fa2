"""Which cleaned documents belong in the corpus. The rest go to the `rejected` table with a reason
(`not_article`, `empty`, `too_short`, `language`, `out_of_scope`; the build adds the duplicate
reasons). `not_article`: the page-kind model (cleaners/models/page_kind.py) judged the page a
listing, tag or category page, a product page, a forum thread or the like, not an article.

Configuration is a small YAML file (all keys optional):

    languages: [ar, fr, en]      # documents in other languages are rejected
    min_words: 40                # shorter documents are rejected
    near_dup_threshold: 0.5      # estimated Jaccard of word 5-gram shingles for one cluster
    topics:                      # topics beyond DGSN and Interpol; regexes over cleaners.topics.fold(text)
      Customs:
        ADII: '\\badii\\b'
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from cleaners.document import Document
from cleaners.models.page_kind import NOT_ARTICLE
from cleaners.pipeline import MIN_WORDS
from cleaners.topics import Term, compile_terms, topic_hits


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ScopeConfig:
    languages: tuple[str, ...] = ("ar", "fr", "en")
    min_words: int = 40
    near_dup_threshold: float = 0.5
    topics: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> ScopeConfig:
        if path is None:
            return cls()
        try:
            data: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            unknown = set(data) - {"languages", "min_words", "near_dup_threshold", "topics"}
            if unknown:
                raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
            config = cls(languages=tuple(data.get("languages", cls.languages)),
                         min_words=int(data.get("min_words", cls.min_words)),
                         near_dup_threshold=float(data.get("near_dup_threshold", cls.near_dup_threshold)),
                         topics={str(t): {str(k): str(v) for k, v in terms.items()}
                                 for t, terms in (data.get("topics") or {}).items()})
            config.extra_terms  # noqa: B018 (compile now: a bad regex is a configuration error)
        except (OSError, yaml.YAMLError, re.error, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{path}: {' '.join(str(exc).split())}") from exc  # one line, as every error
        if not 0 < config.near_dup_threshold < 1:
            raise ConfigError(f"{path}: near_dup_threshold must be between 0 and 1")
        return config

    @cached_property
    def extra_terms(self) -> list[Term]:
        return compile_terms(self.topics)

    def digest(self) -> str:
        """Recorded with each build: a change of configuration explains a change of the corpus."""
        blob = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def apply_scope(doc: Document, config: ScopeConfig) -> str | None:
    """Tag the document with its topics and score; return why it is out of the corpus, or None."""
    hits = topic_hits(f"{doc.title or ''}\n{doc.text}", config.extra_terms)
    doc.topics = sorted({t for t, _ in hits})
    doc.matched_terms = sorted({label for _, label in hits})
    doc.topic_score = round(100 * sum(hits.values()) / max(doc.word_count, 1), 3)
    if doc.page_kind == NOT_ARTICLE:  # a listing, product page, forum thread...: not a news article
        return NOT_ARTICLE
    if doc.word_count < MIN_WORDS:
        return "empty"
    if doc.word_count < config.min_words:
        return "too_short"
    if doc.language not in config.languages:
        return "language"
    if not doc.topics:
        return "out_of_scope"
    return None
