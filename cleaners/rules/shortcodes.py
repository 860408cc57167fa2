"""WordPress shortcodes: quotes and captions are article content, so they are rendered to text;
layout shortcodes only lose their tags. Unknown bracketed text ("[sic]", "[1]") is never touched."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from cleaners.rules import Rule

_QUOTES = "\"“”″'‘’„«»"
# name="value" with straight or curly quotes (the closing quote may differ from the opening one),
# or an unquoted value.
_ATTR = re.compile(
    rf"([\w-]+)\s*=\s*(?:[{_QUOTES}](.*?)[{_QUOTES}](?=\s+[\w-]+\s*=|\s*/?$)|([^\s{_QUOTES}]+))", re.S
)
_TAGS = re.compile(r"<[^>]{0,500}>")
# What may follow a shortcode's name inside its brackets: nothing, or attributes (at least one
# "="). Bracketed prose that starts with a name ("[ad hoc]", "[quote unverified]") is not a
# shortcode, and must not be cut.
_ATTRS = r"(?:\s+[^\[\]=]*=[^\[\]]*|\s*/?)"


def parse_attrs(text: str) -> dict[str, str]:
    return {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)).strip()
            for m in _ATTR.finditer(text)}


def _strip_markup(text: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", text)).split())


def _render_quote(attrs: dict[str, str], inner: str) -> str:
    quote = _strip_markup(attrs.get("quote") or inner)
    if not quote:
        return ""
    if quote[0] not in _QUOTES:
        quote = f"“{quote}”"
    speaker = ", ".join(p for p in (_strip_markup(attrs.get("author_name", "")),
                                    _strip_markup(attrs.get("author_job", ""))) if p)
    return f"{quote} — {speaker}" if speaker else quote


def _render_caption(attrs: dict[str, str], inner: str) -> str:
    return _strip_markup(inner) or _strip_markup(attrs.get("caption", ""))


def _names_regex(names: Iterable[str], prefixes: Iterable[str]) -> str:
    alts = [re.escape(n) for n in sorted(names, key=len, reverse=True)]
    alts += [re.escape(p) + r"[\w-]*" for p in prefixes]
    return "|".join(alts)


class ShortcodeRule:
    """Compiled form of a `kind: shortcode` rule."""

    def __init__(self, rule: Rule):
        self.rule = rule
        opts = rule.options
        names = _names_regex(opts.get("names", []), opts.get("prefixes", []))
        self.render = opts.get("render", "tags")
        if self.render == "tags":
            self.regex = re.compile(rf"\[/?(?:{names}){_ATTRS}\]", re.I)
        else:
            # [name attrs]inner[/name] or a self-closing [name attrs] with no closing tag.
            self.regex = re.compile(
                rf"\[({names})({_ATTRS})\](?:(.*?)\[/\1\s*\])?", re.I | re.S
            )

    def replacement(self, match: re.Match[str]) -> str:
        if self.render == "tags":
            return " "
        attrs = parse_attrs(match.group(2).rstrip("/"))
        inner = match.group(3) or ""
        if self.render == "quote":
            return _render_quote(attrs, inner)
        return _render_caption(attrs, inner)
