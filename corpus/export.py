"""Exports of one corpus version: JSONL (plain, gzip or zstd) or Parquet shards, sorted by doc_id so
the same version always gives the same bytes, with a `manifest.json` that lists every file with its
sha256 and row count, the schema, the version, the release and the cleaner versions.

The export is written to a fresh directory beside OUT and moved into place at the end: OUT holds a
whole export or the one before it, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.shards import sha256_file
from corpus.store import CorpusError, CorpusStore

FORMATS = ("jsonl", "parquet")
COMPRESSIONS = ("none", "gzip", "zstd")
_SUFFIX = {"none": "", "gzip": ".gz", "zstd": ".zst"}
MANIFEST = "manifest.json"
SHARD_ROWS = 100_000


def _write_jsonl(rows: pa.Table, path: Path, compression: str) -> None:
    sink: Any = pa.OSFile(str(path), "wb")
    if compression != "none":
        sink = pa.CompressedOutputStream(sink, compression)
    with sink:
        for batch in rows.to_batches(max_chunksize=2000):
            sink.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch.to_pylist()).encode("utf-8"))


def export(corpus_dir: str | Path, out_dir: str | Path, fmt: str, version: int | None = None, *,
           release: str | None = None, compression: str | None = None, canonical_only: bool = False,
           shard_rows: int = SHARD_ROWS) -> Path:
    """Write one version (by number, by release name, or the latest) to `out_dir`; return the
    manifest's path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    compression = compression or ("zstd" if fmt == "parquet" else "none")
    if compression not in COMPRESSIONS:
        raise ValueError(f"unknown compression {compression!r}; use one of {', '.join(COMPRESSIONS)}")
    if shard_rows < 1:
        raise ValueError("shard_rows must be at least 1")
    store = CorpusStore(corpus_dir)
    if release is not None and version is not None:
        raise CorpusError("give a version or a release, not both")
    number = store.resolve(release if release is not None else version)
    data = store.read(number).sort_by("doc_id")
    data = data.drop_columns([c for c in ("record_hash",) if c in data.column_names])
    data = data.cast(pa.schema([pa.field(f.name, pa.string()) if pa.types.is_string_view(f.type) else f
                                for f in data.schema]))
    if canonical_only:
        data = data.filter(pc.equal(data["is_canonical"], True))

    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise CorpusError(f"{out} is not empty and holds no export: choose an empty or new directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = []
        ext = f"jsonl{_SUFFIX[compression]}" if fmt == "jsonl" else "parquet"
        shards = max(1, -(-data.num_rows // shard_rows))
        for k in range(shards):
            part = data.slice(k * shard_rows, shard_rows)
            name = f"documents-{k:05d}-of-{shards:05d}.{ext}"
            if fmt == "parquet":
                pq.write_table(part, work / name, compression=compression)
            else:
                _write_jsonl(part, work / name, compression)
            files.append({"path": name, "rows": part.num_rows, "bytes": (work / name).stat().st_size,
                          "sha256": sha256_file(work / name)})
        releases = [n for n, r in store.releases().items() if int(r["version"]) == number]
        manifest = {
            "corpus": str(Path(corpus_dir).resolve()),
            "version": number,
            "release": release if release is not None else (releases[0] if releases else None),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "format": fmt,
            "compression": compression,
            "canonical_only": canonical_only,
            "cleaner_versions": sorted(set(data.column("cleaner_version").to_pylist())),
            "counts": {"documents": data.num_rows, "files": len(files),
                       "languages": dict(sorted((str(d["values"]), d["counts"])
                                                for d in pc.value_counts(data["language"]).to_pylist()))},
            "schema": [{"name": f.name, "type": str(f.type)} for f in data.schema],
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(work, 0o755)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(work, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out / MANIFEST
