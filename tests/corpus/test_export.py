"""Exports as dataset folders (data/ shards, manifest.json, README.md card): shards, compression,
manifest, --canonical-only, --release; and the readers people use load the folder as it is:
Hugging Face datasets (offline), datatrove, pandas, polars, DuckDB."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from cleaners import CLEANER_VERSION
from cleaners.document import Document
from corpus.export import export, parse_timestamps, size_category
from corpus.neardup import NearDupIndex
from corpus.schema import DOC_FIELDS, FIELD_DESCRIPTIONS, SCHEMA, TIMESTAMP_FIELDS, to_table
from corpus.store import CorpusError, CorpusStore
from corpus.synthetic import syndication_set

UTC_US = pa.timestamp("us", tz="UTC")
# published_at as pages give it -> what a Parquet export holds.
DATES = {
    "2025-01-13": datetime(2025, 1, 13, tzinfo=UTC),
    "2025-01-13T08:00:00+01:00": datetime(2025, 1, 13, 7, tzinfo=UTC),
    "2025-01-13T08:00:00Z": datetime(2025, 1, 13, 8, tzinfo=UTC),
    "2025-01-13T08:00:00": datetime(2025, 1, 13, 8, tzinfo=UTC),
    "2025-01-13 08:00:00.123456-05:00": datetime(2025, 1, 13, 13, 0, 0, 123456, tzinfo=UTC),
    "le 13 janvier": None,  # does not parse: null, counted
    None: None,
}


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


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three languages, and published_at in every shape DATES lists (one document each)."""
    path = tmp_path_factory.mktemp("mixed") / "corpus"
    docs = [Document(url=f"https://news.example.ma/a-{i}/", language="arfren"[2 * (i % 3):2 * (i % 3) + 2],
                     text=f"DGSN story {i} " * 20, published_at=date, source="example",
                     title=None if i == 0 else f"Title {i}", fetched_at="2025-03-01T00:00:00Z").finalize()
            for i, date in enumerate(DATES)]
    CorpusStore(path).commit(to_table(docs), {"counts": {}})
    return path


@pytest.fixture
def hf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`datasets` offline, its caches in tmp; returns a loader of an export folder as it is."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)

    def load(folder: Path) -> datasets.Dataset:
        return datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf" / "datasets"))

    return load


