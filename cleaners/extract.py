"""HTML stage: read the page metadata, prune known theme chrome from the DOM, then extract the
main text with trafilatura."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from contextlib import nullcontext
from copy import copy
from functools import lru_cache
from typing import Any

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag
from bs4.element import PreformattedString
from lxml import etree
from lxml import html as lxml_html
from trafilatura.core import trafilatura_sequence
from trafilatura.settings import Extractor
from trafilatura.utils import DOCTYPE_TAG, is_dubious_html, repair_faulty_html
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import OVERALL_DISCARD_XPATH

from cleaners.metadata import Metadata, extract_metadata
from cleaners.rules import load_data

try:
    from cleaners.xpaths import discard_blocks, faster
except ImportError:  # another trafilatura than pyproject.toml's: its own expressions (slower, same nodes)
    discard_blocks, faster = OVERALL_DISCARD_XPATH[0], nullcontext


@lru_cache(maxsize=1)
def _prune_config() -> tuple[frozenset[str], frozenset[str]]:
    data = load_data("html_prune.yaml")
    return frozenset(data["ids"]), frozenset(data["classes"])


# Elements that never hold article text. trafilatura drops them too, but only after copying the
# tree (twice) and handing it to readability: dropping them first makes every later step cheaper.
# JSON-LD stays: trafilatura's baseline reads `articleBody` from it.
_NO_TEXT = frozenset({"script", "style", "svg", "template", "link", "meta"})
# Elements trafilatura deletes with their content in every mode (its MANUALLY_CLEANED list, less
# <form>, <figure>, <time>, <math> and <head>, which it keeps or salvages in some cases): gone
# before extraction, they no longer cost its copies of the tree and XPath passes (one each run).
_CHROME_TAGS = frozenset({
    "aside", "footer", "nav", "menu", "menuitem", "dialog", "iframe", "frame", "frameset", "fencedframe",
    "noscript", "noindex", "object", "embed", "applet", "param", "audio", "video", "canvas", "picture",
    "source", "track", "map", "area", "button", "input", "select", "option", "optgroup", "datalist",
    "textarea", "label", "fieldset", "legend", "output", "progress"})


def prune_chrome(tree: etree._Element) -> int:
    """Remove chrome containers and elements without text; one pass over the elements (an XPath
    per selector costs more than the whole extraction on large pages)."""
    ids, classes = _prune_config()
    doomed = []
    for el in tree.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag in _NO_TEXT:
            if tag != "script" or el.get("type") != "application/ld+json":
                doomed.append(el)
        elif tag in _CHROME_TAGS:
            if el.find(".//p") is None:  # an unclosed <nav> or <button> can swallow the article
                doomed.append(el)
        elif el.get("id") in ids or (cls := el.get("class")) and not classes.isdisjoint(cls.split()):
            doomed.append(el)
    for el in doomed:
        _drop_tree(el)
    return len(doomed)


def _drop_tree(el: etree._Element) -> None:
    """Remove an element and its children, keeping its tail text (as lxml.html's drop_tree)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


_END_TAGS = re.compile(r"</(?:body|html)\s*>", re.I)
# Markup after the first </body> or </html> longer than this is content, not trailing scripts.
_AFTER_END_MAX = 512


def _drop_early_end_tags(html: str) -> str:
    """Templates that print </body></html> before the article (a header include closing the
    document) leave the article after the end of the document, where libxml2 may drop it; a
    browser puts it in <body>. Without the end tags the parser keeps it too."""
    m = _END_TAGS.search(html)
    if m is None or len(html) - m.end() <= _AFTER_END_MAX or not html[m.end():].strip():
        return html
    return _END_TAGS.sub("", html)


# C1 control characters: no page means them; they are the middle bytes of UTF-8 text decoded as
# Latin-1 ("â\x80\x99" for ’, "Ø\x8f" in Arabic), and the parser drops them, which leaves the
# mojibake beyond repair ("doesnât"). Each such UTF-8 sequence is decoded back before parsing.
_C1 = tuple(map(chr, range(0x80, 0xa0)))
_UTF8_AS_LATIN1 = re.compile("[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _redecode(m: re.Match[str]) -> str:
    try:
        return m.group(0).encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return m.group(0)


def has_c1(text: str) -> bool:
    """Each character looked for by str's own search: on a page, faster than a regex class."""
    return any(c in text for c in _C1)


def _fix_c1_mojibake(html: str) -> str:
    if not has_c1(html):
        return html
    return _UTF8_AS_LATIN1.sub(_redecode, html)


# libxml2 stops building the tree at 256 levels of nesting (it drops the rest of the document):
# a tree this deep may have lost text, and the page is parsed again by Python's html.parser.
_DEEP = etree.XPath("boolean(" + "/*" * 250 + ")")
# Deeper elements are unwrapped (their content moves up to this level): layout wrappers, never
# structure trafilatura needs.
FLAT_DEPTH = 100


def parse_html(html: str) -> etree._Element | None:
    """The tree trafilatura's loader builds, lxml.html elements (trafilatura calls their methods).
    A page nested past libxml2's depth limit is flattened first, so that its text is not lost."""
    html = _fix_c1_mojibake(_drop_early_end_tags(html))
    try:
        tree = load_html(html)
        if tree is not None and _DEEP(tree.getroottree()):
            tree = load_html(flatten_html(html))
        return tree
    except (etree.ParserError, ValueError):
        return None


# trafilatura's parser settings. lxml.html's own parser picks each element's class in a Python
# call (a form, an input, a label have classes of their own); this one picks HtmlElement in C, a
# cost every pass over the tree pays for every element (trafilatura's passes over its copies too:
# a copy keeps the parser). Nothing here or in trafilatura uses those form classes.
_PARSER = lxml_html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                               remove_pis=True)
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment, pi=lxml_html.HtmlProcessingInstruction,
    entity=lxml_html.HtmlEntity))


