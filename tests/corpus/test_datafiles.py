"""Appends written with pyarrow and committed with delta-rs (corpus/datafiles.py)."""

import json

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake

from corpus.datafiles import STATS_CHARS, append


def _reader(table: pa.Table, chunk: int) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=chunk))


def test_files_are_committed_as_one_version_with_delta_rs_statistics(tmp_path):
    n = 12_000
    rows = pa.table({
        "doc_id": [f"d{i:06d}" for i in range(n)],
        "text": ["x" * (STATS_CHARS + 5) + str(i) for i in range(n)],
        "score": [None if i % 7 == 0 else i / 10 for i in range(n)],
        "tags": [["a"]] * n,
    })
    append(tmp_path / "t", _reader(rows, 1000), CommitProperties(custom_metadata={"k": "v"}),
           {"delta.logRetentionDuration": "interval 36500 days"}, file_bytes=1 << 20)
    table = DeltaTable(str(tmp_path / "t"))
    assert table.version() == 0
    assert table.metadata().configuration == {"delta.logRetentionDuration": "interval 36500 days"}
    assert table.history()[0]["k"] == "v"
    back = pa.table(table.to_pyarrow_dataset().to_table()).sort_by("doc_id")
    assert back.column("doc_id").to_pylist() == rows.column("doc_id").to_pylist()
    assert back.column("score").to_pylist() == rows.column("score").to_pylist()
    log = (tmp_path / "t" / "_delta_log" / f"{0:020d}.json").read_text()
    adds = [json.loads(line)["add"] for line in log.splitlines() if "add" in json.loads(line)]
    stats = [json.loads(a["stats"]) for a in adds]
    assert sum(s["numRecords"] for s in stats) == n
    assert sum(s["nullCount"]["score"] for s in stats) == sum(1 for i in range(n) if i % 7 == 0)
    assert min(s["minValues"]["doc_id"] for s in stats) == "d000000"
    assert max(s["maxValues"]["doc_id"] for s in stats) == f"d{n - 1:06d}"
    assert all(len(s["minValues"]["text"]) == STATS_CHARS and "text" not in s["maxValues"] for s in stats)
    assert all("tags" not in s["nullCount"] for s in stats)  # nested columns have none (as delta-rs)
    # a filter on a column with bounds reads the right rows
    assert pa.table(table.to_pyarrow_dataset().to_table(filter=pa.compute.field("doc_id") == "d011999")).num_rows == 1


def test_a_table_without_a_column_of_the_batches_gains_it(tmp_path):
    write_deltalake(str(tmp_path / "t"), pa.table({"doc_id": ["a"]}))
    append(tmp_path / "t", _reader(pa.table({"doc_id": ["b"], "extra": ["x"]}), 10), CommitProperties(), None,
           file_bytes=1 << 20)
    table = DeltaTable(str(tmp_path / "t"))
    assert [f.name for f in table.schema().fields] == ["doc_id", "extra"]
    back = pa.table(table.to_pyarrow_dataset().to_table()).sort_by("doc_id")
    assert back.to_pylist() == [{"doc_id": "a", "extra": None}, {"doc_id": "b", "extra": "x"}]


def test_an_empty_append_is_still_a_version(tmp_path):
    schema = pa.schema([("doc_id", pa.string())])
    append(tmp_path / "t", pa.RecordBatchReader.from_batches(schema, []), CommitProperties(), None, 1 << 20)
    append(tmp_path / "t", pa.RecordBatchReader.from_batches(schema, []), CommitProperties(), None, 1 << 20)
    table = DeltaTable(str(tmp_path / "t"))
    assert table.version() == 1
    assert pa.table(table.to_pyarrow_dataset().to_table()).num_rows == 0
