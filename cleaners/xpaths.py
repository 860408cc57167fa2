"""trafilatura's node selections, in Python: the same nodes, in the same order, about three times
faster.

trafilatura (2.3.1) picks the article's container and the boilerplate to prune with XPath
expressions that test @id and @class with EXSLT regular expressions (`re:test`). libxml2 walks
every element of the tag set through a predicate of several clauses, and each `re:test` is a call
back into Python, made for every element, with or without the attribute. On the dev pages these
expressions take a fifth of our cleaning time. Here each one is a walk with lxml's `iter` (the
tag filter runs in C) and the same regular expressions, built from trafilatura's own token lists,
run in Python only on the attributes that exist.

`faster()` puts them, and cleaners/cascade.py's functions, in trafilatura's modules for the length
of a block; outside it (and in other threads once no block is open) trafilatura runs as shipped,
so `trafilatura.extract` called directly is the bare trafilatura the benchmarks compare with. They
are written for one version of trafilatura (pyproject.toml pins it): with another, importing this
module fails and cleaners.extract runs trafilatura as shipped.
tests/cleaners/test_xpaths.py checks each against its XPath, node for node, on real pages and on
the trees trafilatura builds from them; `benchmarks/xpaths.py` does so on the dev pages.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import trafilatura
from lxml import etree
from trafilatura import core, external, main_extractor
from trafilatura import xpaths as xp

WRITTEN_FOR = "2.3.1"
if trafilatura.__version__ != WRITTEN_FOR:
    raise ImportError(f"cleaners.xpaths is written for trafilatura {WRITTEN_FOR}, not {trafilatura.__version__}")

from cleaners import cascade  # noqa: E402 (after the check: it is written for the same version)

Selection = Callable[[etree._Element], list[etree._Element]]

_ID_CLASS = ("id", "class")
_ID_STYLE = ("id", "style")
_BLOCKS = ("div", "item", "list", "p", "section", "span")
_CONTAINERS = ("article", "div", "main", "section")


def _re(pattern: str, ignore_case: bool = False) -> Callable[[str], re.Match[str] | None]:
    """XPath's `re:test` is lxml's EXSLT extension: Python's re.search, compiled with these flags."""
    return re.compile(pattern, re.UNICODE | (re.IGNORECASE if ignore_case else 0)).search


def _first(el: etree._Element, names: tuple[str, str]) -> str:
    """The string value of `@a|@b`: the value of whichever of the two comes first on the element."""
    for name, value in el.items():
        if name in names:
            return value
    return ""


def _first_per_parent(elements: Iterator[etree._Element]) -> list[etree._Element]:
    """`.//*[...][1]`: of the matches, each parent's first child (they come in document order)."""
    seen: set[etree._Element] = set()
    out = []
    for el in elements:
        parent = el.getparent()
        if parent not in seen:
            seen.add(parent)
            out.append(el)
    return out


# -- BODY_XPATH: where the article is --------------------------------------------------------------
_ARTICLE_ID = _re(xp._alt(xp._ARTICLE_CONTENT_ID_TOKENS))
_ARTICLE_CLASS = _re(xp._alt(xp._ARTICLE_CONTENT_CLASS_TOKENS))
_STORY_ID = _re(xp._alt(xp._STORY_ID_TOKENS))
_FULLTEXT = _re("fulltext", ignore_case=True)
_STORY_CLASS = _re(xp._alt(xp._STORY_CLASS_TOKENS))
_MAIN_ID = _re(xp._alt(xp._MAIN_CONTENT_ID_TOKENS))
_MAIN_CLASS = _re(xp._alt(xp._MAIN_CONTENT_CLASS_TOKENS))
_CM = str.maketrans("CM", "cm")
_CP = str.maketrans("CP", "cp")


def body_article(tree: etree._Element) -> list[etree._Element]:
    """BODY_XPATH[0]: article-body ids and classes (`.//*[…][1]`: each parent's first match)."""
    def match(el: etree._Element) -> bool:
        i, c = el.get("id"), el.get("class")
        return (c in ("post", "entry") or el.get("itemprop") == "articleBody" or i == "articleContent"
                or i is not None and _ARTICLE_ID(i) is not None or c is not None and _ARTICLE_CLASS(c) is not None)
    return _first_per_parent(el for el in tree.iterdescendants(*_CONTAINERS) if match(el))


def body_first_article(tree: etree._Element) -> list[etree._Element]:
    """BODY_XPATH[1]: `(.//article)[1]`."""
    first = next(tree.iterdescendants("article"), None)
    return [] if first is None else [first]


