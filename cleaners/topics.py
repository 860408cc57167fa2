"""DGSN and Interpol topic terms, matched across spelling variants (case, accents, Arabic alef,
hamza and tanwin forms). Shared by the crawler's pre-filter and the corpus scope filter."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from cleaners.rules import norm_line

# Each topic: term label -> regex over text normalized by `_fold` (lowercase, no accents,
# Arabic letter forms folded as in cleaners.rules.norm_line).
TOPICS: dict[str, dict[str, str]] = {
    "DGSN": {
        "DGSN": r"\bdgsn\b",
        "DGST": r"\bdgst\b",
        "Sûreté nationale": r"\bsurete\s+nationale\b",
        "Direction générale de la sûreté nationale": r"\bdirection\s+generale\s+de\s+la\s+surete\b",
        "General Directorate of National Security":
            r"\b(?:general\s+)?directorate(?:\s+general)?\s+(?:of|for)\s+national\s+security\b",
        "Hammouchi": r"\bhammouchi\b|\bhamouchi\b",
        "حموشي": r"حموشي",
        "المديرية العامة للأمن الوطني": r"المديرية\s+العامة\s+للامن\s+الوطني",
        "الأمن الوطني": r"(?:ال|لل)امن\s+الوطني",
        "مراقبة التراب الوطني": r"مراقبة\s+التراب\s+الوطني",
    },
    "Interpol": {
        "Interpol": r"\binterpol\b",
        "الإنتربول": r"انتربول|انتربل",
        "International Criminal Police Organization": r"\binternational\s+criminal\s+police\s+organi[sz]ation\b",
        "Organisation internationale de police criminelle":
            r"\borganisation\s+internationale\s+de\s+(?:la\s+)?police\s+criminelle\b",
        "المنظمة الدولية للشرطة الجنائية": r"المنظمة\s+الدولية\s+للشرطة\s+الجنائية",
        "red notice": r"\bred\s+notices?\b|\bnotices?\s+rouges?\b|(?:ال)?نشرة\s+(?:ال)?حمراء",
    },
}


_LATIN_MARKS = re.compile("[\u0300-\u036f]")


def _fold(text: str) -> str:
    """Accents off Latin letters (sûreté -> surete); Arabic already folded by norm_line."""
    return _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", norm_line(text)))


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[str, str, re.Pattern[str]]]:
    return [(topic, label, re.compile(rx)) for topic, terms in TOPICS.items() for label, rx in terms.items()]


def match_topics(text: str) -> tuple[list[str], list[str]]:
    """Topics found (sorted) and the term labels that matched (sorted)."""
    folded = _fold(text)
    topics: set[str] = set()
    terms: set[str] = set()
    for topic, label, rx in _compiled():
        if rx.search(folded):
            topics.add(topic)
            terms.add(label)
    return sorted(topics), sorted(terms)


def is_on_topic(*texts: str | None) -> bool:
    """True when any of the texts (a title, a summary) mentions a topic term."""
    return bool(match_topics("\n".join(t for t in texts if t))[0])


# Query terms for site search and the WordPress REST API `search=` parameter: one per spelling
# that a site's own search would not fold together.
SEARCH_TERMS = ("DGSN", "Interpol", "Hammouchi", "Sûreté nationale", "الأمن الوطني", "الإنتربول",
                "الانتربول", "حموشي")
