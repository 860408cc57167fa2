"""Reading the corpus from Python: versions, releases, documents and rejections as Arrow, pandas or
polars, by version number or release name.

    import corpus
    c = corpus.open("work/corpus")
    c.versions()[-1]["counts"]
    docs = c.documents("spring", format="pandas")

It reads through `CorpusStore`, whose scan leaves the process free to exit cleanly (a plain
`DeltaTable(...).to_pyarrow_table()` under deltalake 1.6 often aborts at interpreter exit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from corpus.store import CorpusError, CorpusStore

Format = Literal["arrow", "pandas", "polars"]
FORMATS = ("arrow", "pandas", "polars")
Ref = int | str | None


class Corpus:
    """One corpus directory (the Delta table and what lives beside it)."""

    def __init__(self, path: str | Path):
        self.store = CorpusStore(path)
        if not self.store.exists():
            raise CorpusError(f"no corpus at {self.store.path}")

    @property
    def path(self) -> Path:
        return self.store.path

    def __repr__(self) -> str:
        return f"corpus.open({str(self.path)!r})"

    def versions(self) -> list[dict[str, Any]]:
        """Every commit, oldest first: version, timestamp (UTC, ISO 8601), operation (build, rebuild,
        vacuum; another writer's commit: its Delta operation), the Delta operation, whether it is a
        vacuum commit (those change no documents), whether its data files are all still there, the
        releases naming it, its build id, counts and the whole commit metadata a build records
        (inputs, cleaner version, config hash...)."""
        names: dict[int, list[str]] = {}
        for name, release in self.store.releases().items():
            names.setdefault(int(release["version"]), []).append(name)
        readable = set(self.store.readable_versions())
        return [{"version": v.version, "timestamp": v.timestamp, "operation": v.kind, "delta_operation": v.operation,
                 "vacuum": v.is_vacuum, "readable": v.version in readable, "releases": names.get(v.version, []),
                 "build_id": v.metadata.get("build_id"), "counts": v.counts, "metadata": v.metadata}
                for v in self.store.history()]

    def releases(self) -> dict[str, dict[str, Any]]:
        """Release name -> {version, created_at}, in the order they were made."""
        return self.store.releases()

    def version(self, ref: Ref = None) -> int:
        """A version number or release name -> the version number (None: the latest)."""
        return self.store.resolve(ref)

    def documents(self, ref: Ref = None, *, columns: list[str] | None = None, format: Format = "arrow") -> Any:
        """The documents of one version (a number, a release name, or None for the latest)."""
        return _convert(self.store.read(self.version(ref), columns), format)

    def rejected(self, ref: Ref = None, *, format: Format = "arrow") -> Any:
        """Documents the builds kept out, with `reason`, `detail` and `build_id`: those of the build
        that committed version `ref`, or of every build when `ref` is None."""
        rows = self.store.rejected()
        if ref is not None:
            number = self.version(ref)
            build = next((v.metadata.get("build_id") for v in self.store.history() if v.version == number), None)
            rows = rows.filter(pc.equal(rows["build_id"], pa.scalar(build, pa.string()))) if build else rows.slice(0, 0)
        return _convert(rows, format)


def open(path: str | Path) -> Corpus:  # corpus.open(path), as tarfile.open
    """Open the corpus at `path` (the directory `dgsn-corpus build --corpus` writes)."""
    return Corpus(path)


def _convert(table: pa.Table, format: str) -> Any:
    if format == "arrow":
        return table
    if format == "pandas":
        return table.to_pandas()
    if format == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
