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


def identify(text: str) -> tuple[str | None, float | None]:
    """ISO 639-1 code and probability, or (None, None) when there is too little text to tell."""
    sample = text[:20_000]
    if len(_LETTER.findall(sample, 0, 5000)) < MIN_CHARS:
        return None, None
    lang, prob = _identifier().classify(sample)
    code = MACROLANGUAGE.get(str(lang), str(lang))
    return (code, round(float(prob), 4)) if code else (None, None)
