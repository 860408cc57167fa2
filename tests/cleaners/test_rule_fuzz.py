"""The precision fuzz probe, kept as a test: every rule's trigger words, mid-sentence (and, for the
span rules, at the start of a sentence) in ordinary en/fr/ar article sentences, next to real noise
on the same line. No probe sentence may lose a character; the real noise must still go.

Trigger words come from the rules' own data where the data has them (phrase lists, tokens,
shortcode names, structure words); for pattern rules from the hand list below, one entry per rule,
which `test_every_pattern_rule_has_triggers` keeps complete."""

from __future__ import annotations

import random

import pytest

from cleaners import clean_text
from cleaners.rules import load_data, load_rules
from cleaners.unicode import repair

SEED = 20250611
PROBES = 3000

# Pattern rules: the words their patterns start from.
PATTERN_TRIGGERS: dict[str, list[str]] = {
    "php.notice": ["Notice:", "Warning:", "Deprecated:", "Fatal error:", "Parse error:", "PHP Warning:",
                   "Strict Standards:", "<b>Notice</b>:"],
    "chrome.comments_prompt": ["vous devez être connecté pour commenter", "you must be logged in to post a comment"],
    "chrome.cookie": ["this website uses cookies", "we use cookies to", "ce site utilise des cookies",
                      "nous utilisons des cookies"],
    "chrome.subscribed": ["you're now subscribed", "thanks for subscribing", "merci pour votre inscription",
                          "شكرا لاشتراكك"],
    "chrome.byline": ["Written by", "Reviewed by", "Rédigé par", "Écrit par", "بقلم"],
    "chrome.newsletter": ["Join our newsletter", "Subscribe to us", "Abonnez-vous à notre newsletter",
                          "اشترك في نشرتنا"],
    "chrome.affiliate": ["Disclosure:", "As an Amazon Associate I earn from qualifying purchases",
                         "This post contains affiliate links", "Cet article contient des liens affiliés"],
    "chrome.paywall": ["This article is exclusive to subscribers", "réservé aux abonnés",
                       "Il vous reste 60 % de cet article à lire", "هذا المقال خاص بالمشتركين"],
    "chrome.price_button": ["check price on", "see latest price", "voir le prix sur"],
    "chrome.dateline": ["Last updated on", "Published", "Mis à jour le", "تاريخ النشر:", "نشر في"],
    "chrome.read_time": ["5 min read", "Temps de lecture :", "5 دقائق للقراءة", "مدة القراءة"],
    "credits.dump_date": ["date 2025-03"],
    "credits.photo": ["© Copyright", "Photo:", "Crédit photo :", "Ph:", "صورة:"],
    "credits.image": ["Featured image by", "Photo by", "Image credit:",
                      "Image source:", "Source de l'image :", "مصدر الصورة:"],
    "credits.source": ["(Avec MAP)", "(AFP)", "(ومع)", "(with Reuters)"],
    "hashtags.line": ["#DGSN", "#الأمن"],
    "labels.media_prefix": ["Vidéo", "Photos", "Podcast", "Audio"],
    "labels.ad_glued": ["وإضافة إعلان", "بالإضافة إعلان", "إضافة إعلانات", "الإضافة إعلان"],
    "related.read_also": ["Lire aussi", "À voir aussi", "Read also", "See also:", "اقرأ أيضا", "طالع أيضا"],
    "related.next": ["Next article:", "You might also like:", "Article suivant :", "المقال التالي:"],
    "related.labeled": ["Related topics:", "Articles liés :", "مواضيع ذات صلة:"],
}
# Span rules: their trigger may open a sentence too ("Warning: residents were told ..."); a line
# rule's trigger opening a one-sentence line is the noise's own shape ("Image source: Getty.").
SPAN_RULES = frozenset(r.id for r in load_rules() if r.scope == "span")

WORDS = {
    "en": ("the police said officers arrested two suspects wanted by Interpol near the port of Tangier "
           "after a long investigation into fraud residents were told to stay indoors while agents "
           "searched several homes and the prosecutor opened a case on Monday").split(),
    "fr": ("la police a interpellé deux suspects recherchés par Interpol près du port de Tanger après "
           "une longue enquête sur une escroquerie les habitants ont été priés de rester chez eux "
           "pendant que les agents fouillaient plusieurs maisons selon le parquet lundi").split(),
    "ar": ("أعلنت المديرية العامة للأمن الوطني عن توقيف شخصين مبحوث عنهما من طرف الإنتربول بميناء طنجة "
           "بعد بحث طويل في قضية احتيال وطلب من السكان البقاء في منازلهم بينما فتش العناصر عدة منازل "
           "وفتحت النيابة العامة تحقيقا يوم الاثنين").split(),
}
END = {"en": ".", "fr": ".", "ar": "."}

# Real noise, on the line of a probe: what the rules must still remove.
NOTICES = [
    "Notice: Undefined index: foo in /var/www/x.php on line 42",
    "Warning: Cannot modify header information - headers already sent by (output started at "
    "/home/site/wp-content/themes/jannah/functions.php:1) in /home/site/wp-includes/pluggable.php on line 1296",
    "Deprecated: Function get_page_by_title is deprecated since version 6.2.0! Use WP_Query instead. "
    "in /var/www/wp-includes/functions.php on line 5379",
    "Notice: Function _load_textdomain_just_in_time was called incorrectly. Translation loading for the "
    "jannah domain was triggered too early. (This message was added in version 6.7.0.) "
    "in /var/www/site/wp-includes/functions.php on line 6131",
]


