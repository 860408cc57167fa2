from __future__ import annotations

import pytest

from cleaners.language import identify
from cleaners.topics import is_on_topic, match_topics


@pytest.mark.parametrize(("text", "code"), [
    ("The police arrested two suspects in Tangier on Monday after a long investigation.", "en"),
    ("La police a interpellé deux suspects à Tanger lundi après une longue enquête.", "fr"),
    ("أوقفت الشرطة شخصين مشتبه فيهما بمدينة طنجة يوم الاثنين بعد بحث طويل.", "ar"),
    ("واش نتا مزيان؟ البوليس شدو جوج ديال الناس ف طنجة البارح، والناس كاملين كيهضرو عليها بزاف.", "ar"),
])
def test_language_is_iso_639_1(text: str, code: str) -> None:
    lang, score = identify(text)
    assert lang == code and score is not None and 0 < score <= 1


def test_too_little_text_has_no_language() -> None:
    assert identify("12 34 —") == (None, None)


@pytest.mark.parametrize(("text", "topics"), [
    ("La Sûreté nationale a annoncé l'arrestation", ["DGSN"]),
    ("la surete nationale et INTERPOL", ["DGSN", "Interpol"]),
    ("أعلنت المديرية العامة للأمن الوطني", ["DGSN"]),
    ("مذكرة من الانتربول", ["Interpol"]),
    ("بتنسيق مع الأنتربول", ["Interpol"]),
    ("Abdellatif Hammouchi a reçu", ["DGSN"]),
    ("شخص مبحوث عنه بموجب نشرة حمراء", ["Interpol"]),
    ("The football club won the derby", []),
])
def test_topic_terms_across_spellings(text: str, topics: list[str]) -> None:
    assert match_topics(text)[0] == topics
    assert is_on_topic(text) == bool(topics)


def test_mixed_language_document_is_flagged() -> None:
    from cleaners import clean_text

    fr = ("La direction générale de la sûreté nationale a annoncé mardi l'arrestation d'un suspect "
          "recherché par Interpol pour escroquerie, au terme d'une enquête menée à Casablanca.")
    ar = ("وأوضح بلاغ المديرية العامة للأمن الوطني أن المشتبه فيه كان موضوع نشرة حمراء صادرة عن "
          "الإنتربول، وقد جرى وضعه تحت تدبير الحراسة النظرية رهن إشارة البحث القضائي.")
    mixed = clean_text(f"{fr}\n{ar}\n{fr}")
    assert mixed.language == "fr" and mixed.languages == ["fr", "ar"]
    assert clean_text(f"{fr}\n{fr}").languages == ["fr"]


def test_arabic_marks_kept_by_default_and_removed_on_request() -> None:
    from cleaners import clean_text

    text = "أعلنت المديريةُ العامة للأمن الوطنـــي عن توقيف شخص مبحوث عنه دولياً بمدينة طنجة يوم الاثنين."
    assert clean_text(text).text == text
    stripped = clean_text(text, strip_arabic_marks=True).text
    assert "الوطني" in stripped and "ـ" not in stripped and "ُ" not in stripped and "ً" not in stripped
