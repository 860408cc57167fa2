"""Exports of one corpus version to JSONL or Parquet, sorted by doc_id so reruns are identical."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from corpus.store import CorpusStore

FORMATS = ("jsonl", "parquet")


def export(corpus_dir: str | Path, out_dir: str | Path, fmt: str, version: int | None = None) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    store = CorpusStore(corpus_dir)
    table = store.table(version)
    number = table.version()
    data = table.to_pyarrow_table().sort_by("doc_id")
    data = data.drop_columns([c for c in ("record_hash",) if c in data.column_names])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"documents-v{number}.{fmt}"
    tmp = target.with_name(target.name + ".tmp")
    if fmt == "parquet":
        pq.write_table(data, tmp, compression="zstd")
    else:
        with open(tmp, "w", encoding="utf-8") as fh:
            for row in data.to_pylist():
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(target)
    return target
