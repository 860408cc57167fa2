"""Property tests: cleaning never raises, and cleaning a cleaned Document changes nothing."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cleaners import clean_html, clean_text
from cleaners.unicode import repair

# Lines made of the kinds of noise the rules target, mixed with article-like lines, so the
# property is exercised where the rules actually fire, not only on random characters.
NOISE = [
    "Exit mobile version", "زر الذهاب إلى الأعلى", "Partager :", "Facebook Twitter WhatsApp",
    "#الأمن #طنجة", "Lire aussi : Un titre", "اقرأ أيضاً: عنوان", "Related Articles", "Tags",
    "© Copyright : A. B / Site", "date 2024-05 ", "VidéoRabat", "(Avec MAP)", "Home Morocco",
    "Notice: Undefined index: x in /var/www/a.php on line 12",
    '[bs-quote quote="A quote." author_name="N. M" author_job="Chief"][/bs-quote]',
    "[vc_row]", "[caption]An officer[/caption]", "“Quoted text″", "Title here - Site", "",
]
WORDS = st.sampled_from(["police", "الأمن", "Interpol", "la", "DGSN", "arrested", "suspect", "في",
                         "réseau", "Tangier", "the", "of", ".", ",", "said", "Title", "here"])
LINE = st.one_of(st.sampled_from(NOISE), st.lists(WORDS, min_size=1, max_size=40).map(" ".join),
                 st.text(max_size=80))
DOC = st.lists(LINE, max_size=14).map("\n".join)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text())
def test_clean_text_never_raises_on_arbitrary_text(text: str) -> None:
    doc = clean_text(text)
    assert isinstance(doc.text, str)
    assert doc.word_count == len(doc.text.split())


@FAST
@given(st.binary(max_size=4000))
def test_clean_html_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    doc = clean_html(data)
    assert isinstance(doc.text, str)


@FAST
@given(DOC)
# A first-line rule (the dump date) on the line after a detected headline.
@example("0 0 0\ndate 2024-05 \n0 0 0 0 0 0 0 0 0 .")
def test_clean_is_idempotent_on_noisy_documents(text: str) -> None:
    once = clean_text(text)
    twice = clean_text(once.text, title=once.title)
    assert (twice.text, twice.title) == (once.text, once.title)


@FAST
@given(st.text())
def test_clean_is_idempotent_on_arbitrary_text(text: str) -> None:
    once = clean_text(text)
    twice = clean_text(once.text, title=once.title)
    assert (twice.text, twice.title) == (once.text, once.title)


# Entities next to markup a rule cuts out: once the markup is gone, a second cleaning must not
# decode what the first one left ("&amp;" beside "<b>Notice</b>" used to survive the first pass).
ENTITY_PARTS = st.sampled_from(["&amp;", "&amp;amp;", "&lt;", "&gt;", "&#39;", "&quot;", "<", ">", "<b>", "</b>",
                                "Notice: x in /a.php on line 3", "[caption]a &amp; b[/caption]", "(MAP)",
                                "Partager :", "police", "said", " ", "\n", "&", "amp;", ";", "©"])


@FAST
@given(st.lists(ENTITY_PARTS, min_size=1, max_size=12).map("".join))
def test_clean_is_idempotent_on_entities_beside_markup(text: str) -> None:
    once = clean_text(text)
    twice = clean_text(once.text, title=once.title)
    assert (twice.text, twice.title) == (once.text, once.title)


def test_entities_are_decoded_on_a_line_with_markup() -> None:
    doc = clean_text("<b>Notice</b>: Undefined index: x in /var/www/a.php on line 3 Tom &amp;amp; Jerry &lt;3")
    assert doc.text == "Tom & Jerry <3"
    assert clean_text(doc.text).text == doc.text


@FAST
@given(st.text())
def test_repair_of_repaired_text_changes_nothing(text: str) -> None:
    once = repair(text)
    assert repair(once) == once


@FAST
@given(st.text() | st.lists(st.sampled_from(["\xa0", "Â", "\x80", "©", "“", "″", "\r", "\n", " ", "\u00ad", "e",
                                            "\u0301", "&amp;", "Ã©", "\u200b", "\ufb01"]), max_size=20).map("".join))
def test_repair_ends_where_a_pass_more_would_change_nothing(text: str) -> None:
    # repair stops once a pass leaves nothing for ftfy, without the pass that would confirm it
    from cleaners.unicode import _REPAIR_PASSES, _repair_once

    expected = text
    for _ in range(_REPAIR_PASSES):
        fixed = _repair_once(expected)
        if fixed == expected:
            break
        expected = fixed
    assert repair(text) == expected


def test_mojibake_after_a_stripped_space_is_repaired_the_same_both_times() -> None:
    # ftfy reads context: with the no-break space it stops at "Â€", without it goes on to "€"
    once = clean_text("\xa0Â\x80")
    assert clean_text(once.text).text == once.text


@FAST
@given(DOC)
def test_document_to_dict_is_what_dataclasses_asdict_gives(text: str) -> None:
    doc = clean_text(text, url="https://news.example.ma/a/", title="Title here")
    doc.authors.append("A. B")
    assert doc.to_dict() == dataclasses.asdict(doc)
    assert doc.to_dict()["removed"] is not doc.removed  # lists are copies, as asdict's
