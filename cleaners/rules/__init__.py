"""Rules as data: one YAML file per rule family in this folder, each rule with an id and languages.

Kinds of rule:
- `lines`: a list of phrases; a line equal to one of them (after `norm_line`) is removed.
- `tokens`: a line made only of these words, with at least one of `networks`, is removed.
- `pattern` with `scope: line`: a line the regex matches is removed (matched on `fold_line` of
  the line unless `raw: true`); with `scope: span`: the matched span is cut out of the raw line.
- `kind: shortcode`: WordPress shortcodes, rendered by `cleaners.rules.shortcodes`.
`block: true` also removes the run of short title-like lines after a matching header line.
`action: credit` moves the removed span into `Document.credits` instead of dropping it.
`requires`: strings (any case) one of which every match contains; a text with none of them skips
the rule without running its pattern (a speed hint: it must never change what the rule removes).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

_AR_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_AR_FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ؤ": "و", "ئ": "ي", "’": "'", "‘": "'", "ʼ": "'",
            "`": "'"}
# The keys of _AR_FOLD. A text has few of them (curly quotes, mostly): replacing each match costs
# less than str.translate, which looks up every character of the text.
_AR_FOLD_ANY = re.compile("[أإآٱىؤئ’‘ʼ`]")


def _fold_letters(text: str) -> str:
    return _AR_FOLD_ANY.sub(lambda m: _AR_FOLD[m.group()], text)


def _one_space(text: str) -> str:
    """Runs of white space as one space, none at the ends (str.split's white space is re's \\s)."""
    return " ".join(text.split())


EDGE_PUNCTUATION = " \t:：·•|»«›‹<>-–—…!.*?،؛,;\"“”'"


def fold_line(line: str) -> str:
    """What patterns see: case, Arabic letter forms (alef, hamza, tanwin) and spacing folded."""
    if line.isascii():  # the same result, without the Unicode passes
        return _one_space(line.lower().replace("`", "'"))
    s = unicodedata.normalize("NFKC", line).casefold()
    s = _AR_DIACRITICS.sub("", s)
    return _one_space(_fold_letters(s))


def fold_lines(lines: list[str]) -> list[str]:
    """fold_line of each line (none holds a newline), the Unicode passes made once over all of
    them: a newline changes no neighbour under NFKC, case folding or the character maps."""
    joined = "\n".join(lines)
    if joined.isascii():
        return [_one_space(line) for line in joined.lower().replace("`", "'").split("\n")]
    s = _fold_letters(_AR_DIACRITICS.sub("", unicodedata.normalize("NFKC", joined).casefold()))
    return [_one_space(line) for line in s.split("\n")]


def norm_line(line: str) -> str:
    """Comparison key for a whole line: as `fold_line`, and edge punctuation does not matter."""
    return fold_line(line).strip(EDGE_PUNCTUATION)


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    languages: tuple[str, ...]
    kind: str  # lines | tokens | pattern | shortcode
    scope: str = "line"  # line | span
    where: str = "any"  # any | first
    action: str = "remove"  # remove | credit
    block: bool = False
    raw: bool = False
    phrases: frozenset[str] = frozenset()
    tokens: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    requires: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def applies_to(self, language: str | None) -> bool:
        return "any" in self.languages or language is None or language in self.languages


class RuleError(ValueError):
    """A rule file is malformed: the message names the file and the rule id."""


def _build(family: str, spec: dict[str, Any], filename: str) -> Rule:
    rid = spec.get("id")
    if not rid:
        raise RuleError(f"{filename}: a rule has no id")
    langs = tuple(spec.get("languages") or ["any"])
    common = dict(id=rid, family=family, languages=langs, block=bool(spec.get("block", False)),
                  raw=bool(spec.get("raw", False)), where=spec.get("where", "any"),
                  action=spec.get("action", "remove"),
                  requires=tuple(str(r).casefold() for r in spec.get("requires") or ()))
    if spec.get("kind") == "shortcode":
        return Rule(kind="shortcode", scope="span", options=spec, **common)
    if "lines" in spec:
        return Rule(kind="lines", phrases=frozenset(norm_line(str(p)) for p in spec["lines"]), **common)
    if spec.get("kind") == "tokens":
        return Rule(kind="tokens", tokens=frozenset(norm_line(t) for t in spec["tokens"]),
                    networks=frozenset(norm_line(t) for t in spec.get("networks", [])), **common)
    if "pattern" in spec:
        flags = 0 if spec.get("case_sensitive") else re.IGNORECASE
        try:
            pattern = re.compile(spec["pattern"], flags)
        except re.error as exc:
            raise RuleError(f"{filename}: rule {rid}: bad pattern: {exc}") from exc
        return Rule(kind="pattern", scope=spec.get("scope", "line"), pattern=pattern, **common)
    raise RuleError(f"{filename}: rule {rid}: needs one of lines, tokens, pattern, kind: shortcode")


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        if "rules" not in data:  # data for code rules (structure.yaml, html_prune.yaml)
            continue
        for spec in data.get("rules", []):
            rule = _build(data["family"], spec, entry.name)
            if rule.id in seen:
                raise RuleError(f"{entry.name}: duplicate rule id {rule.id}")
            seen.add(rule.id)
            rules.append(rule)
    return tuple(rules)


def load_data(name: str) -> dict[str, Any]:
    return yaml.safe_load((resources.files(__package__) / name).read_text("utf-8"))


@lru_cache(maxsize=1)
def structure_config() -> dict[str, Any]:
    data = load_data("structure.yaml")
    data["breadcrumb_home"] = [norm_line(w) for w in data["breadcrumb_home"]]
    return data
