"""The dgsn-corpus command line: clean raw dumps, build and inspect corpus versions, export.

Exit status: 0 success, 1 failure during the run (a build commits the files that cleaned and names
those that failed), 2 usage error (bad option, missing input,
invalid sources registry), 75 another crawl or run holds the workdir (cron can retry later).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from cleaners.pipeline import clean_items
from cleaners.readers import InputError, ReadStats, expand_inputs, iter_items

if TYPE_CHECKING:
    from corpus.store import CorpusStore

EXIT_USAGE = 2
MAX_PROBLEMS_SHOWN = 20


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"dgsn-corpus: error: {message}", err=True)
    sys.exit(code)


def _print_stats(counts: dict[str, int], problems: Iterable[str], total: int | None = None) -> None:
    for key, value in sorted(counts.items()):
        click.echo(f"  {key}: {value}", err=True)
    problems = list(problems)
    total = len(problems) if total is None else total
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"  bad: {p}", err=True)
    if total > MAX_PROBLEMS_SHOWN:
        click.echo(f"  … and {total - MAX_PROBLEMS_SHOWN} more bad records", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Crawl, clean and version a news corpus on Morocco's DGSN and Interpol (ar/fr/en)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.root.handlers:  # libraries (Scrapy) set their own loggers' levels
        handler.setLevel(level)


def _cluster_options(fn):
    fn = click.option("--workers", type=click.IntRange(min=1), default=None,
                      help="Clean on a local Dask cluster of N worker processes, one file per task.")(fn)
    return click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="Clean on this Dask cluster (workers need dgsn-corpus and the inputs).")(fn)


def _check_cluster(scheduler: str | None, workers: int | None) -> None:
    if scheduler and workers:
        _fail("give --scheduler or --workers, not both")


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl",
              show_default=True, help="jsonl: one Document per line; text: title and text.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: standard output).")
@_cluster_options
def clean(inputs: tuple[str, ...], fmt: str, out: Path | None, scheduler: str | None, workers: int | None) -> None:
    """Clean raw dumps (WARC, HTML, JSONL, text files, directories, globs, fsspec URLs) into Documents."""
    _check_cluster(scheduler, workers)
    try:
        files = expand_inputs(inputs)
    except InputError as exc:
        _fail(str(exc))
    from corpus.shards import ClusterError

    stats = ReadStats()
    sink: TextIO = open(out, "w", encoding="utf-8") if out else sys.stdout
    try:
        if scheduler or workers:
            docs = _clean_on_cluster(files, stats, scheduler, workers, out)
        else:
            docs = clean_items(iter_items(files, stats), stats)
        for doc in docs:
            if fmt == "jsonl":
                sink.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
            else:
                sink.write(f"### {doc.doc_id} {doc.url or doc.raw_path} [{doc.language}]\n")
                if doc.title:
                    sink.write(f"{doc.title}\n\n")
                sink.write(doc.text + "\n\n")
    except ClusterError as exc:
        _fail(str(exc), 1)
    finally:
        if out:
            sink.close()
    click.echo(f"cleaned {len(files)} file(s):", err=True)
    _print_stats(stats.counts, map(str, stats.problems))
    if stats.counts["shards_failed"]:
        sys.exit(1)


def _clean_on_cluster(files: list, stats: ReadStats, scheduler: str | None, workers: int | None,
                      out: Path | None) -> Iterator:  # -> Iterator[Document]
    """Documents of every file, cleaned on a Dask cluster, in input order. With --out, finished
    files are kept beside it (OUT.shards/) until the output is complete: a rerun skips them."""
    from corpus.shards import ShardCache, ShardFailure, dask_client, in_input_order, run_shards

    cache = ShardCache(out.with_name(out.name + ".shards")) if out else None
    with dask_client(scheduler, workers) as client:
        for result in in_input_order(files, run_shards(files, None, client=client, cache=cache)):
            if isinstance(result, ShardFailure):
                stats.counts["shards_failed"] += 1
                stats.bad(result.path, None, f"cleaning failed: {result.error}")
                continue
            stats.counts.update(result.counts)
            stats.counts["shards_reused" if result.reused else "shards_cleaned"] += 1
            stats.problems.extend(result.problems)
            yield from result.documents
    if cache is not None and not stats.counts["shards_failed"]:
        cache.clear()


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--width", type=int, default=110, show_default=True, help="Characters per line shown.")
def explain(inputs: tuple[str, ...], width: int) -> None:
    """Show what the cleaners removed from INPUTS, line by line, with the rule id of each removal."""
    from cleaners.explain import explain_item, render

    try:
        files = expand_inputs(inputs)
    except InputError as exc:
        _fail(str(exc))
    stats = ReadStats()
    for item in iter_items(files, stats):
        doc, seen = explain_item(item)
        for line in render(doc, seen, width):
            click.echo(line)
        click.echo("")


_config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
    help="Scope configuration (YAML: languages, min_words, near_dup_threshold, topics).")


_wait_option = click.option(
    "--wait", type=float, default=0.0, show_default=True,
    help="Seconds to wait for another build of the same corpus to finish (then exit 75).")


def _scope_config(config_file: Path | None):  # -> ScopeConfig
    from corpus.scope import ConfigError, ScopeConfig

    try:
        return ScopeConfig.load(config_file)
    except ConfigError as exc:
        _fail(str(exc))


@contextmanager
def _build_errors() -> Iterator[None]:
    """The ways a build or rebuild stops before committing, each as one line and its exit status."""
    from corpus.shards import ClusterError
    from corpus.store import CorpusError
    from crawler.lock import EXIT_LOCKED, DirectoryLocked

    try:
        yield
    except (InputError, CorpusError) as exc:
        _fail(str(exc))
    except ClusterError as exc:
        _fail(f"{exc}; the corpus is untouched", 1)
    except DirectoryLocked as exc:
        _fail(f"{exc}; the corpus is untouched, try again later (or --wait)", EXIT_LOCKED)


def _run_build(inputs: list[str], corpus_dir: Path, config_file: Path | None, wait: float,
               scheduler: str | None = None, workers: int | None = None):  # -> BuildReport
    from corpus.build import build as run_build

    _check_cluster(scheduler, workers)
    with _build_errors():
        return run_build(inputs, corpus_dir, _scope_config(config_file), wait=wait, scheduler=scheduler,
                         workers=workers)


def _print_build(report, corpus_dir: Path) -> None:  # report: BuildReport
    c = report.counts
    click.echo(f"version {report.version} of {corpus_dir}: {c['added']} added, {c['changed']} changed, "
               f"{c['removed']} removed, {c['unchanged']} unchanged, {c.get('reclustered', 0)} reclustered, "
               f"{c['documents']} documents")
    _print_stats({**report.read, **{f"dropped:{k}": v for k, v in report.dropped.items()},
                  **{f"rejected:{k}": v for k, v in report.rejected.items()}}, report.problems)
    if report.failed_shards:
        click.echo(f"dgsn-corpus: {len(report.failed_shards)} file(s) failed and are not in version "
                   f"{report.version}; a later build retries them: " + ", ".join(report.failed_shards), err=True)
        sys.exit(1)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path),
              help="Directory of the corpus (a Delta table); created on the first build.")
@_config_option
@_wait_option
@_cluster_options
def build(inputs: tuple[str, ...], corpus_dir: Path, config_file: Path | None, wait: float,
          scheduler: str | None, workers: int | None) -> None:
    """Clean INPUTS and commit them as one new version of the corpus."""
    _print_build(_run_build(list(inputs), corpus_dir, config_file, wait, scheduler, workers), corpus_dir)


@cli.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@_config_option
@_wait_option
@_cluster_options
def rebuild(corpus_dir: Path, config_file: Path | None, wait: float, scheduler: str | None,
            workers: int | None) -> None:
    """Re-clean every raw dump the corpus was built from with the current cleaners; commit what
    changes. Missing or altered dumps are reported and skipped (their documents stay)."""
    from corpus.build import rebuild as run_rebuild

    _store(corpus_dir)
    _check_cluster(scheduler, workers)
    with _build_errors():
        report = run_rebuild(corpus_dir, _scope_config(config_file), wait=wait, scheduler=scheduler, workers=workers)
    _print_build(report, corpus_dir)


@cli.command()
@click.argument("doc_id")
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--version", "ref", default=None, help="Version or release (default: latest).")
@click.option("--raw-bytes", type=int, default=600, show_default=True, help="Bytes of the raw payload shown.")
def show(doc_id: str, corpus_dir: Path, ref: str | None, raw_bytes: int) -> None:
    """A document, its history across versions, and the raw record it came from."""
    from corpus.provenance import history, read_raw
    from corpus.store import CorpusError

    store = _store(corpus_dir)
    try:
        version = store.resolve(ref)
    except CorpusError as exc:
        _fail(str(exc))
    rows = store.read_rows([doc_id], version).to_pylist()
    events = history(store, doc_id)
    if not rows and not events:
        _fail(f"no document {doc_id} in {corpus_dir}")
    click.echo("history: " + ", ".join(f"v{v} {what}" for v, what in events))
    if not rows:
        click.echo(f"not in version {version}")
        return
    row = rows[0]
    click.echo(f"version {version}")
    for key in ("doc_id", "url", "canonical_url", "source", "site_name", "section", "title", "authors",
                "published_at", "modified_at", "fetched_at", "language", "languages", "topics", "topic_score",
                "near_dup_cluster", "is_canonical", "credits", "cleaner_version", "warc_file", "warc_offset",
                "warc_record_id", "raw_path", "raw_format", "raw_offset"):
        if row.get(key) not in (None, [], ""):
            click.echo(f"  {key}: {row[key]}")
    click.echo(f"  removed: {len(row['removed'])} span(s): "
               + ", ".join(sorted({r['rule'] for r in row['removed']})))
    click.echo("\n" + row["text"] + "\n")
    try:
        raw = read_raw(row, max(raw_bytes, 0))
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


def _store(corpus_dir: Path) -> CorpusStore:
    from corpus.store import CorpusStore  # deltalake and pyarrow load only for corpus commands

    store = CorpusStore(corpus_dir)
    if not store.exists():
        _fail(f"no corpus at {corpus_dir}")
    return store


@cli.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per version.")
def versions(corpus_dir: Path, as_json: bool) -> None:
    """Every version of the corpus with its time and counts."""
    history = _store(corpus_dir).history()
    if as_json:
        for v in history:
            click.echo(json.dumps({"version": v.version, "timestamp": v.timestamp,
                                   "operation": v.operation, **v.metadata}, ensure_ascii=False))
        return
    click.echo(f"{'version':>7}  {'time (UTC)':<25} {'added':>6} {'changed':>7} {'removed':>7} "
               f"{'docs':>6}  inputs")
    for v in history:
        c = v.counts
        click.echo(f"{v.version:>7}  {v.timestamp:<25} {c.get('added', 0):>6} {c.get('changed', 0):>7} "
                   f"{c.get('removed', 0):>7} {c.get('documents', 0):>6}  {len(v.metadata.get('inputs', []))}")


@cli.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--version", "version", type=int, default=None, help="Version (default: latest).")
@click.option("--release", "release_name", default=None, help="A release name instead of --version.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), required=True)
@click.option("--compression", type=click.Choice(["none", "gzip", "zstd"]), default=None,
              help="JSONL: none (default), gzip or zstd; Parquet: the column codec (default zstd).")
@click.option("--shard-rows", type=int, default=100_000, show_default=True, help="Documents per file.")
@click.option("--canonical-only", is_flag=True, help="One document per near-duplicate cluster.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the files and manifest.json (replaced whole if it holds an export).")
def export(corpus_dir: Path, version: int | None, release_name: str | None, fmt: str, compression: str | None,
           shard_rows: int, canonical_only: bool, out: Path) -> None:
    """Write one version's documents to OUT as JSONL or Parquet shards with a manifest."""
    from corpus.export import export as run_export
    from corpus.store import CorpusError

    _store(corpus_dir)
    try:
        path = run_export(corpus_dir, out, fmt, version, release=release_name, compression=compression,
                          canonical_only=canonical_only, shard_rows=shard_rows)
    except (CorpusError, ValueError) as exc:
        _fail(str(exc))
    click.echo(str(path))


