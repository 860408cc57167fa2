"""The acceptance criteria of the foundation issue, on the five seed documents in ../shared/seeds.

The expected sentences are read from the seed files themselves: every line that is not one of
the noise lines named here must survive, sentence by sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cleaners import Document, clean_text
from cleaners.unicode import repair

_SENTENCE = re.compile(r"(?<=[.!?؟])\s+")


def _seed(seeds_dir: Path, prefix: str) -> str:
    (path,) = seeds_dir.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def _clean(seeds_dir: Path, prefix: str) -> Document:
    return clean_text(_seed(seeds_dir, prefix))


def _body_sentences(raw: str, is_noise: Callable[[int, str], bool]) -> list[str]:
    out = []
    for i, line in enumerate(repair(raw).split("\n")):
        if line.strip() and not is_noise(i, line):
            out.extend(s for s in _SENTENCE.split(line.strip()) if s)
    return out


def _assert_body_survives(doc: Document, sentences: list[str]) -> None:
    missing = [s for s in sentences if s not in doc.text]
    assert not missing, f"{len(missing)} body sentence(s) lost, first: {missing[0][:120]!r}"


def test_seed_000_shortcode_rendered_once_with_speaker(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "000")
    doc = clean_text(raw)
    for syntax in ("[bs-quote", "author_avatar=", "[/bs-quote]"):
        assert syntax not in doc.text
    quote_line = next(line for line in raw.split("\n") if line.startswith("[bs-quote"))
    quote = re.search(r"quote=.(.+?).\s+style=", quote_line).group(1)
    speaker = re.search(r"author_name=.(.+?).\s+author_job=", quote_line).group(1)
    assert doc.text.count(quote) == 1
    quoted_line = next(line for line in doc.text.split("\n") if quote in line)
    assert speaker in quoted_line
    _assert_body_survives(doc, _body_sentences(raw, lambda i, line: line.startswith("[bs-quote")))
    assert doc.language == "en"


def test_seed_001_credit_line_and_glued_label(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "001")
    doc = clean_text(raw)
    assert "© Copyright" not in doc.text and "Copyright" not in doc.text
    # the first body line of the dump, without the "Vidéo" label glued to its first word
    labelled = next(line for line in raw.split("\n") if line.startswith("Vidéo"))
    assert doc.text.startswith(labelled.removeprefix("Vidéo")[:60])
    assert doc.text.split()[0][0].isupper() and not doc.text.startswith("Vidéo")
    assert doc.language == "fr"
    sentences = _body_sentences(raw.replace("Vidéo", "", 1), lambda i, line: "© Copyright" in line)
    _assert_body_survives(doc, sentences)


def test_seed_002_notice_title_breadcrumb_amp(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "002")
    doc = clean_text(raw)
    for noise in ("Notice:", "wp-includes", "- 7news Morocco", "Home Morocco", "Exit mobile version"):
        assert noise not in doc.text
    headline = raw.split("\n")[4].strip()  # the standalone headline line of the dump
    assert doc.title == headline
    body_start = next(line for line in raw.split("\n")[5:] if line.strip())
    assert doc.text.startswith(body_start[:60]) and body_start.startswith(headline.split()[0] + " ")
    assert headline not in doc.text
    noise_lines = {0, 1, 2, 4}
    sentences = _body_sentences(raw, lambda i, line: i in noise_lines or line == "Exit mobile version")
    _assert_body_survives(doc, sentences)


def test_seed_003_title_and_subheadings(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "003")
    doc = clean_text(raw)
    assert doc.title == raw.split("\n")[0].strip()
    lines = doc.text.split("\n")
    assert "Cybercrime" in lines and "Acknowledgements" in lines
    _assert_body_survives(doc, _body_sentences(raw, lambda i, line: i == 0))


def test_seed_004_hashtags_back_to_top_title_arabic(seeds_dir: Path) -> None:
    raw = _seed(seeds_dir, "004")
    doc = clean_text(raw)
    assert doc.title == raw.split("\n")[0].strip()
    assert "زر الذهاب إلى الأعلى" not in doc.text
    assert not any(line.startswith("#") for line in doc.text.split("\n"))
    assert doc.language == "ar"
    assert "″" not in doc.text  # the odd closing quote is repaired to ”
    sentences = _body_sentences(
        raw.replace("″", "”"),
        lambda i, line: i == 0 or line.startswith("#") or line == "زر الذهاب إلى الأعلى",
    )
    _assert_body_survives(doc, sentences)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_removals_are_recorded(seeds_dir: Path, prefix: str) -> None:
    raw = _seed(seeds_dir, prefix)
    doc = clean_text(raw)
    assert doc.removed, "every seed has noise (or a headline) that the audit must show"
    repaired = repair(raw)
    for r in doc.removed:
        assert r.rule and r.text
        assert r.text in repaired or r.rule.startswith("shortcode.")


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_recleaning_is_stable(seeds_dir: Path, prefix: str) -> None:
    doc = _clean(seeds_dir, prefix)
    again = clean_text(doc.text, title=doc.title)
    assert (again.text, again.title) == (doc.text, doc.title)
    assert again.removed == []
