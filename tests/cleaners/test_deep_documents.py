"""Text nested past libxml2's depth limit (256 levels) is kept: such pages are parsed again by
Python's html.parser and flattened, instead of coming out empty."""

from __future__ import annotations

import pytest

from cleaners import clean_html
from cleaners.extract import FLAT_DEPTH, flatten_html, parse_html

SENTENCES = ["The national police said officers arrested a suspect wanted by Interpol in Tangier on Monday.",
             "Investigators seized forged passports and cash during the search of two apartments.",
             "The suspect will appear before the investigating judge at the Rabat court of appeal."]
PARAS = "".join(f"<p>{s}</p>" for s in SENTENCES)


def _depth(tree) -> int:
    return max(sum(1 for _ in el.iterancestors()) for el in tree.iter())


@pytest.mark.parametrize("levels", [260, 1_000, 100_000])
def test_deeply_nested_text_comes_out(levels: int) -> None:
    html = "<html><body>" + "<div>" * levels + PARAS + "</div>" * levels + "</body></html>"
    doc = clean_html(html)
    for sentence in SENTENCES:
        assert sentence in doc.text
    assert doc.text.count("\n") == 2  # the paragraphs stay paragraphs


def test_unclosed_div_font_pairs_keep_their_text() -> None:
    html = "<html><body>" + "<div><font face='Arial'>" * 300 + PARAS + "</body></html>"
    doc = clean_html(html)
    for sentence in SENTENCES:
        assert sentence in doc.text


def test_flattening_caps_the_depth_and_keeps_text_attributes_and_scripts() -> None:
    html = ("<html><head><script>if (a < b && c) go()</script></head><body>"
            + "<div class='x y'><span>" * 200 + "<p>A &amp; B<br>C</p>" + "</body></html>")
    flat = flatten_html(html)
    tree = parse_html(flat)
    assert _depth(tree) <= FLAT_DEPTH + 2
    assert 'class="x y"' in flat and "if (a < b && c) go()" in flat
    texts = [p.text_content() for p in tree.iter("p")]
    assert "A & B" in texts and "C" in texts


def test_a_page_of_ordinary_depth_is_parsed_once_as_before() -> None:
    html = "<html><body>" + "<div>" * 40 + PARAS + "</div>" * 40 + "</body></html>"
    assert _depth(parse_html(html)) == 42  # not flattened: the wrappers are all there