@cli.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write (self-contained: open it anywhere, offline).")
def report(corpus_dir: Path, out: Path) -> None:
    """An HTML page with plots: documents per week per outlet, languages, topics, the largest
    syndication clusters, removals per rule family, changes per version."""
    from corpus.report import write_report
    from corpus.store import CorpusError

    _store(corpus_dir)
    try:
        click.echo(str(write_report(corpus_dir, out)))
    except CorpusError as exc:
        _fail(str(exc))


@cli.group()
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
        v = _store(corpus_dir).create_release(name, version)
    except CorpusError as exc:
        _fail(str(exc))
    click.echo(f"release {name} = version {v}")


@release.command("list")
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
def release_list(corpus_dir: Path) -> None:
    """Every release with its version and when it was made."""
    for name, info in _store(corpus_dir).releases().items():
        click.echo(f"{name}\t{info['version']}\t{info['created_at']}")


@cli.command()
@click.argument("old")
@click.argument("new")
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--show", "show_id", default=None, help="Print the text diff of this DOC_ID.")
def diff(old: str, new: str, corpus_dir: Path, show_id: str | None) -> None:
    """What changed from OLD to NEW (version numbers or release names)."""
    import difflib

    from corpus.store import CorpusError

    store = _store(corpus_dir)
    try:
        a, b = store.resolve(old), store.resolve(new)
    except CorpusError as exc:
        _fail(str(exc))
    if show_id is None:
        changes = store.diff(a, b)
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
        _fail(f"{show_id} is in neither version {a} nor {b}")
    for line in difflib.unified_diff(texts[0], texts[1], f"{show_id}@v{a}", f"{show_id}@v{b}", lineterm=""):
        click.echo(line)


