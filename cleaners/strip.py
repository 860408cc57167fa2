"""The text stage: rule families applied line by line, then the structural rules at the top of the
text (page-title line, breadcrumb, headline). Every removal is recorded with its rule id.

Order matters and is fixed: span rules (PHP notices, shortcodes, labels, credits) first, because
they can reveal a whole line that a line rule then removes (" date 2022-10 © Copyright : …").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cleaners.document import Removal
from cleaners.rules import EDGE_PUNCTUATION, Rule, fold_lines, load_rules, norm_line, structure_config
from cleaners.rules.shortcodes import ShortcodeRule
from cleaners.topics import match_topics

_SPACES = re.compile(r"[ \t]+")
_WORD = re.compile(r"\w")
_TOKEN_SPLIT = re.compile(r"[\s|·•/,]+")
_FIRST_TOKEN = re.compile(r"[\s|·•/,]*([^\s|·•/,]+)")  # the first piece _TOKEN_SPLIT leaves
_SENTENCE_END = (".", "!", "?", "؟", "…", "»", "”", '"', ")")
_TITLE_BAD_END = (".", ":", ";", ",", "،", "؛")
_MAX_SPAN_PASSES = 10
# Line rules remove chrome lines (share rows, read-also links, cookie notices), all far shorter
# than this; a longer line is a paragraph and skips them (folding it is most of their cost).
LINE_RULE_MAX_CHARS = 600
PREAMBLE_OFFSET = -1  # removals from text printed before <html>, outside the extracted text


class Judge(Protocol):
    """A learned judge of the lines the rules kept (cleaners.models.content.LineJudge)."""

    rule_id: str

    def scores(self, lines: Sequence[str]) -> tuple[Sequence[float], float]: ...


@dataclass
class StripResult:
    text: str
    title: str | None
    removed: list[Removal] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    site_name: str | None = None


@dataclass
class _Line:
    text: str
    offset: int
    kept: bool = True


def _words(s: str) -> int:
    return len(s.split())


def _is_body_paragraph(s: str) -> bool:
    n = _words(s)
    return n >= 25 or (n >= 10 and s.rstrip().endswith(_SENTENCE_END))


def _is_headline(s: str) -> bool:
    n = _words(s)
    return 3 <= n <= 30 and len(s) <= 250 and not s.endswith(_TITLE_BAD_END)


def _is_title_like(s: str) -> bool:
    """A line in a related-posts list: short, and not a sentence."""
    return 0 < _words(s) <= 16 and not s.endswith((".", "!", "?", "؟"))


class Stripper:
    def __init__(self, rules: tuple[Rule, ...] | None = None):
        rules = load_rules() if rules is None else rules
        self.span_rules: list[tuple[Rule, ShortcodeRule | None]] = []
        self.line_rules: list[Rule] = []
        for rule in rules:
            if rule.kind == "shortcode":
                self.span_rules.append((rule, ShortcodeRule(rule)))
            elif rule.scope == "span":
                self.span_rules.append((rule, None))
            else:
                self.line_rules.append(rule)
        # Each span regex with ^ and $ at line ends, to ask once per text which rules can match
        # at all (the patterns have no lookaround that a newline could change from a miss into a
        # match or back; a hit here is only a candidate).
        self._probes = [re.compile((sc.regex if sc else r.pattern).pattern,  # type: ignore[union-attr]
                                   (sc.regex if sc else r.pattern).flags | re.M)  # type: ignore[union-attr]
                        for r, sc in self.span_rules]
        self._phrases = frozenset().union(*(r.phrases for r in self.line_rules))
        cfg = structure_config()
        self.home_words: list[str] = cfg["breadcrumb_home"]
        self.crumb_seps: list[str] = cfg["breadcrumb_separators"]
        self.title_seps: list[str] = cfg["title_separators"]
        self.suffix_max = int(cfg["site_suffix_max_words"])

    # -- span rules -----------------------------------------------------------------------------
    def _candidates(self, text: str) -> list[tuple[Rule, ShortcodeRule | None]]:
        """The span rules that match somewhere in `text`: lines of an unchanged text need no other."""
        folded = text.casefold()
        return [rule for rule, probe in zip(self.span_rules, self._probes, strict=True)
                if (not rule[0].requires or any(r in folded for r in rule[0].requires)) and probe.search(text)]

    def _apply_spans(self, line: _Line, first: bool, language: str | None, removed: list[Removal],
                     credits: list[str], candidates: list[tuple[Rule, ShortcodeRule | None]] | None = None) -> None:
        rules = self.span_rules if candidates is None else candidates
        for _ in range(_MAX_SPAN_PASSES):
            changed = False
            for rule, shortcode in rules:
                if not rule.applies_to(language) or (rule.where == "first") != first:
                    continue
                regex = shortcode.regex if shortcode else rule.pattern
                assert regex is not None
                text = line.text
                pieces: list[str] = []
                pos = 0
                for m in regex.finditer(text):
                    if m.end() == m.start():
                        continue
                    removed.append(Removal(rule.id, m.group(0), line.offset + m.start()))
                    pieces.append(text[pos:m.start()])
                    pieces.append(shortcode.replacement(m) if shortcode else " ")
                    if rule.action == "credit":
                        credits.append(m.group(0).strip().strip("()").strip())
                    pos = m.end()
                if pieces:
                    pieces.append(text[pos:])
                    line.text = _SPACES.sub(" ", "".join(pieces)).strip()
                    changed = True
            if not changed:
                return
            rules = self.span_rules  # a cut can make any rule match the joined text

    # -- line rules -----------------------------------------------------------------------------
    @staticmethod
    def _line_rule_match(rule: Rule, key: str) -> bool:
        """A `lines` or `tokens` rule against a line's key (pattern rules: _pattern_hits)."""
        if rule.kind == "lines":
            return key in rule.phrases
        first = _FIRST_TOKEN.match(key)  # most lines fail at their first word: no split for them
        if first is None or first.group(1) not in rule.tokens:
            return False
        toks = [t for t in _TOKEN_SPLIT.split(key) if t]
        return bool(toks) and all(t in rule.tokens for t in toks) and any(t in rule.networks for t in toks)

    @staticmethod
    def _pattern_hits(rule: Rule, raw: list[str], folded: list[str]) -> set[int]:
        """The lines a pattern rule matches, each asked once (a `^`-led pattern over one line is a
        match at its start; over all the lines in multiline mode, a test at every character)."""
        assert rule.pattern is not None
        search = rule.pattern.search
        return {i for i, text in enumerate(raw if rule.raw else folded) if search(text)}

    def _apply_lines(self, lines: list[_Line], language: str | None, removed: list[Removal]) -> None:
        todo = [ln for ln in lines if ln.kept and ln.text and len(ln.text) <= LINE_RULE_MAX_CHARS]
        if not todo:
            return
        raw = [ln.text for ln in todo]
        folded = fold_lines(raw)
        hits = {r.id: self._pattern_hits(r, raw, folded) for r in self.line_rules
                if r.kind == "pattern" and r.applies_to(language)}
        rules = [r for r in self.line_rules if r.applies_to(language) and (r.kind != "pattern" or hits[r.id])]
        unlisted = [r for r in rules if r.kind != "lines"]  # for a line no phrase list holds
        for i, (line, fold) in enumerate(zip(todo, folded, strict=True)):
            if not line.kept:  # dropped with a block above it
                continue
            key = fold.strip(EDGE_PUNCTUATION)
            for rule in rules if key in self._phrases else unlisted:
                if i in hits[rule.id] if rule.kind == "pattern" else self._line_rule_match(rule, key):
                    self._drop(line, rule.id, removed)
                    if rule.block:
                        self._drop_block(lines, lines.index(line) + 1, rule.id, removed)
                    break

    def _drop_block(self, lines: list[_Line], start: int, rule_id: str, removed: list[Removal]) -> None:
        for line in lines[start:]:
            if not line.kept or not line.text:
                continue
            if not _is_title_like(line.text):
                return
            self._drop(line, rule_id, removed)

    @staticmethod
    def _apply_judge(lines: list[_Line], judge: Judge, removed: list[Removal]) -> None:
        """A line that names a topic term (DGSN, Interpol, ...) is never the model's to drop: a
        learned guess must not be what takes a document out of the corpus's scope (the rules, each
        with its near-miss tests, still may). Nor does the model empty a document: when it would
        drop every line with a word left, it drops none (the page is then the page-kind model's to
        judge, and a build keeps it as not_article rather than losing it as empty)."""
        live = [ln for ln in lines if ln.kept and ln.text]
        if not live:
            return
        scores, cutoff = judge.scores([ln.text for ln in live])
        drops = [(line, score) for line, score in zip(live, scores, strict=True)
                 if score >= cutoff and _WORD.search(line.text) and not match_topics(line.text)[0]]
        if len(drops) == sum(1 for ln in live if _WORD.search(ln.text)):
            return
        for line, score in drops:
            removed.append(Removal(judge.rule_id, line.text, line.offset, round(float(score), 3)))
            line.kept = False

    @staticmethod
    def _drop(line: _Line, rule_id: str, removed: list[Removal]) -> None:
        removed.append(Removal(rule_id, line.text, line.offset))
        line.kept = False

    # -- structure ------------------------------------------------------------------------------
    def _is_crumb_with_separators(self, s: str) -> bool:
        key = norm_line(s)
        return any(key.startswith(h + " ") or key == h for h in self.home_words) and any(
            f" {sep} " in s for sep in self.crumb_seps) and _words(s) <= 25

    def _site_suffix(self, key: str, tkey: str) -> str | None:
        """If `key` is `tkey` + separator + a short site name, return the site name."""
        if not key.startswith(tkey) or key == tkey:
            return None
        rest = key[len(tkey):]
        for sep in self.title_seps:
            if rest.startswith(sep):
                site = rest[len(sep):].strip()
                if 0 < _words(site) <= self.suffix_max:
                    return site
        return None

    def _apply_structure(self, lines: list[_Line], title: str | None,
                         removed: list[Removal]) -> tuple[str | None, str | None]:
        live = [ln for ln in lines if ln.kept and ln.text]
        body_at = next((k for k, ln in enumerate(live) if _is_body_paragraph(ln.text)), len(live))
        head = live[:body_at]
        for ln in head:
            if self._is_crumb_with_separators(ln.text):
                self._drop(ln, "structure.breadcrumb", removed)
        head = [ln for ln in head if ln.kept]
        site_name: str | None = None
        detected: _Line | None = None
        if title is None and head and body_at < len(live) and _is_headline(head[0].text):
            detected = head[0]
            title = detected.text
            others = [norm_line(ln.text) for ln in head[1:]]
            for sep in self.title_seps:
                if sep in title:
                    left, right = title.rsplit(sep, 1)
                    lkey = norm_line(left)
                    if (_words(right) <= self.suffix_max and lkey
                            and any(o == lkey or o.endswith(" " + lkey) for o in others)):
                        # Prefer the standalone headline's spelling (the <h1>) to the <title>'s.
                        same = [ln.text for ln in head[1:] if norm_line(ln.text) == lkey]
                        title, site_name = (same[0] if same else left.strip()), right.strip()
                    break
        if not title:
            return title, site_name
        tkey = norm_line(title)
        if not tkey:
            return title, site_name
        for ln in head:
            key = norm_line(ln.text)
            if key == tkey:
                self._drop(ln, "structure.title" if ln is detected else "structure.title_repeat", removed)
            elif (site := self._site_suffix(key, tkey)) is not None:
                self._drop(ln, "structure.title_site", removed)
                if site_name is None:
                    site_name = ln.text[-len(site):].strip()
            elif key.endswith(tkey) and any(key.startswith(h + " ") for h in self.home_words):
                self._drop(ln, "structure.breadcrumb", removed)
        return title, site_name

    def classify_preamble(self, text: str) -> list[Removal]:
        """Removals for text printed before <html> (PHP notices, mostly): all of it goes, and each
        piece is recorded under the rule that recognises it, or `html.preamble`."""
        removed: list[Removal] = []
        for raw in text.split("\n"):
            line = _Line(raw, PREAMBLE_OFFSET)
            if not raw.strip():
                continue
            self._apply_spans(line, False, None, removed, [])
            if line.text:
                removed.append(Removal("html.preamble", line.text, PREAMBLE_OFFSET))
        for r in removed:
            r.offset = PREAMBLE_OFFSET
        return removed

    # -- entry point ----------------------------------------------------------------------------
    def _apply_first(self, lines: list[_Line], done: set[int], language: str | None, removed: list[Removal],
                     credits: list[str]) -> None:
        """Rules for the first line apply to the first line that survives the others, so that
        re-cleaning (where that line is first from the start) gives the same text. `done`: the
        lines they already ran on."""
        while (k := next((k for k, ln in enumerate(lines) if ln.kept and ln.text), None)) is not None \
                and k not in done:
            done.add(k)
            for _ in range(_MAX_SPAN_PASSES):
                before = lines[k].text
                self._apply_spans(lines[k], True, language, removed, credits)
                if lines[k].text == before:
                    break
                self._apply_spans(lines[k], False, language, removed, credits)
            lines[k].kept = bool(lines[k].text)
            self._apply_lines(lines[k:k + 1], language, removed)

    def strip(self, text: str, title: str | None = None, language: str | None = None,
              judge: Judge | None = None) -> StripResult:
        """`text` must already be repaired (cleaners.unicode.repair). A `judge` drops, last, the
        kept lines it scores at or over its cutoff (recorded with the score)."""
        removed: list[Removal] = []
        credits: list[str] = []
        lines: list[_Line] = []
        offset = 0
        for raw in text.split("\n"):
            lines.append(_Line(raw, offset))
            offset += len(raw) + 1
        candidates = self._candidates(text)
        for line in lines:
            if line.text:
                self._apply_spans(line, False, language, removed, credits, candidates)
                line.kept = bool(line.text)
        self._apply_lines(lines, language, removed)
        done: set[int] = set()
        self._apply_first(lines, done, language, removed, credits)
        title = " ".join(title.split()) if title else None
        title, site_name = self._apply_structure(lines, title, removed)
        # The detected headline gone, the line after it is first (as it is when the text is
        # cleaned again with its title).
        self._apply_first(lines, done, language, removed, credits)
        if judge is not None:
            self._apply_judge(lines, judge, removed)
        out: list[str] = []
        for line in lines:
            if not line.kept:
                continue
            if line.text or (out and out[-1]):
                out.append(line.text)
        while out and not out[-1]:
            out.pop()
        removed.sort(key=lambda r: r.offset)
        return StripResult("\n".join(out), title or None, removed, credits, site_name)
