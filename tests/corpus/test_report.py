"""The HTML report: a real two-version corpus of generated wire stories and copies, clustered, with
removals, topics, languages, releases and rejected documents; the page's numbers, its escaping, and
headless Chromium loading it offline (plots laid out, no script or console error, a screenshot)."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cleaners.document import Document, Removal
from corpus.build import rejected_table
from corpus.neardup import NearDupIndex
from corpus.report import write_report
from corpus.schema import SCHEMA, to_table
from corpus.store import CorpusError, CorpusStore
from corpus.synthetic import syndication_set

SECTIONS = ["weekly", "languages", "topics", "clusters", "removals", "versions"]
NASTY = "Arrest <b>& co \"quoted\" in Tangier"
ARABIC = "توقيف مشتبه به مطلوب من الإنتربول في طنجة"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source", "track", "embed"}
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class Page(HTMLParser):
    """Checks that every element is closed in order, and keeps what the tests look at."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: Counter[str] = Counter()
        self.svgs: list[dict[str, str | None]] = []
        self.first_in_svg: list[str] = []
        self.sections: list[str] = []
        self.data: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        if self.stack and self.stack[-1] == "svg" and len(self.first_in_svg) < len(self.svgs):
            self.first_in_svg.append(tag)
        if tag == "svg":
            self.svgs.append(dict(attrs))
        if tag == "section":
            self.sections.append(dict(attrs).get("id") or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.data.append(data)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Document]]:
    """Two versions (30 documents, then 20 more), a release of the first, three rejected documents."""
    path = tmp_path_factory.mktemp("report") / "corpus"
    docs = [d for d, _ in syndication_set(12, copies=(1, 5), seed=7)]
    index = NearDupIndex(0.5)
    index.add((d.doc_id, d.text, bool(d.credits), d.published_at) for d in docs)
    for i, d in enumerate(docs):
        d.near_dup_cluster, d.is_canonical = index.assignment(d.doc_id)
        d.title = f"Story {i} as {d.source} ran it"
        d.language = "fr" if i % 5 == 0 else "ar" if i % 7 == 0 else "en"
        d.topics = (["interpol"] if i % 2 == 0 else []) + (["drugs"] if i % 3 == 0 else [])
        d.removed = ([Removal("chrome.share", "Partager", 3)] if i % 4 == 0 else []) + (
            [Removal("boilerplate.footer", "Tous droits réservés", 100)] if i % 6 == 0 else [])
    # The outlet falls back to the site name, then the URL's host; the week to the fetch date.
    docs[1].source, docs[1].site_name = None, "Site Name Fallback"
    docs[2].source, docs[2].url = None, "https://www.host-fallback.example/a"
    docs[3].published_at, docs[3].fetched_at = None, "2025-03-20T10:00:00+00:00"
    docs[4].published_at = None
    # The largest cluster (ties broken by cluster id) gets a title to escape; the next an Arabic one.
    sizes = Counter(d.near_dup_cluster for d in docs if d.near_dup_cluster)
    ranked = sorted(sizes, key=lambda c: (-sizes[c], c))
    for d in docs:
        if d.is_canonical and d.near_dup_cluster in ranked[:2]:
            d.title = NASTY if d.near_dup_cluster == ranked[0] else ARABIC

    store = CorpusStore(path)
    store.commit(to_table(docs[:30]), {"build_id": "b0", "counts": {
        "added": 30, "changed": 0, "removed": 0, "unchanged": 0, "reclustered": 0, "documents": 30}})
    store.commit_rejected(rejected_table([(docs[0], "duplicate_content", docs[5].doc_id),
                                          (docs[1], "out_of_scope", ""), (docs[2], "out_of_scope", "")], "b1"))
    store.commit(to_table(docs[30:]), {"build_id": "b1", "rejected": {"duplicate_content": 1, "out_of_scope": 2},
                                       "counts": {"added": 20, "changed": 0, "removed": 0, "unchanged": 30,
                                                  "reclustered": 3, "documents": 50}})
    store.create_release("spring-2025", 0)
    return path, docs


