"""Commands that read a corpus: versions, show, diff, export, report, releases, vacuum."""

from __future__ import annotations

import json
from pathlib import Path

import click

from corpus.cli.common import fail, open_store, quiet_option


@click.command()
@click.argument("doc_id")
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--version", "ref", default=None, help="Version or release (default: latest).")
@click.option("--raw-bytes", type=click.IntRange(min=0), default=600, show_default=True,
              help="Bytes of the raw payload shown.")
def show(doc_id: str, corpus_dir: Path, ref: str | None, raw_bytes: int) -> None:
    """A document, its history across versions, and the raw record it came from."""
    from corpus.provenance import history, read_raw
    from corpus.store import CorpusError, version_ranges

    store = open_store(corpus_dir)
    try:
        version = store.resolve(ref)
    except CorpusError as exc:
        fail(str(exc))
    rows = store.read_rows([doc_id], version).to_pylist()
    readable = store.readable_versions()
    events = history(store, doc_id, readable)
    if not rows and not events:
        fail(f"no document {doc_id} in {corpus_dir}")
    vacuumed = sorted(set(range(store.latest_version() + 1)) - set(readable))
    read = f" (versions {version_ranges(readable)}; {version_ranges(vacuumed)} vacuumed)" if vacuumed else ""
    click.echo(f"history{read}: " + ", ".join(f"v{v} {what}" for v, what in events))
    if not rows:
        click.echo(f"not in version {version}")
        return
    row = rows[0]
    click.echo(f"version {version}")
    for key in ("doc_id", "url", "canonical_url", "source", "site_name", "section", "title", "authors",
                "published_at", "modified_at", "fetched_at", "language", "languages", "topics", "topic_score",
                "page_kind", "near_dup_cluster", "is_canonical", "credits", "cleaner_version", "warc_file",
                "warc_offset", "warc_record_id", "raw_path", "raw_format", "raw_offset"):
        if row.get(key) not in (None, [], ""):
            click.echo(f"  {key}: {row[key]}")
    click.echo(f"  removed: {len(row['removed'])} span(s): "
               + ", ".join(sorted({r['rule'] for r in row['removed']})))
    click.echo("\n" + row["text"] + "\n")
    try:
        raw = read_raw(row, max(raw_bytes, 0), corpus_dir)
    except (OSError, CorpusError) as exc:
        click.echo(f"raw record: unavailable: {exc}", err=True)
        return
    click.echo(f"raw record: {raw.path}@{raw.offset}")
    for key in ("WARC-Type", "WARC-Record-ID", "WARC-Target-URI", "WARC-Date", "WARC-Payload-Digest"):
        if key in raw.headers:
            click.echo(f"  {key}: {raw.headers[key]}")
    if raw.http_status:
        click.echo(f"  HTTP status: {raw.http_status}")
    click.echo(raw.payload[:raw_bytes].decode("utf-8", errors="replace"))


@click.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per version.")
def versions(corpus_dir: Path, as_json: bool) -> None:
    """Every version of the corpus with its time, what made it (build, rebuild, vacuum), its
    counts, and whether its data can still be read (vacuum deletes old versions' files)."""
    store = open_store(corpus_dir)
    history = store.history()
    readable = set(store.readable_versions())
    if as_json:
        for v in history:
            click.echo(json.dumps({"version": v.version, "timestamp": v.timestamp, **v.metadata,
                                   "operation": v.kind, "readable": v.version in readable}, ensure_ascii=False))
        return
    click.echo(f"{'version':>7}  {'time (UTC)':<25} {'operation':<9} {'added':>6} {'changed':>7} {'removed':>7} "
               f"{'docs':>6} {'inputs':>6}  data")
    for v in history:
        c = v.counts
        numbers = " " * 36 if v.is_vacuum else (  # a vacuum is no build: it has no counts
            f"{c.get('added', 0):>6} {c.get('changed', 0):>7} {c.get('removed', 0):>7} "
            f"{c.get('documents', 0):>6} {len(v.metadata.get('inputs', [])):>6}")
        click.echo(f"{v.version:>7}  {v.timestamp:<25} {v.kind:<9} {numbers}  "
                   f"{'readable' if v.version in readable else 'vacuumed'}")


