"""The dgsn-corpus command line: clean raw dumps, build and inspect corpus versions, export.

Exit status: 0 success, 1 failure during the run, 2 usage error (bad option, missing input,
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


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl",
              show_default=True, help="jsonl: one Document per line; text: title and text.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: standard output).")
def clean(inputs: tuple[str, ...], fmt: str, out: Path | None) -> None:
    """Clean raw dumps (WARC, HTML, JSONL, text files, directories, globs) into Documents."""
    try:
        files = expand_inputs(inputs)
    except InputError as exc:
        _fail(str(exc))
    stats = ReadStats()
    sink: TextIO = open(out, "w", encoding="utf-8") if out else sys.stdout
    try:
        for doc in clean_items(iter_items(files, stats), stats):
            if fmt == "jsonl":
                sink.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
            else:
                sink.write(f"### {doc.doc_id} {doc.url or doc.raw_path} [{doc.language}]\n")
                if doc.title:
                    sink.write(f"{doc.title}\n\n")
                sink.write(doc.text + "\n\n")
    finally:
        if out:
            sink.close()
    click.echo(f"cleaned {len(files)} file(s):", err=True)
    _print_stats(stats.counts, map(str, stats.problems))


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


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path),
              help="Directory of the corpus (a Delta table); created on the first build.")
def build(inputs: tuple[str, ...], corpus_dir: Path) -> None:
    """Clean INPUTS and commit them as one new version of the corpus."""
    from corpus.build import build as run_build

    try:
        report = run_build(inputs, corpus_dir)
    except InputError as exc:
        _fail(str(exc))
    c = report.counts
    click.echo(f"version {report.version} of {corpus_dir}: {c['added']} added, {c['changed']} changed, "
               f"{c['removed']} removed, {c['unchanged']} unchanged, {c['documents']} documents")
    _print_stats({**report.read, **{f"dropped:{k}": v for k, v in report.dropped.items()}},
                 report.problems)


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
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
def export(corpus_dir: Path, version: int | None, fmt: str, out: Path) -> None:
    """Write one version's documents to OUT as JSONL or Parquet."""
    from corpus.export import export as run_export
    from corpus.store import CorpusError

    _store(corpus_dir)
    try:
        path = run_export(corpus_dir, out, fmt, version)
    except CorpusError as exc:
        _fail(str(exc))
    click.echo(str(path))


def _overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _fail(f"--set expects NAME=VALUE, got {pair!r}")
        out[name] = value
    return out


def _crawl(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
           overrides: dict[str, str]) -> dict:
    from crawler.run import crawl as run_crawl
    from crawler.sources import SourceError

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
    from crawler.run import EXIT_LOCKED, WorkdirLocked, workdir_lock

    try:
        with workdir_lock(workdir):
            yield
    except WorkdirLocked as exc:
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
]


def crawl_options(fn):
    for option in reversed(_crawl_options):
        fn = option(fn)
    return fn


@cli.command()
@crawl_options
def crawl(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
          settings: tuple[str, ...]) -> None:
    """Discover and fetch new or changed articles; keep every response as WARC."""
    with _locked(workdir):
        _crawl(workdir, sources_file, source_ids, since, _overrides(settings))


@cli.command()
@crawl_options
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Corpus directory (default: WORKDIR/corpus).")
def run(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
        settings: tuple[str, ...], corpus_dir: Path | None) -> None:
    """Crawl, then build a corpus version from every WARC file not yet in the corpus."""
    from corpus.build import build as run_build
    from corpus.build import unbuilt_warcs

    corpus_dir = corpus_dir or workdir / "corpus"
    with _locked(workdir):
        _crawl(workdir, sources_file, source_ids, since, _overrides(settings))
        pending = unbuilt_warcs(workdir / "raw", corpus_dir)
        if not pending:
            click.echo("no new WARC files to build")
            return
        report = run_build([str(p) for p in pending], corpus_dir)
        c = report.counts
        click.echo(f"version {report.version} of {corpus_dir}: {c['added']} added, {c['changed']} changed, "
                   f"{c['unchanged']} unchanged, {c['documents']} documents")


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
