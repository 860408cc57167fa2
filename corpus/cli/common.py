"""What the commands share: the one-line error, the summary printout, and the options several
commands take."""

from __future__ import annotations

import errno
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from cleaners.readers import InputError

if TYPE_CHECKING:
    from corpus.scope import ScopeConfig
    from corpus.store import CorpusStore

EXIT_USAGE = 2
MAX_PROBLEMS_SHOWN = 20


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"dgsn-corpus: error: {message}", err=True)
    sys.exit(code)


_NO_SPACE = ("No space left on device", "os error 28")
# Where a command writes, in the order to name it when the error does not (delta-rs and pickle
# report a full disk without the file).
_OUTPUT_OPTIONS = ("--out", "--corpus", "--workdir")


def no_space_message(exc: BaseException, argv: list[str]) -> str | None:
    """The one line for a full disk (an OSError with ENOSPC, or delta-rs's error wrapping it),
    naming the file, else the output directory of the command; None for any other error."""
    if not (isinstance(exc, OSError) and exc.errno == errno.ENOSPC or any(m in str(exc) for m in _NO_SPACE)):
        return None
    path = getattr(exc, "filename", None)
    for option in _OUTPUT_OPTIONS:
        if path:
            break
        for i, arg in enumerate(argv):
            if arg == option and i + 1 < len(argv):
                path = argv[i + 1]
            elif arg.startswith(option + "="):
                path = arg.split("=", 1)[1]
    return f"no space left on device writing {path or 'the output'}"


def print_stats(counts: dict[str, int], problems: Iterable[str], total: int | None = None) -> None:
    for key, value in sorted(counts.items()):
        click.echo(f"  {key}: {value}", err=True)
    problems = list(problems)
    total = len(problems) if total is None else total
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"  bad: {p}", err=True)
    if total > MAX_PROBLEMS_SHOWN:
        click.echo(f"  … and {total - MAX_PROBLEMS_SHOWN} more bad records", err=True)


def cluster_options(fn):
    fn = click.option("--workers", type=click.IntRange(min=1), default=None,
                      help="Clean on a local Dask cluster of N worker processes, one file per task.")(fn)
    return click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="Clean on this Dask cluster (workers need dgsn-corpus and the inputs).")(fn)


def check_cluster(scheduler: str | None, workers: int | None) -> None:
    if scheduler and workers:
        fail("give --scheduler or --workers, not both")


source_option = click.option(
    "--source", default=None, metavar="ID",
    help="Registry id of the outlet, for documents whose dump names none (default: the registry source "
         "whose allowed domains hold the URL's host).")

quiet_option = click.option("-q", "--quiet", is_flag=True,
                            help="No progress on stderr (a bar on a terminal, else a line every 30 s).")

corpus_option = click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path),
                             help="Directory of the corpus (a Delta table).")

config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
    help="Scope configuration (YAML: languages, min_words, near_dup_threshold, topics).")

wait_option = click.option(
    "--wait", type=float, default=0.0, show_default=True,
    help="Seconds to wait for another build of the same corpus to finish (then exit 75).")


def scope_config(config_file: Path | None) -> ScopeConfig:
    from corpus.scope import ConfigError, ScopeConfig

    try:
        return ScopeConfig.load(config_file)
    except ConfigError as exc:
        fail(str(exc))


@contextmanager
def build_errors() -> Iterator[None]:
    """The ways a build or rebuild stops before committing, each as one line and its exit status."""
    from corpus.build import NothingToRebuild
    from corpus.shards import ClusterError
    from corpus.store import CorpusError
    from crawler.lock import EXIT_LOCKED, DirectoryLocked
    from crawler.sources import SourceError

    try:
        yield
    except NothingToRebuild as exc:  # the command was right; the dumps are gone: a failure
        fail(str(exc), 1)
    except (InputError, CorpusError, SourceError) as exc:
        fail(str(exc))
    except ClusterError as exc:
        fail(f"{exc}; the corpus is untouched", 1)
    except DirectoryLocked as exc:
        fail(f"{exc}; the corpus is untouched, try again later (or --wait)", EXIT_LOCKED)


def open_store(corpus_dir: Path) -> CorpusStore:
    from corpus.store import CorpusStore  # deltalake and pyarrow load only for corpus commands

    store = CorpusStore(corpus_dir)
    if not store.exists():
        fail(f"no corpus at {corpus_dir}")
    return store
