"""topics.fold against the plain form of its definition."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.topics import fold

_MARKS = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ؤ": "و", "ئ": "ي"})


def _plain(text: str, spaces: bool) -> str:
    """NFKD, case fold, combining marks and tatweel out, NFC, Arabic letter forms, runs of white space."""
    s = unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFKD", text).casefold()))
    s = s.translate(_FORMS)
    return re.sub(r"\s+", " ", s) if spaces else s


# Arabic letters and forms, harakat and tatweel, accented Latin, ligatures, Turkish İ, ß, and
# every kind of white space (NBSP, em space, the separators \x1c-\x1f, line and paragraph separators)
_ALPHABET = st.sampled_from(list("أإآٱىؤئاويءةلامنتربول\u064b\u064e\u0650\u0651\u0652\u0670\u0640"
                                 "SûretéÉçàœﬁİßIiDGSN dgsn-.,«»0123456789"
                                 "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003\u2028\u2029\u3000"))


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join), st.booleans())
def test_fold_is_its_plain_definition(text: str, spaces: bool) -> None:
    assert fold(text, spaces) == _plain(text, spaces)


def test_fold_examples() -> None:
    assert fold("  La  Sûreté\u00a0NATIONALE \n") == " la surete nationale "
    assert fold("المديرية العامة للأمن الوطني", spaces=False) == "المديرية العامة للامن الوطني"
    assert fold("الإنتربول\tو\u00a0ى") == "الانتربول و ي"
    assert fold("") == "" and fold(" \t ") == " " and fold(" \t ", spaces=False) == " \t "
