"""cleaners.cascade: trafilatura's cascade, with and without the replacements, gives the same
extraction on real pages in every mode; the link-density pass deletes the same elements."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from copy import copy
from typing import Any

import pytest
from lxml import etree
from trafilatura import external, htmlprocessing
from trafilatura.core import trafilatura_sequence
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.settings import Extractor
from trafilatura.xml import xmltotxt

from cleaners import cascade
from cleaners import xpaths as fast
from cleaners.extract import parse_html
from cleaners.models import devsets
from tests.conftest import REPO, shared_dir

SAMPLE_PAGES = sorted((REPO / "crawler" / "sample_outlets" / "pages").rglob("*.html"))
SENTENCE = "The committee met on Tuesday to review the findings of the annual report in detail. "
# A thread whose posts sit in comment containers (trafilatura reads such a page with its comment
# capture), and a page too short for the main extractor (the comparison and justext run).
FORUM = ("<html><head><script type='application/ld+json'>{\"@type\": \"DiscussionForumPosting\"}</script></head>"
         "<body><h1>Thread</h1><div class='comments'>"
         + "".join(f"<div class='comment'><p>Post {i}: {SENTENCE * 2}</p></div>" for i in range(4))
         + "</div></body></html>")
SHORT = "<html><body><div><span>Short notice.</span> <a href='/x'>More</a></div><p>One line here.</p></body></html>"
MODES = {
    "recall": dict(recall=True),
    "balanced": {},
    "precision": dict(precision=True),
    "fast": dict(fast=True),
    "comments": dict(comments=True),
    "recall+comments": dict(recall=True, comments=True),
}


@pytest.fixture(scope="module")
def pages() -> list[str]:
    """The sample outlet pages (ar, fr, en), every 50th dev page, a forum thread, a short page."""
    root = shared_dir() / "devsets"
    if not root.is_dir():
        pytest.fail(f"dev pages not found at {root}: put ../shared beside the repo or set DGSN_SHARED")
    dev = [p.html for folder in ("wcxb-dev-articles", "wcxb-dev-other")
           for p in itertools.islice(devsets.load(root / folder), 0, None, 50)]
    return [*(p.read_text("utf-8", errors="replace") for p in SAMPLE_PAGES), *dev, FORUM, SHORT]


def _extraction(html: str, options: Extractor) -> tuple[str, str]:
    tree = parse_html(html)
    assert tree is not None
    body, _, comments, _ = trafilatura_sequence(tree, copy(options), "https://example.ma/a")
    return xmltotxt(body, False), xmltotxt(comments, False)


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Count the calls of module.name (it still runs)."""
    calls = [0]
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("mode", list(MODES))
def test_each_mode_extracts_what_trafilatura_extracts(mode: str, pages: list[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    options = Extractor(output_format="python", tables=True, **{"comments": False, **MODES[mode]})
    compared = _counting(monkeypatch, external, "try_readability")
    rescued = _counting(monkeypatch, external, "justext_rescue")
    shipped = [_extraction(html, options) for html in pages]
    runs = compared[0], rescued[0]
    with fast.faster():
        assert [_extraction(html, options) for html in pages] == shipped
    # the comparison ran as often (each time on the copies it needs), and had text to compare
    assert (compared[0], rescued[0]) == (2 * runs[0], 2 * runs[1])
    assert sum(bool(text) for text, _ in shipped) > len(pages) * 0.8
    if mode in ("balanced", "comments", "precision"):
        assert runs[0] >= len(pages) - 5 and runs[1] >= 1, runs
    if mode == "recall":
        assert 0 < runs[0] < len(pages) / 2, runs  # most pages bypass it: no copies made for it
    if mode.endswith("comments"):
        assert any(comments for _, comments in shipped)


def test_the_backup_is_built_only_for_a_comparison_that_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    html = ("<html><body><article>" + "".join(f"<p>Part {i} of {n} words. {SENTENCE * 3}</p>" for i, n in
                                              enumerate(("one", "two", "three", "four", "five", "six", "seven",
                                                         "eight", "nine", "ten", "eleven", "twelve")))
            + "</article></body></html>")
    cleanings = _counting(monkeypatch, cascade, "tree_cleaning")
    with fast.faster():
        text, _ = _extraction(html, Extractor(output_format="python", comments=False, tables=True, recall=True))
        assert len(text) > 2500 and cleanings[0] == 1  # the bypass: no backup
        _extraction(html, Extractor(output_format="python", comments=False, tables=True))
        assert cleanings[0] == 3  # balanced: the extraction's tree and the backup


@pytest.mark.parametrize(("tag", "backtracking", "precision"),
                         [("div", True, False), ("div", True, True), ("list", False, False), ("p", False, False),
                          ("head", False, True), ("quote", False, True)])
def test_link_density_pass_deletes_what_trafilatura_deletes(tag: str, backtracking: bool, precision: bool,
                                                           pages: list[str]) -> None:
    options = Extractor(output_format="python", tables=True, precision=precision)
    changed = 0
    for html in pages:
        tree = parse_html(html)
        assert tree is not None
        converted = convert_tags(tree_cleaning(tree, options), options)
        before = etree.tostring(converted)
        shipped = htmlprocessing.delete_by_link_density(copy(converted), tag, backtracking, precision)
        ours = cascade.delete_by_link_density(converted, tag, backtracking, precision)
        assert etree.tostring(ours) == etree.tostring(shipped)
        changed += etree.tostring(ours) != before
    assert changed >= (5 if tag in ("div", "list", "p") else 0), changed
