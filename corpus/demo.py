"""`make demo`: the main job end to end, offline. Starts the sample outlets on localhost, crawls
them (robots.txt, feeds, sitemaps, the WordPress API, listings; every response to WARC), builds a
corpus version from the new WARC files, builds again to show that nothing changes, releases and
exports the latest version, writes the HTML report and prints where everything is."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import click

from corpus.build import build, unbuilt_warcs
from corpus.export import export
from corpus.report import write_report
from corpus.store import CorpusStore
from crawler.lock import workdir_lock
from crawler.run import crawl
from crawler.sample_outlets.server import SampleOutlets

# The outlets are on this machine: no need for the delays that protect real servers.
LOCAL_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_BACKOFF_BASE": 0.2,
                  "LOG_LEVEL": "WARNING"}


def run_demo(workdir: Path, extra_articles: int = 6) -> None:
    for sub in ("raw", "corpus", "export", "report.html", "runs", "state.sqlite", "state.sqlite-wal",
                "state.sqlite-shm"):
        path = workdir / sub
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    with workdir_lock(workdir), SampleOutlets(extra_articles=extra_articles, slow_seconds=0.5) as outlets:
        registry = outlets.registry(workdir / "sample-sources.yaml")
        click.echo(f"sample outlets on localhost: {', '.join(o.base for o in outlets.outlets.values())}")
        summary = crawl(workdir, sources_file=registry, overrides=LOCAL_SETTINGS)
    click.echo(f"\ncrawl {summary['run_id']}:")
    for sid, row in summary["sources"].items():
        click.echo(f"  {sid:<24} discovered {row['discovered']:>3}  fetched {row['fetched']:>3}  "
                   f"off-topic {row['off_topic']:>3}  errors {row['errors']:>2}")
    click.echo(f"  WARC: {len(summary['warc_files'])} file(s) under {workdir / 'raw' / summary['run_id']}")
    corpus_dir = workdir / "corpus"
    warcs = [str(p) for p in unbuilt_warcs(workdir / "raw", corpus_dir)]
    first = build(warcs, corpus_dir)
    second = build(warcs, corpus_dir)
    if second.counts["added"] or second.counts["changed"]:
        raise click.ClickException("the second build of the same inputs changed the corpus")
    store = CorpusStore(corpus_dir)
    click.echo(f"\ncorpus: {corpus_dir.resolve()}")
    click.echo("versions:")
    for v in store.history():
        if v.is_vacuum:
            continue
        c = v.counts
        click.echo(f"  v{v.version} {v.timestamp}  added {c['added']}, changed {c['changed']}, "
                   f"removed {c['removed']}, unchanged {c['unchanged']}, documents {c['documents']}")
    click.echo("read: " + ", ".join(f"{k} {v}" for k, v in first.read.items()))
    if first.dropped:
        click.echo("dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(first.dropped.items())))
    if first.rejected:
        click.echo("rejected (in the _rejected table): " + ", ".join(f"{k} {v}" for k, v in first.rejected.items()))
    table = store.read(columns=["language", "topics", "removed"])
    langs = Counter(table.column("language").to_pylist())
    click.echo("documents per language: " + ", ".join(f"{k} {v}" for k, v in sorted(langs.items(), key=str)))
    topics = Counter(t for row in table.column("topics").to_pylist() for t in (row or ["none"]))
    click.echo("documents per topic: " + ", ".join(f"{k} {v}" for k, v in sorted(topics.items())))
    rules = Counter(r["rule"] for removed in table.column("removed").to_pylist() for r in removed)
    click.echo("removed by rule: " + ", ".join(f"{k} {v}" for k, v in rules.most_common()))
    store.create_release("demo", second.version)
    out = export(corpus_dir, workdir / "export", "jsonl", release="demo")
    click.echo(f"\nrelease demo = v{second.version}; exported with its manifest: {out.resolve()}")
    click.echo(f"report: {write_report(corpus_dir, workdir / 'report.html').resolve()}")
