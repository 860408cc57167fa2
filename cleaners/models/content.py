"""The content model: a small gradient-boosted tree ensemble over the lines the rules kept, which
drops the boilerplate lines no rule names (author bios, newsletter calls to action, gallery
navigation, repeated captions, "updated N hours ago", footer addresses, tag lists).

Each line is mapped back to the DOM element it came from (after trafilatura ran over the tree),
so a line is judged by its text shape (length, punctuation, digits, capitals, sentences, stopword
share in ar/fr/en) and by where it sits: tag, ancestors, class and id tokens, link density, place
in the page and in the text, its neighbours. No feature is an English word alone, so the same
model serves Arabic and French pages.

Inference is numpy only: the trees are arrays (cleaners/models/content_model.npz) walked for all
lines and all trees at once. `train_content.py` writes that file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from lxml import etree

from cleaners.extract import CAPTION_MARK, link_share

MODEL_FILE = Path(__file__).with_name("content_model.npz")
RULE_ID = "model.boilerplate"

# Short function-word lists: the share of them in a line tells running prose from labels,
# names and navigation, in each of the three languages.
STOPWORDS = frozenset("""
the a an of to in and or is are was were be been for on at by with from that this it as not but
have has had will would can its their they he she we you his her our which who said also than
le la les un une des de du et ou est sont été pour par sur dans avec que qui ce cette il elle ils
nous vous au aux ne pas plus se sa son ses leur a été selon après
في من على إلى الى عن مع أن ان التي الذي هذا هذه ذلك كان قد لا ما وقد كما بعد قبل حيث وفي أو او
ثم هو هي تم بين عند إن لم لن وذلك الذين
""".split())

_BLOCK_TAGS = frozenset({"p", "div", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                         "figcaption", "caption", "pre", "dd", "dt", "section", "article", "header",
                         "footer", "aside", "nav", "address", "figure", "main", "form", "body", "tr",
                         "table", "ul", "ol", "dl", "center"})
_TAG_GROUPS = {"p": 0, "div": 1, "li": 2, "td": 3, "th": 3, "h1": 4, "h2": 4, "h3": 4, "h4": 4, "h5": 4,
               "h6": 4, "blockquote": 5, "figcaption": 6, "caption": 6, "pre": 7, "dd": 8, "dt": 8,
               "section": 1, "article": 1, "address": 9, "span": 10, "a": 11}
N_TAGS = 13  # the groups above, and "other"
_ANCESTORS = ("footer", "aside", "nav", "header", "figure", "form", "li", "table", "blockquote",
              "article", "main", "a", "h1", "h2", "h3", "ul", "section")
# Substrings of class and id values (any ancestor): layout words are the same in every language.
CLASS_TOKENS = ("author", "bio", "byline", "newsletter", "subscri", "signup", "gallery", "slide", "caption",
                "credit", "foot", "related", "tag", "categor", "meta", "share", "social", "promo", "widget",
                "sidebar", "nav", "menu", "breadcrumb", "date", "time", "comment", "sponsor", "ad-", "banner",
                "cta", "disclaim", "copyright", "content", "article", "body", "entry", "post", "text", "story",
                "main", "title", "head", "summary", "excerpt", "lead", "card", "list", "teaser", "more",
                "popup", "modal", "cookie", "form", "button", "btn", "label", "info", "contact", "address")
_SENT_END = (".", "!", "?", "؟", "…", "»", "”", '"', ")")
_WORD = re.compile(r"\w+")
# Character classes counted per line (text_features, through _class_table).
_PUNCT = re.compile(r"[^\w\s]")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[A-ZÀ-ÖØ-Þ]")
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_SEPARATORS = re.compile(r"[|•·/›»>]")
_URLISH = re.compile(r"https?://|www\.|@\w|\.com\b|\.ma\b")
KEY_TOKENS = 6  # a line is found in the DOM by its first words
# What trafilatura's text output adds to the page's words: the "- " of a list item, the "|" between
# the cells of a table row. They are no word of the DOM's text, so a line is keyed without them.
_MARKERS = frozenset(("-", "*", "|"))


def _key(text: str) -> tuple[str, ...]:
    """The first words of `text`, markers left out (all of them when it holds nothing else);
    empty only for white space."""
    words = text.lower().split(maxsplit=KEY_TOKENS)
    if words and words[0] in _MARKERS:
        kept = [w for w in text.lower().split(maxsplit=3 * KEY_TOKENS) if w != "|"]
        if kept and kept[0] in _MARKERS:
            kept = kept[1:]
        words = kept or words
    return tuple(words[:KEY_TOKENS])


class DomIndex:
    """The text nodes of the tree by their first words, in document order, so each extracted line
    finds the element its text starts in. Built once per page, one pass over the tree; only text
    that starts with the first word of some line is indexed."""

    def __init__(self, tree: etree._Element, lines: Sequence[str] = ()):
        self.nodes: dict[tuple[str, ...], list[etree._Element]] = {}
        self.order: dict[etree._Element, int] = {}
        self.used: dict[tuple[str, ...], int] = {}
        self.blocks: dict[etree._Element, float] = {}
        self.chains: dict[etree._Element, _Chain] = {}
        self.chains_container: etree._Element | None = None
        firsts = {key[0] for key in map(_key, lines) if key}
        nodes = self.nodes
        n = 0
        keyed = firsts | _MARKERS  # a text whose first word is neither needs no key: it is not indexed
        for el in tree.iter(etree.Element):
            n += 1
            self.order[el] = n
            text, tail = el.text, el.tail
            if (text and not text.isspace() and text.split(None, 1)[0].lower() in keyed
                    and (key := _key(text))[0] in firsts):
                nodes.setdefault(key, []).append(el)
            if (tail and not tail.isspace() and tail.split(None, 1)[0].lower() in keyed
                    and (key := _key(tail))[0] in firsts):
                parent = el.getparent()
                if parent is not None:
                    nodes.setdefault(key, []).append(parent)
        self.size = max(n, 1)

    def link_density(self, block: etree._Element) -> float:
        """Share of the block's characters inside links (once per block: lines share blocks)."""
        if block not in self.blocks:
            self.blocks[block] = link_share(block)
        return self.blocks[block]

    def chain(self, el: etree._Element, container: etree._Element | None) -> _Chain:
        """What the path from `el` up to the root holds (_Chain). Lines share most of their
        ancestors: each element is read once per page, its chain built on its parent's."""
        if container is not self.chains_container:
            self.chains, self.chains_container = {}, container
        chains = self.chains
        path = []
        node: etree._Element | None = el
        while node is not None and node not in chains:
            path.append(node)
            node = node.getparent()
        anc, depth, up, masks = chains[node] if node is not None else (0, 0, -1, ())
        for node in reversed(path):
            up = 0 if node is container else up + 1 if up >= 0 else -1
            anc, depth = anc | _ANCESTOR_BITS.get(node.tag, 0), depth + 1
            attrs = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
            masks = (_token_mask(attrs), *masks[:NAMED_LEVELS - 1])
            chains[node] = (anc, depth, up, masks)
        return anc, depth, up, masks

    def find(self, line: str) -> etree._Element | None:
        words = _key(line)
        for k in range(len(words), 0, -1):
            key = tuple(words[:k])
            found = self.nodes.get(key)
            if found:
                i = self.used.get(key, 0)
                self.used[key] = i + 1
                return found[min(i, len(found) - 1)]
        return None


