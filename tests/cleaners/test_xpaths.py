"""cleaners.xpaths: each Python selection picks exactly the nodes of trafilatura's XPath expression,
on parsed pages, on the trees trafilatura builds inside its extraction, and on a page made of the
attribute cases the expressions tell apart; and `faster()` leaves trafilatura as shipped outside
its block."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator

import pytest
import trafilatura
from lxml import etree
from trafilatura import core, external, main_extractor
from trafilatura import xpaths as xp

from cleaners import cascade, clean_html
from cleaners import xpaths as fast
from cleaners.extract import parse_html
from cleaners.models import devsets
from tests.conftest import REPO, shared_dir

PAIRS = [(f"{name}[{i}]", getattr(xp, name)[i], f)
         for name, (selections, _) in fast.EQUIVALENTS.items() for i, f in enumerate(selections)]
IDS = [name for name, _, _ in PAIRS]

# Each case a selection tells apart: attribute order (@id|@class reads the first), missing and
# empty attributes, case, the tags trafilatura's conversion makes (list, item), several matches
# under one parent and under different parents (`[1]` per parent), <main> before and after a
# 'main' block, nesting.
CASES = """<html><body>
<div class="post">one</div><div class="post">two</div>
<section><div id="article-content">three</div><div class="entry">four</div></section>
<article class="single-post"><div class="FullText">ft</div><div class="story-content">sc</div></article>
<div id="primary"><main id="m1">main first</main></div><div class="main-wrap">main block after</div>
<div id="MainContent">mc</div><div class="PageContent">pc</div><div class="content-body">cb</div>
<div role="main">role main</div><section class="content">content</section>
<div id="infinite-scroll"><h1>kept: holds the h1</h1></div><div class="mvp-post-add-box"><h1>h</h1></div>
<aside class="infinite_scroll">no</aside><section class="x elementor-share-buttons">share</section>
<ul class="comment-list"><li>c</li></ul><ol id="comments"><li>c</li></ol><ol id="disqus_thread"></ol>
<div id="commentary">kept</div><div class="Comment">c</div><details class="post-comments">c</details>
<list class="comments"><item>c</item></list><section id="dsq-comments">d</section><ul class="x comment">no</ul>
<div class="share-row" id="a">s</div><div id="cookie-bar" class="text">cb</div><div class="text" id="cookie-bar">t</div>
<p role="Navigation">n</p><span data-component="MostPopularStories">mp</span>
<item data-lp-replacement-content="">e</item>
<div class=" ad ">ad</div><div class="ad-slot">ad</div><div class="x-ad-y">ad</div><div id="ad-top">ad</div>
<div class="widget-area">w</div><div class="dfpAd">w</div><div id="jp-relatedposts">j</div>
<p class="byline">b</p>
<div class="comments-title">ct</div><div id="reply-1" class="x">r</div><div class="reply-form" id="x">r</div>
<div class="x" id="reply-2">not first</div><b style="color: red" id="hidden-box">s first</b>
<b id="hidden-box" style="color: red">i first</b><em style="display:none">dn</em><em style="display: none">dn</em>
<u id="reader-comments">rc</u><u class="a hidden">h</u><u class="hide-me">h</u><u aria-hidden="true">ah</u>
<u aria-hidden="false">kept</u><div class="wp-caption">cap</div><span id="imgCaption">cap</span>
<div class="Teaser">t</div><div id="TEASER">t</div><div class="teaser"><div class="teaser">nested</div></div>
<div class="">empty</div><div id="">empty</div><article>first article</article><article>second</article>
</body></html>"""


def _dev_pages(step: int) -> Iterator[devsets.Page]:
    root = shared_dir() / "devsets"
    if not root.is_dir():
        pytest.fail(f"dev pages not found at {root}: put ../shared beside the repo or set DGSN_SHARED")
    for folder in ("wcxb-dev-articles", "wcxb-dev-other"):
        yield from itertools.islice(devsets.load(root / folder), 0, None, step)


SAMPLE_PAGES = sorted((REPO / "crawler" / "sample_outlets" / "pages").rglob("*.html"))


@pytest.fixture(scope="module")
def trees() -> list[etree._Element]:
    """The case page, the sample outlet pages (ar, fr, en) and every 20th dev page."""
    pages = [CASES, *(p.read_text("utf-8", errors="replace") for p in SAMPLE_PAGES),
             *(p.html for p in _dev_pages(step=20))]
    parsed = [t for t in map(parse_html, pages) if t is not None]
    assert len(parsed) > 70
    return parsed


@pytest.mark.parametrize(("name", "xpath", "selection"), PAIRS, ids=IDS)
def test_selection_picks_the_nodes_of_its_xpath(name: str, xpath: etree.XPath, selection: fast.Selection,
                                                trees: list[etree._Element]) -> None:
    picked = 0
    for tree in trees:
        expected = xpath(tree)
        assert selection(tree) == expected, (name, [(e.tag, dict(e.attrib)) for e in expected][:10])
        picked += len(expected)
    assert picked, f"{name} picks nothing on these pages: the comparison proves nothing"
    # the case page alone has a match for each
    assert xpath(trees[0]), name


def test_no_pattern_matches_an_empty_attribute() -> None:
    # A selection skips a missing attribute where XPath tests the empty string: the same only while
    # no pattern matches ''.
    patterns = [v.__self__ for v in vars(fast).values() if isinstance(getattr(v, "__self__", None), re.Pattern)]
    assert len(patterns) >= 12
    assert not [p.pattern for p in patterns if p.search("") is not None]


def test_inside_the_extraction_each_call_picks_the_nodes_of_its_xpath() -> None:
    """On the trees trafilatura hands the expressions: its converted copies (<list>, <item>,
    <head>...), pruned and not."""
    log: list[tuple[str, bool]] = []
    with fast.checked(lambda name, same: log.append((name, same))):
        for page in itertools.islice(_dev_pages(step=40), 30):
            clean_html(page.html, url=page.url)
    assert _shipped()
    assert all(same for _, same in log)
    assert {name for name, _ in log} >= {"BODY_XPATH[0]", "OVERALL_DISCARD_XPATH[0]", "OVERALL_DISCARD_XPATH[1]",
                                         "REMOVE_COMMENTS_AND_LISTS_XPATH[0]", "RAW_TREE_PRUNE_XPATH[0]",
                                         "DISCARD_IMAGE_ELEMENTS[0]"}
    # after the block, faster() puts the selections in again
    with fast.faster():
        assert main_extractor.BODY_XPATH is fast.EQUIVALENTS["BODY_XPATH"][0]


def _shipped() -> bool:
    return (all(getattr(module, name) is getattr(xp, name)
                for name, (_, modules) in fast.EQUIVALENTS.items() for module in modules)
            and all(getattr(module, name) is cascade.ORIGINALS[name]
                    for name, (_, modules) in cascade.FUNCTIONS.items() for module in modules))


def test_faster_swaps_for_its_block_only_even_nested_and_in_threads() -> None:
    assert _shipped()
    with fast.faster():
        assert main_extractor.BODY_XPATH is fast.EQUIVALENTS["BODY_XPATH"][0]
        assert external.OVERALL_DISCARD_XPATH is fast.EQUIVALENTS["OVERALL_DISCARD_XPATH"][0]
        assert core._prepare_tree is cascade.prepare_tree
        assert main_extractor.delete_by_link_density is cascade.delete_by_link_density
        with fast.faster():
            assert core.RAW_TREE_PRUNE_XPATH is fast.EQUIVALENTS["RAW_TREE_PRUNE_XPATH"][0]
        assert core.RAW_TREE_PRUNE_XPATH is fast.EQUIVALENTS["RAW_TREE_PRUNE_XPATH"][0]  # the outer block is open
    assert _shipped()
    # threads whose blocks overlap in every order: the originals come back once all have ended
    barrier = threading.Barrier(4)

    def work() -> None:
        for _ in range(50):
            with fast.faster():
                barrier.wait(timeout=10)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _shipped()
    # and an error inside the block restores them too
    with pytest.raises(RuntimeError), fast.faster():
        raise RuntimeError
    assert _shipped()


def test_clean_html_leaves_trafilatura_as_shipped() -> None:
    assert clean_html(SAMPLE_PAGES[0].read_text("utf-8", errors="replace")).text
    assert _shipped()
    assert trafilatura.__version__ == fast.WRITTEN_FOR


def test_written_for_the_pinned_trafilatura() -> None:
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    assert f'"trafilatura=={fast.WRITTEN_FOR}"' in pyproject
    constraints = (REPO / "constraints.txt").read_text("utf-8").split()
    assert f"trafilatura=={fast.WRITTEN_FOR}" in constraints

