"""Cleaning on a real Dask cluster (distributed.LocalCluster, 2 worker processes): the same corpus as
the single-process path, a worker killed mid-run, a build killed mid-run resumed from its finished
shards, and a shard that keeps failing reported by name."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from distributed import Client, LocalCluster

from corpus.build import SHARD_CACHE, _build, build
from corpus.scope import ScopeConfig
from corpus.shards import ShardCache, ShardFailure, ShardResult, clean_shard, in_input_order, read_documents, run_shards
from corpus.store import CorpusStore
from tests.conftest import REPO
from tests.helpers import article_html, write_warc

CITIES = ["Tangier", "Fes", "Agadir", "Oujda", "Nador", "Rabat", "Meknes", "Tetouan", "Safi", "Kenitra"]
WEATHER = ("<html><head><title>Weather</title></head><body><article><h1>Rain expected this weekend</h1>"
           "<p>Forecasters expect heavy rain across the northern regions on Saturday, with cooler "
           "temperatures and strong winds along the coast until Monday morning, the weather service "
           "said in its bulletin, advising farmers to protect young crops and drivers to slow down.</p>"
           "</article></body></html>")


def _dumps(directory: Path, files: int, per_file: int) -> list[Path]:
    """`files` WARC files of `per_file` articles each, plus an out-of-scope page, a PNG and a 404."""
    paths = []
    for f in range(files):
        pages = [(f"https://news.example.ma/{f}/article-{i}/", article_html(f * 1000 + i, city=CITIES[i % 10]))
                 for i in range(per_file)]
        pages.append((f"https://news.example.ma/{f}/weather/", WEATHER))
        [path] = write_warc(directory / f"f{f:02d}", pages)
        paths.append(path)
    return paths


def _rows(corpus: Path) -> list[dict]:
    table = CorpusStore(corpus).read()
    return sorted(table.drop_columns(["record_hash"]).to_pylist(), key=lambda r: r["doc_id"])


def _rejected(corpus: Path) -> list[tuple]:
    rows = CorpusStore(corpus).rejected().to_pylist()
    return sorted((r["doc_id"], r["reason"], r["text"]) for r in rows)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        yield c


def test_cluster_build_is_the_single_process_build(tmp_path: Path, cluster: LocalCluster) -> None:
    dumps = _dumps(tmp_path / "raw", files=4, per_file=6)
    single = build(dumps, tmp_path / "single")
    spread = build(dumps, tmp_path / "spread", scheduler=cluster.scheduler_address)

    assert spread.counts == single.counts and spread.counts["added"] == 24
    assert spread.rejected == single.rejected == {"prefilter_out_of_scope": 4}  # on the workers too
    assert spread.read["shards_cleaned"] == 4 and spread.read == single.read
    assert _rows(tmp_path / "spread") == _rows(tmp_path / "single")
    rejected = _rejected(tmp_path / "spread")
    assert rejected == _rejected(tmp_path / "single")
    assert all(len(text) <= 500 for _, _, text in rejected)  # only a preview of what scope rejected travels
    assert not (tmp_path / "spread" / SHARD_CACHE).exists()  # finished shards are dropped once committed


def test_clean_command_on_a_local_cluster_writes_what_one_process_writes(tmp_path: Path) -> None:
    _dumps(tmp_path / "raw", files=3, per_file=3)

    def clean(*extra: str) -> subprocess.CompletedProcess[str]:
        out = tmp_path / f"out{len(extra)}.jsonl"
        proc = subprocess.run([sys.executable, "-m", "corpus.cli", "clean", str(tmp_path / "raw"), "--out", str(out),
                               *extra], cwd=REPO, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc

    alone, spread = clean(), clean("--workers", "2")
    one, two = (tmp_path / "out0.jsonl").read_text(), (tmp_path / "out2.jsonl").read_text()
    assert one == two and one.count("\n") == 12  # 9 articles and 3 weather pages: `clean` has no scope
    assert "shards_cleaned: 3" in spread.stderr and "documents: 12" in alone.stderr
    assert not (tmp_path / "out2.jsonl.shards").exists()


def test_worker_killed_mid_run_loses_and_repeats_nothing(tmp_path: Path) -> None:
    dumps = _dumps(tmp_path / "raw", files=10, per_file=12)
    single = build(dumps, tmp_path / "single")
    corpus = tmp_path / "spread"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c, \
            Client(c) as client:
        pids = client.run(os.getpid)
        outcome: dict = {}
        runner = threading.Thread(
            target=lambda: outcome.update(report=build(dumps, corpus, scheduler=c.scheduler_address)))
        runner.start()
        deadline = time.monotonic() + 120
        while not any((corpus / SHARD_CACHE).glob("*.pickle")) and time.monotonic() < deadline:
            time.sleep(0.02)
        busy = [addr for addr, tasks in client.processing().items() if tasks]
        assert busy, "no shard left running to interrupt"
        os.kill(pids[busy[0]], signal.SIGKILL)
        runner.join(300)
        assert not runner.is_alive()
        assert set(client.run(os.getpid).values()) != set(pids.values())  # the nanny started a new worker
    report = outcome["report"]
    assert report.failed_shards == [] and report.read["shards_cleaned"] == 10
    assert report.counts == single.counts and report.counts["added"] == 120
    assert report.read == single.read and report.read["warc_records"] == 10 * 31  # warcinfo, 15 requests and responses
    assert _rows(corpus) == _rows(tmp_path / "single")


def test_killed_build_reruns_only_the_shards_it_had_not_finished(tmp_path: Path) -> None:
    _dumps(tmp_path / "raw", files=10, per_file=12)
    corpus = tmp_path / "corpus"
    command = [sys.executable, "-m", "corpus.cli", "build", str(tmp_path / "raw"), "--corpus", str(corpus)]
    proc = subprocess.Popen([*command, "--workers", "2"], cwd=REPO, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list((corpus / SHARD_CACHE).glob("*.pickle"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the build and its cluster, as a lost machine would
    proc.wait(30)
    finished = len(list((corpus / SHARD_CACHE).glob("*.pickle")))
    assert finished >= 2 and not CorpusStore(corpus).exists()

    rerun = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"shards_reused: {finished}" in rerun.stderr
    if finished < 10:
        assert f"shards_cleaned: {10 - finished}" in rerun.stderr
    assert "120 added" in rerun.stdout
    assert not (corpus / SHARD_CACHE).exists()
    assert len(set(CorpusStore(corpus).read(columns=["doc_id"]).column("doc_id").to_pylist())) == 120


def test_a_shard_that_keeps_failing_is_reported_by_name_and_the_rest_committed(
        tmp_path: Path, cluster: LocalCluster) -> None:
    dumps = _dumps(tmp_path / "raw", files=3, per_file=2)
    gone = tmp_path / "raw" / "vanished.warc.gz"  # listed, then deleted before a worker read it
    with Client(cluster) as client:
        results = list(in_input_order([dumps[0], gone, dumps[1]],
                                      run_shards([dumps[0], gone, dumps[1]], ScopeConfig(), client=client)))
    assert [r.path for r in results] == [str(dumps[0]), str(gone), str(dumps[1])]
    assert isinstance(results[0], ShardResult) and isinstance(results[2], ShardResult)
    assert isinstance(results[1], ShardFailure)
    assert "FileNotFoundError" in results[1].error and "after 3 attempts" in results[1].error

    corpus = tmp_path / "corpus"
    with Client(cluster) as client:
        report = _build([dumps[0], gone, dumps[2]], CorpusStore(corpus), ScopeConfig(), [], rebuild=False,
                        client=client)
    assert report.failed_shards == [str(gone)] and report.counts["added"] == 4
    meta = CorpusStore(corpus).history()[-1].metadata
    assert meta["failed_shards"] == ["../raw/vanished.warc.gz"]  # recorded relative to the corpus beside it
    assert [i["path"] for i in meta["inputs"]] == [f"../{d.relative_to(tmp_path)}" for d in (dumps[0], dumps[2])]
    assert any(str(gone) in p and "cleaning failed" in p for p in meta["problems"])
    assert isinstance(CorpusStore(corpus).read(), pa.Table)


def test_unreachable_scheduler_is_one_clear_error_and_the_corpus_untouched(tmp_path: Path) -> None:
    dumps = _dumps(tmp_path / "raw", files=1, per_file=1)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.run([sys.executable, "-m", "corpus.cli", "build", str(dumps[0]), "--corpus", str(tmp_path / "c"),
                           "--scheduler", f"tcp://127.0.0.1:{port}"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(f"dgsn-corpus: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert not CorpusStore(tmp_path / "c").exists()


def test_workers_write_the_documents_of_their_shard_and_send_back_none(tmp_path: Path, cluster: LocalCluster) -> None:
    """`clean --workers`: a shard's documents go to disk on the worker (to_files), not through the
    scheduler; read back, they are the documents the single process cleans; a torn write is never
    taken for a finished shard."""
    dumps = _dumps(tmp_path / "raw", files=2, per_file=3)
    cache = ShardCache(tmp_path / "scratch")
    with Client(cluster) as client:
        results = list(in_input_order(dumps, run_shards(dumps, None, client=client, cache=cache, to_files=True)))
    for dump, result in zip(dumps, results, strict=True):
        assert isinstance(result, ShardResult) and result.documents == [] and result.documents_file
        alone = clean_shard(dump).documents
        assert [d.to_dict() for d in read_documents(result.documents_file)] == [d.to_dict() for d in alone]
        assert len(alone) == 4  # three articles and the weather page: no scope
    assert sorted(p.suffix for p in (tmp_path / "scratch").iterdir()) == [".jsonl", ".jsonl", ".pickle", ".pickle"]
    # A rerun takes both from the cache; one whose documents file is gone is cleaned again.
    Path(results[0].documents_file).unlink()
    rerun = list(in_input_order(dumps, run_shards(dumps, None, cache=cache, to_files=True)))
    assert [r.reused for r in rerun] == [False, True]
    assert len(list(read_documents(rerun[0].documents_file))) == 4
    with pytest.raises(ValueError, match="needs a cache"):
        list(run_shards(dumps, None, to_files=True))
