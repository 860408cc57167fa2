"""`crawl`, `run` (crawl then build) and `demo`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from corpus.cli.build import print_build, run_build
from corpus.cli.common import config_option, fail, quiet_option, scope_config


def _overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            fail(f"--set expects NAME=VALUE, got {pair!r}")
        out[name] = value
    return out


def _crawl(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
           overrides: dict[str, str], redis_url: str | None = None, quiet: bool = False) -> dict:
    from corpus.progress import Progress
    from crawler.run import crawl as run_crawl
    from crawler.sources import SourceError

    if redis_url:
        from crawler.frontier import check_redis, redis_settings

        try:
            check_redis(redis_url)
        except ConnectionError as exc:
            fail(str(exc), 1)
        overrides = {**redis_settings(redis_url), **overrides}

    if since:
        try:
            datetime.fromisoformat(since)
        except ValueError:
            fail(f"--since expects a date such as 2024-01-31, got {since!r}")
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    overrides = {"LOG_LEVEL": level, **overrides}
    try:
        with Progress("crawl", unit="responses", quiet=quiet) as progress:
            summary = run_crawl(workdir, sources_file=sources_file, source_ids=source_ids, since=since,
                                overrides=overrides, on_progress=lambda totals: progress.set(
                                    totals.pop("warc_records"), **totals))
    except (SourceError, KeyError) as exc:
        fail(str(exc).strip("'\""))
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
    quiet_option,
]


def crawl_options(fn):
    for option in reversed(_crawl_options):
        fn = option(fn)
    return fn


@click.command()
@crawl_options
def crawl(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
          settings: tuple[str, ...], redis_url: str | None, quiet: bool) -> None:
    """Discover and fetch new or changed articles; keep every response as WARC."""
    with _locked(workdir):
        _crawl(workdir, sources_file, source_ids, since, _overrides(settings), redis_url, quiet)


@click.command()
@crawl_options
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Corpus directory (default: WORKDIR/corpus).")
@config_option
def run(workdir: Path, sources_file: Path | None, source_ids: tuple[str, ...], since: str | None,
        settings: tuple[str, ...], redis_url: str | None, quiet: bool, corpus_dir: Path | None,
        config_file: Path | None) -> None:
    """Crawl, then build a corpus version from every WARC file not yet in the corpus."""
    from corpus.build import unbuilt_warcs

    corpus_dir = corpus_dir or workdir / "corpus"
    scope_config(config_file)  # a bad configuration fails before the crawl, not after
    with _locked(workdir):
        _crawl(workdir, sources_file, source_ids, since, _overrides(settings), redis_url, quiet)
        pending = unbuilt_warcs(workdir / "raw", corpus_dir)
        if not pending:
            click.echo("no new WARC files to build")
            return
        print_build(run_build([str(p) for p in pending], corpus_dir, config_file, wait=60.0, quiet=quiet),
                    corpus_dir)


@click.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-work"),
              show_default=True, help="Where the demo writes its WARC, corpus and export.")
def demo(workdir: Path) -> None:
    """Offline end-to-end run on the bundled sample pages: WARC -> corpus versions -> export."""
    from corpus.demo import run_demo

    run_demo(workdir)
