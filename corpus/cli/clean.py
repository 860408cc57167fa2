"""`clean` and `explain`: raw dumps to Documents, without a corpus."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from cleaners.pipeline import clean_items
from cleaners.readers import InputError, ReadStats, expand_inputs, iter_items
from corpus.cli.common import check_cluster, cluster_options, fail, print_stats


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl",
              show_default=True, help="jsonl: one Document per line; text: title and text.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: standard output).")
@cluster_options
def clean(inputs: tuple[str, ...], fmt: str, out: Path | None, scheduler: str | None, workers: int | None) -> None:
    """Clean raw dumps (WARC, HTML, JSONL, text files, directories, globs, fsspec URLs) into Documents."""
    check_cluster(scheduler, workers)
    try:
        files = expand_inputs(inputs)
    except InputError as exc:
        fail(str(exc))
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
        fail(str(exc), 1)
    finally:
        if out:
            sink.close()
    click.echo(f"cleaned {len(files)} file(s):", err=True)
    print_stats(stats.counts, map(str, stats.problems))
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


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--width", type=int, default=110, show_default=True, help="Characters per line shown.")
def explain(inputs: tuple[str, ...], width: int) -> None:
    """Show what the cleaners removed from INPUTS, line by line, with the rule id of each removal."""
    from cleaners.explain import explain_item, render

    try:
        files = expand_inputs(inputs)
    except InputError as exc:
        fail(str(exc))
    stats = ReadStats()
    for item in iter_items(files, stats):
        doc, seen = explain_item(item)
        for line in render(doc, seen, width):
            click.echo(line)
        click.echo("")
