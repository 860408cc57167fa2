"""The Python API (`corpus.open`) and the readers of the Delta table users reach for: polars,
pandas, DuckDB's delta extension (offline, from the duckdb-ext-delta wheel). A script that reads
through the API exits cleanly, every time, in fresh processes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import corpus
from corpus.neardup import NearDupIndex
from corpus.schema import SCHEMA, to_table
from corpus.store import CorpusError, CorpusStore
from corpus.synthetic import syndication_set

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three versions (10, then 25 documents, then one title changed), release spring = v0, and
    one rejected row from the build of v1."""
    path = tmp_path_factory.mktemp("api") / "corpus"
    docs = [d for d, _ in syndication_set(25, copies=(0, 3), seed=3)][:25]
    index = NearDupIndex(0.5)
    index.add((d.doc_id, d.text, bool(d.credits), d.published_at) for d in docs)
    for d in docs:
        d.near_dup_cluster, d.is_canonical = index.assignment(d.doc_id)
    store = CorpusStore(path)
    store.commit(to_table(docs[:10]), {"build_id": "b0", "counts": {"added": 10}})
    store.commit_rejected(pa.table({"doc_id": ["x1"], "reason": ["too_short"], "detail": [None],
                                    "build_id": ["b1"]}, schema=pa.schema([
                                        ("doc_id", pa.string()), ("reason", pa.string()), ("detail", pa.string()),
                                        ("build_id", pa.string())])))
    store.commit(to_table(docs[10:]), {"build_id": "b1", "counts": {"added": len(docs) - 10}})
    docs[10].title = "A changed headline"  # rewrites the file of v1 (v0's stays: spring keeps it)
    store.commit(to_table(docs[10:11]), {"build_id": "b2", "counts": {"changed": 1}})
    store.create_release("spring", 0)
    return path


def test_open_versions_releases_documents(tiny: Path) -> None:
    c = corpus.open(tiny)
    versions = c.versions()
    assert [v["version"] for v in versions] == [0, 1, 2]
    assert [v["build_id"] for v in versions] == ["b0", "b1", "b2"] and versions[0]["releases"] == ["spring"]
    assert versions[1]["counts"] == {"added": 15} and not any(v["vacuum"] for v in versions)
    assert c.releases()["spring"]["version"] == 0 and c.version("spring") == 0 and c.version() == 2
    latest = c.documents()
    assert isinstance(latest, pa.Table) and latest.num_rows == 25 and set(SCHEMA.names) <= set(latest.column_names)
    assert c.documents("spring").num_rows == 10 and c.documents(1).num_rows == 25
    frame = c.documents("spring", format="pandas")
    assert isinstance(frame, pd.DataFrame) and len(frame) == 10
    frame = c.documents(columns=["doc_id", "title"], format="polars")
    assert isinstance(frame, pl.DataFrame) and frame.columns == ["doc_id", "title"]
    assert "A changed headline" in frame["title"].to_list()
    assert "A changed headline" not in c.documents(1, columns=["title"]).column("title").to_pylist()
    assert c.rejected()["doc_id"].to_pylist() == ["x1"] and c.rejected(1, format="pandas")["reason"].tolist() == [
        "too_short"]
    assert c.rejected(2).num_rows == 0
    with pytest.raises(CorpusError, match="no release"):
        c.documents("autumn")
    with pytest.raises(CorpusError, match="no version 9"):
        c.documents(9)
    with pytest.raises(ValueError, match="unknown format"):
        c.documents(format="csv")
    with pytest.raises(CorpusError, match="no corpus"):
        corpus.open(tiny.parent / "nothing")


def test_vacuum_commits_are_marked(tiny: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "c"
    shutil.copytree(tiny, copy)
    assert CorpusStore(copy).vacuum(retention_hours=0)  # v2 replaced a file only v1 needed
    c = corpus.open(copy)
    flags = {v["version"]: (v["vacuum"], v["operation"], v["delta_operation"]) for v in c.versions()}
    assert flags[2][:2] == (False, "merge") and all(vacuum == (kind == "vacuum") == delta.startswith("VACUUM")
                                                   for vacuum, kind, delta in flags.values())
    assert any(vacuum for vacuum, _, _ in flags.values())
    assert [v["readable"] for v in c.versions()][:3] == [True, False, True]  # v1 needed the file v2 replaced
    assert c.documents().num_rows == 25 and c.documents("spring").num_rows == 10


def test_polars_pandas_duckdb_read_the_delta_table(tiny: Path) -> None:
    from deltalake import DeltaTable

    assert pl.read_delta(str(tiny), version=0).height == 10
    assert pl.read_delta(str(tiny), version=corpus.open(tiny).version("spring")).height == 10
    assert len(DeltaTable(str(tiny), version=1).to_pandas()) == 25
    spec = importlib.util.find_spec("duckdb_ext")
    assert spec is not None and spec.submodule_search_locations
    (ext,) = Path(next(iter(spec.submodule_search_locations))).glob(
        f"extensions/v{duckdb.__version__}/*/delta.duckdb_extension")
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    con.execute(f"LOAD '{ext}'")
    assert con.execute(f"select count(*) from delta_scan('{tiny}')").fetchone() == (25,)
    con.execute(f"ATTACH '{tiny}' AS c (TYPE delta)")
    assert con.execute("select count(*) from c AT (VERSION => 0)").fetchone() == (10,)
    assert con.execute("select count(*) from c where title = 'A changed headline'").fetchone() == (1,)


# A read as the last thing before exit: that is when the abort struck.
SCRIPT = """
import sys
import corpus
assert corpus.open(sys.argv[1]).documents().num_rows == 25
"""


def test_a_script_using_the_api_exits_cleanly_20_times(tiny: Path) -> None:
    """`DeltaTable(...).to_pyarrow_table()` under deltalake 1.6.6 / pyarrow 26 aborts at exit in
    roughly one run of ten (SIGABRT, rc 134): 20 clean runs in a row is what the API promises."""
    def run(_: int) -> tuple[int, str]:
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tiny)], cwd=REPO, capture_output=True, text=True,
                              timeout=120)
        return proc.returncode, proc.stderr[-300:]

    start = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, range(20)))
    print(f"exit statuses of 20 fresh processes: {sorted(rc for rc, _ in results)}")  # pytest -s shows them
    assert [rc for rc, _ in results] == [0] * 20, [r for r in results if r[0]]
    assert time.monotonic() - start < 300
