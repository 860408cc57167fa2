"""Scope prefilter: can the document of this raw page match any topic term at all?

A scan of CC-NEWS keeps well under 1 % of its records, and extracting and cleaning a page costs
about 50 ms: most of a scan's time went into cleaning pages only to reject them. This test runs on
the decoded page before extraction, in about a millisecond, and the build rejects a page it fails
without cleaning it.

It must never reject a page the full path would keep, so it looks at a superset of the text the
extractor can produce, in every form the topic matcher folds: the page with its markup cut out
both glued (``Inter<b>pol</b>`` -> Interpol) and at a line break (``Sûreté</p><p>nationale``),
script and style contents (which no extraction keeps) out but JSON-LD kept raw and decoded (its
``headline`` and ``articleBody``), every ``content=`` attribute (the og/twitter/dc titles), the
``<title>`` as written, entities decoded as often as the full path decodes them, mojibake repaired
as `cleaners.unicode.repair` repairs it (C1 sequences first, as the HTML stage does), invisible
characters dropped; then `topics.fold`, the same folding of case, accents, harakat, tatweel and
alef/hamza forms. Text kept that the extractor would drop only costs a needless full cleaning.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from cleaners.extract import _fix_c1_mojibake, has_c1
from cleaners.topics import Term, builtin_terms, fold
from cleaners.unicode import _INVISIBLE, FTFY_CHARS, repair

# What no extraction shows: comments (ended as HTML5 ends them: -->, --!>, or at once by <!--> or
# <!--->), and script and style contents up to the first end tag of the element, as the HTML
# parser ends them. A JSON-LD script is kept. Each start is found by one regex and its end by
# another, searched from there on: linear in the page, whatever it holds (a page of a million
# unclosed "<!--" costs one pass, not a million). An element never closed stays in as text.
_HIDDEN_START = re.compile(r"<(?:!--(-?>)?|(script|style)(?=[\s/>])([^<>]*)>)", re.I)
_COMMENT_END = re.compile(r"--!?>")
_HIDDEN_END = {"script": re.compile(r"</script(?=[\s/>])", re.I), "style": re.compile(r"</style(?=[\s/>])", re.I)}
# A tag as the HTML tokenizer starts one ("<" and a letter, "/", "!" or "?") up to the first ">"
# with no "<" before it. The parser ends a tag there or later (a quoted ">"), so this never takes
# text the parser keeps; at worst it leaves attribute text in, which only widens the test. No
# "<" inside: a page of "<a<a<a…" with no ">" costs one pass.
_TAG = re.compile(r"<[A-Za-z/!?][^<>]*>")
_META = re.compile(r"<meta\b[^<>]*>", re.I)
_TITLE_START, _TITLE_END = re.compile(r"<title\b[^<>]*>", re.I), re.compile(r"</title", re.I)
_ATTR = r"""\b{}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"""
_CONTENT = re.compile(_ATTR.format("content"), re.I)
_JSON_ESCAPE = re.compile(r"""\\(u[0-9a-fA-F]{4}|["\\/bfnrt])""")
_JSON_CHARS = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# lxml decodes the entities of the page once, ftfy (in repair) a second time, a meta title's are
# decoded a third (metadata._text): every reading up to the third is matched.
_UNESCAPE_PASSES = 3
_SPACES = re.compile(r"\s+")  # as topics.fold folds them


def _json_unescape(text: str) -> str:
    return _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "u"
                            else _JSON_CHARS[m.group(1)], text)


def _attr(rx: re.Pattern[str], tag: str) -> str | None:
    m = rx.search(tag)
    return next(g for g in m.groups() if g is not None) if m else None


def _readings(text: str, as_written: bool) -> list[str]:
    """The text with its entities decoded once, twice, three times (each while that changes it),
    and as written too when `as_written` (script text, which the parser does not decode); the
    invisible characters `repair` drops (a soft hyphen, &shy;) dropped from each."""
    out = [_INVISIBLE.sub("", text)] if as_written else []
    for _ in range(_UNESCAPE_PASSES):
        if "&" not in text or (decoded := html.unescape(text)) == text:
            break
        text = decoded
        out.append(_INVISIBLE.sub("", text))
    return out or [_INVISIBLE.sub("", text)]


def _repaired(text: str) -> str:
    """The lines of the text that ftfy would change, as `repair` leaves them: the text as it is
    is read as well, so a repair can only add a reading."""
    out = []
    for line in text.split("\n"):
        if FTFY_CHARS.search(line):  # glued and broken at the tags, when it has any (ftfy drops _CUT)
            out += ([repair(line.replace(_CUT, "")), repair(line.replace(_CUT, "\n"))] if _CUT in line
                    else [repair(line)])
    return "\n".join(out)


