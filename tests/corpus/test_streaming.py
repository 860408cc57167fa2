"""A build streams: shards are staged on disk in batches (DGSN_BUILD_BATCH documents), and a build
of many batches commits one version (one log entry) holding the same rows as a build of one batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from corpus.build import SHARD_CACHE, build
from corpus.schema import SCHEMA
from corpus.staging import BATCH_ENV
from corpus.store import CorpusStore
from tests.conftest import REPO
from tests.helpers import PARAGRAPH


def _story(n: int, city: str = "Fes") -> str:
    return f"{PARAGRAPH.format(city=city)} Case {n} was opened on day {n} by the prosecutor of {city}. " * 2


OFF_TOPIC = ("The weather in the region stayed mild this week with light rain expected in the north "
             "and sunny spells in the south, farmers said, as markets reported steady prices for "
             "vegetables and fruit across the main cities of the country. ") * 2


def _dumps(directory: Path, edit: bool = False) -> list[Path]:
    """Two JSONL dumps: stories, off-topic pages, an exact copy under another URL, a story captured
    twice, and syndicated near-copies (clusters)."""
    directory.mkdir(parents=True, exist_ok=True)
    first = [{"url": f"https://news.example.ma/s-{i}/", "text": _story(i), "fetched_at": "2024-01-01T00:00:00Z",
              "published_at": f"2024-01-{1 + i % 28:02d}"} for i in range(14)]
    first += [{"url": f"https://news.example.ma/w-{i}/", "text": OFF_TOPIC + f" Day {i}."} for i in range(9)]
    first.append({"url": "https://copy.example.ma/s-3/", "text": _story(3), "published_at": "2024-02-01"})
    second = [{"url": "https://news.example.ma/s-5/", "text": _story(5) + " Updated.",
               "fetched_at": "2024-01-02T00:00:00Z"},
              {"url": "https://wire.example.ma/s-7/", "text": "A wire report. " + _story(7) + " More to follow.",
               "published_at": "2024-01-30"}]
    second += [{"url": f"https://news.example.ma/t-{i}/", "text": _story(100 + i, "Rabat"),
                "published_at": "2024-03-01"} for i in range(6 if not edit else 8)]
    if edit:
        second.append({"url": "https://news.example.ma/s-1/", "text": _story(1) + " Corrected.",
                       "fetched_at": "2024-02-02T00:00:00Z"})
    paths = []
    for name, items in (("a.jsonl", first), ("b.jsonl", second)):
        (directory / name).write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
        paths.append(directory / name)
    return paths


def _rows(corpus: Path) -> list[dict]:
    return sorted(CorpusStore(corpus).read().to_pylist(), key=lambda r: r["doc_id"])


def _rejected(corpus: Path) -> list[tuple]:
    rows = CorpusStore(corpus).rejected()
    return sorted(zip(*(rows.column(c).to_pylist() for c in ("doc_id", "reason", "detail", "text")), strict=True))


def _log_entries(corpus: Path) -> list[list[dict]]:
    return [[json.loads(line) for line in f.read_text().splitlines() if line.strip()]
            for f in sorted((corpus / "_delta_log").glob("*.json"))]


def test_many_batches_commit_one_version_with_the_rows_of_one_batch(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    dumps = _dumps(raw)
    whole, batched = tmp_path / "whole", tmp_path / "batched"
    one = build(dumps, whole)
    monkeypatch.setenv(BATCH_ENV, "2")
    many = build(dumps, batched)
    assert one.counts == many.counts and one.rejected == many.rejected and one.read == many.read
    assert one.counts["added"] == 21 and one.rejected["duplicate_content"] == 1 and (
        one.rejected.get("out_of_scope", 0) + one.rejected.get("prefilter_out_of_scope", 0) == 9)
    assert one.rejected["superseded_capture"] == 1  # the earlier capture of s-5
    assert _rows(whole) == _rows(batched) and _rejected(whole) == _rejected(batched)
    assert any(r["near_dup_cluster"] for r in _rows(batched))  # the wire copy of story 7 joined a cluster
    entries = _log_entries(batched)
    assert len(entries) == 1 and sum("add" in a for a in entries[0]) >= 1
    assert not (batched / SHARD_CACHE).exists()

    # Upserts against the table, batched and not: a changed story, new ones, one reclustered.
    _dumps(raw, edit=True)
    monkeypatch.delenv(BATCH_ENV)
    one = build(dumps, whole)
    monkeypatch.setenv(BATCH_ENV, "3")
    many = build(dumps, batched)
    assert one.counts == many.counts and one.counts["changed"] == 1 and one.counts["added"] == 2
    assert _rows(whole) == _rows(batched) and _rejected(whole) == _rejected(batched)
    entries = _log_entries(batched)
    assert len(entries) == 2  # one more version: one log entry
    # What a reader outside the project sees: the same rows through deltalake's own reader and polars.
    frame = pl.read_delta(str(batched))
    assert frame.height == len(_rows(whole)) == 23
    assert sorted(frame["doc_id"].to_list()) == [r["doc_id"] for r in _rows(whole)]


_SLOW_BUILD = """
import sys, time
from corpus import staging
write = staging.ShardWriter.add
def slow_add(self, *a, **k):
    time.sleep(0.05)
    return write(self, *a, **k)
staging.ShardWriter.add = slow_add
from corpus.cli import main
sys.argv = ["dgsn-corpus", "build", *sys.argv[1:]]
main()
"""


def test_build_killed_mid_scan_leaves_no_version_and_a_rerun_reuses_finished_shards(tmp_path: Path) -> None:
    dumps = _dumps(tmp_path / "raw")
    corpus = tmp_path / "corpus"
    env = {**os.environ, BATCH_ENV: "2"}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_BUILD, *map(str, dumps), "--corpus", str(corpus)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # The first shard finished, the second staged in part (its batches are .tmp files).
    while not (list((corpus / SHARD_CACHE).glob("*.pickle")) and list((corpus / SHARD_CACHE).glob("*.tmp"))) \
            and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert len(list((corpus / SHARD_CACHE).glob("*.pickle"))) == 1
    assert not CorpusStore(corpus).exists()  # no version, not half of one
    rerun = subprocess.run([sys.executable, "-m", "corpus.cli", "build", *map(str, dumps), "--corpus", str(corpus)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "shards_reused: 1" in rerun.stderr and "shards_cleaned: 1" in rerun.stderr
    assert "21 added" in rerun.stdout and not (corpus / SHARD_CACHE).exists()
    table = CorpusStore(corpus).read(columns=["doc_id"])
    assert isinstance(table, pa.Table) and len(set(table.column("doc_id").to_pylist())) == table.num_rows == 21


def test_vacuum_deletes_the_data_files_of_a_killed_build_unless_a_build_runs(tmp_path: Path) -> None:
    from crawler.lock import dir_lock

    corpus = tmp_path / "corpus"
    store = CorpusStore(corpus)
    row = {name: None for name in SCHEMA.names} | {"doc_id": "a", "text": "x"}
    store.commit(pa.Table.from_pylist([row], schema=SCHEMA), {"build_id": "b0"})
    orphan = corpus / "part-00001-of-a-killed-build.parquet"  # what a build killed mid-commit leaves
    orphan.write_bytes(next(corpus.glob("part-*.parquet")).read_bytes())
    with dir_lock(corpus, "_build.lock"):  # a build writing files no version lists yet: they stay
        assert store.vacuum(retention_hours=0) == [] and orphan.exists()
    assert store.vacuum(retention_hours=0) == [orphan.name] and not orphan.exists()
    assert store.read(columns=["doc_id"]).column("doc_id").to_pylist() == ["a"]
