"""A one-file HTML report on a corpus: what is in it and how it came to be.

The page is self-contained: every plot is an inline SVG drawn here, the styles are inline, and a
Content-Security-Policy forbids loading anything from anywhere, so the file can be mailed or
archived and opened offline. Plots: documents per week per outlet, the language and topic mix,
the largest syndication clusters, what the cleaners removed per rule family, and the changes
each version made; a header gives the corpus, its latest version, releases and rejected counts.

One small inline script checks the page in a browser: on load it marks <body> with
`data-plots-rendered` (the plots laid out with a size and at least one shape) and any script
error, console error or blocked load with `data-js-errors` on <html>. The tests read these from
headless Chromium's DOM; a reader never sees them.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from corpus.store import CorpusError, CorpusStore, VersionInfo

COLUMNS = ["doc_id", "url", "source", "site_name", "title", "language", "topics", "published_at",
           "fetched_at", "near_dup_cluster", "is_canonical", "removed"]
UNDATED = "undated"
MAX_BUCKETS = 120  # more weeks than this: months (then years), so the bars stay readable
TOP_OUTLETS = 9  # coloured in the weekly plot; the rest are "other outlets"
TOP_LANGUAGES = 15
TOP_TOPICS = 20
TOP_CLUSTERS = 10
TOP_RULES = 40
MAX_VERSIONS = 60  # plotted; the table has them all
CHANGE_KINDS = ("added", "changed", "removed", "reclustered")
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#5b8fd1")
OTHER_COLOR = "#bab0ac"
CHAR_W = 7  # estimated width of one character of 12px text, for laying out labels
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _n(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _count(n: int, noun: str) -> str:
    """"1 document", "2 documents", "1 character removed": the first word made singular for one."""
    first, _, rest = noun.partition(" ")
    if n == 1 and first.endswith("s"):
        first = first[:-1]
    return " ".join(w for w in (_n(n), first, rest) if w)


def _trunc(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# -- the data -------------------------------------------------------------------------------------
def outlet_of(source: str | None, site_name: str | None, url: str | None) -> str:
    """The `source` column, else `site_name`, else the URL's host (without www.)."""
    for value in (source, site_name):
        if value and value.strip():
            return value.strip()
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else "unknown outlet"


def day_of(*values: Any) -> date | None:
    """The first value that holds a date (an ISO date or timestamp, or a date object)."""
    for value in values:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        match = _DATE.search(value) if isinstance(value, str) else None
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                continue
    return None


@dataclass
class Buckets:
    unit: str  # week, month or year
    keys: list[date]
    key_of: Callable[[date], date]

    def label(self, key: date) -> str:
        return {"week": key.isoformat(), "month": key.strftime("%Y-%m"), "year": str(key.year)}[self.unit]


def buckets_for(days: list[date]) -> Buckets:
    """Weeks (starting Monday) from the first date to the last, or months, or years when there
    are more than MAX_BUCKETS of them."""
    lo, hi = min(days), max(days)

    def week(d: date) -> date:
        return d - timedelta(days=d.weekday())

    weeks = (week(hi) - week(lo)).days // 7 + 1
    if weeks <= MAX_BUCKETS:
        return Buckets("week", [week(lo) + timedelta(weeks=i) for i in range(weeks)], week)

    def month(d: date) -> date:
        return d.replace(day=1)

    months = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    if months <= MAX_BUCKETS:
        keys = [date(lo.year + (lo.month - 1 + i) // 12, (lo.month - 1 + i) % 12 + 1, 1) for i in range(months)]
        return Buckets("month", keys, month)

    def year(d: date) -> date:
        return date(d.year, 1, 1)

    span = hi.year - lo.year + 1
    keys = ([date(lo.year + i, 1, 1) for i in range(span)] if span <= MAX_BUCKETS
            else sorted({year(d) for d in days}))
    return Buckets("year", keys, year)


@dataclass
class Cluster:
    cluster_id: str
    size: int = 0
    title: str = ""
    outlets: Counter[str] = field(default_factory=Counter)


@dataclass
class Summary:
    documents: int = 0
    per_bucket: Counter[tuple[str, str]] = field(default_factory=Counter)  # (bucket label, outlet) -> docs
    bucket_labels: list[str] = field(default_factory=list)  # in order, "undated" last if any
    bucket_unit: str = "week"
    outlets: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    no_topic: int = 0
    clusters: list[Cluster] = field(default_factory=list)  # largest first
    clustered_docs: int = 0
    removals: Counter[str] = field(default_factory=Counter)  # rule -> removals
    removed_chars: Counter[str] = field(default_factory=Counter)  # rule -> characters
    removal_docs: Counter[str] = field(default_factory=Counter)  # rule -> documents with one
    removal_example: dict[str, str] = field(default_factory=dict)
    outlet_languages: dict[str, Counter[str]] = field(default_factory=dict)  # outlet -> language -> docs
    outlet_dated: Counter[str] = field(default_factory=Counter)  # outlet -> documents with a publication date
    outlet_span: dict[str, tuple[date, date]] = field(default_factory=dict)  # outlet -> first, last published

    def families(self) -> list[tuple[str, int, int]]:
        """(family, removals, characters), most removals first."""
        count: Counter[str] = Counter()
        chars: Counter[str] = Counter()
        for rule, n in self.removals.items():
            count[family_of(rule)] += n
            chars[family_of(rule)] += self.removed_chars[rule]
        return [(f, n, chars[f]) for f, n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))]