@cli.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@click.option("--retention-hours", type=int, default=168, show_default=True,
              help="Keep what versions younger than this need (released versions are always kept).")
@click.option("--dry-run", is_flag=True, help="List the files that would be deleted.")
def vacuum(corpus_dir: Path, retention_hours: int, dry_run: bool) -> None:
    """Delete data files that no recent or released version needs."""
    files = _store(corpus_dir).vacuum(retention_hours, dry_run)
    for f in files:
        click.echo(f)
    click.echo(f"{len(files)} file(s) {'would be ' if dry_run else ''}deleted", err=True)


def _overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _fail(f"--set expects NAME=VALUE, got {pair!r}")
        out[name] = value
    return out


def _crawl(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
           overrides: dict[str, str], redis_url: str | None = None) -> dict:
    from crawler.run import crawl as run_crawl
    from crawler.sources import SourceError

    if redis_url:
        from crawler.frontier import check_redis, redis_settings

        try:
            check_redis(redis_url)
        except ConnectionError as exc:
            _fail(str(exc), 1)
        overrides = {**redis_settings(redis_url), **overrides}

    if since:
        try:
            datetime.fromisoformat(since)
        except ValueError:
            _fail(f"--since expects a date such as 2024-01-31, got {since!r}")
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    overrides = {"LOG_LEVEL": level, **overrides}
    try:
        summary = run_crawl(workdir, sources_file=sources_file, source_ids=source_ids, since=since,
                            overrides=overrides)
    except (SourceError, KeyError) as exc:
        _fail(str(exc).strip("'\""))
    for sid, row in summary["sources"].items():
        click.echo(f"{sid:<28} discovered {row['discovered']:>4}  fetched {row['fetched']:>4}  "
                   f"unchanged {row['unchanged']:>4}  off-topic {row['off_topic']:>4}  errors {row['errors']:>3}")
    t = summary["totals"]
    click.echo(f"run {summary['run_id']}: discovered {t['discovered']}, fetched {t['fetched']}, unchanged "
               f"{t['unchanged']}, off-topic {t['off_topic']}, errors {t['errors']}; "
               f"{len(summary['warc_files'])} WARC file(s); summary in {workdir / 'runs'}")
    return summary