def _yaml_triggers() -> dict[str, list[str]]:
    """Trigger words from the rule files: phrases, tokens, shortcode names, structure words."""
    out: dict[str, list[str]] = {}
    for name in ("chrome.yaml", "related.yaml", "shortcodes.yaml"):
        for spec in load_data(name)["rules"]:
            words = [str(p) for p in spec.get("lines", [])] + [str(t) for t in spec.get("tokens", [])]
            # A shortcode name opening bracketed prose, which is not a shortcode ("[ad hoc]").
            words += [f"[{n} of the report]" for n in spec.get("names", [])]
            if words:
                out[spec["id"]] = words
    structure = load_data("structure.yaml")
    out["structure"] = [w.title() for w in structure["breadcrumb_home"]] + [
        f"Rabat{s}Casablanca" for s in structure["title_separators"]]
    return out


def _triggers() -> dict[str, list[str]]:
    return {**_yaml_triggers(), **PATTERN_TRIGGERS}


def test_every_pattern_rule_has_triggers() -> None:
    have = set(_triggers())
    missing = {r.id for r in load_rules()} - have
    assert missing == set(), "add trigger words for these rules to PATTERN_TRIGGERS"


def _words(rng: random.Random, lang: str, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS[lang]) for _ in range(rng.randint(lo, hi)))


def _probe(rng: random.Random, rule_id: str, trigger: str) -> str:
    lang = rng.choice(("en", "fr", "ar"))
    tail = _words(rng, lang, 6, 18)
    if rule_id in SPAN_RULES and rng.random() < 0.3:
        sentence = f"{trigger} {tail}"
    else:
        sentence = f"{_words(rng, lang, 2, 8).capitalize()} {trigger} {tail}"
    return repair(sentence + END[lang])


def _sentence(rng: random.Random) -> str:
    lang = rng.choice(("en", "fr", "ar"))
    return repair(_words(rng, lang, 8, 20).capitalize() + END[lang])


def test_trigger_words_mid_sentence_are_never_removed() -> None:
    rng = random.Random(SEED)
    triggers = _triggers()
    pool = [(rid, t) for rid, words in sorted(triggers.items()) for t in words]
    probes: list[str] = []
    lost: list[str] = []
    notices = 0
    removed_notices = 0
    while len(probes) < PROBES:
        lines = [" ".join(_sentence(rng) for _ in range(3))]  # a lead paragraph, so no title is guessed
        doc_probes: list[str] = []
        for _ in range(rng.randint(3, 8)):
            sentences = [_sentence(rng) for _ in range(rng.randint(0, 3))]
            probe = _probe(rng, *rng.choice(pool))
            sentences.insert(rng.randint(0, len(sentences)), probe)
            doc_probes.append(probe)
            if rng.random() < 0.3:  # a real notice later on the line, as in the pages that lost text
                sentences.append(rng.choice(NOTICES))
                notices += 1
            lines.append(" ".join(sentences))
        doc = clean_text("\n".join(lines))
        lost += [p for p in doc_probes if p not in doc.text]
        removed_notices += sum(r.rule == "php.notice" for r in doc.removed)
        probes += doc_probes
    assert not lost, f"{len(lost)} of {len(probes)} probe sentences lost: " + "\n".join(lost[:20])
    assert removed_notices == notices  # the rules still remove the real noise beside the probes


@pytest.mark.parametrize("line,kept,gone", [
    # The case: a sentence opening "Warning:" ran on, lazily, to a real notice.
    ("Warning: residents were told to stay indoors while the DGSN and Interpol searched the port, police said. "
     "Notice: Undefined index: foo in /var/www/x.php on line 42",
     "Warning: residents were told to stay indoors while the DGSN and Interpol searched the port, police said.",
     "Notice: Undefined index"),
    ("Notice: the prosecutor's office asked the public for help. Warning: Undefined variable $post in "
     "/var/www/wp-content/themes/x/single.php on line 7",
     "Notice: the prosecutor's office asked the public for help.", "Undefined variable"),
    # A sentence end between the label and the path, with no code named: not a notice.
    ("Warning: the ministry said the leak came from a config file. The file in /var/www/x.php on line 42 "
     "held passwords.", "Warning: the ministry said the leak came from a config file.", None),
    # Lower case is never PHP's.
    ("Officials gave a warning: the file in /var/www/x.php on line 42 was forged.",
     "Officials gave a warning: the file in /var/www/x.php on line 42 was forged.", None),
])
def test_php_notice_takes_only_the_notice(line: str, kept: str, gone: str | None) -> None:
    body = ("The national police said on Tuesday that three suspects were arrested in Fes after a "
            "joint investigation with foreign partners into a network of online fraud.")
    doc = clean_text(f"{body}\n{line}\n{body}")
    assert kept in doc.text
    if gone:
        assert gone not in doc.text
        assert [r.rule for r in doc.removed] == ["php.notice"]
    else:
        assert doc.removed == []