def family_of(rule: str) -> str:
    return rule.split(".", 1)[0] or rule


def summarize(columns: dict[str, list[Any]], documents: int) -> Summary:
    """The counts every plot needs, from the table's columns (lists of Python values)."""
    def col(name: str) -> list[Any]:
        return columns.get(name) or [None] * documents

    s = Summary(documents=documents)
    outlets = [outlet_of(*v) for v in zip(col("source"), col("site_name"), col("url"), strict=True)]
    s.outlets = Counter(outlets)
    days = [day_of(p, f) for p, f in zip(col("published_at"), col("fetched_at"), strict=True)]
    dated = [d for d in days if d is not None]
    buckets = buckets_for(dated) if dated else None
    if buckets:
        s.bucket_unit = buckets.unit
        s.bucket_labels = [buckets.label(k) for k in buckets.keys]
    for outlet, day in zip(outlets, days, strict=True):
        key = UNDATED if day is None or buckets is None else buckets.label(buckets.key_of(day))
        s.per_bucket[key, outlet] += 1
    if len(dated) < documents:
        s.bucket_labels.append(UNDATED)

    s.languages = Counter((lang or "").strip() or "unknown" for lang in col("language"))
    for outlet, lang, published in zip(outlets, col("language"), col("published_at"), strict=True):
        s.outlet_languages.setdefault(outlet, Counter())[(lang or "").strip() or "unknown"] += 1
        day = day_of(published)
        if day is not None:
            s.outlet_dated[outlet] += 1
            lo, hi = s.outlet_span.get(outlet, (day, day))
            s.outlet_span[outlet] = (min(lo, day), max(hi, day))
    for topics in col("topics"):
        if topics:
            s.topics.update(set(topics))
        else:
            s.no_topic += 1

    clusters: dict[str, Cluster] = {}
    rows = zip(col("near_dup_cluster"), col("is_canonical"), col("title"), col("url"), col("doc_id"), outlets,
               strict=True)
    for cid, canonical, title, url, doc_id, outlet in rows:
        if not cid:
            continue
        c = clusters.setdefault(cid, Cluster(cid))
        c.size += 1
        c.outlets[outlet] += 1
        if canonical or not c.title:
            c.title = (title or "").strip() or url or doc_id or cid
    s.clustered_docs = sum(c.size for c in clusters.values())
    s.clusters = sorted(clusters.values(), key=lambda c: (-c.size, c.cluster_id))

    for removed in col("removed"):
        rules_here = set()
        for r in removed or ():
            rule = (r.get("rule") or "").strip() or "unnamed"
            text = r.get("text") or ""
            s.removals[rule] += 1
            s.removed_chars[rule] += len(text)
            s.removal_example.setdefault(rule, text)
            rules_here.add(rule)
        s.removal_docs.update(rules_here)
    return s


def _read(store: CorpusStore) -> tuple[dict[str, list[Any]], int]:
    """The report's columns of the latest version (those the table has: an older table may lack
    a field added since), each as a list of Python values."""
    present = {f.name for f in store.table().schema().fields}
    wanted = [c for c in COLUMNS if c in present]
    table = store.read(columns=wanted)
    return {name: table.column(name).to_pylist() for name in wanted}, table.num_rows