def _fromstring(html: str | bytes) -> etree._Element | None:
    try:
        return lxml_html.fromstring(html, parser=_PARSER)
    except (etree.LxmlError, ValueError):  # no document; a str with an encoding declaration
        return None


@lru_cache(maxsize=1)
def _xml_forbidden() -> Any:
    """Which UTF-16 code units are characters trafilatura's repair deletes (INVALID_XML_CHARS: C0
    controls but tab, newline and carriage return; U+FFFE, U+FFFF). No character of another plane
    encodes to one of them."""
    import numpy as np  # not at import: `import cleaners` stays without numpy

    table = np.zeros(0x10000, dtype=bool)
    table[[*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0xfffe, 0xffff]] = True
    return table


def _has_xml_forbidden(html: str) -> bool:
    import numpy as np

    units = np.frombuffer(html.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    return bool(_xml_forbidden()[units[units < 0x20]].any()) or bool((units >= 0xfffe).any())


def repair_html(html: str, beginning: str) -> str:
    """trafilatura.utils.repair_faulty_html, which its loader runs first: the page itself when
    there is nothing to repair (almost always), else trafilatura's repair. Its first step deletes
    the characters XML forbids with a regex over the whole page (1.3 ms on a 250 KB page); numpy
    finds whether there is any in a tenth of that. Its other two repairs read the first lines."""
    if _has_xml_forbidden(html):
        return repair_faulty_html(html, beginning)
    if "doctype" in beginning:
        end = html.find("\n")  # it splits off the first line and joins it back
        if end < 0 or DOCTYPE_TAG.match(html, 0, end):
            return repair_faulty_html(html, beginning)
    if any("<html" in line and line.endswith("/>") for line in html[:4096].splitlines()[:4]):
        return repair_faulty_html(html, beginning)
    return html


def load_html(html: str) -> etree._Element | None:
    """trafilatura.utils.load_html on a str, with the parser above: the same repairs, the bytes
    retry (for a str declaring its encoding, or an empty tree) and the rejection of a page that
    is not HTML."""
    beginning = html[:50].lower()
    html = repair_html(html, beginning)
    tree = _fromstring(html)
    if tree is None or len(tree) < 1:
        tree = _fromstring(html.encode("utf8", "surrogatepass"))
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


# Block elements past FLAT_DEPTH become paragraph breaks in the flattened page; inline ones
# (font, span, a, b, ...) only lose their tags.
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "br", "center", "dd", "div", "dl", "dt",
                     "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
                     "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"})
_RAW_TEXT = frozenset({"script", "style"})
_BREAK = "</p><p>"


def _start_tag(tag: Tag) -> str:
    attrs = "".join(f' {k}="{html_lib.escape(" ".join(v) if isinstance(v, list) else str(v))}"'
                    for k, v in tag.attrs.items())
    return f"<{tag.name}{attrs}>"


