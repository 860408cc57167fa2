"""Byte decoding and Unicode repair. Runs before rules and language id, which both need clean text."""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy
from charset_normalizer import from_bytes

# Entities are decoded on every line: ftfy's default ("auto") skips a line with a "<" in it, and
# once a rule cuts the markup out, cleaning the text again would decode what the first pass left.
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, normalization="NFC", explain=False, unescape_html=True)

# Zero-width, BOM, soft hyphen and bidi embedding/override/isolate controls carry no text.
# ZWNJ/ZWJ (U+200C/D) are kept: they are spelling in Persian and in emoji sequences.
_INVISIBLE = re.compile("[\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
# A double prime closing a quote opened with “ (seen in Arabic copy): it is a typo for ”.
_ODD_CLOSE = re.compile("(“[^“”″\n]+?)″")


# What ftfy could change: a UTF-8 lead byte read as Latin-1/cp1252 followed by a continuation
# (mojibake), C0/C1 controls, escapes, ligatures, full-width forms, surrogates, odd line breaks,
# HTML entities. Text with none of these only needs NFC, which is much cheaper than ftfy.
_FTFY_CHARS = (
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufb00-\ufb06\uff01-\uff5e\ud800-\udfff\u2028\u2029\ufffd]"
)
_FTFY_NEEDED = re.compile(_FTFY_CHARS + "|&#?\\w{1,10};")
FTFY_CHARS = re.compile(_FTFY_CHARS)  # the same, less entities (for text whose entities are decoded)


_REPAIR_PASSES = 3


def repair(text: str) -> str:
    """ftfy (mojibake, NFC), invisible characters removed, spaces and line breaks normalized.
    Repeated until nothing changes, so that repairing repaired text changes nothing: ftfy reads
    its context, and the spaces and invisible characters removed after it can change what it
    sees the next time ("\xa0Â\x80" gives "Â€", which gives "€")."""
    for _ in range(_REPAIR_PASSES):
        fixed = _repair_once(text)
        if fixed == text or not _FTFY_NEEDED.search(fixed):
            # A pass changes nothing in text it leaves no ftfy work in: it has no invisible
            # character, is NFC, and the quote and white-space steps give themselves back.
            return fixed
        text = fixed
    return text


def _repair_once(text: str) -> str:
    # Invisible characters go before ftfy too: a soft hyphen can hide mojibake from it.
    text = _INVISIBLE.sub("", text)
    if _FTFY_NEEDED.search(text):
        # ftfy fixes each line on its own anyway; lines it has nothing to fix only need NFC.
        text = "\n".join(_INVISIBLE.sub("", ftfy.fix_text(line, _FTFY)) if _FTFY_NEEDED.search(line)
                         else unicodedata.normalize("NFC", line) for line in text.split("\n"))
    else:
        text = unicodedata.normalize("NFC", text)
    text = _ODD_CLOSE.sub(r"\1”", text)
    # one substitution for all lines: no run of _SPACES holds a line break
    lines = [line.strip() for line in _SPACES.sub(" ", text.replace("\r\n", "\n")).split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


_ARABIC_MARKS = re.compile("[\u0640\u064b-\u0652\u0670]")  # tatweel, tanwin, harakat, shadda, sukun


def remove_arabic_marks(text: str) -> str:
    """Opt-in: tatweel and short-vowel marks off (كتــابٌ -> كتاب). Never applied by default."""
    return _ARABIC_MARKS.sub("", text)


def _valid_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode a page whose declared charset may be wrong or missing (common on Arabic sites).

    Order: HTTP-declared charset, then <meta charset>, then UTF-8, each only if it decodes
    strictly; then charset_normalizer's guess; then cp1252 with replacement so nothing raises.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    meta = _META_CHARSET.search(data[:4096])
    for name in (declared, meta.group(1).decode("ascii", "ignore") if meta else None, "utf-8"):
        codec = _valid_codec(name)
        if codec:
            try:
                return data.decode(codec)
            except UnicodeError:  # UnicodeDecodeError, or idna's own
                continue
            except LookupError:  # a codec, but not of text: "base64", "rot13", "zlib"
                continue
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("cp1252", errors="replace")


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def is_mostly_text(text: str) -> bool:
    """Binary garbage labelled as text decodes to many control or replacement characters; real
    pages have almost none."""
    sample = text[:20_000]
    return not sample or len(_CONTROL.findall(sample)) / len(sample) < 0.05