# -- SVG ------------------------------------------------------------------------------------------
def nice_ticks(top: float, count: int = 4) -> list[int]:
    """0 and round steps up to at least `top` (integer counts)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = max(1, int(next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)))
    return [i * step for i in range(math.ceil(top / step) + 1)]


class Svg:
    """An <svg class="plot"> with a <title> and an aria-label, built from a few shapes."""

    def __init__(self, width: float, height: float, label: str):
        self.width, self.height, self.label = math.ceil(width), math.ceil(height), label
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, tip: str | None = None,
             cls: str = "mark") -> None:
        inner = f"<title>{esc(tip)}</title>" if tip else ""
        self.parts.append(f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" '
                          f'height="{max(h, 0):.1f}" fill="{fill}">{inner}</rect>')

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str = "axis") -> None:
        self.parts.append(f'<line class="{cls}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')

    def text(self, x: float, y: float, text: str, anchor: str = "start", cls: str = "label",
             tip: str | None = None) -> None:
        inner = f"<title>{esc(tip)}</title>" if tip and tip != text else ""
        self.parts.append(f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">'
                          f'{inner}{esc(text)}</text>')

    def polyline(self, points: list[tuple[float, float]], color: str) -> None:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.parts.append(f'<polyline class="mark" points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')

    def circle(self, x: float, y: float, color: str, tip: str) -> None:
        self.parts.append(f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                          f'<title>{esc(tip)}</title></circle>')

    def legend(self, items: list[tuple[str, str]], x0: float, y0: float, right: float) -> float:
        """Colour keys wrapped to the width; returns the y below them."""
        x, y = x0, y0
        for name, color in items:
            shown = _trunc(name, 28)
            w = 18 + len(shown) * CHAR_W + 14
            if x + w > right and x > x0:
                x, y = x0, y + 18
            self.rect(x, y - 10, 12, 12, color, tip=name, cls="key")
            self.text(x + 17, y, shown, tip=name)
            x += w
        return y + 14

    def render(self) -> str:
        return (f'<svg class="plot" role="img" aria-label="{esc(self.label)}" viewBox="0 0 {self.width} '
                f'{self.height}" width="{self.width}" height="{self.height}"><title>{esc(self.label)}</title>'
                + "".join(self.parts) + "</svg>")


def hbar_svg(label: str, rows: list[tuple[str, tuple[int, ...]]], series: list[str], *, empty: str,
             colors: tuple[str, ...] = PALETTE, label_chars: int = 40, unit: str = "") -> str:
    """Horizontal bars, one panel per series side by side (each with its own scale)."""
    names = [_trunc(name, label_chars) for name, _ in rows]
    name_w = min(max((len(n) for n in names), default=8) * CHAR_W + 14, 320)
    panel_w, value_w, top, row_h = (320 if len(series) == 1 else 220), 70, 30, 22
    width = name_w + len(series) * (panel_w + value_w) + 10
    height = top + max(len(rows), 1) * row_h + 10
    svg = Svg(width, height, label)
    for j, s in enumerate(series):
        x0 = name_w + j * (panel_w + value_w)
        svg.text(x0, 16, s, cls="panel")
        svg.line(x0, top - 4, x0, height - 6)
        vmax = max((values[j] for _, values in rows), default=0) or 1
        for i, (name, values) in enumerate(rows):
            y, v = top + i * row_h, values[j]
            w = v / vmax * panel_w
            if v:
                svg.rect(x0, y + 3, max(w, 1), row_h - 6, colors[j % len(colors)],
                         tip=f"{name}: {_count(v, s if len(series) > 1 else unit)}")
            svg.text(x0 + w + 4, y + row_h / 2 + 4, _n(v), cls="value")
    for i, (name, shown) in enumerate(zip((n for n, _ in rows), names, strict=True)):
        svg.text(name_w - 8, top + i * row_h + row_h / 2 + 4, shown, anchor="end", tip=name)
    if not rows:
        svg.text(name_w + 8, top + row_h / 2 + 4, empty, cls="empty")
    return svg.render()


def columns_svg(label: str, categories: list[str], series: list[tuple[str, str, list[int]]], *, empty: str,
                unit: str = "documents") -> str:
    """Stacked vertical bars, one per category, with a legend on top; an "undated" category
    (always last) stands apart after a gap."""
    n = len(categories)
    gap = 1 if n > 1 and categories[-1] == UNDATED else 0
    slots = n + gap
    plot_w = min(max(slots * 16, 360), 960)
    left, right = 50, 20
    width = left + plot_w + right
    svg = Svg(width, 0, label)
    legend_bottom = svg.legend([(name, color) for name, color, _ in series], left, 16, width - right)
    top, plot_h = legend_bottom + 10, 220
    totals = [sum(values[i] for _, _, values in series) for i in range(n)]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_h / ticks[-1]
    base = top + plot_h
    for t in ticks:
        y = base - t * scale
        svg.line(left, y, left + plot_w, y, cls="grid" if t else "axis")
        svg.text(left - 6, y + 4, _n(t), anchor="end", cls="tick")
    slot = plot_w / max(slots, 1)
    every = max(1, math.ceil(78 / slot))
    for i, cat in enumerate(categories):
        pos = i + (gap if cat == UNDATED else 0)
        x = left + pos * slot + slot * 0.1
        y = base
        for name, color, values in series:
            v = values[i]
            if v:
                h = v * scale
                y -= h
                svg.rect(x, y, slot * 0.8, h, color, tip=f"{cat} · {name}: {_count(v, unit)}")
        if i % every == 0 or cat == UNDATED:
            svg.text(x + slot * 0.4, base + 16, cat, anchor="middle", cls="tick")
    if not categories:
        svg.text(left + 10, top + 30, empty, cls="empty")
    svg.height = math.ceil(base + 26)
    return svg.render()


def versions_svg(label: str, versions: list[VersionInfo]) -> str:
    """Two panels over the versions: documents after each (a line), and what each version added,
    changed, removed and reclustered (grouped bars)."""
    left, right, plot_w = 60, 20, min(max(len(versions) * 40, 480), 960)
    width = left + plot_w + right
    svg = Svg(width, 0, label)
    kinds = [(k, PALETTE[i]) for i, k in enumerate(CHANGE_KINDS)]
    y = svg.legend([("documents", "#333333"), *kinds], left, 16, width - right)
    slot = plot_w / max(len(versions), 1)
    every = max(1, math.ceil(40 / slot))

    def x_of(i: int) -> float:
        return left + (i + 0.5) * slot

    def axis(top: float, height: float, vmax: int, title: str) -> float:
        ticks = nice_ticks(vmax, 3)
        for t in ticks:
            ty = top + height - t / ticks[-1] * height
            svg.line(left, ty, left + plot_w, ty, cls="grid" if t else "axis")
            svg.text(left - 6, ty + 4, _n(t), anchor="end", cls="tick")
        svg.text(left + 4, top - 6, title, cls="panel")
        return height / ticks[-1]

    top = y + 18
    docs = [(i, v.counts.get("documents")) for i, v in enumerate(versions)]
    docs = [(i, d) for i, d in docs if isinstance(d, int)]
    scale = axis(top, 110, max((d for _, d in docs), default=0), "documents after the version")
    points = [(x_of(i), top + 110 - d * scale) for i, d in docs]
    if len(points) > 1:
        svg.polyline(points, "#333333")
    for (i, d), (px, py) in zip(docs, points, strict=True):
        svg.circle(px, py, "#333333", f"v{versions[i].version}: {_count(d, 'documents')}")

    top += 110 + 34
    scale = axis(top, 150, max((int(v.counts.get(k) or 0) for v in versions for k in CHANGE_KINDS), default=0),
                 "changes: documents added, changed, removed, reclustered")
    base = top + 150
    bar = slot * 0.8 / len(kinds)
    for i, v in enumerate(versions):
        for j, (kind, color) in enumerate(kinds):
            n = int(v.counts.get(kind) or 0)
            if n:
                svg.rect(left + i * slot + slot * 0.1 + j * bar, base - n * scale, bar, n * scale, color,
                         tip=f"v{v.version}: {_count(n, kind)}")
        if i % every == 0 or i == len(versions) - 1:
            svg.text(x_of(i), base + 16, f"v{v.version}", anchor="middle", cls="tick")
    if not versions:
        svg.text(left + 10, top + 30, "No version has build counts", cls="empty")
    svg.height = math.ceil(base + 26)
    return svg.render()


# -- the page -------------------------------------------------------------------------------------
def figure(fig_id: str, heading: str, svg: str, caption: str, extra: str = "") -> str:
    return (f'<section id="{fig_id}"><h2>{esc(heading)}</h2><figure>{svg}'
            f"<figcaption>{esc(caption)}</figcaption></figure>{extra}</section>")


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]], numeric: Iterable[int] = ()) -> str:
    """An HTML table; every cell escaped and dir="auto" (titles may be Arabic)."""
    numeric = set(numeric)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{esc(_n(c) if isinstance(c, int | float) else c)}</td>' if j in numeric
                         else f'<td dir="auto">{esc(c)}</td>' for j, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def weekly_figure(s: Summary) -> str:
    top = [o for o, _ in s.outlets.most_common(TOP_OUTLETS)]
    if len(s.outlets) == TOP_OUTLETS + 1:  # no point in an "other" of one outlet
        top = list(s.outlets)
    series = [(o, PALETTE[i % len(PALETTE)], [s.per_bucket[b, o] for b in s.bucket_labels])
              for i, o in enumerate(top)]
    rest = [o for o in s.outlets if o not in set(top)]
    if rest:
        series.append((f"{len(rest)} other outlets", OTHER_COLOR,
                       [sum(s.per_bucket[b, o] for o in rest) for b in s.bucket_labels]))
    undated = sum(n for (b, _), n in s.per_bucket.items() if b == UNDATED)
    unit = {"week": "week (starting Monday)", "month": "month", "year": "year"}[s.bucket_unit]
    svg = columns_svg(f"Documents per {unit} per outlet", s.bucket_labels, series, empty="No documents")
    caption = (f"Documents per {unit}, stacked by outlet (the source, else the site name, else the URL's host), "
               f"dated by publication, else by fetch; {_count(len(s.outlets), 'outlets')}. Documents with neither date "
               f"stand apart as \u201cundated\u201d: {_n(undated)}.")
    rows = [(o, n) for o, n in s.outlets.most_common(30)]
    extra = (f"<details><summary>Documents per outlet (top {len(rows)} of {_n(len(s.outlets))})</summary>"
             f"{table(['outlet', 'documents'], rows, numeric=[1])}</details>") if rows else ""
    return figure("weekly", "Documents per week and outlet", svg, caption, extra)


def mix_rows(counter: Counter[str], top: int) -> list[tuple[str, tuple[int, ...]]]:
    rows = [(name, (n,)) for name, n in counter.most_common(top)]
    rest = sum(counter.values()) - sum(n for _, (n,) in rows)
    if rest:
        rows.append((f"{len(counter) - len(rows)} others", (rest,)))
    return rows


def language_figure(s: Summary) -> str:
    svg = hbar_svg("Documents per language", mix_rows(s.languages, TOP_LANGUAGES), ["documents"],
                   empty="No documents", unit="documents")
    caption = f"Documents per detected language (the language column); {_count(len(s.languages), 'languages')}."
    return figure("languages", "Language mix", svg, caption)


def topic_figure(s: Summary) -> str:
    rows = mix_rows(s.topics, TOP_TOPICS)
    if s.no_topic:
        rows.append(("(no topic)", (s.no_topic,)))
    svg = hbar_svg("Documents per topic", rows, ["documents"], empty="No documents", unit="documents")
    caption = f"Documents per topic (a document can have several); documents without a topic: {_n(s.no_topic)}."
    return figure("topics", "Topic mix", svg, caption)


def cluster_figure(s: Summary) -> str:
    top = s.clusters[:TOP_CLUSTERS]
    svg = hbar_svg(f"The {len(top)} largest syndication clusters", [(c.title, (c.size,)) for c in top],
                   ["members"], empty="No near-duplicate clusters", label_chars=48, unit="members")
    caption = (f"The largest near-duplicate clusters (the same story syndicated across outlets), by members, "
               f"labelled with the canonical member's title. Documents in a cluster: {_n(s.clustered_docs)} of "
               f"{_n(s.documents)}, in {_count(len(s.clusters), 'clusters')}.")
    rows = [(i + 1, c.size, c.title, ", ".join(o for o, _ in c.outlets.most_common(6)), c.cluster_id)
            for i, c in enumerate(top)]
    extra = table(["#", "members", "canonical title", "outlets", "cluster"], rows, numeric=[0, 1]) if rows else ""
    return figure("clusters", "Largest syndication clusters", svg, caption, extra)


def removal_figure(s: Summary) -> str:
    families = s.families()
    svg = hbar_svg("What the cleaners removed per rule family", [(f, (n, c)) for f, n, c in families],
                   ["removals", "characters removed"], empty="The cleaners removed nothing")
    total, chars = sum(s.removals.values()), sum(s.removed_chars.values())
    caption = (f"Spans the cleaners took out of the text, per rule family (the rule's name before its first dot): "
               f"{_count(total, 'removals')}, {_count(chars, 'characters')}, by {_count(len(s.removals), 'rules')}.")
    rules = sorted(s.removals, key=lambda r: (-s.removals[r], r))[:TOP_RULES]
    rows = [(r, s.removals[r], s.removed_chars[r], s.removal_docs[r], _trunc(s.removal_example[r], 80))
            for r in rules]
    extra = (f"<details><summary>Per rule (top {len(rows)} of {_n(len(s.removals))})</summary>"
             f"{table(['rule', 'removals', 'characters', 'documents', 'example'], rows, numeric=[1, 2, 3])}"
             f"</details>") if rows else ""
    return figure("removals", "What the cleaners removed", svg, caption, extra)


def coverage_section(s: Summary) -> str:
    """Per outlet: documents, their languages, how many have a publication date and the span of
    those dates: where an outlet's metadata is thin, or a language is missing."""
    rows = []
    for outlet, n in s.outlets.most_common():
        langs = s.outlet_languages.get(outlet, Counter())
        span = s.outlet_span.get(outlet)
        dated = s.outlet_dated[outlet]
        shown = ", ".join(f"{lang} {k}" for lang, k in sorted(langs.items(), key=lambda x: (-x[1], x[0])))
        rows.append((outlet, n, shown, dated,
                     f"{100 * dated / n:.0f}%" if n else "", span[0].isoformat() if span else "",
                     span[1].isoformat() if span else ""))
    body = (table(["outlet", "documents", "languages", "dated", "dated share", "first published", "last published"],
                  rows, numeric=[1, 3]) if rows else '<p class="empty">No documents.</p>')
    return (f'<section id="coverage"><h2>Language and date coverage per outlet</h2>{body}'
            f"<p class=\"note\">Documents of the latest version per outlet (the source, else the site name, "
            f"else the URL's host); dated: with a publication date (published_at).</p></section>")