def _unhidden(raw: str) -> tuple[str, list[str]]:
    """The page without comments, scripts and styles (JSON-LD scripts kept), and the JSON-LD."""
    out: list[str] = []
    ld: list[str] = []
    pos = 0
    while m := _HIDDEN_START.search(raw, pos):
        if m.group(2) is None:  # a comment
            end = m.end() if m.group(1) else (c.end() if (c := _COMMENT_END.search(raw, m.end())) else -1)
            content = ""
        else:
            close = _HIDDEN_END[m.group(2).lower()].search(raw, m.end())
            end = close.start() if close else -1
            content = raw[m.end():end] if close and "ld+json" in m.group(3).lower() else ""
        if end < 0:  # never closed: the rest is left in
            break
        out += [raw[pos:m.start()], content]
        ld += [content] if content else []
        pos = end
    out.append(raw[pos:])
    return "".join(out), ld


# Stands where a tag was: removed, it glues the text on both sides together (Inter<b>pol</b>),
# as a line break it parts them (Sûreté</p><p>nationale); one folding serves both readings. A
# Unicode noncharacter: no text holds it, and folding leaves it as it is.
_CUT = "\ufdd0"


def _page_text(raw: str, is_html: bool, title: str | None) -> str:
    """Every text of the page the extractor may show, tags replaced by _CUT, in every reading."""
    extra: list[str] = [title] if title else []
    if not is_html:
        texts = [(raw, True)]
    else:
        shown, ld = _unhidden(raw)
        body = _CUT.join(_TAG.split(shown))
        extra += [v for m in _META.finditer(raw) if (v := _attr(_CONTENT, m.group(0)))]
        if (start := _TITLE_START.search(raw)) and (end := _TITLE_END.search(raw, start.end())):
            extra.append(raw[start.end():end.start()])  # as written: its text is not markup
        decoded = [_json_unescape(s) for s in ld]
        extra += decoded  # a headline is taken as written, entities decoded
        # an articleBody as render_article_body renders it: entities decoded, then tags cut
        texts = [(body, False), (_CUT.join(_TAG.split(html.unescape("\n".join(decoded)))), True),
                 ("\n".join(extra), True)]
    out: list[str] = []
    for text, as_written in texts:
        if not text:
            continue
        variants = [text]
        if is_html and has_c1(text):
            # the HTML stage decodes UTF-8 read as Latin-1 before parsing (see extract): on the page,
            # never across a tag, so both the text and its decoding are read
            variants.append(_fix_c1_mojibake(text))
        for variant in variants:
            readings = _readings(variant, as_written)
            out += readings
            if FTFY_CHARS.search(readings[-1]):
                out.append(_repaired(readings[-1]))
    return "\n".join(out)


def could_be_in_scope(raw: str, extra: Sequence[Term] = (), *, is_html: bool = True,
                      title: str | None = None) -> bool:
    """False only when no topic term (the built-in ones and `extra`, as `topics.topic_hits`
    matches them) can be in the document the full cleaning makes of this page: `raw` is the
    decoded page (or text, `is_html=False`), `title` the one its dump gives."""
    folded = fold(_page_text(raw, is_html, title), spaces=False)
    glued = folded.replace(_CUT, "")
    # A built-in term only counts when its word is in the folded text (see topics.TOPICS), and a
    # word has no space in it: the glued text holds every word any reading of the page does.
    builtin = [rx for _, _, word, rx in builtin_terms() if word in glued]
    if not builtin and not extra:
        return False
    # The built-in patterns take any run of white space (\s+) where the folded text has one space,
    # so they need no folding of spaces; configured ones may be written with a plain space.
    for text in (glued, folded.replace(_CUT, "\n")):
        collapsed = _SPACES.sub(" ", text) if extra else ""
        if any(rx.search(text) for rx in builtin) or any(rx.search(collapsed) for _, _, _, rx in extra):
            return True
    return False


_LINK = re.compile(r"<link\b[^>]*>", re.I)
_REL, _HREF = re.compile(_ATTR.format("rel"), re.I), re.compile(_ATTR.format("href"), re.I)
_PROP = re.compile(_ATTR.format("(?:property|name|itemprop)"), re.I)


def raw_canonical_url(raw: str) -> str | None:
    """The canonical URL as `metadata.extract_metadata` reads it (first <link rel=canonical> with
    an http(s) href, else og:url), from the raw page: a document the prefilter rejects keeps the
    doc_id the full cleaning would give it, so that it leaves the corpus as an out-of-scope
    capture does."""
    def value(rx: re.Pattern[str], tag: str) -> str:
        return html.unescape(_attr(rx, tag) or "")

    for m in _LINK.finditer(raw):
        href = value(_HREF, m.group(0)).strip()
        if value(_REL, m.group(0)) == "canonical" and href.startswith("http"):
            return href
    for m in _META.finditer(raw):
        url = " ".join(value(_CONTENT, m.group(0)).split())
        if url and value(_PROP, m.group(0)).strip().lower() == "og:url":
            return url
    return None
