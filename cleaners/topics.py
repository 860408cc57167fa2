"""DGSN and Interpol topic terms, matched across spelling variants (case, accents, Arabic alef,
hamza and tanwin forms). Shared by the crawler's pre-filter and the corpus scope filter."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Each topic: term label -> (a word every match contains, regex), both over text folded by
# `_fold` (lowercase, no accents, Arabic letter forms folded). The word is a cheap substring test
# that lets most documents skip the regex.
TOPICS: dict[str, dict[str, tuple[str, str]]] = {
    "DGSN": {
        "DGSN": ("dgsn", r"\bdgsn\b"),
        "DGST": ("dgst", r"\bdgst\b"),
        "Sûreté nationale": ("surete", r"\bsurete\s+nationale\b"),
        "Direction générale de la sûreté nationale": ("surete", r"\bdirection\s+generale\s+de\s+la\s+surete\b"),
        "General Directorate of National Security":
            ("directorate", r"\b(?:general\s+)?directorate(?:\s+general)?\s+(?:of|for)\s+national\s+security\b"),
        "Hammouchi": ("ouchi", r"\bhamm?ouchi\b"),
        "حموشي": ("حموشي", r"حموشي"),
        "المديرية العامة للأمن الوطني": ("المديرية", r"المديرية\s+العامة\s+للامن\s+الوطني"),
        "الأمن الوطني": ("الوطني", r"(?:ال|لل)امن\s+الوطني"),
        "مراقبة التراب الوطني": ("التراب", r"مراقبة\s+التراب\s+الوطني"),
    },
    "Interpol": {
        "Interpol": ("interpol", r"\binterpol\b"),
        "الإنتربول": ("انترب", r"انتربول|انتربل"),
        "International Criminal Police Organization":
            ("criminal", r"\binternational\s+criminal\s+police\s+organi[sz]ation\b"),
        "Organisation internationale de police criminelle":
            ("criminelle", r"\borganisation\s+internationale\s+de\s+(?:la\s+)?police\s+criminelle\b"),
        "المنظمة الدولية للشرطة الجنائية": ("للشرطة", r"المنظمة\s+الدولية\s+للشرطة\s+الجنائية"),
        "red notice": ("notice", r"\bred\s+notices?\b|\bnotices?\s+rouges?\b"),
        "النشرة الحمراء": ("حمراء", r"(?:ال)?نشرة\s+(?:ال)?حمراء"),
    },
}


# One pass over the text: compatibility decomposition, case fold, then every combining mark goes
# (Latin accents: sûreté -> surete; Arabic tanwin and harakat) and Arabic letter forms fold as in
# cleaners.rules.norm_line. The patterns in TOPICS are written for this form.
_MARKS = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# One str.replace per form: on Arabic text, 40 times faster than str.translate with a table.
_AR_FORMS = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ؤ", "و"), ("ئ", "ي"))


def _one_space(s: str) -> str:
    r"""Each run of white space as one space, as re.sub(r"\s+", " ", s) makes it (str.split splits
    on the same characters), in half its time."""
    joined = " ".join(s.split())
    if not joined:
        return " " if s else ""
    return f"{' ' if s[0].isspace() else ''}{joined}{' ' if s[-1].isspace() else ''}"


def _fold(text: str, spaces: bool = True) -> str:
    """`spaces=False` leaves runs of white space as they are (the rest is the same fold): enough
    for a word test, and cheaper on a whole page."""
    if text.isascii():  # nothing to decompose or fold beyond case
        return _one_space(text.lower()) if spaces else text.lower()
    # NFKD splits أ into ا + hamza mark (removed below); the replaces catch precomposed forms left.
    s = unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFKD", text).casefold()))
    for form, letter in _AR_FORMS:
        s = s.replace(form, letter)
    return _one_space(s) if spaces else s


Term = tuple[str, str, str, re.Pattern[str]]  # topic, label, prefilter word ("" for none), regex


@lru_cache(maxsize=1)
def _compiled() -> list[Term]:
    return [(topic, label, word, re.compile(rx))
            for topic, terms in TOPICS.items() for label, (word, rx) in terms.items()]


def compile_terms(topics: dict[str, dict[str, str]]) -> list[Term]:
    """Extra topics from configuration: topic -> {label: regex over `fold`ed text}."""
    return [(topic, label, "", re.compile(rx)) for topic, terms in topics.items() for label, rx in terms.items()]


def fold(text: str, spaces: bool = True) -> str:
    """The form TOPICS' patterns are written for (and configured extra terms must be)."""
    return _fold(text, spaces)


def builtin_terms() -> list[Term]:
    """The compiled terms of TOPICS (configured ones come from compile_terms)."""
    return _compiled()


def topic_hits(text: str, extra: list[Term] | tuple[Term, ...] = ()) -> dict[tuple[str, str], int]:
    """(topic, label) -> number of matches in the text, for every term that matches."""
    folded, builtin = _builtin_hits(text)
    hits = dict(builtin)
    for topic, label, word, rx in extra:
        if word in folded and (n := sum(1 for _ in rx.finditer(folded))):
            hits[topic, label] = n
    return hits


@lru_cache(maxsize=2)  # a document's text is matched twice: by the cleaners, then by the corpus scope
def _builtin_hits(text: str) -> tuple[str, dict[tuple[str, str], int]]:
    """The folded text and the hits of the built-in terms in it (callers copy the dict)."""
    folded = _fold(text)
    hits: dict[tuple[str, str], int] = {}
    for topic, label, word, rx in _compiled():
        if word in folded and (n := sum(1 for _ in rx.finditer(folded))):
            hits[topic, label] = n
    return folded, hits


def match_topics(text: str, extra: list[Term] | tuple[Term, ...] = ()) -> tuple[list[str], list[str]]:
    """Topics found (sorted) and the term labels that matched (sorted)."""
    hits = topic_hits(text, extra)
    return sorted({t for t, _ in hits}), sorted({label for _, label in hits})


def is_on_topic(*texts: str | None) -> bool:
    """True when any of the texts (a title, a summary) mentions a topic term."""
    return bool(match_topics("\n".join(t for t in texts if t))[0])


# Query terms for site search and the WordPress REST API `search=` parameter: one per spelling
# that a site's own search would not fold together.
SEARCH_TERMS = ("DGSN", "Interpol", "Hammouchi", "Sûreté nationale", "الأمن الوطني", "الإنتربول",
                "الانتربول", "حموشي")