def _manifest(path: Path) -> dict:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for f in manifest["files"]:
        assert f["path"].startswith("data/documents-")
        data = (path.parent / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    return manifest


def _card(folder: Path) -> tuple[dict, str]:
    text = (folder / "README.md").read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def _datatrove(reader: Any) -> list[Any]:
    return list(reader.run())


def test_every_field_is_described() -> None:
    assert set(FIELD_DESCRIPTIONS) == set(SCHEMA.names)
    assert all(len(d) > 10 for d in FIELD_DESCRIPTIONS.values())


def test_parse_timestamps_and_size_categories() -> None:
    values, bad = parse_timestamps(pa.array(list(DATES) + ["", "2025-13-45"], pa.string()))
    assert values.type == UTC_US and bad == 2
    assert values.to_pylist() == [*DATES.values(), None, None]
    assert [size_category(n) for n in (0, 999, 1000, 54_321, 2_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "1M<n<10M"]


def test_jsonl_gzip_folder_loads_in_datasets_datatrove_pandas(corpus: tuple[Path, int, int], tmp_path: Path,
                                                              hf: Any) -> None:
    from datatrove.pipeline.readers import JsonlReader

    path, n, _ = corpus
    out = tmp_path / "out"
    manifest = _manifest(export(path, out, "jsonl", compression="gzip", shard_rows=20))
    assert manifest["counts"]["documents"] == n and manifest["version"] == 1
    assert len(manifest["files"]) == -(-n // 20) and all(f["path"].endswith(".jsonl.gz") for f in manifest["files"])
    assert [f["name"] for f in manifest["schema"]] == DOC_FIELDS
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "data", "manifest.json"]
    ds = hf(out)
    assert ds.num_rows == n and ds.column_names == DOC_FIELDS
    docs = _datatrove(JsonlReader(str(out / "data")))
    assert len(docs) == n and {d.metadata["doc_id"] for d in docs} == set(ds["doc_id"])
    docs = _datatrove(JsonlReader(str(out / "data"), id_key="doc_id"))
    assert sorted(d.id for d in docs) == sorted(ds["doc_id"]) and all(d.text for d in docs)
    files = [out / f["path"] for f in manifest["files"]]
    frame = pd.concat(pd.read_json(f, lines=True, compression="gzip") for f in files)
    assert len(frame) == n and list(frame["doc_id"]) == sorted(frame["doc_id"])


def test_jsonl_zstd_folder_in_datasets_datatrove_duckdb(corpus: tuple[Path, int, int], tmp_path: Path,
                                                        hf: Any) -> None:
    from datatrove.pipeline.readers import JsonlReader

    path, n, _ = corpus
    out = tmp_path / "z"
    manifest = _manifest(export(path, out, "jsonl", compression="zstd"))
    (zst,) = [out / f["path"] for f in manifest["files"]]
    assert zst.name.endswith(".jsonl.zst")
    assert hf(out).num_rows == n
    assert len(_datatrove(JsonlReader(str(out / "data")))) == n
    con = duckdb.connect()
    assert con.execute(f"select count(*) from read_json_auto('{out}/data/*.jsonl.zst', "
                       "format='newline_delimited')").fetchone()[0] == n


def test_parquet_folder_typed_dates_in_datasets_datatrove_polars_duckdb(corpus: tuple[Path, int, int], tmp_path: Path,
                                                                        hf: Any) -> None:
    from datatrove.pipeline.readers import ParquetReader

    path, n, _ = corpus
    out = tmp_path / "p"
    manifest = _manifest(export(path, out, "parquet", shard_rows=30))
    assert len(manifest["files"]) == 3 and manifest["unparsed_timestamps"] == dict.fromkeys(TIMESTAMP_FIELDS, 0)
    schema = pq.read_schema(out / manifest["files"][0]["path"])
    assert all(schema.field(name).type == UTC_US for name in TIMESTAMP_FIELDS)
    ds = hf(out)
    assert ds.num_rows == n and str(ds.features["published_at"].dtype) == "timestamp[us, tz=UTC]"
    assert len(_datatrove(ParquetReader(str(out / "data"), id_key="doc_id"))) == n
    assert len(_datatrove(ParquetReader(str(out), glob_pattern="data/*.parquet"))) == n
    frame = pl.read_parquet(out / "data" / "*.parquet")
    assert frame.height == n and frame["doc_id"].is_sorted()
    assert frame.schema["published_at"] == pl.Datetime("us", "UTC")
    con = duckdb.connect()
    rows = con.execute(f"select count(distinct doc_id), any_value(typeof(published_at)) "
                       f"from read_parquet('{out}/data/*.parquet')").fetchone()
    assert rows == (n, "TIMESTAMP WITH TIME ZONE")


def test_card_and_mixed_dates(mixed: Path, tmp_path: Path, hf: Any) -> None:
    import datasets

    out = tmp_path / "m"
    manifest = _manifest(export(mixed, out, "parquet"))
    assert manifest["unparsed_timestamps"] == {"published_at": 1, "modified_at": 0, "fetched_at": 0}
    rows = pl.read_parquet(out / "data" / "*.parquet")
    source = {d["doc_id"]: d["published_at"] for d in CorpusStore(mixed).read().to_pylist()}
    assert {d: DATES[source[d]] for d in rows["doc_id"]} == dict(zip(rows["doc_id"], rows["published_at"],
                                                                      strict=True))
    front, body = _card(out)
    assert front["language"] == ["ar", "en", "fr"] and front["size_categories"] == ["n<1K"]
    assert front["license"] == "other" and front["pretty_name"] and "interpol" in front["tags"]
    (config,) = front["configs"]
    assert config["config_name"] == "default" and config["data_files"] == [{"split": "train",
                                                                            "path": "data/*.parquet"}]
    assert "corpus version: 0" in body and f"cleaner versions: {CLEANER_VERSION}" in body and "ar 3, en 2, fr 2" in body
    assert "published_at 1" in body and "license: other" in body
    for name in DOC_FIELDS:
        assert f"| `{name}` |" in body and FIELD_DESCRIPTIONS[name].replace("|", "/") in body
    # JSONL shards of one document each: some all-null or date-only where others hold times. The
    # features the card declares make datasets read them alike.
    out = tmp_path / "mj"
    _manifest(export(mixed, out, "jsonl", shard_rows=1))
    assert _card(out)[0]["configs"][0]["data_files"][0]["path"] == "data/*.jsonl"
    ds = hf(out)
    assert ds.num_rows == len(DATES)
    assert ds.features == datasets.Features.from_arrow_schema(SCHEMA.remove(SCHEMA.get_field_index("record_hash")))


def test_canonical_only_and_release_and_errors(corpus: tuple[Path, int, int], tmp_path: Path, hf: Any) -> None:
    path, n, clusters = corpus
    manifest = _manifest(export(path, tmp_path / "c", "parquet", canonical_only=True))
    assert manifest["canonical_only"] and manifest["counts"]["documents"] == clusters < n
    rows = pl.read_parquet(tmp_path / "c" / manifest["files"][0]["path"])
    assert rows["is_canonical"].all() and rows["near_dup_cluster"].drop_nulls().n_unique() == rows[
        "near_dup_cluster"].drop_nulls().len()
    manifest = _manifest(export(path, tmp_path / "r", "jsonl", release="spring"))
    assert manifest["version"] == 0 and manifest["release"] == "spring" and manifest["counts"]["documents"] == 10
    assert "corpus version: 0 (release `spring`)" in _card(tmp_path / "r")[1]
    assert hf(tmp_path / "r").num_rows == 10
    # Exporting again into the same directory replaces the export whole; datasets sees the new one
    # (its cache is keyed on the card, which names the content).
    manifest = _manifest(export(path, tmp_path / "r", "jsonl"))
    assert manifest["version"] == 1 and sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "README.md", "data", "manifest.json"]
    assert sorted(f"data/{p.name}" for p in (tmp_path / "r" / "data").iterdir()) == [f["path"] for f in
                                                                                       manifest["files"]]
    assert hf(tmp_path / "r").num_rows == n
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(CorpusError, match="not empty"):
        export(path, tmp_path / "busy", "jsonl")
    assert (tmp_path / "busy" / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(CorpusError, match="no release"):
        export(path, tmp_path / "x", "jsonl", release="autumn")