def _block(el: etree._Element) -> etree._Element:
    while el.tag not in _BLOCK_TAGS:
        parent = el.getparent()
        if parent is None:
            break
        el = parent
    return el


# An element's chain: its ancestor tags (bits of _ANCESTORS, itself included), its depth (itself
# counted), the levels up to the body paragraphs' container (-1: not inside it), and the
# class-token bits (of CLASS_TOKENS, in class and id) of itself and its nearest ancestors.
_Chain = tuple[int, int, int, tuple[int, ...]]
_ANCESTOR_BITS = {tag: 1 << i for i, tag in enumerate(_ANCESTORS)}
NAMED_LEVELS = 8  # elements whose class and id count, from the line's own up


@lru_cache(maxsize=4096)
def _token_mask(attrs: str) -> int:
    """No token holds a space, so a token is in the joined class and id values of a chain when it
    is in one element's."""
    return sum(1 << i for i, t in enumerate(CLASS_TOKENS) if t in attrs)


def _bits(masks: list[int], n: int) -> np.ndarray:
    """(rows, n) 0/1 columns of the low `n` bits of each mask (int64: n must stay under 63)."""
    assert n < 63, n
    return (np.array(masks, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64) & 1).astype(np.float32)


def dom_features(els: Sequence[etree._Element | None], index: DomIndex, container: etree._Element | None,
                 lo: int, hi: int) -> np.ndarray:
    """(lines, N_DOM): where each line's element sits (all zero for a line not found in the tree).
    Each line gives a few numbers and bit masks; the one-hot and flag columns are spread by numpy
    for all lines at once."""
    n = len(els)
    found = [i for i, el in enumerate(els) if el is not None]
    X = np.zeros((n, N_DOM), dtype=np.float32)
    if not found:
        return X
    scalars = []  # link density, order / size, depth, up >= 0, up, parent is container, before, after
    tags, owners, ancestors, named = [], [], [], []
    for i in found:
        el = els[i]
        block = _block(el)
        tags.append(_TAG_GROUPS.get(block.tag, N_TAGS - 1) if isinstance(block.tag, str) else N_TAGS - 1)
        owners.append(_OWNER_GROUPS.get(el.tag, N_OWNER - 1) if isinstance(el.tag, str) else N_OWNER - 1)
        anc, depth, up, masks = index.chain(el, container)
        mask = 0
        for m in masks:
            mask |= m
        ancestors.append(anc)
        named.append(mask)
        order = index.order.get(el, 0)
        parent = block.getparent()
        scalars.append((index.link_density(block), order / index.size, float(depth), float(up >= 0), float(up),
                        float(parent is not None and parent is container), float(bool(hi) and order < lo),
                        float(bool(hi) and order > hi)))
    rows = np.array(found)
    values = np.array(scalars, dtype=np.float32)
    X[rows, 0] = 1.0
    X[rows, 1:4] = values[:, :3]
    X[rows, 4 + np.array(tags)] = 1.0
    col = 4 + N_TAGS
    X[rows, col:col + len(_ANCESTORS)] = _bits(ancestors, len(_ANCESTORS))
    col += len(_ANCESTORS)
    X[rows, col:col + len(CLASS_TOKENS)] = _bits(named, len(CLASS_TOKENS))
    col += len(CLASS_TOKENS)
    X[rows, col + np.array(owners)] = 1.0
    X[rows, col + N_OWNER:] = values[:, 3:]
    return X