def body_story(tree: etree._Element) -> list[etree._Element]:
    """BODY_XPATH[2]: the first story container."""
    for el in tree.iterdescendants(*_CONTAINERS):
        i, c = el.get("id"), el.get("class")
        if (el.get("role") == "article" or i in ("article", "story")
                or c in ("postarea", "art-postcontent", "text", "cell", "story")
                or i is not None and _STORY_ID(i) is not None
                or c is not None and (_FULLTEXT(c) is not None or _STORY_CLASS(c) is not None)):
            return [el]
    return []


def body_main_content(tree: etree._Element) -> list[etree._Element]:
    """BODY_XPATH[3]: the first main-content container."""
    for el in tree.iterdescendants(*_CONTAINERS):
        i, c = el.get("id"), el.get("class")
        if (i == "content" or c == "content"
                or i is not None and (_MAIN_ID(i) is not None or "main-content" in i.translate(_CM))
                or c is not None and (_MAIN_CLASS(c) is not None or "main-content" in c.translate(_CM)
                                      or "page-content" in c.translate(_CP))):
            return [el]
    return []


def body_main(tree: etree._Element) -> list[etree._Element]:
    """BODY_XPATH[4]: the first article, div or section whose class, id or role starts with 'main',
    and the first <main>, in document order."""
    out: list[etree._Element] = []
    block = main = False
    for el in tree.iterdescendants("article", "div", "section", "main"):
        if el.tag == "main":
            if not main:
                main = True
                out.append(el)
        elif not block and any((el.get(name) or "").startswith("main") for name in ("class", "id", "role")):
            block = True
            out.append(el)
        if block and main:
            break
    return out


# -- what trafilatura prunes -----------------------------------------------------------------------
_SCROLL = _re("mvp-post-add-(?:box|wrap)|infinite-?scroll")
_MVP = _re("mvp-post-add-(?:box|wrap)")


def infinite_scroll(tree: etree._Element) -> list[etree._Element]:
    """RAW_TREE_PRUNE_XPATH[0]: appended-article containers, unless they hold the page's <h1>."""
    out = []
    for el in tree.iterdescendants("div", "section", "aside"):
        i, c = el.get("id") or "", el.get("class") or ""
        if ((_SCROLL(i) or _SCROLL(c))
                and (next(el.iterdescendants("h1"), None) is None or _MVP(i) or _MVP(c))):
            out.append(el)
    return out


def elementor_share(tree: etree._Element) -> list[etree._Element]:
    """RAW_TREE_PRUNE_XPATH[1]."""
    return [el for el in tree.iterdescendants("div", "section", "aside")
            if "elementor-share-buttons" in (el.get("class") or "")]


_COMMENTS_ID = _re(f"^(?:{xp._COMMENTS_ID}|disqus_thread|dsq-comments)")
_COMMENTS_LIST_ID = _re(f"^(?:{xp._COMMENTS_ID})")
_COMMENTS_CLASS = _re(xp._COMMENTS_CLASS)


def comments_and_lists(tree: etree._Element) -> list[etree._Element]:
    """REMOVE_COMMENTS_AND_LISTS_XPATH[0]: comment containers, and ol/ul comment lists."""
    out = []
    for el in tree.iterdescendants("div", "list", "section", "details", "ol", "ul"):
        i, c = el.get("id") or "", el.get("class") or ""
        if _COMMENTS_CLASS(c) or _COMMENTS_ID(i) and (el.tag not in ("ol", "ul") or _COMMENTS_LIST_ID(i)):
            out.append(el)
    return out


_CONSENT = _re(xp._alt(xp._CONSENT_ID_CLASS_TOKENS))
_DISCARD_ID = _re(xp._alt(xp._OVERALL_DISCARD_BOTH_TOKENS + xp._OVERALL_DISCARD_ID_TOKENS))
_DISCARD_CLASS = _re(xp._alt(xp._OVERALL_DISCARD_BOTH_TOKENS + xp._OVERALL_DISCARD_CLASS_TOKENS))


def discard_blocks(tree: etree._Element) -> list[etree._Element]:
    """OVERALL_DISCARD_XPATH[0]: blocks named as boilerplate (share, nav, ads, footer, meta...)."""
    out = []
    for el in tree.iterdescendants(*_BLOCKS):
        if not len(el.attrib):
            continue
        get = el.get
        role, component = get("role"), get("data-component")
        if (get("data-lp-replacement-content") is not None
                or role is not None and "nav" in role.replace("N", "n")
                or component is not None and "MostPopularStories" in component
                or _CONSENT(_first(el, _ID_CLASS))
                or _DISCARD_ID(get("id") or "") or _DISCARD_CLASS(get("class") or "")):
            out.append(el)
    return out


