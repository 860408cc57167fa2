"""Pathological input finishes in bounded time and is counted, never fatal."""

from __future__ import annotations

import random
import threading
import time

import pytest

from cleaners import clean_html
from cleaners.extract import MAX_PAGE_ELEMENTS, PageTooLarge
from cleaners.pipeline import DocumentTimeout, clean_items, time_limit
from cleaners.readers import RawItem, ReadStats

PARA = "<p>The national police said officers arrested a suspect wanted by Interpol in Tangier on Monday.</p>"


def _item(content: bytes, name: str = "x.html") -> RawItem:
    return RawItem(content=content, kind="html", raw_path=name, raw_format="html")


def test_ten_thousand_nested_levels() -> None:
    html = "<html><body>" + "<div>" * 10_000 + PARA + "</div>" * 10_000 + "</body></html>"
    started = time.monotonic()
    doc = clean_html(html)
    assert time.monotonic() - started < 30
    assert isinstance(doc.text, str)


def test_twenty_megabyte_page_is_skipped_as_too_large_and_the_run_goes_on() -> None:
    html = ("<html><body><article>" + PARA * (20 * 1024 * 1024 // len(PARA)) + "</article></body></html>").encode()
    assert len(html) >= 20 * 1024 * 1024
    small = _item(b"<html><body><article>" + PARA.encode() * 3 + b"</article></body></html>", "small.html")
    stats = ReadStats()
    started = time.monotonic()
    docs = list(clean_items([_item(html, "big.html"), small], stats, time_limit_s=3.0))
    assert time.monotonic() - started < 10
    assert [d.raw_path for d in docs] == ["small.html"]
    assert stats.counts["skipped:too_large"] == 1
    assert "big.html" in str(stats.problems[0]) and "elements, over 30,000; skipped" in str(stats.problems[0])


LINK_ROW = "<div><span>cell</span><a href='/x'>a link to another page</a></div>"


@pytest.mark.parametrize("unit", [PARA, LINK_ROW], ids=["paragraphs", "link rows"])
def test_a_page_at_the_record_cap_is_skipped_at_once_for_its_elements(unit: str) -> None:
    """libxml2 takes time that grows with the square of a node set (`//p//text()` over 160,000
    paragraphs: 50 s), in one call the time limit cannot interrupt: a page over MAX_PAGE_ELEMENTS
    is not extracted."""
    html = ("<html><body><article>" + unit * (16_000_000 // len(unit)) + "</article></body></html>").encode()
    stats = ReadStats()
    started = time.monotonic()
    assert list(clean_items([_item(html, "big.html")], stats, time_limit_s=4.0)) == []
    assert time.monotonic() - started < 4.0
    assert stats.counts["skipped:too_large"] == 1 and not stats.counts["dropped:timeout"]
    with pytest.raises(PageTooLarge, match="elements, over 30,000"):
        clean_html(html)


# A timeout that lands in a gc callback is printed and swallowed (the alarm repeats for that):
# pytest reports the swallowed one as a warning.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("unit,per", [(PARA, 1), (LINK_ROW, 3)], ids=["paragraphs", "link rows"])
def test_a_page_at_the_element_cap_stops_near_its_time_limit(unit: str, per: int) -> None:
    """Under the cap, the limit lands between calls into C (an XPath over the whole tree, its
    serialisation): the overrun is one such call, under a second at the cap (unbounded, this page
    takes 2 to 4 s)."""
    html = ("<html><body><article>" + unit * (MAX_PAGE_ELEMENTS // per - 10) + "</article></body></html>").encode()
    stats = ReadStats()
    started = time.monotonic()
    assert list(clean_items([_item(html, "big.html")], stats, time_limit_s=0.5)) == []
    elapsed = time.monotonic() - started
    print(f"{elapsed:.1f} s for a 0.5 s limit")
    assert elapsed < 2.5 and stats.counts["dropped:timeout"] == 1


def test_binary_garbage_labelled_html_is_dropped_with_a_reason() -> None:
    garbage = random.Random(7).randbytes(200_000)
    stats = ReadStats()
    assert list(clean_items([_item(garbage)], stats)) == []
    assert stats.counts["dropped:binary"] == 1


def test_captions_pull_quotes_and_subheadings_are_kept_captions_configurable() -> None:
    body = PARA * 2
    html = ("<html><body><article><h1>Police arrest a suspect in Tangier</h1>" + body +
            "<h2>Cooperation with partners</h2>" + body.replace("Monday", "Friday") +
            "<figure><img src='a.jpg'><figcaption>Officers at the port of Tanger Med</figcaption></figure>"
            "<blockquote class='pullquote'>We will not stop until every network is dismantled, the director said."
            "</blockquote>" + body.replace("Monday", "Sunday") + "</article></body></html>")
    doc = clean_html(html)
    lines = doc.text.split("\n")
    assert "Cooperation with partners" in lines
    assert "Officers at the port of Tanger Med" in lines
    assert any(line.startswith("We will not stop") for line in lines)
    assert "Officers at the port of Tanger Med" not in clean_html(html, captions=False).text


def test_time_limit_fires_again_when_the_first_alarm_is_swallowed() -> None:
    # Python prints and drops an exception raised inside a gc callback or __del__; a single alarm
    # landing there must not leave the document running unbounded.
    swallowed = 0
    started = time.monotonic()
    with pytest.raises(DocumentTimeout):
        with time_limit(0.2):
            while time.monotonic() - started < 10:
                try:
                    time.sleep(0.01)
                except DocumentTimeout:
                    swallowed += 1
                    if swallowed > 1:
                        raise
    assert swallowed == 2 and time.monotonic() - started < 3


def test_time_limit_holds_outside_the_main_thread_as_in_a_dask_worker() -> None:
    outcome: dict[str, object] = {}

    def work() -> None:
        started = time.monotonic()
        try:
            with time_limit(0.3):
                while time.monotonic() - started < 10:
                    sum(range(1000))
        except DocumentTimeout:
            outcome["stopped_after"] = time.monotonic() - started
        # nothing is raised here once the block has ended
        time.sleep(1.0)
        outcome["finished"] = True

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(15)
    assert outcome["finished"] is True
    assert 0.3 <= outcome["stopped_after"] < 3