_OWNER_GROUPS = {"a": 0, "strong": 1, "b": 1, "em": 2, "i": 2, "span": 3, "time": 4, "small": 5}
N_OWNER = 7
MARK = "\x00"


# Bits of _class_table: the classes counted, and white space and sentence ends, for capitalized
# words (an _UPPER character at the start or after white space: (?<!\S)[A-ZÀ-ÖØ-Þ]) and sentence
# breaks (an end before white space or at the end: [.!?؟…](?=\s|$)).
_CLASSES = (_SEPARATORS, _PUNCT, _DIGIT, _UPPER, _LATIN, _ARABIC, re.compile(r"\s"), re.compile(r"[.!?؟…]"))
_SPACE_BIT, _STOP_BIT = 6, 7


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """Bit k set for every code point that _CLASSES[k] matches: the regexes asked once for all of
    Unicode (each substitutes a NUL for every character it matches), so that a page's characters
    are classified by one lookup instead of a regex pass per class. [^\\w\\s] is read as neither
    \\w nor \\s: substituting nearly every code point costs more."""
    chars = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")

    def matched(pattern: re.Pattern[str]) -> np.ndarray:
        hits = np.frombuffer(pattern.sub("\x00", chars).encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 0
        hits[0] = pattern.match("\x00") is not None
        return hits

    table = np.zeros(0x110000, dtype=np.uint8)
    for k, pattern in enumerate(_CLASSES):
        hits = ~(matched(re.compile(r"\w")) | matched(_CLASSES[_SPACE_BIT])) if pattern is _PUNCT else matched(pattern)
        table[hits] |= 1 << k
    return table


def digit_positions(text: str) -> np.ndarray:
    """Where `text` has a character that `\\d` matches (one table lookup per character, no regex pass)."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return np.flatnonzero(_class_table()[cp] & 1 << _CLASSES.index(_DIGIT))


def _class_counts(joined: str) -> np.ndarray:
    """(lines, classes) counts of the characters of each class in each line of `joined`, and of
    the capitals after white space and the sentence ends before it (the last two columns). The
    last two replace bits 6 and 7 of each character's class byte, so that one byte a character
    is unpacked and summed per line (np.add.reduceat: no running total over every character)."""
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = len(cp)
    bits = np.zeros(n + 1, dtype=np.uint8)  # a zero row after the end: a last empty line starts there
    chars = bits[:n]
    chars[:] = _class_table()[cp]
    space = chars & 1 << _SPACE_BIT
    upper = chars & 1 << 3  # _UPPER
    upper[1:] &= space[:-1] >> _SPACE_BIT - 3
    stop = chars >> _STOP_BIT - _SPACE_BIT & 1 << _SPACE_BIT
    stop[:-1] &= space[1:]
    chars &= (1 << _SPACE_BIT) - 1
    chars |= upper << _SPACE_BIT - 3
    chars |= stop << _STOP_BIT - _SPACE_BIT
    marks = np.unpackbits(bits[:, None], axis=1, bitorder="little")
    breaks = np.flatnonzero(cp == 10)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [n]))
    counts = np.add.reduceat(marks, starts, axis=0, dtype=np.int32)
    counts[starts == ends] = 0  # reduceat gives an empty line the row it starts at
    return counts.astype(np.float32)


def _match_counts(pattern: re.Pattern[str], joined: str) -> np.ndarray:
    return np.array([piece.count(MARK) for piece in pattern.sub(MARK, joined).split("\n")], dtype=np.float32)


N_TEXT = 18


def text_features(lines: Sequence[str]) -> np.ndarray:
    """The shape of each line's text: length, punctuation, digits, capitals, script, sentences,
    stopword share, separators."""
    lines = [line.replace(MARK, " ").replace("\n", " ") for line in lines]
    joined = "\n".join(lines)
    lower = joined.lower()
    chars = np.array([len(line) for line in lines], dtype=np.float32)
    words = np.array([len(line.split()) for line in lines], dtype=np.float32)
    ends = [line.rstrip() for line in lines]
    c1, w1 = np.maximum(chars, 1), np.maximum(words, 1)
    words_of = [_WORD.findall(line) for line in lower.split("\n")]
    tokens = np.array([max(len(t), 1) for t in words_of], dtype=np.float32)
    X = np.empty((len(lines), N_TEXT), dtype=np.float32)
    X[:, 0], X[:, 1], X[:, 2] = np.log1p(chars), np.log1p(words), chars / w1
    X[:, 3] = [e.endswith(_SENT_END) for e in ends]
    X[:, 4] = [e.endswith(":") for e in ends]
    X[:, 5] = [line[:1].isdigit() for line in lines]
    counts = _class_counts(joined)
    X[:, 6] = counts[:, 0] / w1
    X[:, 7] = counts[:, 1] / c1
    X[:, 8] = counts[:, 2] / c1
    X[:, 9] = counts[:, 3] / np.maximum(counts[:, 4], 1)
    X[:, 10] = counts[:, 6] / w1
    X[:, 11] = counts[:, 5] / c1
    X[:, 12] = counts[:, 7]
    X[:, 13] = [sum(map(STOPWORDS.__contains__, t)) for t in words_of] / tokens
    X[:, 14] = ["©" in line for line in lines]
    X[:, 15] = _match_counts(_URLISH, lower) > 0
    X[:, 16] = [line.count(",") for line in lines] / w1
    X[:, 17] = [line.count("،") for line in lines] / w1
    return X


N_DOM = 4 + N_TAGS + len(_ANCESTORS) + len(CLASS_TOKENS) + N_OWNER + 5
N_CONTEXT = 19
N_FEATURES = N_TEXT + N_DOM + N_CONTEXT


def _is_body(words: int, line: str) -> bool:
    """A paragraph of running text (the stripper's test for the start of the body)."""
    return words >= 25 or (words >= 10 and line.rstrip().endswith(_SENT_END))


def _container(els: list[etree._Element | None], body: list[bool], n_words: list[int]) -> etree._Element | None:
    """The element whose children hold most of the body paragraphs' words: the article's own box."""
    votes: dict[etree._Element, int] = {}
    for el, is_body, w in zip(els, body, n_words, strict=True):
        if el is not None and is_body:
            parent = _block(el).getparent()
            if parent is not None:
                votes[parent] = votes.get(parent, 0) + w
    return max(votes, key=votes.__getitem__) if votes else None


def features(lines: Sequence[str], index: DomIndex | None,
             elements: list[etree._Element | None] | None = None) -> np.ndarray:
    """One row per line: its text, its DOM element (and where it sits against the element that
    holds the body paragraphs), its place among the lines and its neighbours."""
    n = len(lines)
    X = np.zeros((n, N_FEATURES), dtype=np.float32)
    if not n:
        return X
    X[:, :N_TEXT] = text_features(lines)
    counts: dict[str, int] = {}
    keys = [" ".join(line.lower().split()) for line in lines]
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    n_words = [len(line.split()) for line in lines]
    body = [_is_body(w, line) for w, line in zip(n_words, lines, strict=True)]
    bodies = [i for i, b in enumerate(body) if b]
    first, last = (bodies[0], bodies[-1]) if bodies else (n, -1)
    # Lines to the nearest body paragraph, and the run of non-body lines each line is in.
    dist = [n] * n
    run = [0] * n
    gap = n
    for i in range(n):
        gap = 0 if body[i] else gap + 1
        dist[i] = gap
    gap = n
    for i in range(n - 1, -1, -1):
        gap = 0 if body[i] else gap + 1
        dist[i] = min(dist[i], gap)
    i = 0
    while i < n:
        j = i
        while j < n and not body[j]:
            j += 1
        for k in range(i, j):
            run[k] = j - i
        i = j + 1 if j == i else j
    total = sum(n_words) or 1
    longest = max(n_words) or 1
    long_lines = sum(1 for w in n_words if w >= 25) / n
    els = [index.find(line) for line in lines] if index is not None else [None] * n
    if elements is not None:
        elements[:] = els
    container = _container(els, body, n_words)
    orders = [index.order.get(el, 0) for el, b in zip(els, body, strict=True) if b and el is not None] \
        if index is not None else []
    lo, hi = (min(orders), max(orders)) if orders else (0, 0)
    before = 0
    rows = []
    for i in range(n):
        prev_w = n_words[i - 1] if i else 0
        next_w = n_words[i + 1] if i + 1 < n else 0
        context = [i / n, before / total, (total - before - n_words[i]) / total, math.log1p(n),
                   math.log1p(total), n_words[i] / longest, long_lines, math.log1p(prev_w), math.log1p(next_w),
                   float(counts[keys[i]] > 1),
                   float(i > 0 and lines[i - 1].rstrip().endswith(_SENT_END)),
                   float(i + 1 < n and lines[i + 1].rstrip().endswith(_SENT_END)),
                   float(i < first), float(i > last), math.log1p(dist[i]), math.log1p(run[i]),
                   len(bodies) / n, float(body[i]), float(counts[keys[i]])]
        rows.append(context)
        before += n_words[i]
    if index is not None:
        X[:, N_TEXT:N_TEXT + N_DOM] = dom_features(els, index, container, lo, hi)
    X[:, N_TEXT + N_DOM:] = np.array(rows, dtype=np.float32)  # one conversion, not one per row
    return X


class Forest:
    """A binary tree ensemble as flat arrays: node feature, threshold, children (a negative child
    -k-1 is leaf k), leaf values. A missing value never occurs (every feature is computed)."""

    def __init__(self, path: Path | None = None, name: str = MODEL_FILE.name):
        """`path`: a model file; by default the one of this package named `name`, read through
        importlib.resources (in a zipped egg, as scrapyd runs it, it has no file path)."""
        source = resources.files(__package__).joinpath(name) if path is None else path
        with source.open("rb") as fh, np.load(fh) as data:
            self.feature = data["feature"]      # (trees, nodes) int32
            self.threshold = data["threshold"]  # (trees, nodes) float32
            self.left = data["left"]            # (trees, nodes) int32
            self.right = data["right"]          # (trees, nodes) int32
            self.leaf = data["leaf"]            # (trees, leaves) float32
            self.bias = float(data["bias"])
            self.cutoff = float(data["cutoff"])
            self.depth = int(data["depth"])
            # The CLEANER_VERSION it was trained on (its lines and features): None in older files.
            self.cleaner_version = str(data["cleaner_version"]) if "cleaner_version" in data.files else None
        self._flatten()

    def _flatten(self) -> None:
        """All trees in one flat node array, each leaf a node of its own that leads to itself
        (threshold +inf, both children itself): every row takes `depth` steps with no test of
        where it is, and each step is a few one-dimensional gathers."""
        trees, nodes = self.feature.shape
        size = nodes + self.leaf.shape[1]
        base = (np.arange(trees) * size)[:, None]
        self._roots = base[:, 0]
        feature = np.zeros((trees, size), dtype=np.intp)
        feature[:, :nodes] = self.feature
        threshold = np.full((trees, size), np.inf)
        threshold[:, :nodes] = self.threshold
        leaves = np.arange(nodes, size)
        children = []
        for child in (self.left, self.right):
            flat = np.empty((trees, size), dtype=np.intp)
            flat[:, :nodes] = np.where(child >= 0, child, nodes - child.astype(np.intp) - 1)
            flat[:, nodes:] = leaves
            children.append((flat + base).ravel())
        value = np.zeros((trees, size), dtype=self.leaf.dtype)
        value[:, nodes:] = self.leaf
        self._feature, self._threshold = feature.ravel(), threshold.ravel()
        self._left, self._right = children
        self._value = value.ravel()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability that each row is boilerplate: every tree of every row walked in lockstep."""
        if not len(X):
            return np.zeros(0, dtype=np.float32)
        values = np.ascontiguousarray(X).ravel()
        row = (np.arange(len(X)) * X.shape[1])[:, None]
        node = np.repeat(self._roots[None, :], len(X), axis=0)
        for _ in range(self.depth):
            go_left = values[row + self._feature[node]] <= self._threshold[node]
            node = np.where(go_left, self._left[node], self._right[node])
        raw = self._value[node].sum(axis=1) + self.bias
        return 1.0 / (1.0 + np.exp(-raw))


@lru_cache(maxsize=1)
def forest() -> Forest:
    return Forest()


class LineJudge:
    """What the stripper asks about the lines it kept: a boilerplate score for each (the DOM is
    indexed only when there are lines to judge)."""

    rule_id = RULE_ID

    def __init__(self, tree: etree._Element | None):
        self.tree = tree

    def features(self, lines: Sequence[str], elements: list[etree._Element | None] | None = None) -> np.ndarray:
        return features(lines, DomIndex(self.tree, lines) if self.tree is not None else None, elements)

    def scores(self, lines: Sequence[str]) -> tuple[np.ndarray, float]:
        """A caption (kept as a paragraph by design: it often carries facts) scores 0 unless the
        page repeats it."""
        model = forest()
        elements: list[etree._Element | None] = []
        scores = model.predict(self.features(lines, elements))
        seen: dict[str, int] = {}
        for line in lines:
            seen[line] = seen.get(line, 0) + 1
        for i, el in enumerate(elements):
            if el is not None and seen[lines[i]] == 1 and _in_caption(el):
                scores[i] = 0.0
        return scores, model.cutoff


def _in_caption(el: etree._Element) -> bool:
    block = _block(el)
    node: etree._Element | None = el
    while node is not None:
        if node.get(CAPTION_MARK) is not None:
            return True
        if node is block:
            return False
        node = node.getparent()
    return False