def flatten_html(html: str, depth: int = FLAT_DEPTH) -> str:
    """The page with no element nested deeper than `depth` (Python's html.parser, through
    BeautifulSoup, has no depth limit). Past `depth` each block element becomes a paragraph
    break and other tags go, text kept. Written out by an explicit stack: a deep tree would
    overflow recursion, and BeautifulSoup's own unwrap costs the depth on every move."""
    soup = BeautifulSoup(html, "html.parser")
    out: list[str] = []
    stack: list[tuple[PageElement, int, bool]] = [(child, 1, False) for child in reversed(soup.contents)]
    while stack:
        node, level, closing = stack.pop()
        if isinstance(node, Tag):
            if level <= depth:
                if closing:
                    out.append(f"</{node.name}>")
                    continue
                out.append(_start_tag(node))
                if node.can_be_empty_element and not node.contents:  # void: <br>, <img>, <meta>
                    continue
            elif node.name in _BLOCKS and (not out or out[-1] != _BREAK):
                out.append(_BREAK)
            if closing:
                continue
            stack.append((node, level, True))
            stack.extend((child, level + 1, False) for child in reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            parent = node.parent
            out.append(str(node) if parent is not None and parent.name in _RAW_TEXT
                       else html_lib.escape(str(node), quote=False))
    return "".join(out)


# trafilatura deletes every container whose class holds one of its boilerplate tokens ("embed",
# "widget", "bar", "meta", ...), whatever it holds. A data table is content, and the token then
# names a layout box around it (Webflow's custom-code "w-embed", a "widget" cell of a page
# builder). A container that holds a table of at least TABLE_ROWS rows with text, and little link
# text, loses its class so that trafilatura keeps it (its id, role and other tests still apply).
TABLE_ROWS = 3
TABLE_LINK_SHARE = 0.3
_ROWS_WITH_TEXT = etree.XPath("count(.//tr[normalize-space()])")


def keep_tables(tree: etree._Element) -> int:
    """Unclass the containers trafilatura would delete by class token around a data table; the
    number of containers changed."""
    holding: set[etree._Element] = set()
    for table in tree.iter("table"):
        if _ROWS_WITH_TEXT(table) >= TABLE_ROWS:
            node = table.getparent()
            while node is not None and node not in holding:  # stops where an earlier walk went
                holding.add(node)
                node = node.getparent()
    if not holding:
        return 0
    kept = 0
    for el in discard_blocks(tree):
        if el in holding and el.get("class") is not None and link_share(el) < TABLE_LINK_SHARE:
            del el.attrib["class"]
            kept += 1
    return kept


def link_share(el: etree._Element) -> float:
    """Share of the element's characters inside links (nested links counted once per level, so
    capped at 1)."""
    return min(sum(len(text_of(a)) for a in el.iter("a")) / (len(text_of(el)) or 1), 1.0)


CAPTION_MARK = "data-dgsn-caption"


def expose_captions(tree: etree._Element, keep: bool) -> None:
    """trafilatura drops <figure> captions with the images; as paragraphs they are kept (the
    default: a caption often carries facts), or they are removed outright."""
    for caption in list(tree.iter("figcaption")):
        if keep:
            caption.tag = "p"
            caption.set(CAPTION_MARK, "")  # the content model leaves a caption alone (unless repeated)
            parent = caption.getparent()
            if parent is not None and parent.tag == "figure":
                parent.tag = "div"
        else:
            _drop_tree(caption)


def extract(html: str, url: str | None = None, captions: bool = True) -> tuple[str, Metadata]:
    """Main text and metadata of a page (metadata is read before pruning: some of it lives in
    containers the pruning removes, such as bylines)."""
    text, metadata, _ = extract_tree(html, url, captions)
    return text, metadata


# Elements a page may have. libxml2's XPath merges node sets in time that grows with the square of
# their size (`//p//text()` over 40,000 paragraphs: 2 s; over 160,000: 50 s), and one such call
# cannot be interrupted by the time limit. The largest of the 1,355 dev pages has 16,000 elements,
# the median 1,000; a page with more is a dump or an attack and is skipped as too_large.
MAX_PAGE_ELEMENTS = 30_000
_COUNT_ELEMENTS = etree.XPath("count(//*)")


class PageTooLarge(ValueError):
    """A page over MAX_PAGE_ELEMENTS."""


def extract_tree(html: str, url: str | None = None, captions: bool = True,
                 inspect: Callable[[etree._Element], None] | None = None,
                 ) -> tuple[str, Metadata, etree._Element | None]:
    """`extract`, and the tree the text came from (None when it is the JSON-LD articleBody, or
    there is no tree): the content model reads each line's element in it. `inspect` sees the
    parsed tree before anything is pruned (the page-kind model reads the page's own navigation)."""
    tree = parse_html(html)
    if tree is None:
        return "", Metadata(), None
    elements = int(_COUNT_ELEMENTS(tree))
    if elements > MAX_PAGE_ELEMENTS:
        raise PageTooLarge(f"page of {elements:,} elements, over {MAX_PAGE_ELEMENTS:,}")
    if inspect is not None:
        inspect(tree)
    metadata = extract_metadata(tree, url)
    prune_chrome(tree)
    keep_tables(tree)
    expose_captions(tree, captions)
    text = main_text(tree, url)
    if metadata.article_body:
        body = render_article_body(metadata.article_body)
        if len(body.split()) >= ARTICLE_BODY_MIN_WORDS and len(body.split()) > ARTICLE_BODY_RATIO * len(text.split()):
            return body, metadata, None
    return text, metadata, tree


# The JSON-LD articleBody replaces the extraction when it is this much longer: the publisher's own
# record of the article, so far more text there means the extraction missed most of the article
# (a slideshow or listicle whose items the extractor takes for teasers). Only much longer: it is
# plain text, without the captions and subheadings of the page.
ARTICLE_BODY_RATIO = 1.5
ARTICLE_BODY_MIN_WORDS = 100
_BODY_BREAKS = re.compile(r"<(?:br|/p|/h[1-6]|/li|/div|/blockquote)\b[^>]*>", re.I)
_BODY_TAGS = re.compile(r"<[^>]{0,500}>")
_BLANK_RUNS = re.compile(r"\n\s*\n+")


def render_article_body(raw: str) -> str:
    """Plain text of an articleBody value, which some sites fill with (escaped) HTML."""
    text = html_lib.unescape(raw)
    if "<" in text:
        text = _BODY_TAGS.sub("", _BODY_BREAKS.sub("\n", text))
    return _BLANK_RUNS.sub("\n", text).strip()


# Share of the page's words under which a recall-mode extraction may have stopped short of the
# article (a teaser list, one section of several): the balanced extraction is asked as well.
RECALL_PAGE_SHARE = 0.3


@lru_cache(maxsize=2)
def _options(recall: bool) -> Extractor:
    return Extractor(output_format="python", comments=False, tables=True, recall=recall)


def _run(tree: etree._Element, url: str | None, recall: bool) -> str:
    """What trafilatura.bare_extraction(tree, url=url, include_comments=False, favor_recall=recall)
    gives as text, without its per-call costs: a new Extractor (it reads the config file's values)
    and a deep copy of the tree (ours is parsed for this extraction alone), and with its node
    selections in Python (cleaners/xpaths.py). trafilatura prunes the tree in place. The cascade
    is trafilatura's internal API: trafilatura is pinned, and tests/cleaners/test_extract.py
    checks that both give the same text."""
    options = copy(_options(recall))
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    try:
        with faster():
            body, text, _, _ = trafilatura_sequence(tree, options, url)
    except (TypeError, ValueError):
        return ""
    if len(text) < options.min_output_size:
        return ""
    return xmltotxt(body, options.formatting)


# An element's text, one string built in C (compiled once: el.xpath(...) compiles on every call).
text_of = etree.XPath("string()")


def page_words(tree: etree._Element) -> int:
    """Words of the page's visible text (JSON-LD left out)."""
    body = tree.find("body")
    root = body if body is not None else tree
    words = len(text_of(root).split())  # one string built in C, not a list of text nodes
    return words - sum(len(el.text.split()) for el in root.iter("script") if el.text)


def main_text(tree: etree._Element, url: str | None = None) -> str:
    """trafilatura in recall mode first: on an article page it keeps the paragraphs that balanced
    mode drops by link density or as teasers (lists, short blocks between paragraphs), and with
    a long result it skips the readability comparison, so it also costs less. When its text
    covers little of the page it may have stopped at one block of a page laid out in several:
    the balanced extraction (which compares with readability) runs too, and the longer text wins.
    Both runs prune the same nodes from the raw tree in place, so the second can reuse it
    (trafilatura does not change the tree otherwise: it works on copies)."""
    words = page_words(tree)  # before the run, which prunes the tree
    recall = _run(tree, url, recall=True)
    n = len(recall.split())
    if n >= RECALL_PAGE_SHARE * words:
        return recall
    balanced = _run(tree, url, recall=False)
    return balanced if len(balanced.split()) > n else recall
