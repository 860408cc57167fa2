"""The page-kind model: is this page an article, or a listing, tag or category page, a product
page, a forum thread, a service or documentation page, a video page with no text?

A page is judged as a whole, from what every page has whatever its language: the structure of the
parsed tree before any pruning (share of text inside links, prose paragraphs and the longest one,
runs of sibling blocks that each hold a link, headings holding links, forms and inputs, prices,
<article> and <time>), what the page says of itself (og:type, schema.org types in JSON-LD and
microdata, article:published_time), the shape of its URL (depth, slug, digits, a date, segments
such as tag, category, page, product, forum) and the extracted text (words, lines, sentences).
No feature is a word of the text, so the same model serves Arabic, French and English pages.

The trees are the content model's format (cleaners.models.content.Forest, numpy only), in
cleaners/models/page_kind_model.npz; `train_page_kind.py` writes it. Score = P(not article).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
from lxml import etree

from cleaners.extract import link_share, text_of
from cleaners.metadata import _json_ld_nodes
from cleaners.models.content import Forest, digit_positions
from cleaners.trees import holding

MODEL_FILE = Path(__file__).with_name("page_kind_model.npz")
ARTICLE, NOT_ARTICLE = "article", "not_article"

# schema.org types (JSON-LD @type, microdata itemtype, og:type), by what they say of the page.
_TYPE_GROUPS = {
    "article": ("article", "newsarticle", "reportagenews", "analysisnewsarticle", "opinionnewsarticle",
                "reviewnewsarticle", "backgroundnewsarticle", "blogposting", "liveblogposting", "report",
                "scholarlyarticle", "techarticle"),
    "product": ("product", "offer", "aggregateoffer", "productgroup", "individualproduct", "aggregaterating",
                "og:product", "product.item"),
    "forum": ("discussionforumposting", "qapage", "question", "answer", "comment", "socialmediaposting"),
    "video": ("videoobject", "video.other", "video.movie", "video.episode", "clip", "mediaobject"),
    "collection": ("collectionpage", "itemlist", "searchresultspage", "listitem", "sitenavigationelement",
                   "profilepage", "aboutpage", "contactpage", "faqpage", "howto", "softwareapplication",
                   "organization", "localbusiness", "event", "service", "course", "jobposting"),
    "webpage": ("webpage", "website"),
}
_GROUP_OF = {t: g for g, types in _TYPE_GROUPS.items() for t in types}
_GROUPS = tuple(_TYPE_GROUPS)
_OG_TYPES = ("article", "website", "product", "video", "profile", "book")
# Segments of the URL path (split at / - _ . and digits) that name a kind of page.
URL_TOKENS = ("tag", "tags", "category", "categories", "categorie", "cat", "page", "product", "products", "produit",
              "shop", "store", "boutique", "forum", "forums", "thread", "threads", "topic", "topics", "t",
              "question", "questions", "video", "videos", "watch", "search", "author", "archive", "archives",
              "section", "list", "docs", "doc", "documentation", "help", "support", "wiki", "api", "guide",
              "index", "home", "news", "article", "articles", "story", "blog", "post", "posts", "html", "php",
              "p", "item", "dp", "showthread", "viewtopic", "about", "contact", "services", "service", "faq",
              "discussion", "discussions", "d", "s", "c", "talk", "community", "learn", "book", "tutorial",
              "tutorials", "pricing", "solutions", "features", "course", "courses", "training", "glossary",
              "reviews", "review", "compare", "catalog", "collections", "collection", "reference", "manual",
              "en", "fr", "ar", "actualite", "actualites", "societe", "national", "world", "politics", "aspx",
              "htm", "amp", "id", "node", "content", "detail", "details", "live", "media", "photo", "photos")
# Substrings of class and id values: layout words, the same in every language.
CLASS_TOKENS = ("post", "message", "reply", "thread", "forum", "comment", "product", "price", "cart", "card",
                "teaser", "item", "grid", "list", "pagination", "pager", "video", "player", "article", "entry",
                "content", "story", "byline", "author", "share", "related", "sidebar", "menu", "breadcrumb",
                "tag", "categor", "archive", "feed", "tile", "rating", "review", "quantity", "sku", "doc",
                "toc", "code", "highlight", "user", "avatar", "signature", "vote", "btn", "button", "cta", "hero",
                "pricing", "plan", "testimonial", "faq", "accordion", "tab", "feature", "service", "solution",
                "prev", "next", "edit", "search", "filter", "sort", "wishlist", "stock", "badge", "slider",
                "carousel", "newsletter", "subscri", "widget", "date", "time", "publish", "headline", "caption",
                "elementor", "topic", "member", "profile", "like", "quote", "col-", "row", "container", "section")
# Class and id tokens of the ancestors of the page's longest paragraph: where its text sits.
CONTAINER_TOKENS = ("article", "entry", "post", "story", "content", "body", "text", "main", "news", "blog",
                    "single", "detail", "doc", "markdown", "product", "description", "message", "comment",
                    "forum", "thread", "reply", "card", "item", "list", "section", "col", "wrapper", "page",
                    "elementor", "service", "hero", "feature", "tab", "accordion", "faq", "sidebar", "widget")
_PROSE_WORDS = 25  # words of a <p> that is running text
_SENT_END = re.compile(r"[.!?؟…]['\"»”)]?\s*$")
# The patterns below run over a whole page's text. _PRICE and _DATE_TEXT begin with one character
# class, so `re` skips ahead to where a match can start; a leading `\b` before a digit is written as
# a lookbehind after it. They find what these plain forms find (tests/cleaners/test_page_kind.py):
#   price: [$€£¥]\s?\d|\d\s?(?:[$€£¥]|MAD\b|DH\b|Dhs?\b|EUR\b|USD\b|درهم)
#   date:  \b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d\d|(?:19|20)\d\d[/.-]\d{1,2}[/.-]\d{1,2})\b|\b\d{1,2}:\d\d\b
#   year:  \b(?:19[5-9]\d|20[0-4]\d)\b
# Skipping ahead to a class still tests each character (~1 ms a page), so the year is two patterns
# that begin with literal text, which `re` finds as fast as str.find (_years), and the price and
# date patterns run over the text near digits only (_near_digits).
_PRICE = re.compile(r"[$€£¥\d](?:(?<=[$€£¥])\s?\d|(?<=\d)\s?(?:[$€£¥]|MAD\b|DH\b|Dhs?\b|EUR\b|USD\b|درهم))")
_PAGE_TEXT_CHARS = 200_000  # of the page's text, for the price and date counts
_DATE_PATH = re.compile(r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-]|$)")
_LONG_NUMBER = re.compile(r"\d{4,}")
_SEGMENT = re.compile(r"[/\-_.,+=&?]+|\d+")
_DATE_TEXT = re.compile(r"\d(?<!\w\d)(?:\d?[/.-]\d{1,2}[/.-](?:19|20)?\d\d|(?<=1)9\d\d[/.-]\d{1,2}[/.-]\d{1,2}"
                        r"|(?<=2)0\d\d[/.-]\d{1,2}[/.-]\d{1,2})\b|\d(?<!\w\d)\d?:\d\d\b")
_TITLE_SEP = re.compile(r"\s[|\-–—:·•»]\s")
_YEAR_19 = re.compile(r"19(?<!\w19)[5-9]\d\b")
_YEAR_20 = re.compile(r"20(?<!\w20)[0-4]\d\b")
_BLOCKS = ("div", "li", "article", "section", "tr", "p")
_SKIPPED = frozenset(("script", "style", "noscript", "template", "svg"))
_LINK_HEADINGS = frozenset(("h2", "h3", "h4"))
_COUNTED = ("a", "p", "article", "time", "h1", "h2", "h3", "h4", "form", "input", "textarea", "select", "button",
            "video", "iframe", "img", "table", "pre", "code", "li", "ul", "nav", "aside", "footer", "dl",
            "blockquote", "section", "header", "main", "svg", "figure", "strong", "ol", "label", "i")
# Compiled once (el.xpath compiles at each call); each is one walk of the tree, in C.
_ELEMENTS = etree.XPath("count(descendant-or-self::*)")
_TEXT_NODES = etree.XPath("descendant::text()", smart_strings=False)
_CLASSES = etree.XPath("descendant-or-self::*/@class", smart_strings=False)
_IDS = etree.XPath("descendant-or-self::*/@id", smart_strings=False)
_TAG = attrgetter("tag")
_ITEMTYPES = etree.XPath("//*/@itemtype", smart_strings=False)  # as //@itemtype, without the text nodes
N_DOM = 29 + 34 + len(CLASS_TOKENS) + len(CONTAINER_TOKENS)
N_TYPES = 2 * len(_GROUPS) + len(_OG_TYPES) + 14
N_URL = 10 + len(URL_TOKENS)
N_TEXT = 18
N_FEATURES = N_DOM + N_TYPES + N_URL + N_TEXT


def _words(text: str | None) -> int:
    return len(text.split()) if text else 0


def _log(x: float) -> float:
    return math.log1p(x)


def _attrs(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def _token_counts(names: Mapping[str, int]) -> list[int]:
    """How often each of CLASS_TOKENS occurs in the class and id values `names` (each with the times
    the page has it), as in one string of them all: a page repeats its values, so each distinct
    value is searched once, and the values seen equally often are searched as one string, its
    counts multiplied."""
    by_times: dict[int, list[str]] = {}
    for name, times in names.items():
        if times > 0:
            by_times.setdefault(times, []).append(name)
    counts = [0] * len(CLASS_TOKENS)
    for times, group in by_times.items():
        found = map("\n".join(group).lower().count, CLASS_TOKENS)  # the loop over the tokens in C
        counts = [n + times * f for n, f in zip(counts, found, strict=True)]
    return counts


def _chars(texts: Iterable[str | None]) -> int:
    """The characters of `texts` but the white space around each."""
    return sum(map(len, map(str.strip, filter(None, texts))))


# Every price and date match holds a digit, and what it spans and looks at lies within 5
# characters of one: 2 before ("$ 5"), 5 past ("5 Dhs" and the character its \b reads). So in the
# stretches of text within _NEAR_DIGIT (5 or more) characters of a digit, joined by a NUL (which no
# match holds), the two patterns find what they find in the whole text.
_NEAR_DIGIT = 8


def _near_digits(text: str) -> str:
    """The stretches of `text` within _NEAR_DIGIT characters of a digit (merged where they meet),
    joined by NULs. A page's text is mostly letters, and `re` tests each of them for a \\d (a
    Unicode category lookup, ~1.9 ms a page for each pattern); the table lookup of the whole text
    as an array costs a fraction of one pass."""
    digits = digit_positions(text)
    if not len(digits):
        return ""
    gaps = np.flatnonzero(np.diff(digits) > 2 * _NEAR_DIGIT)
    starts = np.maximum(digits[np.concatenate(([0], gaps + 1))] - _NEAR_DIGIT, 0)
    ends = digits[np.concatenate((gaps, [len(digits) - 1]))] + _NEAR_DIGIT + 1
    return "\x00".join([text[start:end] for start, end in zip(starts.tolist(), ends.tolist(), strict=True)])


def _years(text: str) -> int:
    """How many matches of the plain year pattern (above) `text` holds: two cannot overlap, so this
    is the count of 19.. plus that of 20.., each a pattern beginning with literal text."""
    return len(_YEAR_19.findall(text)) + len(_YEAR_20.findall(text))


def dom_features(tree: etree._Element) -> list[float]:
    """The structure of the page as parsed, before any pruning (so the page's own navigation and
    repeated teasers are still there).

    Each element that reaches Python costs a Python object, so the tree is read in C where it can
    be: XPath, and lxml's iter with tags (the elements of other tags stay in C). `tree` is as
    parse_html gives it: libxml2's parser makes the text between two tags one text node, so the
    text nodes are what itertext gives (the pruning that follows can leave two side by side)."""
    body = tree.find(".//body")
    root = body if body is not None else tree
    linked = holding(root, "a")
    n = int(_ELEMENTS(root))
    c = Counter(map(_TAG, root.iter(*_COUNTED)))  # only these elements reach Python
    texts = _TEXT_NODES(root)
    names = Counter(_CLASSES(root))  # class and id values, counted by token at the end
    names.update(_IDS(root))
    # The skipped elements (script, style...) are counted, but not their text, tail, class and id;
    # nor the tail of a comment or processing instruction (none in parse_html's trees).
    uncounted: list[str | None] = []
    unnamed: list[str | None] = []
    entities = False
    for el in root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity, *_SKIPPED):
        if el.tag is etree.Entity:  # whose text ("&name;") itertext gives
            entities = True
        elif isinstance(el.tag, str):
            uncounted.append(el.text)
            unnamed += (el.get("class"), el.get("id"))
        if el is not root:
            uncounted.append(el.tail)
    names.subtract(filter(None, unnamed))  # an empty value holds no token, counted or not
    total_chars = _chars(texts) - _chars(uncounted)
    if root.tag not in _SKIPPED:
        total_chars += _chars([root.tail])
    link_texts: list[str | None] = []  # of each <a>, and of each element right in one
    for a in root.iter("a"):
        link_texts.append(a.text)
        link_texts += [child.text for child in a
                       if isinstance(child.tag, str) and child.tag != "a" and child.tag not in _SKIPPED]
    parent = root.getparent()
    if parent is not None and parent.tag == "a" and root.tag != "a" and root.tag not in _SKIPPED:
        link_texts.append(root.text)
    link_chars = _chars(link_texts)
    prose = prose_words = sentence_ps = 0
    longest, longest_p = 0, None
    for p in root.iter("p"):
        ptext = " ".join(p.itertext()) if len(p) else p.text or ""  # (itertext only if it has children)
        words = _words(ptext)
        if words > longest:
            longest, longest_p = words, p
        if words >= _PROSE_WORDS:
            prose += 1
            prose_words += words
            if _SENT_END.search(ptext):
                sentence_ps += 1
    heading_links = sum(1 for h in root.iter(*_LINK_HEADINGS) if h in linked)
    runs = 0  # siblings of one tag and class, each holding a link: teasers of a listing
    best_run = 0
    # Only an element holding a link can have children holding one (root's ancestors aside).
    for el in linked.difference(root.iterancestors()):
        if el.tag not in _SKIPPED and len(el) >= 3:
            groups: dict[tuple[str, str], int] = {}
            for child in el:
                if child in linked and child.tag in _BLOCKS:
                    key = (child.tag, child.get("class") or "")
                    groups[key] = groups.get(key, 0) + 1
            if groups:
                big = max(groups.values())
                best_run = max(best_run, big)
                runs += big >= 4
    container = [0.0] * len(CONTAINER_TOKENS)
    siblings = depth = 0.0
    in_article = share = box_links = box_headings = 0.0
    if longest_p is not None:
        parent = longest_p.getparent()
        if parent is not None:
            siblings = _log(sum(1 for child in parent if child.tag == "p"))
            share = min((len(text_of(parent)) or 1) / max(total_chars, 1), 1.0)
            box_links = link_share(parent)
            box_headings = _log(sum(1 for h in parent.iter("h2", "h3", "h4")))
        node, up = longest_p, 0
        while node is not None:
            if up <= 6:
                attrs = _attrs(node)
                for i, token in enumerate(CONTAINER_TOKENS):
                    if token in attrs:
                        container[i] = 1.0
            if node.tag in ("article", "main"):
                in_article = 1.0
            node = node.getparent()
            up += 1
        depth = float(up)
    text_chars = max(total_chars, 1)
    inputs = c["input"] + c["textarea"] + c["select"] + c["button"]
    page_text = " ".join(root.itertext() if entities else texts)[:_PAGE_TEXT_CHARS]
    classes = _token_counts(names)
    near_digits = _near_digits(page_text)
    prices = len(_PRICE.findall(near_digits))
    headings = c["h2"] + c["h3"] + c["h4"]
    out = [_log(n), _log(total_chars), link_chars / text_chars, _log(c["a"]), c["a"] / max(total_chars / 100, 1),
           _log(c["p"]), _log(prose), _log(prose_words), _log(longest), prose_words / text_chars * 6,
           _log(sentence_ps), _log(heading_links), heading_links / max(prose, 1), _log(best_run), _log(runs),
           _log(prices), c["li"] / max(c["p"], 1), c["img"] / max(prose, 1), headings / max(prose, 1),
           _log(inputs), _log(len(_DATE_TEXT.findall(near_digits))), _log(_years(page_text)),
           siblings, depth, in_article, float(c["h1"]), share, box_links, box_headings]
    out += [_log(c[t]) for t in _COUNTED if t != "h1"]
    out += [_log(x) for x in classes] + container
    assert len(out) == N_DOM, len(out)
    return out


def _itemtypes(tree: etree._Element) -> list[str]:
    return [t.rsplit("/", 1)[-1].lower() for t in _ITEMTYPES(tree)]


def type_features(tree: etree._Element) -> list[float]:
    """What the page declares itself to be: JSON-LD @type and microdata itemtype (by group), og:type,
    and whether it states a publication time or an author."""
    json_ld: list[str] = []
    metas: list[etree._Element] = []
    pagination = 0.0  # a link to the next or previous page
    title = None  # the first <title> below tree, as tree.find(".//title")
    for el in tree.iter("script", "meta", "link", "title"):  # one walk for the four
        if el.tag == "script":
            if el.get("type") == "application/ld+json" and el.text:
                json_ld.append(el.text)
        elif el.tag == "meta":
            metas.append(el)
        elif el.tag == "link":
            if el.get("rel") in ("next", "prev"):
                pagination = 1.0
        elif title is None and el is not tree:
            title = el
    ld = [0.0] * len(_GROUPS)
    for node in _json_ld_nodes(json_ld):
        types = node.get("@type")
        for t in types if isinstance(types, list) else [types]:
            group = _GROUP_OF.get(str(t).lower())
            if group:
                ld[_GROUPS.index(group)] += 1
    micro = [0.0] * len(_GROUPS)
    for t in _itemtypes(tree):
        group = _GROUP_OF.get(t)
        if group:
            micro[_GROUPS.index(group)] += 1
    og = [0.0] * len(_OG_TYPES)
    published = author = news = large_card = 0.0
    for el in metas:
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        value = (el.get("content") or "").strip().lower()
        if key == "og:type":
            for i, kind in enumerate(_OG_TYPES):
                if value.startswith(kind):
                    og[i] = 1.0
        elif key in ("article:published_time", "datepublished", "date", "pubdate", "publish-date",
                     "article:modified_time", "dc.date"):
            published = 1.0
        elif key in ("author", "article:author"):
            author = 1.0
        elif key in ("article:section", "article:tag", "news_keywords", "parsely-type", "sailthru.date"):
            news = 1.0
        elif key == "twitter:card" and value == "summary_large_image":
            large_card = 1.0
    raw = " ".join(json_ld)
    keys = [float(f'"{k}"' in raw) for k in ("datePublished", "author", "articleBody", "headline", "offers",
                                              "itemListElement", "breadcrumb")]
    title_text = " ".join(title.itertext()) if title is not None else ""
    return ([_log(x) for x in ld] + [_log(x) for x in micro] + og
            + [published, author, pagination, news, large_card, *keys, _log(_words(title_text)),
               float(bool(_TITLE_SEP.search(title_text)))])


def url_features(url: str | None) -> list[float]:
    """The shape of the URL: depth, the last segment (a slug of many words, a number), a date in the
    path, a query, and the path segments that name a kind of page."""
    parts = urlsplit(url or "")
    path = unquote(parts.path or "/")
    segments = [s for s in path.split("/") if s]
    last = segments[-1] if segments else ""
    stem = last.rsplit(".", 1)[0] if "." in last else last
    tokens = {t.lower() for t in _SEGMENT.split(path) if t}
    out = [float(bool(url)), float(len(segments)), _log(len(stem)), float(stem.count("-") + stem.count("_")),
           _log(sum(map(str.isdigit, path))), float(bool(_DATE_PATH.search(path))),
           float(bool(_LONG_NUMBER.search(path))), float(bool(parts.query)), float(path.endswith("/")),
           float(not segments)]
    return out + [float(t in tokens) for t in URL_TOKENS]


def text_features(text: str, title: str | None, published_at: str | None, authors: Sequence[str],
                  extracted: str = "", removed: Sequence[str] = ()) -> list[float]:
    """The cleaned main text: how much, in how many lines, how much of it sentences; and what the
    cleaning took out of the `extracted` text (`removed`: the rule id of each removal)."""
    lines = [line for line in text.split("\n") if line.strip()]
    words = [len(line.split()) for line in lines]
    ends = [_SENT_END.search(line) is not None for line in lines]  # a sentence ends the line
    sentences = sum(ends)
    total = sum(words)
    n = max(len(lines), 1)
    headings = sum(1 for end, w in zip(ends, words, strict=True) if w <= 10 and not end)
    questions = sum(1 for line in lines if line.rstrip().endswith(("?", "؟")))
    digits = sum(map(str.isdigit, text)) / max(len(text), 1)
    first = sum(words[:3])
    return [_log(total), _log(len(lines)), _log(max(words, default=0)), sentences / n,
            sum(w >= _PROSE_WORDS for w in words) / n, _log(sum(w < 6 for w in words)),
            float(bool(title)), float(bool(published_at)), float(bool(authors)), headings / n, questions / n,
            digits, total / n, _log(first), _log(len(_DATE_TEXT.findall(text[:3000]))),
            total / max(_words(extracted), 1), _log(len(removed)),
            _log(sum(rule.startswith("model.") for rule in removed))]


def page_features(tree: etree._Element, url: str | None) -> list[float]:
    """What is read from the page before the extraction prunes it."""
    return dom_features(tree) + type_features(tree) + url_features(url)


def features(page: Sequence[float], text: str, title: str | None, published_at: str | None,
             authors: Sequence[str], extracted: str = "", removed: Sequence[str] = ()) -> np.ndarray:
    row = np.array(list(page) + text_features(text, title, published_at, authors, extracted, removed),
                   dtype=np.float32)
    assert row.shape == (N_FEATURES,), row.shape
    return row


@lru_cache(maxsize=1)
def forest() -> Forest:
    return Forest(name=MODEL_FILE.name)


def score(row: np.ndarray) -> float:
    """P(not article) of one page's feature row."""
    return float(forest().predict(row[None, :])[0])


def page_kind(row: np.ndarray) -> str:
    model = forest()
    return NOT_ARTICLE if float(model.predict(row[None, :])[0]) >= model.cutoff else ARTICLE
