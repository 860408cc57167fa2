"""Language identification with py3langid; its model ships inside the wheel (no download)."""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

MIN_CHARS = 20  # below this a guess is noise; such documents get no language
_LETTER = re.compile(r"[^\W\d_]")
# The model also knows some varieties by ISO 639-3 code; they fold into their ISO 639-1
# macrolanguage (Moroccan and Egyptian Arabic are Arabic for this corpus). Codes with no
# ISO 639-1 equivalent stay as they are; "zxx" (no linguistic content) becomes None.
MACROLANGUAGE = {"ary": "ar", "arz": "ar", "uzs": "uz", "gug": "gn", "yue": "zh", "wuu": "zh", "fuv": "ff",
                 "sdh": "ku", "hbo": "he", "zxx": None}


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


DOC_SAMPLE = 2500  # characters; more changes the answer almost never and costs linear time
PARAGRAPH_SAMPLE = 8  # paragraphs checked for a mixed-language document, spread over the text
PARAGRAPH_MIN_LETTERS = 40
PARAGRAPH_CHARS = 250  # enough to tell a paragraph's language
MIXED_SHARE = 0.15  # a language on at least this share of the checked text counts
PARAGRAPHS_ENOUGH = 750  # characters of checked paragraphs that decide the document's language
# Matches where the text has PARAGRAPH_MIN_LETTERS letters ([^\W\d_]; the class after `*` is
# its complement): the check stops at the 40th letter, instead of listing every letter.
_ENOUGH_LETTERS = re.compile(r"(?:[\W\d_]*[^\W\d_]){" + str(PARAGRAPH_MIN_LETTERS) + "}")


def identify(text: str) -> tuple[str | None, float | None]:
    """ISO 639-1 code and probability, or (None, None) when there is too little text to tell."""
    sample = text[:DOC_SAMPLE]
    if len(_LETTER.findall(sample)) < MIN_CHARS:
        return None, None
    lang, prob = _identifier().classify(sample)
    code = MACROLANGUAGE.get(str(lang), str(lang))
    return (code, round(float(prob), 4)) if code else (None, None)


def _paragraph_scores(text: str) -> tuple[dict[str, int], dict[str, float]]:
    """Per language: characters of the sampled paragraphs it won, and the sum of its
    probabilities weighted by those characters."""
    paragraphs = [p for p in text.split("\n")
                  if len(p) >= PARAGRAPH_MIN_LETTERS and _ENOUGH_LETTERS.match(p, 0, 400)]
    if len(paragraphs) > PARAGRAPH_SAMPLE:
        step = len(paragraphs) / PARAGRAPH_SAMPLE
        paragraphs = [paragraphs[int(i * step)] for i in range(PARAGRAPH_SAMPLE)]
    weights: dict[str, int] = {}
    probs: dict[str, float] = {}
    for p in paragraphs:
        lang, prob = _identifier().classify(p[:PARAGRAPH_CHARS])
        code = MACROLANGUAGE.get(str(lang), str(lang))
        if code:
            weight = min(len(p), PARAGRAPH_CHARS)
            weights[code] = weights.get(code, 0) + weight
            probs[code] = probs.get(code, 0.0) + weight * float(prob)
    return weights, probs


def paragraph_languages(text: str) -> list[tuple[str, float]]:
    """Languages of the document's paragraphs with their share of the text, most text first;
    more than one means the document mixes languages (a French article quoting an Arabic
    statement, a bilingual page)."""
    weights, _ = _paragraph_scores(text)
    return _shares(weights)


def _shares(weights: dict[str, int]) -> list[tuple[str, float]]:
    total = sum(weights.values())
    return [(k, round(w / total, 4)) for k, w in sorted(weights.items(), key=lambda kv: -kv[1])
            if w / total >= MIXED_SHARE]


def identify_document(text: str) -> tuple[str | None, float | None, list[str]]:
    """One language per document (the one with most paragraph text), its score, and every
    language with a real share of the text. When the paragraphs checked hold enough text they
    decide alone (classifying a document sample as well doubles the cost and changes nothing);
    otherwise a sample of the whole text does."""
    weights, probs = _paragraph_scores(text)
    shares = _shares(weights)
    if sum(weights.values()) >= PARAGRAPHS_ENOUGH:
        language = max(weights, key=weights.__getitem__)
        return language, round(probs[language] / weights[language], 4), [code for code, _ in shares]
    language, score = identify(text)
    if shares and shares[0][0] != language:
        language, score = shares[0]
    return language, score, [code for code, _ in shares]
