"""Exports of one corpus version as a dataset folder that Hugging Face `datasets`, datatrove, pandas,
polars and DuckDB load as it is:

    OUT/README.md       dataset card: YAML front matter (configs, language, size, license) and
                        the version, release, counts and a description of every field
    OUT/manifest.json   every file with its sha256 and row count, the schema, version, release,
                        cleaner versions (paths relative to OUT)
    OUT/data/documents-0000K-of-0000N.{jsonl,jsonl.gz,jsonl.zst,parquet}

Shards are sorted by doc_id so the same version always gives the same data. In Parquet the
timestamps (`published_at`, `modified_at`, `fetched_at`) are UTC timestamp columns; JSONL keeps the
ISO 8601 strings the table stores.

The export is written to a fresh directory beside OUT and moved into place at the end: OUT holds a
whole export or the one before it, never half of one.
"""

from __future__ import annotations

import hashlib
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
import yaml

from corpus.progress import Progress
from corpus.schema import FIELD_DESCRIPTIONS, TIMESTAMP_FIELDS
from corpus.shards import sha256_file
from corpus.store import CorpusError, CorpusStore

FORMATS = ("jsonl", "parquet")
COMPRESSIONS = ("none", "gzip", "zstd")
_SUFFIX = {"none": "", "gzip": ".gz", "zstd": ".zst"}
MANIFEST = "manifest.json"
CARD = "README.md"
DATA_DIR = "data"
SHARD_ROWS = 100_000
TIMESTAMP = pa.timestamp("us", tz="UTC")
# Hugging Face's size_categories buckets.
_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]


def _write_jsonl(rows: pa.Table, path: Path, compression: str) -> None:
    sink: Any = pa.OSFile(str(path), "wb")
    if compression != "none":
        sink = pa.CompressedOutputStream(sink, compression)
    with sink:
        for batch in rows.to_batches(max_chunksize=2000):
            sink.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch.to_pylist()).encode("utf-8"))


def parse_timestamps(values: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, int]:
    """ISO 8601 strings of any shape the sources give (a date alone, with an offset, with 'Z',
    naive) -> UTC timestamps, and how many values did not parse (they become null: one odd date
    must not stop an export). A date alone is midnight UTC; a naive time is taken as UTC."""
    out: list[datetime | None] = []
    bad = 0
    for value in values.to_pylist():
        if value is None or not value.strip():
            out.append(None)
            continue
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            bad += 1
            out.append(None)
            continue
        out.append(when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC))
    return pa.array(out, TIMESTAMP), bad


def hf_features(schema: pa.Schema) -> list[dict[str, Any]]:
    """The Arrow schema as the `dataset_info.features` of a Hugging Face card (the YAML form of
    datasets 4 and later). Declared features make `datasets` read every shard with the same types
    instead of guessing per file: a JSONL shard whose dates are all null, or all date-only, next
    to one with full timestamps, would otherwise fail to load ("Couldn't cast")."""
    return [{"name": f.name, **dict([_hf_type(f.type)])} for f in schema]


def _hf_type(kind: pa.DataType) -> tuple[str, Any]:
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        key, value = _hf_type(kind.value_type)
        return "list", value if key in ("dtype", "struct") else {key: value}
    if pa.types.is_struct(kind):
        return "struct", hf_features(pa.schema(list(kind)))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return "dtype", "string"
    return "dtype", {"bool": "bool", "double": "float64", "float": "float32"}.get(str(kind), str(kind))


def size_category(n: int) -> str:
    return next((label for bound, label in _SIZES if n < bound), "n>1B")