CRAWL_KEYS = (("discovered", "discovered"), ("fetched", "fetched"), ("unchanged", "unchanged"),
              ("off_topic", "off-topic"), ("errors", "errors"), ("disallowed", "robots-blocked"))


def read_runs(runs_dir: Path | None) -> list[dict[str, Any]]:
    """The crawl summaries (`runs/<run-id>.json`), oldest first; unreadable ones are left out."""
    if runs_dir is None or not runs_dir.is_dir():
        return []
    runs = []
    for path in sorted(runs_dir.glob("*.json")):
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(run, dict) and isinstance(run.get("sources"), dict):
            runs.append(run)
    return runs


def crawl_section(runs: list[dict[str, Any]], runs_dir: Path | None) -> str:
    """Crawl health per source over every recorded run, and the last run's counts."""
    if not runs:
        where = f" in {runs_dir}" if runs_dir else ""
        return (f'<section id="crawl"><h2>Crawl health per source</h2><p>No crawl runs recorded{esc(where)} '
                f"(a corpus built from dumps, or give the crawl's runs/ folder with --runs).</p></section>")
    totals: dict[str, Counter[str]] = {}
    last: dict[str, tuple[str, dict[str, Any]]] = {}
    for run in runs:
        for sid, row in run["sources"].items():
            if not isinstance(row, dict):
                continue
            totals.setdefault(sid, Counter()).update({k: int(row.get(k) or 0) for k, _ in CRAWL_KEYS})
            totals[sid]["runs"] += 1
            last[sid] = (str(run.get("run_id", "")), row)
    rows = []
    for sid in sorted(totals):
        t = totals[sid]
        run_id, row = last[sid]
        rows.append((sid, t["runs"], *(t[k] for k, _ in CRAWL_KEYS), run_id,
                     *(int(row.get(k) or 0) for k in ("fetched", "errors")), str(row.get("finish_reason") or "")))
    head = ["source", "runs", *(label for _, label in CRAWL_KEYS), "last run", "last fetched", "last errors",
            "last finish"]
    return (f'<section id="crawl"><h2>Crawl health per source</h2>'
            f"{table(head, rows, numeric=[1, 2, 3, 4, 5, 6, 7, 9, 10])}"
            f'<p class="note">Sums over {_count(len(runs), "runs")} recorded in {esc(runs_dir)} '
            f"(runs/&lt;run-id&gt;.json), and the last run of each source: discovered, fetched, unchanged "
            f"(a conditional revisit answered 304 or the same content), off-topic (skipped by title before "
            f"fetching), errors, robots-blocked "
            f"(disallowed by robots.txt).</p></section>")


