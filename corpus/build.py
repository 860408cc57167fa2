"""A build: raw dumps -> cleaned Documents -> exact dedup -> upsert by doc_id -> one new version.

Steps are small functions over lists of Documents; every document that does not make it into
the table is counted with a reason in the commit metadata (never silently lost).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cleaners import CLEANER_VERSION
from cleaners.document import Document
from cleaners.pipeline import clean_items
from cleaners.readers import ReadStats, expand_inputs, iter_items
from corpus.schema import to_table
from corpus.store import CorpusStore

log = logging.getLogger(__name__)

MAX_PROBLEMS_IN_METADATA = 200


@dataclass
class BuildReport:
    version: int
    counts: dict[str, int]
    dropped: dict[str, int]
    read: dict[str, int]
    problems: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dedup_batch(docs: list[Document], dropped: Counter[str]) -> list[Document]:
    """One document per doc_id (the latest capture wins), then one per content_hash (the earliest
    published wins; ties broken by doc_id so the choice is stable)."""
    by_id: dict[str, Document] = {}
    for doc in docs:
        prev = by_id.get(doc.doc_id)
        if prev is not None:
            dropped["same_doc_id_in_batch"] += 1
            if (doc.fetched_at or "") < (prev.fetched_at or ""):
                continue
        by_id[doc.doc_id] = doc
    ordered = sorted(by_id.values(), key=lambda d: (d.published_at or "9999", d.doc_id))
    by_hash: dict[str, Document] = {}
    for doc in ordered:
        if doc.content_hash in by_hash:
            dropped["duplicate_content"] += 1
            log.info("exact duplicate %s of %s", doc.url or doc.raw_path, by_hash[doc.content_hash].doc_id)
            continue
        by_hash[doc.content_hash] = doc
    return list(by_hash.values())


def plan_upserts(docs: list[Document], existing: pa.Table,
                 dropped: Counter[str]) -> tuple[pa.Table, dict[str, int]]:
    """Rows to write (new or changed), and counts against the current version."""
    current = {
        d: (h, r) for d, h, r in zip(existing.column("doc_id").to_pylist(),
                                      existing.column("content_hash").to_pylist(),
                                      existing.column("record_hash").to_pylist(), strict=True)
    }
    owner_of_hash = {h: d for d, (h, _) in current.items()}
    table = to_table(docs)
    keep: list[int] = []
    added = changed = unchanged = 0
    for i, (doc_id, chash, rhash) in enumerate(zip(table.column("doc_id").to_pylist(),
                                                   table.column("content_hash").to_pylist(),
                                                   table.column("record_hash").to_pylist(), strict=True)):
        owner = owner_of_hash.get(chash)
        if owner is not None and owner != doc_id:
            dropped["duplicate_content"] += 1
            continue
        if doc_id not in current:
            added += 1
        elif current[doc_id][1] != rhash:
            changed += 1
        else:
            unchanged += 1
            continue
        keep.append(i)
    counts = {"added": added, "changed": changed, "removed": 0, "unchanged": unchanged,
              "documents": len(current) + added}
    return table.take(pa.array(keep, type=pa.int64())), counts


def unbuilt_warcs(raw_dir: Path, corpus_dir: str | Path) -> list[Path]:
    """Closed WARC files under `raw_dir` that no version of the corpus has taken in yet."""
    done: set[str] = set()
    store = CorpusStore(corpus_dir)
    if store.exists():
        for version in store.history():
            done.update(str(Path(i["path"]).resolve()) for i in version.metadata.get("inputs", []))
    return [p for p in sorted(raw_dir.glob("*/*.warc.gz")) if str(p.resolve()) not in done]


def build(inputs: Sequence[str | Path], corpus_dir: str | Path) -> BuildReport:
    """Clean `inputs` and commit them as one new version of the corpus at `corpus_dir`."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    files = expand_inputs(inputs)  # raises InputError before any work is done
    input_meta = [{"path": str(p), "sha256": sha256_file(p), "bytes": p.stat().st_size} for p in files]
    stats = ReadStats()
    docs = list(clean_items(iter_items(files, stats), stats))
    dropped: Counter[str] = Counter({k.split(":", 1)[1]: v for k, v in stats.counts.items()
                                     if k.startswith("dropped:")})
    docs = dedup_batch(docs, dropped)
    store = CorpusStore(corpus_dir)
    if store.exists():
        existing = store.read(columns=["doc_id", "content_hash", "record_hash"])
    else:
        existing = pa.table({"doc_id": pa.array([], pa.string()),
                             "content_hash": pa.array([], pa.string()),
                             "record_hash": pa.array([], pa.string())})
    upserts, counts = plan_upserts(docs, existing, dropped)
    read = {k: v for k, v in sorted(stats.counts.items()) if not k.startswith("dropped:")}
    problems = [str(p) for p in stats.problems]
    metadata: dict[str, Any] = {
        "cleaner_version": CLEANER_VERSION,
        "started_at": started,
        "inputs": input_meta,
        "counts": counts,
        "dropped": dict(sorted(dropped.items())),
        "read": read,
        "problems": problems[:MAX_PROBLEMS_IN_METADATA],
        "problems_total": len(problems),
    }
    version = store.commit(upserts, metadata)
    return BuildReport(version, counts, dict(dropped), read, problems)