def export(corpus_dir: str | Path, out_dir: str | Path, fmt: str, version: int | None = None, *,
           release: str | None = None, compression: str | None = None, canonical_only: bool = False,
           shard_rows: int = SHARD_ROWS, progress: Progress | None = None) -> Path:
    """Write one version (by number, by release name, or the latest) to `out_dir`; return the
    manifest's path. `progress` counts the shards and documents written."""
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
    unparsed: dict[str, int] = {}
    if fmt == "parquet":
        for name in TIMESTAMP_FIELDS:
            if name in data.column_names:
                column, unparsed[name] = parse_timestamps(data[name])
                data = data.set_column(data.schema.get_field_index(name), pa.field(name, TIMESTAMP), column)

    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise CorpusError(f"{out} is not empty and holds no export: choose an empty or new directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (work / DATA_DIR).mkdir()
        files = []
        ext = f"jsonl{_SUFFIX[compression]}" if fmt == "jsonl" else "parquet"
        shards = max(1, -(-data.num_rows // shard_rows))
        if progress is not None:
            progress.total_files = shards
        for k in range(shards):
            part = data.slice(k * shard_rows, shard_rows)
            name = f"{DATA_DIR}/documents-{k:05d}-of-{shards:05d}.{ext}"
            if fmt == "parquet":
                pq.write_table(part, work / name, compression=compression)
            else:
                _write_jsonl(part, work / name, compression)
            files.append({"path": name, "rows": part.num_rows, "bytes": (work / name).stat().st_size,
                          "sha256": sha256_file(work / name)})
            if progress is not None:
                progress.item(part.num_rows)
                progress.file_done()
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
            "unparsed_timestamps": unparsed,
            "card": CARD,
            "schema": [{"name": f.name, "type": str(f.type)} for f in data.schema],
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (work / CARD).write_text(dataset_card(manifest, ext, data.schema), encoding="utf-8")
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


def dataset_card(manifest: dict[str, Any], ext: str, schema: pa.Schema) -> str:
    """README.md as the Hugging Face Hub and `datasets.load_dataset(folder)` read it: the YAML
    `configs` point at data/ (so manifest.json and the card are not taken for data), then what a
    reader needs to know to use and cite the export."""
    languages = {k: v for k, v in manifest["counts"]["languages"].items() if k != "None"}
    fingerprint = hashlib.sha256("".join(f["sha256"] for f in manifest["files"]).encode()).hexdigest()[:16]
    front = {
        "pretty_name": "DGSN and Interpol press corpus (ar/fr/en)",
        "language": [code for code in languages if len(code) == 2],
        "license": "other",
        "size_categories": [size_category(manifest["counts"]["documents"])],
        "tags": ["news", "morocco", "dgsn", "interpol", "multilingual", "dgsn-corpus"],
        # `datasets` keys its cache of a folder with a card on the card's configs, not on the files:
        # without something that changes with the data, a new export into the same folder (or one
        # of the same name elsewhere) would load the old one's cached rows.
        "configs": [{"config_name": "default", "description": f"dgsn-corpus export, content {fingerprint}",
                     "data_files": [{"split": "train", "path": f"{DATA_DIR}/*.{ext}"}]}],
        "dataset_info": {"features": hf_features(schema)},
    }
    release = manifest["release"]
    lines = [
        "---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(), "---", "",
        "# DGSN and Interpol press corpus", "",
        "Press coverage of events involving Morocco's DGSN (Direction Générale de la Sûreté Nationale) and "
        "Interpol in Arabic, French and English, cleaned and deduplicated by dgsn-corpus.", "",
        f"- corpus version: {manifest['version']}" + (f" (release `{release}`)" if release else " (no release)"),
        f"- exported: {manifest['created_at']}, {manifest['format']} ({manifest['compression']}), "
        f"{manifest['counts']['files']} file(s) under `{DATA_DIR}/`, one split `train`",
        f"- cleaner versions: {', '.join(manifest['cleaner_versions']) or 'none'}",
        f"- documents: {manifest['counts']['documents']}"
        + (" (one per near-duplicate cluster: `--canonical-only`)" if manifest["canonical_only"] else ""),
        "- per language: " + (", ".join(f"{k} {v}" for k, v in manifest["counts"]["languages"].items()) or "none"),
        "", "`manifest.json` lists every file with its sha256 and row count.", "",
        "## License", "",
        "`license: other`: the texts are news articles whose rights stay with their publishers; the corpus is "
        "collected for research and analysis. Check each outlet's terms before redistributing texts.", "",
        "## Loading", "",
        "```python",
        "datasets.load_dataset(\"EXPORT_DIR\")        # the YAML configs above point it at data/",
        f"polars.read_{'parquet' if manifest['format'] == 'parquet' else 'ndjson'}(\"EXPORT_DIR/{DATA_DIR}/*.{ext}\")",
        f"duckdb.sql(\"select * from '{'EXPORT_DIR/' + DATA_DIR}/*.{ext}'\")",
        f"datatrove.pipeline.readers.{'ParquetReader' if manifest['format'] == 'parquet' else 'JsonlReader'}"
        f"(\"EXPORT_DIR/{DATA_DIR}\", id_key=\"doc_id\")",
        "```", "",
        "datatrove's readers take every file under the folder they are given, so give them `data/` (on the export "
        "folder itself they would read this card and the manifest too).", "",
        "## Dates", "",
    ]
    if manifest["format"] == "parquet":
        unparsed = {k: v for k, v in manifest["unparsed_timestamps"].items() if v}
        lines += ["`published_at`, `modified_at` and `fetched_at` are `timestamp[us, tz=UTC]` columns. The pages give "
                  "dates of varying precision: a date alone becomes midnight UTC, a time without an offset is taken "
                  "as UTC. A value that did not parse is null here (counted in the manifest's "
                  "`unparsed_timestamps`: " + (", ".join(f"{k} {v}" for k, v in unparsed.items()) or "none") + ")."]
    else:
        lines += ["`published_at`, `modified_at` and `fetched_at` are ISO 8601 strings as the pages gave them: a date "
                  "alone (`2025-01-13`), or a time with an offset or `Z`. pandas, polars and DuckDB read them as "
                  "written; `datasets` reads JSON through pyarrow, which turns the strings it recognises as "
                  "timestamps into `YYYY-MM-DD HH:MM:SS` in UTC (offset applied). Parquet exports hold them as UTC "
                  "timestamps."]
    lines += ["", "## Fields", "", "| field | type | description |", "| --- | --- | --- |"]
    lines += [f"| `{f['name']}` | `{f['type']}` | {FIELD_DESCRIPTIONS.get(f['name'], '').replace('|', '/')} |"
              for f in manifest["schema"]]
    return "\n".join(lines) + "\n"