@contextmanager
def _locked(workdir: Path) -> Iterator[None]:
    from crawler.lock import EXIT_LOCKED, DirectoryLocked, workdir_lock

    try:
        with workdir_lock(workdir):
            yield
    except DirectoryLocked as exc:
        click.echo(f"dgsn-corpus: {exc}; exiting", err=True)
        sys.exit(EXIT_LOCKED)


_crawl_options = [
    click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("dgsn-work"),
                 show_default=True, help="WARC files (raw/<run-id>/), state.sqlite, runs/, corpus/."),
    click.option("--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Sources registry (default: crawler/sources.yaml)."),
    click.option("--source", "source_ids", multiple=True, help="Crawl only this source id (repeatable)."),
    click.option("--since", default=None, help="Backfill: discover articles from this date (YYYY-MM-DD)."),
    click.option("--set", "settings", multiple=True, help="Scrapy setting NAME=VALUE (repeatable)."),
    click.option("--redis", "redis_url", default=None, metavar="redis://HOST:PORT/DB",
                 help="Share one crawl frontier (queue, seen URLs, fetch records) with the other crawler "
                      "processes on this Redis server; each process keeps its own --workdir."),
]


def crawl_options(fn):
    for option in reversed(_crawl_options):
        fn = option(fn)
    return fn