@pytest.fixture(scope="module")
def report(corpus: tuple[Path, list[Document]]) -> Path:
    return write_report(corpus[0], corpus[0].parent / "out" / "report.html")


@pytest.fixture(scope="module")
def empty_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("empty") / "corpus"
    CorpusStore(path).commit(SCHEMA.empty_table(), {"counts": {"added": 0, "documents": 0}})
    return write_report(path, path.parent / "report.html")


def section(page: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">.*?</section>', page, re.S)
    assert match, f"no section {name}"
    return match.group(0)


def documents(n: int) -> str:
    return f"{n} document" if n == 1 else f"{n} documents"


def tips(html_text: str) -> list[str]:
    """The hover texts of a plot's marks."""
    return re.findall(r'<rect class="mark"[^>]*><title>(.*?)</title>', html_text)


def test_the_page_has_six_plots_each_a_titled_svg_in_a_captioned_figure(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    parsed = Page(page)
    assert parsed.errors == []
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert [s for s in parsed.sections if s in SECTIONS] == SECTIONS
    assert parsed.tags["figure"] == parsed.tags["figcaption"] == parsed.tags["svg"] == 6
    assert all(s.get("class") == "plot" and s.get("aria-label") and s.get("role") == "img" for s in parsed.svgs)
    assert parsed.first_in_svg == ["title"] * 6
    # Self-contained: nothing to load, and a policy that forbids loading anything.
    assert not re.search(r"\b(src|href)\s*=|url\(|@import", page)
    assert "default-src 'none'" in page


def test_the_header_names_the_corpus_version_documents_releases_and_rejections(
        corpus: tuple[Path, list[Document]], report: Path) -> None:
    head = re.search(r"<header>.*</header>", report.read_text(encoding="utf-8"), re.S).group(0)
    assert str(corpus[0].resolve()) in head
    assert "<dt>latest version</dt><dd dir=\"auto\">v1</dd>" in head
    assert "<dt>documents</dt><dd dir=\"auto\">50</dd>" in head
    assert re.search(r"spring-2025</td><td dir=\"auto\">v0</td>", head)
    assert '<td dir="auto">out_of_scope</td><td class="num">2</td>' in head
    assert '<td dir="auto">duplicate_content</td><td class="num">1</td>' in head
    assert "no documents" not in head


def test_titles_are_escaped_and_arabic_kept(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert "<b>&" not in page
    assert "Arrest &lt;b&gt;&amp; co &quot;quoted&quot; in Tangier" in page
    assert f'<td dir="auto">{ARABIC}</td>' in page


def test_documents_per_week_per_outlet(corpus: tuple[Path, list[Document]], report: Path) -> None:
    weekly = section(report.read_text(encoding="utf-8"), "weekly")
    expected: Counter[str] = Counter()
    for d in corpus[1]:
        outlet = d.source or d.site_name or "host-fallback.example"
        day = (d.published_at or d.fetched_at or "")[:10]
        week = (date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())).isoformat() \
            if day else "undated"
        expected[f"{week} · {outlet}"] += 1
    assert expected[f"2025-03-17 · {corpus[1][3].source}"] >= 1  # dated by its fetch
    assert expected[f"undated · {corpus[1][4].source}"] == 1
    assert sum(1 for k in expected if "Site Name Fallback" in k) == 1
    assert sorted(tips(weekly)) == sorted(f"{k}: {documents(n)}" for k, n in expected.items())
    assert ">undated</text>" in weekly and "week (starting Monday)" in weekly
    assert "stand apart as \u201cundated\u201d: 1." in weekly


def test_language_and_topic_mix(corpus: tuple[Path, list[Document]], report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    docs = corpus[1]
    languages = Counter(d.language for d in docs)
    assert sorted(tips(section(page, "languages"))) == sorted(f"{k}: {documents(n)}" for k, n in languages.items())
    topics = Counter(t for d in docs for t in d.topics)
    untagged = sum(1 for d in docs if not d.topics)
    assert sorted(tips(section(page, "topics"))) == sorted(
        [f"{k}: {documents(n)}" for k, n in topics.items()] + [f"(no topic): {documents(untagged)}"])


def test_the_ten_largest_clusters_with_their_canonical_title(corpus: tuple[Path, list[Document]],
                                                             report: Path) -> None:
    clusters = section(report.read_text(encoding="utf-8"), "clusters")
    sizes = sorted(Counter(d.near_dup_cluster for d in corpus[1] if d.near_dup_cluster).values(), reverse=True)
    assert len(sizes) > 10
    bars = tips(clusters)
    assert len(bars) == 10
    assert [int(t.rsplit(": ", 1)[1].split()[0]) for t in bars] == sizes[:10]
    assert bars[0] == f"{NASTY}: {sizes[0]} members".replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;").replace('"', "&quot;")
    first_row = re.search(r"<tbody><tr>(.*?)</tr>", clusters).group(1)
    assert f'<td class="num">1</td><td class="num">{sizes[0]}</td><td dir="auto">Arrest &lt;b&gt;' in first_row
    assert f"Documents in a cluster: {sum(sizes)} of 50, in {len(sizes)} clusters." in clusters


def test_removals_per_rule_family(corpus: tuple[Path, list[Document]], report: Path) -> None:
    removals = section(report.read_text(encoding="utf-8"), "removals")
    share = sum(1 for d in corpus[1] for r in d.removed if r.rule == "chrome.share")
    footer = sum(1 for d in corpus[1] for r in d.removed if r.rule == "boilerplate.footer")
    assert share and footer
    assert set(tips(removals)) == {
        f"chrome: {share} removals", f"chrome: {share * len('Partager')} characters removed",
        f"boilerplate: {footer} removals", f"boilerplate: {footer * len('Tous droits réservés')} characters removed"}
    assert "<td dir=\"auto\">chrome.share</td>" in removals and "Partager" in removals


def test_changes_per_version(report: Path) -> None:
    versions = section(report.read_text(encoding="utf-8"), "versions")
    assert set(tips(versions)) == {"v0: 30 added", "v1: 20 added", "v1: 3 reclustered"}
    assert "<title>v0: 30 documents</title>" in versions and "<title>v1: 50 documents</title>" in versions
    assert "duplicate_content: 1, out_of_scope: 2" in versions


def test_an_empty_corpus_still_makes_a_page_that_says_so(empty_report: Path) -> None:
    page = empty_report.read_text(encoding="utf-8")
    parsed = Page(page)
    assert parsed.errors == []
    assert "This corpus has no documents." in page
    assert parsed.tags["figure"] == parsed.tags["svg"] == 6
    assert "No near-duplicate clusters" in page and "The cleaners removed nothing" in page


def test_the_write_replaces_the_file_whole_and_leaves_nothing_else(corpus: tuple[Path, list[Document]],
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    assert write_report(corpus[0], out) == out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    with pytest.raises(CorpusError):
        write_report(tmp_path / "nothing-here", tmp_path / "other.html")
    assert not (tmp_path / "other.html").exists()


# -- in a browser ---------------------------------------------------------------------------------
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no headless Chromium on PATH (tried " + ", ".join(BROWSERS) + "): "
                "apt-get install -y --no-install-recommends chromium (.ci/run does this)")


def run_browser(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Chromium headless on the file, offline: every host name resolves to nothing, and no
    background fetches (updates, sync)."""
    cmd = [browser(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", f"--user-data-dir={profile}",
           "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-extensions",
           "--host-resolver-rules=MAP * ~NOTFOUND", *args, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def console_lines(stderr: str) -> list[str]:
    """What the page logged or threw (Chromium prints each as an INFO:CONSOLE line)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, zlib.decompress(idat)


@pytest.mark.parametrize("which", ["report", "empty_report"])
def test_chromium_lays_out_every_plot_without_an_error(which: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    page: Path = request.getfixturevalue(which)
    done = run_browser(page, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body[^>]*>", done.stdout)
    assert body, done.stdout[:2000]
    assert 'data-plots="6"' in body.group(0) and 'data-plots-rendered="6"' in body.group(0), body.group(0)
    root = re.search(r"<html[^>]*>", done.stdout).group(0)
    assert "data-js-errors" not in root, root
    assert 'data-render-failed="' not in done.stdout
    assert console_lines(done.stderr) == []


def test_chromium_screenshot_shows_the_report(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = run_browser(report, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,3000",
                       "--hide-scrollbars")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_lines(done.stderr) == []
    assert shot.stat().st_size > 30_000
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (1200, 3000)
    # Drawn, not blank: many distinct byte values across the image (a blank page has a handful).
    assert len(set(pixels)) > 64


def test_the_browser_checks_catch_a_broken_page(report: Path, tmp_path: Path) -> None:
    """The checks above can fail: a script error, a console error and a blocked load are all seen."""
    broken = tmp_path / "broken.html"
    broken.write_text(report.read_text(encoding="utf-8").replace(
        "</main>", '</main><script>console.error("boom"); null.x;</script><img src="https://example.invalid/a.png">'),
        encoding="utf-8")
    done = run_browser(broken, tmp_path / "profile", "--dump-dom")
    root = re.search(r"<html[^>]*>", done.stdout).group(0)
    assert re.search(r'data-js-errors="[3-9]"', root), root
    assert any("boom" in line for line in console_lines(done.stderr))
    assert any("Uncaught TypeError" in line for line in console_lines(done.stderr))


def test_the_cli_writes_the_report(corpus: tuple[Path, list[Document]], tmp_path: Path) -> None:
    from tests.corpus.test_build import cli

    out = tmp_path / "site" / "report.html"
    assert cli("report", "--corpus", corpus[0], "--out", out).stdout.strip() == str(out)
    assert out.read_text(encoding="utf-8").count('class="plot"') == 6
    proc = cli("report", "--corpus", tmp_path / "none", "--out", out, check=False)
    assert proc.returncode == 2 and "no corpus" in proc.stderr


def test_language_and_date_coverage_per_outlet(corpus: tuple[Path, list[Document]], report: Path) -> None:
    page = section(report.read_text(encoding="utf-8"), "coverage")
    docs = corpus[1]
    for outlet in {d.source for d in docs if d.source}:
        mine = [d for d in docs if d.source == outlet]
        langs = Counter(d.language for d in mine)
        dated = sum(1 for d in mine if d.published_at)
        shown = ", ".join(f"{lang} {n}" for lang, n in sorted(langs.items(), key=lambda x: (-x[1], x[0])))
        row = (f'<td dir="auto">{outlet}</td><td class="num">{len(mine)}</td><td dir="auto">{shown}</td>'
               f'<td class="num">{dated}</td>')
        assert row in page, outlet


def test_crawl_health_per_source_from_the_runs(corpus: tuple[Path, list[Document]], tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    for i, fetched in enumerate((5, 2)):
        (runs / f"2025040{i}T000000Z.json").write_text(json.dumps({"run_id": f"r{i}", "sources": {
            "hespress-ar": {"discovered": 10, "fetched": fetched, "unchanged": 3, "off_topic": 1, "errors": i,
                            "disallowed": 1, "finish_reason": "finished"},
            "le360-fr": {"discovered": 4, "fetched": 4, "unchanged": 0, "off_topic": 0, "errors": 0}}}))
    (runs / "broken.json").write_text("{not json")
    page = section(write_report(corpus[0], tmp_path / "r.html", runs).read_text(encoding="utf-8"), "crawl")
    cells = r'</td><td class="num">'
    assert ('<td dir="auto">hespress-ar' + cells + cells.join(["2", "20", "7", "6", "2", "1", "2"])) in page
    assert '<td dir="auto">r1</td><td class="num">2</td><td class="num">1</td><td dir="auto">finished' in page
    assert ('<td dir="auto">le360-fr' + cells + cells.join(["2", "8", "8", "0", "0", "0", "0"])) in page
    assert "2 runs" in page
    assert "No crawl runs recorded" in section(write_report(corpus[0], tmp_path / "n.html", tmp_path / "none")
                                               .read_text(encoding="utf-8"), "crawl")