def version_figure(history: list[VersionInfo]) -> str:
    built = [v for v in history if v.counts]
    shown = built[-MAX_VERSIONS:]
    svg = versions_svg("Changes per version", shown)
    more = f" (the last {len(shown)} of {len(built)})" if len(shown) < len(built) else ""
    caption = (f"Documents after each version, and what each version added, changed, removed and reclustered"
               f"{more}, from the versions' commit metadata.")
    rows = []
    for v in reversed(history):
        rejected = v.metadata.get("rejected") or {}
        rows.append((f"v{v.version}", v.timestamp, v.kind,
                     *(int(v.counts[k]) if isinstance(v.counts.get(k), int) else "" for k in
                       ("documents", *CHANGE_KINDS, "unchanged")),
                     ", ".join(f"{r}: {n}" for r, n in sorted(rejected.items()))))
    extra = (f"<details><summary>All {len(history)} versions</summary>"
             + table(["version", "committed", "operation", "documents", *CHANGE_KINDS, "unchanged",
                      "rejected by this build"], rows, numeric=range(3, 9)) + "</details>")
    return figure("versions", "Changes per version", svg, caption, extra)


def header(store: CorpusStore, s: Summary, history: list[VersionInfo], latest: int,
           doc_ids: set[str] | frozenset[str] = frozenset()) -> str:
    releases = store.releases()
    built = [v for v in history if v.metadata.get("build_id")]
    last_build = built[-1] if built else None
    rejected = Counter({str(k): int(n) for k, n in (last_build.metadata.get("rejected") or {}).items()}
                       if last_build else {})
    rows = store.rejected()
    # A document's reason is the one its latest rejection gave; documents now in the corpus are left out.
    latest_reason: dict[str, str] = {}
    for doc_id, reason in zip(rows.column("doc_id").to_pylist(), rows.column("reason").to_pylist(), strict=True):
        latest_reason[doc_id] = str(reason)
    outside = Counter(r for d, r in latest_reason.items() if d not in doc_ids)
    created = history[0].timestamp if history else ""
    vacuums = sum(v.is_vacuum for v in history)  # a vacuum logs two commits of its own, no build
    versions = _n(len(history)) + (f" ({_n(len(history) - vacuums)} builds, {_n(vacuums)} vacuum commits)"
                                   if vacuums else "")
    facts = [("corpus", str(store.path.resolve())), ("latest version", f"v{latest}"),
             ("documents", _n(s.documents)), ("versions", versions), ("first commit", created),
             ("outlets", _n(len(s.outlets))), ("report made", datetime.now(UTC).isoformat(timespec="seconds"))]
    dl = "".join(f'<dt>{esc(k)}</dt><dd dir="auto">{esc(v)}</dd>' for k, v in facts)
    empty = '<p class="empty" id="no-documents">This corpus has no documents.</p>' if not s.documents else ""
    rel = (table(["release", "version", "created"],
                 [(name, f"v{r.get('version')}", r.get("created_at", "")) for name, r in releases.items()])
           if releases else "<p>No releases.</p>")
    reasons = sorted(set(rejected) | set(outside), key=lambda r: (-outside[r], r))
    rej = (table(["reason", f"by the last build (v{last_build.version})" if last_build else "by the last build",
                  "documents outside the corpus"], [(r, rejected[r], outside[r]) for r in reasons], numeric=[1, 2])
           + '<p class="note">By the last build: as in the versions table. Outside the corpus: distinct documents '
             "whose latest rejection has this reason and that are not in the latest version.</p>"
           if reasons else "<p>No rejected documents.</p>")
    return (f'<header><h1>Corpus report</h1><dl class="facts">{dl}</dl>{empty}'
            f'<div class="side"><section id="releases"><h2>Releases</h2>{rel}</section>'
            f'<section id="rejected"><h2>Rejected documents, per reason</h2>{rej}</section></div></header>')


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif;color:#222;margin:0 auto;
 max-width:1100px;padding:16px 24px}