@click.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--version", "version", type=int, default=None, help="Version (default: latest).")
@click.option("--release", "release_name", default=None, help="A release name instead of --version.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), required=True)
@click.option("--compression", type=click.Choice(["none", "gzip", "zstd"]), default=None,
              help="JSONL: none (default), gzip or zstd; Parquet: the column codec (default zstd).")
@click.option("--shard-rows", type=int, default=100_000, show_default=True, help="Documents per file.")
@click.option("--canonical-only", is_flag=True, help="One document per near-duplicate cluster.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The dataset folder to write: data/ shards, manifest.json, README.md card (replaced whole "
                   "if it holds an export).")
@quiet_option
def export(corpus_dir: Path, version: int | None, release_name: str | None, fmt: str, compression: str | None,
           shard_rows: int, canonical_only: bool, out: Path, quiet: bool) -> None:
    """Write one version's documents to OUT as a dataset folder: JSONL or Parquet shards under data/,
    a manifest and a dataset card."""
    from corpus.export import export as run_export
    from corpus.progress import Progress
    from corpus.store import CorpusError

    open_store(corpus_dir)
    try:
        with Progress("export", quiet=quiet) as progress:
            path = run_export(corpus_dir, out, fmt, version, release=release_name, compression=compression,
                              canonical_only=canonical_only, shard_rows=shard_rows, progress=progress)
    except (CorpusError, ValueError) as exc:
        fail(str(exc))
    click.echo(str(path))


@click.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write (self-contained: open it anywhere, offline).")
@click.option("--runs", "runs_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The crawl's run summaries, for crawl health per source (default: runs/ beside the corpus).")
def report(corpus_dir: Path, out: Path, runs_dir: Path | None) -> None:
    """An HTML page with plots: documents per week per outlet, languages, language and date coverage
    per outlet, topics, the largest syndication clusters, removals per rule family, changes per
    version, crawl health per source."""
    from corpus.report import write_report
    from corpus.store import CorpusError

    open_store(corpus_dir)
    try:
        click.echo(str(write_report(corpus_dir, out, runs_dir)))
    except CorpusError as exc:
        fail(str(exc))


@click.group()
def release() -> None:
    """Named versions: pinned for analysis, kept by vacuum."""


@release.command("create")
@click.argument("name")
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--version", "version", type=int, default=None, help="Version (default: latest).")
def release_create(name: str, corpus_dir: Path, version: int | None) -> None:
    """Name VERSION (default: the latest) of the corpus NAME."""
    from corpus.store import CorpusError

    try:
        v = open_store(corpus_dir).create_release(name, version)
    except CorpusError as exc:
        fail(str(exc))
    click.echo(f"release {name} = version {v}")


@release.command("list")
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
def release_list(corpus_dir: Path) -> None:
    """Every release with its version and when it was made."""
    for name, info in open_store(corpus_dir).releases().items():
        click.echo(f"{name}\t{info['version']}\t{info['created_at']}")


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--show", "show_id", default=None, help="Print the text diff of this DOC_ID.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: versions, counts and the doc_ids added, removed and changed.")
def diff(old: str, new: str, corpus_dir: Path, show_id: str | None, as_json: bool) -> None:
    """What changed from OLD to NEW (version numbers or release names)."""
    import difflib

    from corpus.store import CorpusError

    store = open_store(corpus_dir)
    try:
        a, b = store.resolve(old), store.resolve(new)
    except CorpusError as exc:
        fail(str(exc))
    if show_id is None:
        changes = store.diff(a, b)
        if as_json:
            click.echo(json.dumps({"old": a, "new": b, "counts": {k: len(v) for k, v in changes.items()},
                                   **changes}, ensure_ascii=False))
            return
        click.echo(f"version {a} -> {b}: " + ", ".join(f"{len(v)} {k}" for k, v in changes.items()))
        for kind, ids in changes.items():
            for doc_id in ids:
                click.echo(f"{kind}\t{doc_id}")
        return
    texts = []
    for v in (a, b):
        rows = store.read_rows([show_id], v).to_pylist()
        texts.append(f"{rows[0]['title'] or ''}\n\n{rows[0]['text']}".splitlines() if rows else [])
    if not texts[0] and not texts[1]:
        fail(f"{show_id} is in neither version {a} nor {b}")
    lines = list(difflib.unified_diff(texts[0], texts[1], f"{show_id}@v{a}", f"{show_id}@v{b}", lineterm=""))
    if as_json:
        click.echo(json.dumps({"old": a, "new": b, "doc_id": show_id, "in_old": bool(texts[0]),
                               "in_new": bool(texts[1]), "diff": list(lines)}, ensure_ascii=False))
        return
    if not lines:
        click.echo(f"{show_id}: the same title and text in version {a} and {b}")
    for line in lines:
        click.echo(line)


@click.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--retention-hours", type=click.IntRange(min=0), default=168, show_default=True,
              help="Keep what versions younger than this need (released versions are always kept).")
@click.option("--dry-run", is_flag=True, help="List the files that would be deleted.")
def vacuum(corpus_dir: Path, retention_hours: int, dry_run: bool) -> None:
    """Delete data files that no recent or released version needs."""
    files = open_store(corpus_dir).vacuum(retention_hours, dry_run)
    for f in files:
        click.echo(f)
    click.echo(f"{len(files)} file(s) {'would be ' if dry_run else ''}deleted", err=True)
