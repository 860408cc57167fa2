"""Text dumps written for this project with the noise of the seeds; each has an `.expect.json`
written by hand from the text (language, title, first words, sentences to keep, noise to drop)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners import clean_text
from tests.conftest import FIXTURES

DUMPS = sorted((FIXTURES / "dumps").glob("*.txt"))


def test_fixtures_exist() -> None:
    assert len(DUMPS) >= 6


@pytest.mark.parametrize("path", DUMPS, ids=lambda p: p.stem)
def test_dump_cleans_to_its_expectation(path: Path) -> None:
    expect = json.loads(path.with_suffix(".expect.json").read_text(encoding="utf-8"))
    doc = clean_text(path.read_text(encoding="utf-8"))
    assert doc.language == expect["language"]
    assert doc.title == expect["title"]
    assert doc.text.startswith(expect["text_starts_with"])
    for sentence in expect["must_keep"]:
        assert sentence in doc.text, sentence
    for noise in expect["must_remove"]:
        assert noise not in doc.text, noise
    if expect["title"]:
        assert expect["title"] not in doc.text.split("\n")