h1{margin:0 0 8px}h2{font-size:17px;margin:24px 0 6px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}.facts dt{color:#666}
.facts dd{margin:0;word-break:break-all}.side{display:flex;gap:32px;flex-wrap:wrap}
.empty{color:#a33;font-weight:600}
figure{margin:0;overflow-x:auto}figcaption{color:#555;font-size:13px;margin-top:4px;max-width:900px}
svg.plot{display:block;max-width:100%;height:auto;font:12px system-ui,"DejaVu Sans",sans-serif}
svg .axis{stroke:#444;stroke-width:1}svg .grid{stroke:#e3e3e3;stroke-width:1}
svg .label{fill:#222}svg .tick,svg .value{fill:#555;font-size:11px}svg .panel{fill:#333;font-weight:600}
svg .empty{fill:#a33}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border-bottom:1px solid #ddd;padding:3px 8px;
 text-align:start;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums}
details{margin:6px 0}summary{cursor:pointer;color:#345}.note{color:#555;font-size:13px;max-width:900px}
"""

# Marks the page for the tests (see the module's docstring): plots laid out, and any error.
CHECK_SCRIPT = """
(function () {
  var errors = 0;
  function fail() { errors += 1; document.documentElement.setAttribute("data-js-errors", String(errors)); }
  window.addEventListener("error", fail, true);
  window.addEventListener("unhandledrejection", fail);
  document.addEventListener("securitypolicyviolation", fail);
  var consoleError = console.error;
  console.error = function () { fail(); return consoleError.apply(console, arguments); };
  window.addEventListener("load", function () {
    var plots = document.querySelectorAll("svg.plot"), ok = 0;
    for (var i = 0; i < plots.length; i++) {
      var box = plots[i].getBoundingClientRect();
      var shapes = plots[i].querySelectorAll("rect, line, circle, polyline, path, polygon").length;
      if (box.width > 0 && box.height > 0 && shapes > 0) { ok += 1; }
      else { plots[i].setAttribute("data-render-failed", "true"); }
    }
    document.body.setAttribute("data-plots", String(plots.length));
    document.body.setAttribute("data-plots-rendered", String(ok));
  });
})();
"""

# Nothing may load from anywhere: the page is its own file.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def render(store: CorpusStore, s: Summary, history: list[VersionInfo], latest: int,
           doc_ids: set[str] | frozenset[str] = frozenset(), runs: list[dict[str, Any]] | None = None,
           runs_dir: Path | None = None) -> str:
    body = "".join([
        header(store, s, history, latest, doc_ids),
        "<main>",
        weekly_figure(s), language_figure(s), coverage_section(s), topic_figure(s), cluster_figure(s),
        removal_figure(s), version_figure(history), crawl_section(runs or [], runs_dir),
        "</main>",
    ])
    title = f"Corpus report: {store.path.name} v{latest}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{STYLE}</style><script>{CHECK_SCRIPT}</script></head>"
            f"<body>{body}</body></html>\n")


def write_report(corpus_dir: str | Path, out: str | Path, runs_dir: str | Path | None = None) -> Path:
    """Write the HTML report on the latest version of the corpus at `corpus_dir` to `out`
    (atomically: a reader never sees half a file). Returns the path written. `runs_dir`: the
    crawl's run summaries (default: `runs/` beside the corpus, as a crawl workdir lays it out)."""
    store = CorpusStore(corpus_dir)
    latest = store.latest_version()
    if latest is None:
        raise CorpusError(f"no corpus at {store.path}")
    columns, documents = _read(store)
    runs_path = Path(runs_dir) if runs_dir is not None else store.path.resolve().parent / "runs"
    page = render(store, summarize(columns, documents), store.history(), latest,
                  set(columns.get("doc_id") or ()), read_runs(runs_path), runs_path)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
