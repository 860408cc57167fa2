"""Pathological input finishes in bounded time and is counted, never fatal."""

from __future__ import annotations

import random
import threading
import time

import pytest

from cleaners import clean_html
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


def test_twenty_megabyte_page_is_skipped_at_the_time_limit_and_the_run_goes_on() -> None:
    html = ("<html><body><article>" + PARA * (20 * 1024 * 1024 // len(PARA)) + "</article></body></html>").encode()
    assert len(html) >= 20 * 1024 * 1024
    small = _item(b"<html><body><article>" + PARA.encode() * 3 + b"</article></body></html>", "small.html")
    stats = ReadStats()
    started = time.monotonic()
    # unbounded, this page takes minutes; the limit leaves the small page seconds to spare under load
    docs = list(clean_items([_item(html, "big.html"), small], stats, time_limit_s=3.0))
    assert time.monotonic() - started < 20
    assert [d.raw_path for d in docs] == ["small.html"]
    assert stats.counts["dropped:timeout"] == 1
    assert "big.html" in str(stats.problems[0]) and "skipped" in str(stats.problems[0])


@pytest.mark.parametrize("shape", ["paragraphs", "link rows"])
def test_a_page_at_the_record_cap_stops_near_its_time_limit(shape: str) -> None:
    """The limit lands between calls into C (an XPath over the whole tree, its serialisation): the
    overrun is one such call, which grows with the page. At the record cap (16 MiB, larger pages
    are skipped as too_large) it is about a second; a 50 MB page of link rows, with the cap raised,
    overran a 4 s limit by 5 s."""
    unit = PARA if shape == "paragraphs" else "<div><span>cell</span><a href='/x'>a link to another page</a></div>"
    html = ("<html><body><article>" + unit * (16_000_000 // len(unit)) + "</article></body></html>").encode()
    stats = ReadStats()
    started = time.monotonic()
    assert list(clean_items([_item(html, "big.html")], stats, time_limit_s=4.0)) == []
    elapsed = time.monotonic() - started
    print(f"{shape}: {elapsed:.1f} s for a 4 s limit")
    assert elapsed < 8.0 and stats.counts["dropped:timeout"] == 1


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
