"""Exports: shards, compression, manifest, --canonical-only, --release; and the readers people use
(Hugging Face datasets, pandas, polars, DuckDB) load them."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

from corpus.export import export
from corpus.neardup import NearDupIndex
from corpus.schema import DOC_FIELDS, to_table
from corpus.store import CorpusError, CorpusStore
from corpus.synthetic import syndication_set


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """A two-version corpus of generated wire stories and copies, clustered; (dir, docs, clusters)."""
    path = tmp_path_factory.mktemp("export") / "corpus"
    docs = [d for d, _ in syndication_set(25, copies=(0, 3), seed=3)]
    index = NearDupIndex(0.5)
    index.add((d.doc_id, d.text, bool(d.credits), d.published_at) for d in docs)
    for d in docs:
        d.near_dup_cluster, d.is_canonical = index.assignment(d.doc_id)
    store = CorpusStore(path)
    store.commit(to_table(docs[:10]), {"counts": {}})
    store.commit(to_table(docs[10:]), {"counts": {}})
    store.create_release("spring", 0)
    return path, len(docs), len(index.clusters)


def _manifest(path: Path) -> dict:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for f in manifest["files"]:
        data = (path.parent / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    return manifest


def test_jsonl_gzip_shards_load_in_datasets_and_pandas(corpus: tuple[Path, int, int], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path, n, _ = corpus
    manifest = _manifest(export(path, tmp_path / "out", "jsonl", compression="gzip", shard_rows=20))
    assert manifest["counts"]["documents"] == n and manifest["version"] == 1
    assert len(manifest["files"]) == -(-n // 20) and all(f["path"].endswith(".jsonl.gz") for f in manifest["files"])
    assert [f["name"] for f in manifest["schema"]] == DOC_FIELDS
    files = [str(tmp_path / "out" / f["path"]) for f in manifest["files"]]
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    ds = datasets.load_dataset("json", data_files=files, split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == n and set(DOC_FIELDS) <= set(ds.column_names)
    frame = pd.concat(pd.read_json(f, lines=True, compression="gzip") for f in files)
    assert len(frame) == n and list(frame["doc_id"]) == sorted(frame["doc_id"])


def test_jsonl_zstd_in_duckdb_and_parquet_in_polars_duckdb_datasets(corpus: tuple[Path, int, int],
                                                                   tmp_path: Path) -> None:
    path, n, _ = corpus
    manifest = _manifest(export(path, tmp_path / "z", "jsonl", compression="zstd"))
    (zst,) = [tmp_path / "z" / f["path"] for f in manifest["files"]]
    assert zst.name.endswith(".jsonl.zst")
    con = duckdb.connect()
    assert con.execute(f"select count(*) from read_json_auto('{zst}', format='newline_delimited')").fetchone()[0] == n
    manifest = _manifest(export(path, tmp_path / "p", "parquet", shard_rows=30))
    parts = [str(tmp_path / "p" / f["path"]) for f in manifest["files"]]
    frame = pl.read_parquet(parts)
    assert frame.height == n and frame["doc_id"].is_sorted()
    assert con.execute(f"select count(distinct doc_id) from read_parquet({parts})").fetchone()[0] == n
    import datasets

    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    ds = datasets.load_dataset("parquet", data_files=parts, split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == n


def test_canonical_only_and_release_and_errors(corpus: tuple[Path, int, int], tmp_path: Path) -> None:
    path, n, clusters = corpus
    manifest = _manifest(export(path, tmp_path / "c", "parquet", canonical_only=True))
    assert manifest["canonical_only"] and manifest["counts"]["documents"] == clusters < n
    rows = pl.read_parquet(tmp_path / "c" / manifest["files"][0]["path"])
    assert rows["is_canonical"].all() and rows["near_dup_cluster"].drop_nulls().n_unique() == rows[
        "near_dup_cluster"].drop_nulls().len()
    manifest = _manifest(export(path, tmp_path / "r", "jsonl", release="spring"))
    assert manifest["version"] == 0 and manifest["release"] == "spring" and manifest["counts"]["documents"] == 10
    # Exporting again into the same directory replaces the export whole.
    manifest = _manifest(export(path, tmp_path / "r", "jsonl"))
    assert manifest["version"] == 1 and sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(
        [f["path"] for f in manifest["files"]] + ["manifest.json"])
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(CorpusError, match="not empty"):
        export(path, tmp_path / "busy", "jsonl")
    assert (tmp_path / "busy" / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(CorpusError, match="no release"):
        export(path, tmp_path / "x", "jsonl", release="autumn")