_READER_COMMENTS = _re("reader-comments|akismet")
_HIDDEN_CLASS = _re("^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print"
                    "| hidden| hide|noprint|notloaded")


def discard_hidden(tree: etree._Element) -> list[etree._Element]:
    """OVERALL_DISCARD_XPATH[1], of every element: hidden, and comment furniture.
    `re:test(@id|@style, 'hidden')` and `starts-with(@id|@class, 'reply-')`
    read the first of the two attributes: that is looked up only when either holds the text."""
    out = []
    for el in tree.iterdescendants(etree.Element):
        get = el.get
        c, i, style = get("class"), get("id"), get("style")
        if c is None and i is None and style is None:
            if get("aria-hidden") == "true":
                out.append(el)
            continue
        if (c == "comments-title"
                or (i is not None and i.startswith("reply-") or c is not None and c.startswith("reply-"))
                and _first(el, _ID_CLASS).startswith("reply-")
                or (i is not None and "hidden" in i or style is not None and "hidden" in style)
                and "hidden" in _first(el, _ID_STYLE)
                or style is not None and ("display:none" in style or "display: none" in style)
                or i is not None and _READER_COMMENTS(i) is not None or c is not None and _HIDDEN_CLASS(c) is not None
                or get("aria-hidden") == "true"):
            out.append(el)
    return out


def captions(tree: etree._Element) -> list[etree._Element]:
    """DISCARD_IMAGE_ELEMENTS[0]."""
    return [el for el in tree.iterdescendants(*_BLOCKS)
            if "caption" in (el.get("id") or "") or "caption" in (el.get("class") or "")]


def teasers(tree: etree._Element) -> list[etree._Element]:
    """TEASER_DISCARD_XPATH[0]."""
    return [el for el in tree.iterdescendants(*_BLOCKS)
            if "teaser" in (el.get("id") or "").replace("T", "t")
            or "teaser" in (el.get("class") or "").replace("T", "t")]


# Each list of trafilatura's, by the modules that read it, and its equivalent.
EQUIVALENTS: dict[str, tuple[list[Selection], tuple[object, ...]]] = {
    "BODY_XPATH": ([body_article, body_first_article, body_story, body_main_content, body_main], (main_extractor,)),
    "RAW_TREE_PRUNE_XPATH": ([infinite_scroll, elementor_share], (core,)),
    "REMOVE_COMMENTS_AND_LISTS_XPATH": ([comments_and_lists], (core,)),
    "OVERALL_DISCARD_XPATH": ([discard_blocks, discard_hidden], (main_extractor, external)),
    "DISCARD_IMAGE_ELEMENTS": ([captions], (main_extractor,)),
    "TEASER_DISCARD_XPATH": ([teasers], (main_extractor,)),
}
_lock = threading.Lock()
_open = 0


@contextmanager
def faster() -> Iterator[None]:
    """trafilatura with these selections for the block (nested and concurrent blocks share one
    swap: the originals come back when the last block ends)."""
    global _open
    with _lock:
        if _open == 0:
            _swap(fast=True)
        _open += 1
    try:
        yield
    finally:
        with _lock:
            _open -= 1
            if _open == 0:
                _swap(fast=False)


def _swap(fast: bool) -> None:
    for name, (_, modules) in EQUIVALENTS.items():
        for module in modules:
            setattr(module, name, _swapped_in[name] if fast else getattr(xp, name))
    for name, (function, modules) in cascade.FUNCTIONS.items():
        for module in modules:
            setattr(module, name, function if fast else cascade.ORIGINALS[name])


# What faster() puts in: the selections, or checkers of them (checked()).
_swapped_in: dict[str, list[Selection]] = {name: selections for name, (selections, _) in EQUIVALENTS.items()}


@contextmanager
def checked(record: Callable[[str, bool], None]) -> Iterator[None]:
    """For the block, faster() puts in checkers instead of the selections: each runs the XPath and
    its selection on the tree trafilatura hands it, calls record(name, same nodes?) and answers
    as the XPath (tests/cleaners/test_xpaths.py, benchmarks/xpaths.py). Not for concurrent use."""
    global _swapped_in

    def checker(name: str, xpath: etree.XPath, selection: Selection) -> Selection:
        def check(tree: etree._Element) -> list[etree._Element]:
            expected = xpath(tree)
            record(name, selection(tree) == expected)
            return expected
        return check

    saved = _swapped_in
    _swapped_in = {name: [checker(f"{name}[{i}]", x, f) for i, (x, f) in enumerate(zip(getattr(xp, name), selections,
                                                                                        strict=True))]
                   for name, (selections, _) in EQUIVALENTS.items()}
    try:
        yield
    finally:
        _swapped_in = saved
