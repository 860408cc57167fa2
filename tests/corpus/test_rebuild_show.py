"""Re-cleaning a corpus from its recorded raw dumps, and tracing a document back to its WARC record."""

from __future__ import annotations

import json
from pathlib import Path

from corpus.build import build, rebuild
from corpus.store import CorpusStore
from tests.corpus.test_build import _pages, cli
from tests.corpus.test_scope_neardup_releases import STORY, STORY_2, jsonl
from tests.helpers import write_warc


def _corpus(tmp_path: Path) -> tuple[Path, Path, Path]:
    warcs = write_warc(tmp_path / "raw", _pages(range(3)))
    dump = jsonl(tmp_path / "dumps" / "d.jsonl", [
        {"url": "https://a.example/1", "title": "Arrestation à Fès", "text": STORY},
        {"url": "https://a.example/2", "title": "Réseau démantelé", "text": STORY_2 + " Festival de la ville."},
    ])
    corpus = tmp_path / "corpus"
    build([tmp_path / "raw", dump], corpus)
    return corpus, warcs[0], dump


def test_rebuild_with_unchanged_cleaners_changes_nothing(tmp_path: Path) -> None:
    corpus, _, _ = _corpus(tmp_path)
    before = CorpusStore(corpus).read().sort_by("doc_id")
    report = rebuild(corpus)
    assert report.version == 1
    assert {k: report.counts[k] for k in ("added", "changed", "removed", "reclustered")} == dict.fromkeys(
        ("added", "changed", "removed", "reclustered"), 0)
    after = CorpusStore(corpus).read().sort_by("doc_id")
    assert after.column("record_hash").equals(before.column("record_hash"))
    assert CorpusStore(corpus).history()[-1].metadata["operation"] == "rebuild"


def test_rebuild_commits_exactly_what_the_new_cleaning_changes(tmp_path: Path) -> None:
    corpus, _, _ = _corpus(tmp_path)
    store = CorpusStore(corpus)
    before = {r["url"]: r for r in store.read().to_pylist()}
    # New scope: a topic more (one document gains it), and French only (the WARC pages are English).
    config = tmp_path / "scope.yaml"
    config.write_text("languages: [fr]\ntopics:\n  Festivals:\n    festival: '\\bfestival\\b'\n", encoding="utf-8")
    out = cli("rebuild", "--corpus", corpus, "--config", config).stdout
    assert "0 added, 1 changed, 3 removed" in out
    after = {r["url"]: r for r in store.read().to_pylist()}
    assert set(after) == {"https://a.example/1", "https://a.example/2"}
    assert after["https://a.example/2"]["topics"] == ["DGSN", "Festivals", "Interpol"]
    assert after["https://a.example/1"]["record_hash"] == before["https://a.example/1"]["record_hash"]
    reasons = {r["url"]: r["reason"] for r in store.rejected().to_pylist()}
    assert {u for u, why in reasons.items() if why == "language"} == {
        f"https://news.example.ma/article-{i}/" for i in range(3)}
    assert store.diff(0, 1) == {"added": [], "removed": sorted(before[f"https://news.example.ma/article-{i}/"]["doc_id"]
                                                               for i in range(3)),
                                "changed": [before["https://a.example/2"]["doc_id"]]}


def test_rebuild_reports_missing_and_altered_dumps_and_goes_on(tmp_path: Path) -> None:
    corpus, warc, dump = _corpus(tmp_path)
    warc.unlink()
    dump.write_text(dump.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = rebuild(corpus)
    assert any(str(warc) in p and "missing" in p for p in report.problems)
    assert any(str(dump) in p and "sha256 differs" in p for p in report.problems)
    assert report.counts["removed"] == 0 and CorpusStore(corpus).read().num_rows == 5
    assert CorpusStore(corpus).history()[-1].metadata["problems_total"] == 2


def test_show_traces_a_document_to_its_warc_record_and_history(tmp_path: Path) -> None:
    corpus, warc, dump = _corpus(tmp_path)
    store = CorpusStore(corpus)
    rows = {r["url"]: r for r in store.read().to_pylist()}
    page = rows["https://news.example.ma/article-1/"]
    out = cli("show", page["doc_id"], "--corpus", corpus).stdout
    assert out.startswith("history: v0 added")
    assert f"raw record: {warc}@{page['warc_offset']}" in out
    assert f"WARC-Record-ID: {page['warc_record_id']}" in out and "HTTP status: 200" in out
    assert "<!DOCTYPE html>" in out and page["text"][:60] in out
    line = rows["https://a.example/1"]
    out = cli("show", line["doc_id"], "--corpus", corpus).stdout
    raw = out.split(f"raw record: {dump}@{line['raw_offset']}\n", 1)[1]
    assert json.loads(raw.strip())["url"] == "https://a.example/1"
    proc = cli("show", "nope", "--corpus", corpus, check=False)
    assert proc.returncode == 2 and "no document nope" in proc.stderr
