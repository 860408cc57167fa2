"""`clean` and `explain`: raw dumps to Documents, without a corpus."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TextIO

import click

from cleaners.readers import InputError, ReadStats, expand_inputs, input_size, iter_items
from corpus.cli.common import check_cluster, cluster_options, fail, print_stats, quiet_option, source_option


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl",
              show_default=True, help="jsonl: one Document per line; text: title and text.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: standard output).")
@source_option
@cluster_options
@quiet_option
def clean(inputs: tuple[str, ...], fmt: str, out: Path | None, source: str | None, scheduler: str | None,
          workers: int | None, quiet: bool) -> None:
    """Clean raw dumps (WARC, HTML, JSONL, text files, directories, globs, fsspec URLs; - for
    standard input) into Documents."""
    check_cluster(scheduler, workers)
    if inputs.count("-") > 1:
        fail("standard input (-) can be read once")
    from corpus.outlets import SourceAssigner
    from corpus.progress import Progress
    from corpus.shards import ClusterError
    from crawler.sources import SourceError

    with ExitStack() as stack:
        if "-" in inputs:
            if scheduler or workers:
                fail("standard input (-) is read in this process: drop --workers/--scheduler")
            stdin_file = stack.enter_context(_spooled_stdin())
            inputs = tuple(str(stdin_file) if i == "-" else i for i in inputs)
        else:
            stdin_file = None
        skipped: list = []
        try:
            files = expand_inputs(inputs, skipped)
            sources = SourceAssigner(source)
        except (InputError, SourceError) as exc:
            fail(str(exc))
        stats = ReadStats()
        stats.counts["skipped:open_warc"] += len(skipped)
        sizes = [input_size(f) for f in files]
        progress = stack.enter_context(Progress("clean", total_bytes=sum(sizes), total_files=len(files), quiet=quiet))
        sink: TextIO = stack.enter_context(open(out, "w", encoding="utf-8")) if out else sys.stdout
        try:
            if scheduler or workers:
                docs = _clean_on_cluster(files, stats, scheduler, workers, out, progress)
            else:
                from cleaners.pipeline import clean_items  # trafilatura loads only when a command cleans

                docs = clean_items(iter_items(_tracked(files, sizes, progress), stats), stats)
            _write_docs(sources.all(docs), sink, fmt, progress, stdin_file)
        except ClusterError as exc:
            fail(str(exc), 1)
    click.echo(f"cleaned {len(files)} file(s):", err=True)
    print_stats(+stats.counts, map(str, stats.problems))
    if stats.counts["shards_failed"]:
        sys.exit(1)


STDIN_NAME = "-"  # raw_path of documents read from standard input


@contextmanager
def _spooled_stdin() -> Iterator[Path]:
    """Standard input copied to a temporary file in chunks (memory stays bounded), so that it is
    read like any other dump: its format sniffed, WARC records found by offset."""
    with tempfile.TemporaryDirectory(prefix="dgsn-stdin-") as tmp:
        path = Path(tmp) / "stdin"
        with open(path, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
        yield path


def _tracked(files: list, sizes: list[int], progress) -> Iterator:
    """The files, each counted done by `progress` when the reader asks for the next one."""
    for path, size in zip(files, sizes, strict=True):
        yield path
        progress.file_done(size)


def _write_docs(docs: Iterator, sink: TextIO, fmt: str, progress, stdin_file: Path | None) -> None:
    for doc in docs:
        progress.item(position=doc.raw_offset)
        if stdin_file is not None and doc.raw_path == str(stdin_file):
            doc.raw_path = STDIN_NAME
            if doc.warc_file == str(stdin_file):
                doc.warc_file = STDIN_NAME
        if fmt == "jsonl":
            sink.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
        else:
            sink.write(f"### {doc.doc_id} {doc.url or doc.raw_path} [{doc.language}]\n")
            if doc.title:
                sink.write(f"{doc.title}\n\n")
            sink.write(doc.text + "\n\n")


def _clean_on_cluster(files: list, stats: ReadStats, scheduler: str | None, workers: int | None,
                      out: Path | None, progress) -> Iterator:  # -> Iterator[Document]
    """Documents of every file, cleaned on a Dask cluster, in input order. Each worker writes the
    documents of its file to disk as they come (beside --out in OUT.shards/, else in a temporary
    directory), and this process reads them back one at a time: no process holds a whole file's
    documents. With --out, finished files stay there until the output is complete: a rerun skips
    them. The workers must share that directory's filesystem."""
    from corpus.shards import ShardCache, ShardFailure, dask_client, in_input_order, read_documents, run_shards

    with ExitStack() as stack:
        scratch = out.with_name(out.name + ".shards") if out else Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="dgsn-clean-")))
        cache = ShardCache(scratch)
        client = stack.enter_context(dask_client(scheduler, workers))
        for result in in_input_order(files, run_shards(files, None, client=client, cache=cache, to_files=True)):
            if isinstance(result, ShardFailure):
                stats.counts["shards_failed"] += 1
                stats.bad(result.path, None, f"cleaning failed: {result.error}")
                continue
            stats.counts.update(result.counts)
            stats.counts["shards_reused" if result.reused else "shards_cleaned"] += 1
            stats.problems.extend(result.problems)
            progress.file_done(result.bytes)
            yield from read_documents(result.documents_file)
        if out and not stats.counts["shards_failed"]:
            cache.clear()


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--width", type=int, default=110, show_default=True, help="Characters per line shown.")
def explain(inputs: tuple[str, ...], width: int) -> None:
    """Show what the cleaners removed from INPUTS, line by line, with the rule id of each removal."""
    from cleaners.explain import explain_item, render
    from corpus.outlets import SourceAssigner

    try:
        files = expand_inputs(inputs)
    except InputError as exc:
        fail(str(exc))
    stats = ReadStats()
    sources = SourceAssigner()
    for item in iter_items(files, stats):
        doc, seen = explain_item(item)
        sources.assign(doc)
        for line in render(doc, seen, width):
            click.echo(line)
        click.echo("")
