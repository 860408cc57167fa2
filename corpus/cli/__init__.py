"""The dgsn-corpus command line: clean raw dumps, build and inspect corpus versions, export.

Exit status: 0 success, 1 failure during the run (a build commits the files that cleaned and names
those that failed), 2 usage error (bad option, missing input, invalid sources registry, no such
corpus or version), 75 another crawl or run holds the workdir, or another build the corpus (cron
can retry later). One module per group of commands; `common` holds what they share.
"""

from __future__ import annotations

import logging
import sys

import click

from corpus.cli import build, clean, crawl, inspect
from corpus.cli.common import no_space_message


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Crawl, clean and version a news corpus on Morocco's DGSN and Interpol (ar/fr/en)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.root.handlers:  # libraries (Scrapy) set their own loggers' levels
        handler.setLevel(level)


for _command in (clean.clean, clean.explain, build.build, build.rebuild, inspect.show, inspect.versions,
                 inspect.export, inspect.report, inspect.release, inspect.diff, inspect.vacuum,
                 crawl.crawl, crawl.run, crawl.demo):
    cli.add_command(_command)


def main() -> None:
    # No os._exit at the end any more: the SIGABRT some processes died of at exit came from reading
    # the table through delta-rs's object store (`to_pyarrow_table`); CorpusStore.read no longer does.
    try:
        cli(prog_name="dgsn-corpus")
    except Exception as exc:  # a full disk is one line, like any other failure; anything else is a bug
        if (message := no_space_message(exc, sys.argv[1:])) is None:
            raise
        click.echo(f"dgsn-corpus: error: {message}", err=True)
        sys.exit(1)
