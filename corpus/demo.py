"""`make demo`: the main job end to end, offline. Writes the bundled sample pages to a WARC with
the crawler's writer, builds the corpus from it twice (the second build changes nothing), exports
the latest version and prints where everything is."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import click

from corpus.build import build
from corpus.export import export
from corpus.store import CorpusStore
from crawler.sample_outlets import write_sample_warc


def run_demo(workdir: Path) -> None:
    for sub in ("raw", "corpus", "export"):
        shutil.rmtree(workdir / sub, ignore_errors=True)
    warcs = write_sample_warc(workdir / "raw" / "demo")
    click.echo(f"wrote {len(warcs)} WARC file(s): {', '.join(str(w) for w in warcs)}")
    corpus_dir = workdir / "corpus"
    first = build([str(w) for w in warcs], corpus_dir)
    second = build([str(w) for w in warcs], corpus_dir)
    store = CorpusStore(corpus_dir)
    click.echo(f"\ncorpus: {corpus_dir.resolve()}")
    click.echo("versions:")
    for v in store.history():
        c = v.counts
        click.echo(f"  v{v.version} {v.timestamp}  added {c['added']}, changed {c['changed']}, "
                   f"removed {c['removed']}, unchanged {c['unchanged']}, documents {c['documents']}")
    click.echo("read: " + ", ".join(f"{k} {v}" for k, v in first.read.items()))
    if first.dropped:
        click.echo("dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(first.dropped.items())))
    table = store.read(columns=["language", "title", "topics", "removed"])
    langs = Counter(table.column("language").to_pylist())
    click.echo("documents per language: " + ", ".join(f"{k} {v}" for k, v in sorted(langs.items(), key=str)))
    rules = Counter(r["rule"] for removed in table.column("removed").to_pylist() for r in removed)
    click.echo("removed by rule: " + ", ".join(f"{k} {v}" for k, v in rules.most_common()))
    click.echo("titles:")
    for title, topics in zip(table.column("title").to_pylist(), table.column("topics").to_pylist(), strict=True):
        click.echo(f"  - {title}  [{', '.join(topics) or 'off-topic'}]")
    out = export(corpus_dir, workdir / "export", "jsonl")
    click.echo(f"\nexported v{second.version}: {out.resolve()}")
    if second.counts["added"] or second.counts["changed"]:
        raise click.ClickException("the second build of the same inputs changed the corpus")
