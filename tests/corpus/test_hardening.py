"""The corpus under faults, through the real CLI: a document whose new capture is rejected, a
SIGKILL at random moments of `release create` and `vacuum`, and a full disk (a small tmpfs)
under `build` and `export`."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.build import build
from corpus.store import CorpusStore
from tests.conftest import REPO
from tests.helpers import article_html, write_warc

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def cli(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def _pages(ids: range, city: str = "Tangier") -> list[tuple[str, str]]:
    return [(f"https://news.example.ma/article-{i}/", article_html(i, city=city)) for i in ids]


def _doc_ids(corpus: Path, version: int | None = None) -> list[str]:
    return sorted(CorpusStore(corpus).read(version, columns=["doc_id"]).column("doc_id").to_pylist())


# -- a rejected recapture -----------------------------------------------------------------------

def test_a_document_whose_new_capture_is_rejected_leaves_the_corpus(tmp_path: Path) -> None:
    write_warc(tmp_path / "raw1", _pages(range(3)))
    time.sleep(1.1)  # WARC-Date has whole seconds: the recapture is later
    gone = "https://news.example.ma/article-1/"
    removed_page = "<html><body><article><p>This page was removed.</p></article></body></html>"
    write_warc(tmp_path / "raw2", [(gone, removed_page)], extra_records=False)
    corpus = tmp_path / "corpus"
    cli("build", tmp_path / "raw1", "--corpus", corpus)
    out = cli("build", tmp_path / "raw2", "--corpus", corpus)
    assert "1 removed" in out.stdout and "2 documents" in out.stdout, out.stdout
    store = CorpusStore(corpus)
    urls = store.read(columns=["url"]).column("url").to_pylist()
    assert gone not in urls and len(urls) == 2
    (meta,) = [v.metadata for v in store.history() if v.version == 1]
    assert meta["counts"]["removed"] == 1 and sum(meta["rejected"].values()) >= 1
    # a clean build of both dumps gives the same table
    clean = tmp_path / "clean"
    build([tmp_path / "raw1", tmp_path / "raw2"], clean)
    assert _doc_ids(clean) == _doc_ids(corpus)


# -- SIGKILL at random moments ---------------------------------------------------------------

def _kill_at(args: list[str], delay: float) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", *args], cwd=REPO, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


def _assert_consistent(corpus: Path, rows: int) -> dict[str, dict]:
    """The latest version and every release read whole; the release file parses."""
    store = CorpusStore(corpus)
    assert len(_doc_ids(corpus)) == rows
    releases = json.loads(store.releases_path.read_text("utf-8")) if store.releases_path.exists() else {}
    for info in releases.values():
        assert store.read(int(info["version"]), columns=["doc_id"]).num_rows > 0
    assert store.history()
    return releases


@pytest.fixture
def corpus_with_history(tmp_path: Path) -> Path:
    """Three versions: 3 documents, the same 3 changed, 3 more; the first two with files that
    the latest no longer needs (what vacuum deletes)."""
    write_warc(tmp_path / "a", _pages(range(3)))
    write_warc(tmp_path / "b", _pages(range(3), city="Rabat"))
    write_warc(tmp_path / "c", _pages(range(3, 6)))
    corpus = tmp_path / "corpus"
    for raw in ("a", "b", "c"):
        build([tmp_path / raw], corpus)
    return corpus


def test_release_create_killed_at_random_moments_leaves_the_corpus_consistent(corpus_with_history: Path) -> None:
    corpus = corpus_with_history
    rng = random.Random(75)
    for n in range(4):
        _kill_at(["release", "create", f"r{n}", "--corpus", str(corpus), "--version", str(n % 3)],
                 rng.uniform(0.1, 2.5))
        releases = _assert_consistent(corpus, 6)
        assert set(releases) <= {f"r{k}" for k in range(n + 1)}
        assert all(releases[name]["version"] == int(name[1:]) % 3 for name in releases)
    # every release can be made (or is there) once nothing kills the command
    for n in range(4):
        proc = cli("release", "create", f"r{n}", "--corpus", corpus, "--version", str(n % 3), check=False)
        assert proc.returncode == 0 or "exists" in proc.stderr, proc.stderr
    assert set(_assert_consistent(corpus, 6)) == {"r0", "r1", "r2", "r3"}


def test_vacuum_killed_at_random_moments_leaves_the_corpus_consistent(corpus_with_history: Path) -> None:
    corpus = corpus_with_history
    cli("release", "create", "first", "--corpus", corpus, "--version", "0")
    before = {v: _doc_ids(corpus, v) for v in (0, 2)}
    rng = random.Random(76)
    for _ in range(4):
        _kill_at(["vacuum", "--corpus", str(corpus), "--retention-hours", "0"], rng.uniform(0.1, 3.0))
        _assert_consistent(corpus, 6)
        assert {v: _doc_ids(corpus, v) for v in (0, 2)} == before
    cli("vacuum", "--corpus", corpus, "--retention-hours", "0")
    _assert_consistent(corpus, 6)
    assert {v: _doc_ids(corpus, v) for v in (0, 2)} == before


# -- a full disk ------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def _fill(disk: Path, leave_bytes: int) -> None:
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / f"filler-{time.monotonic_ns()}", "wb") as fh:
        fh.write(b"\0" * max(free - leave_bytes, 0))


def _one_error_line(proc: subprocess.CompletedProcess[str], path: Path) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("dgsn-corpus: error:")]
    assert errors == [f"dgsn-corpus: error: no space left on device writing {path}"], proc.stderr


def test_build_and_export_on_a_full_disk_fail_with_one_line_and_leave_the_corpus(tmp_path: Path,
                                                                                small_disk: Path) -> None:
    rng = random.Random(28)

    def words() -> str:  # text that does not compress away
        return " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(300))

    write_warc(tmp_path / "small", _pages(range(3)))
    write_warc(tmp_path / "big", [(f"https://news.example.ma/big-{i}/",
                                   article_html(i, extra="".join(f"<p>Interpol DGSN {words()}.</p>" for _ in range(4))))
                                  for i in range(100, 160)])
    corpus = small_disk / "corpus"
    cli("build", tmp_path / "small", "--corpus", corpus)
    _fill(small_disk, 64 * 1024)
    _one_error_line(cli("build", tmp_path / "big", "--corpus", corpus, check=False), corpus)
    assert CorpusStore(corpus).latest_version() == 0 and len(_doc_ids(corpus)) == 3
    out = small_disk / "export"
    _fill(small_disk, 0)
    _one_error_line(cli("export", "--corpus", corpus, "--format", "jsonl", "--out", out, check=False), out)
    assert CorpusStore(corpus).latest_version() == 0 and len(_doc_ids(corpus)) == 3
