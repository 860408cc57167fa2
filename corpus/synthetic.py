"""Generated syndication sets: wire stories and their copies across outlets, with the truth of which
copy belongs to which story. For the near-duplicate tests and the corpus benchmark.

A story is a run of sentences drawn from a vocabulary it shares with every other story (the same
police-news words, a few stock sentences that wire copy repeats) plus words of its own. A copy is
the story as an outlet republished it: a different lead line, an outlet tagline, a source credit,
a few words changed, the last paragraph cut. Some stories are follow-ups that repeat two sentences
of the story before them: related, not copies.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from cleaners.document import Document

_COMMON = ("police", "suspect", "investigation", "authorities", "arrested", "network", "city", "officers",
           "security", "national", "prosecutor", "operation", "DGSN", "Interpol", "warrant", "border",
           "judicial", "custody", "seized", "statement", "said", "on", "the", "a", "of", "in", "and", "to",
           "after", "with", "by", "for", "were", "was", "two", "three", "local", "international")
_STOCK = ("The suspects were placed in custody under the supervision of the competent prosecutor.",
          "The investigation continues to identify all the members of the network.",
          "The operation was carried out in coordination with the DGSN and Interpol.")
_OUTLETS = ("Atlas Daily", "Rif Herald", "Casa Post", "Souss Times", "Oriental Mail", "Saiss News")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))


def _sentence(rng: random.Random, own: list[str]) -> str:
    words = [rng.choice(own) if rng.random() < 0.35 else rng.choice(_COMMON) for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


@dataclass
class Story:
    story_id: int
    sentences: list[str]
    published: str


def story(rng: random.Random, story_id: int, earlier: Story | None = None) -> Story:
    """A new story; given an earlier one, a follow-up that repeats two of its sentences as
    background (a different story all the same: the hard case for near-duplicate detection)."""
    own = [_word(rng) for _ in range(40)]
    sentences = [_sentence(rng, own) for _ in range(rng.randint(6, 12))]
    if earlier is not None:
        sentences[-2:] = rng.sample(earlier.sentences, k=2)
    for stock in rng.sample(_STOCK, k=rng.randint(0, 2)):
        sentences.insert(rng.randint(1, len(sentences)), stock)
    day = 1 + story_id % 28
    return Story(story_id, sentences, f"2025-{1 + story_id % 12:02d}-{day:02d}T08:00:00+00:00")


def copy_of(rng: random.Random, s: Story, outlet: str) -> str:
    sentences = list(s.sentences)
    if rng.random() < 0.5:  # a lead line of the outlet's own
        sentences[0] = f"{outlet} learned that " + sentences[0][0].lower() + sentences[0][1:]
    if rng.random() < 0.5 and len(sentences) > 5:  # the last paragraph cut
        sentences.pop()
    for _ in range(rng.randint(0, 3)):  # a few words changed
        i = rng.randrange(len(sentences))
        words = sentences[i].split()
        words[rng.randrange(len(words))] = rng.choice(_COMMON)
        sentences[i] = " ".join(words)
    text = "\n".join(sentences)
    if rng.random() < 0.5:
        text += f"\nFollow {outlet} for more news from the region."
    return text + " (MAP)"


def syndication_set(stories: int, copies: tuple[int, int] = (0, 5), seed: int = 7) -> Iterator[tuple[Document, int]]:
    """(Document, story id) pairs: each story once as the wire original, then as copies."""
    rng = random.Random(seed)
    s: Story | None = None
    for sid in range(stories):
        s = story(rng, sid, s if s is not None and rng.random() < 0.3 else None)
        original = Document(url=f"https://wire.example/story-{sid}", title=None, text="\n".join(s.sentences),
                            published_at=s.published, language="en", source="wire")
        yield original.finalize(), sid
        for k in range(rng.randint(*copies)):
            outlet = _OUTLETS[k % len(_OUTLETS)]
            doc = Document(url=f"https://{outlet.lower().replace(' ', '')}.example/{sid}-{k}",
                           text=copy_of(rng, s, outlet), published_at=s.published.replace("T08", f"T{9 + k:02d}"),
                           language="en", source=outlet, credits=["MAP"])
            yield doc.finalize(), sid
