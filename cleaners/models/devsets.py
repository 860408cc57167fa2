"""The WCXB development pages (../shared/devsets), read in place: one fixed split by site, so
that every model trains on the same part and every benchmark reports on the part none trained on.

A page's fold is a hash of its site (the host without "www."), so all pages of one site fall in
the same fold: a model cannot score well on the held-back part by having learnt a site's template.
Fold HELDOUT is held back; the others are for training (and cross-validation inside them).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

FOLDS = 5
HELDOUT = 0
PARTS = ("all", "train", "heldout")


@dataclass
class Page:
    name: str  # "<folder>/<stem>", e.g. "wcxb-dev-articles/0042"
    html: str
    url: str | None
    page_type: str  # "article", or the WCXB type of the others (listing, product, forum, ...)
    truth: dict = field(repr=False)  # ground_truth: main_content, with, without, title, ...

    @property
    def fold(self) -> int:
        return fold(self.url)

    @property
    def is_article(self) -> bool:
        return self.page_type == "article"

    @property
    def is_news(self) -> bool:
        """An article whose ground truth names a publication date or an author: news, as against
        the undated service-like pages that WCXB also files as articles."""
        return self.is_article and is_news(self.truth)


def is_news(truth: dict) -> bool:
    return bool(truth.get("publish_date") or truth.get("author"))


def ground_truth(root: Path, name: str) -> dict:
    """The ground_truth of the page `name` ("<folder>/<stem>") under `root` (as for `load`)."""
    folder, stem = name.split("/")
    base = Path(root) if Path(root).name == folder else Path(root) / folder
    return json.loads((base / "ground-truth" / f"{stem}.json").read_text(encoding="utf-8"))["ground_truth"]


def site(url: str | None) -> str:
    host = (urlsplit(url or "").hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def fold(url: str | None) -> int:
    return int(hashlib.sha1(site(url).encode()).hexdigest(), 16) % FOLDS


def in_part(page: Page, part: str) -> bool:
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    return part == "all" or (page.fold == HELDOUT) == (part == "heldout")


def wcxb_folders(root: Path) -> list[Path]:
    """`root` is one folder in WCXB layout (html/, ground-truth/) or a folder of them."""
    root = Path(root)
    if (root / "html").is_dir():
        return [root]
    folders = sorted(p for p in root.iterdir() if (p / "html").is_dir() and (p / "ground-truth").is_dir())
    if not folders:
        raise FileNotFoundError(f"{root}: no WCXB folder (html/ and ground-truth/) here or below")
    return folders


def load(root: Path, part: str = "all", limit: int | None = None) -> Iterator[Page]:
    """Pages of `root` in name order, restricted to `part` of the split."""
    n = 0
    for folder in wcxb_folders(root):
        for path in sorted((folder / "html").glob("*.html.gz")):
            stem = path.name.split(".")[0]
            meta = json.loads((folder / "ground-truth" / f"{stem}.json").read_text(encoding="utf-8"))
            page = Page(name=f"{folder.name}/{stem}", html="", url=meta.get("url"),
                        page_type=meta.get("page_type") or "article", truth=meta["ground_truth"])
            if not in_part(page, part):
                continue
            page.html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            yield page
            n += 1
            if limit is not None and n >= limit:
                return


_WORD = re.compile(r"\w+")


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


def prf(pred: str, gold: str) -> tuple[float, float, float]:
    """WCXB's metric: lowercase \\w+ bag-of-words overlap; an empty gold scores 1 only for an
    empty prediction."""
    p, g = words(pred), words(gold)
    if not g:
        return (1.0, 1.0, 1.0) if not p else (0.0, 0.0, 0.0)
    if not p:
        return 0.0, 0.0, 0.0
    overlap = sum((p & g).values())
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1
