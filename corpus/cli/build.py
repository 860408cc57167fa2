"""`build` and `rebuild`: one new corpus version from raw dumps."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from corpus.cli.common import (
    build_errors,
    check_cluster,
    cluster_options,
    config_option,
    open_store,
    print_stats,
    quiet_option,
    scope_config,
    source_option,
    wait_option,
)


def run_build(inputs: list[str], corpus_dir: Path, config_file: Path | None, wait: float,
              scheduler: str | None = None, workers: int | None = None, source: str | None = None,
              quiet: bool = False, prefilter: bool = True):  # -> BuildReport
    from corpus.build import build
    from corpus.progress import Progress

    check_cluster(scheduler, workers)
    with build_errors(), Progress("build", quiet=quiet) as progress:
        return build(inputs, corpus_dir, scope_config(config_file), wait=wait, scheduler=scheduler,
                     workers=workers, source=source, progress=progress, prefilter=prefilter)


def print_build(report, corpus_dir: Path) -> None:  # report: BuildReport
    c = report.counts
    click.echo(f"version {report.version} of {corpus_dir}: {c['added']} added, {c['changed']} changed, "
               f"{c['removed']} removed, {c['unchanged']} unchanged, {c.get('reclustered', 0)} reclustered, "
               f"{c['documents']} documents")
    if report.seconds:
        click.echo(f"  took: cleaning {report.seconds['cleaning']:.1f} s, "
                   f"after cleaning {report.seconds['after_cleaning']:.1f} s", err=True)
    print_stats({**report.read, **{f"dropped:{k}": v for k, v in report.dropped.items()},
                  **{f"rejected:{k}": v for k, v in report.rejected.items()}}, report.problems)
    if report.failed_shards:
        click.echo(f"dgsn-corpus: {len(report.failed_shards)} file(s) failed and are not in version "
                   f"{report.version}; a later build retries them: " + ", ".join(report.failed_shards), err=True)
        sys.exit(1)


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path),
              help="Directory of the corpus (a Delta table); created on the first build.")
@config_option
@source_option
@wait_option
@cluster_options
@quiet_option
@click.option("--prefilter/--no-prefilter", default=True, show_default=True,
              help="Skip, without cleaning them, records that cannot match any topic term "
                   "(counted as skipped:prefilter_out_of_scope). Recorded: a rebuild repeats it.")
def build(inputs: tuple[str, ...], corpus_dir: Path, config_file: Path | None, source: str | None, wait: float,
          scheduler: str | None, workers: int | None, quiet: bool, prefilter: bool) -> None:
    """Clean INPUTS and commit them as one new version of the corpus."""
    print_build(run_build(list(inputs), corpus_dir, config_file, wait, scheduler, workers, source, quiet,
                          prefilter), corpus_dir)


@click.command()
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(path_type=Path))
@config_option
@wait_option
@cluster_options
@quiet_option
@click.option("--prefilter/--no-prefilter", default=None,
              help="With or without the scope prefilter (see build); default: as each dump was last read.")
def rebuild(corpus_dir: Path, config_file: Path | None, wait: float, scheduler: str | None,
            workers: int | None, quiet: bool, prefilter: bool | None) -> None:
    """Re-clean every raw dump the corpus was built from with the current cleaners; commit what
    changes. Missing or altered dumps are reported and skipped (their documents stay)."""
    from corpus.build import rebuild as run_rebuild
    from corpus.progress import Progress

    open_store(corpus_dir)
    check_cluster(scheduler, workers)
    with build_errors(), Progress("rebuild", quiet=quiet) as progress:
        report = run_rebuild(corpus_dir, scope_config(config_file), wait=wait, scheduler=scheduler, workers=workers,
                             progress=progress, prefilter=prefilter)
    print_build(report, corpus_dir)