@cli.command()
@crawl_options
def crawl(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
          settings: tuple[str, ...], redis_url: str | None) -> None:
    """Discover and fetch new or changed articles; keep every response as WARC."""
    with _locked(workdir):
        _crawl(workdir, sources_file, source_ids, since, _overrides(settings), redis_url)


@cli.command()
@crawl_options
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Corpus directory (default: WORKDIR/corpus).")
@_config_option
def run(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
        settings: tuple[str, ...], redis_url: str | None, corpus_dir: Path | None, config_file: Path | None) -> None:
    """Crawl, then build a corpus version from every WARC file not yet in the corpus."""
    from corpus.build import unbuilt_warcs

    corpus_dir = corpus_dir or workdir / "corpus"
    _scope_config(config_file)  # a bad configuration fails before the crawl, not after
    with _locked(workdir):
        _crawl(workdir, sources_file, source_ids, since, _overrides(settings), redis_url)
        pending = unbuilt_warcs(workdir / "raw", corpus_dir)
        if not pending:
            click.echo("no new WARC files to build")
            return
        _print_build(_run_build([str(p) for p in pending], corpus_dir, config_file, wait=60.0), corpus_dir)


@cli.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-work"),
              show_default=True, help="Where the demo writes its WARC, corpus and export.")
def demo(workdir: Path) -> None:
    """Offline end-to-end run on the bundled sample pages: WARC -> corpus versions -> export."""
    from corpus.demo import run_demo

    run_demo(workdir)


def main() -> None:
    try:
        cli(prog_name="dgsn-corpus")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if "deltalake" not in sys.modules:
        sys.exit(code)
    # delta-rs and Arrow leave native threads behind; tearing them down at interpreter exit
    # sometimes aborts the process ("terminate called without an active exception", SIGABRT)
    # after all work is done. Everything is written and flushed here, so leave without it.
    if isinstance(code, str):
        click.echo(code, err=True)
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    main()
