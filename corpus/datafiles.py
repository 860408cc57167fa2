"""Appending a stream of batches to a Delta table: the data files written with pyarrow, then
committed with delta-rs as one version (their add actions, with the statistics delta-rs would give).

Why not `write_deltalake`: delta-rs 1.x holds each data file it writes in memory until the file is
done, with its encoders' buffers besides (delta-io/delta-rs#3578). Writing the 100k stories of
archive_scan's kept build through it took about 300 MB more than reading them; pyarrow writes each
row group to disk as it comes. Merges (rows replaced or deleted) still go through delta-rs, and so
does an append whose columns are not the table's (an older table gaining a field).
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Schema, write_deltalake
from deltalake.transaction import AddAction, create_table_with_add_actions

ROW_GROUP_ROWS = 5000  # batches are gathered to row groups of about this many rows
STATS_COLUMNS = 32  # delta.dataSkippingNumIndexedCols' default: statistics for the first 32 columns
STATS_CHARS = 32  # string bounds longer than this: min cut to a prefix, max left out (no bound)


def _gathered(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """The batches as tables of at least `rows` rows (the last one: what is left)."""
    held: list[pa.RecordBatch] = []
    n = 0
    for batch in batches:
        if batch.num_rows:
            held.append(batch)
            n += batch.num_rows
        if n >= rows:
            yield pa.Table.from_batches(held)
            held, n = [], 0
    if held:
        yield pa.Table.from_batches(held)


class _Stats:
    """numRecords, and nullCount, minValues and maxValues of the first STATS_COLUMNS columns that
    are not nested (delta-rs's own choice), over the row groups of one file."""

    def __init__(self, schema: pa.Schema):
        self.columns = [f.name for f in list(schema)[:STATS_COLUMNS] if not pa.types.is_nested(f.type)]
        self.bounded = {f.name for f in list(schema)[:STATS_COLUMNS]
                        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_string(f.type)}
        self.rows = 0
        self.nulls = dict.fromkeys(self.columns, 0)
        self.low: dict[str, object] = {}
        self.high: dict[str, object] = {}

    def add(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        for name in self.columns:
            column = table.column(name)
            self.nulls[name] += column.null_count
            if name not in self.bounded or column.null_count == len(column):
                continue
            bounds = pc.min_max(column)
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if isinstance(low, float) and (math.isnan(low) or math.isnan(high)):
                continue
            if name not in self.low or low < self.low[name]:
                self.low[name] = low
            if name not in self.high or high > self.high[name]:
                self.high[name] = high

    def json(self) -> str:
        low = {k: v[:STATS_CHARS] if isinstance(v, str) else v for k, v in self.low.items()}
        high = {k: v for k, v in self.high.items() if not (isinstance(v, str) and len(v) > STATS_CHARS)}
        return json.dumps({"numRecords": self.rows, "minValues": low, "maxValues": high, "nullCount": self.nulls},
                          ensure_ascii=False)


def write_files(folder: Path, batches: Iterable[pa.RecordBatch], schema: pa.Schema,
                file_bytes: int) -> list[AddAction]:
    """The batches (cast to `schema`) as Parquet files of about `file_bytes` in `folder`; their add
    actions. A file is named as delta-rs names its own; one left by a write that did not commit is
    referenced by no version (vacuum deletes it)."""
    actions: list[AddAction] = []
    run = uuid.uuid4()
    writer: pq.ParquetWriter | None = None
    path = folder
    stats = _Stats(schema)

    def close() -> None:
        assert writer is not None
        writer.close()
        st = path.stat()
        actions.append(AddAction(path.name, st.st_size, {}, st.st_mtime_ns // 1_000_000, True, stats.json()))

    try:
        for table in _gathered(batches, ROW_GROUP_ROWS):
            if writer is None:
                path = folder / f"part-{len(actions):05d}-{run}-c000.snappy.parquet"
                writer, stats = pq.ParquetWriter(path, schema, compression="snappy"), _Stats(schema)
            table = table.cast(schema)
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
            stats.add(table)
            if path.stat().st_size >= file_bytes:
                close()
                writer = None
        if writer is not None:
            close()
            writer = None
    finally:
        if writer is not None:  # an error: the unfinished file goes (the finished ones vacuum takes)
            writer.close()
            path.unlink(missing_ok=True)
    return actions


def append(table_path: Path, batches: pa.RecordBatchReader, properties: CommitProperties,
           configuration: Mapping[str, str] | None, file_bytes: int) -> None:
    """Append the batches to the Delta table at `table_path` (made, with `configuration`, if it is
    not there) in one commit. When the table's columns are not the batches' (a table from before a
    field was added), delta-rs writes them and merges the schemas."""
    schema = batches.schema
    exists = DeltaTable.is_deltatable(str(table_path))
    if exists:
        table = DeltaTable(str(table_path))
        if [f.name for f in schema] != [f.name for f in table.schema().fields]:
            write_deltalake(str(table_path), batches, mode="append", schema_mode="merge",
                            commit_properties=properties, target_file_size=file_bytes)
            return
    os.makedirs(table_path, exist_ok=True)
    actions = write_files(Path(table_path), batches, schema, file_bytes)
    if exists:
        table.create_write_transaction(actions, mode="append", schema=schema, commit_properties=properties)
    else:
        create_table_with_add_actions(str(table_path), Schema.from_arrow(schema), actions, mode="error",
                                      configuration=configuration, commit_properties=properties)
