"""A committed version is a success even when a side file fails to save: the near-duplicate index
is rebuilt by the next build, and a failed save leaves no half-written file behind."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.neardup import INDEX_DIR, NearDupIndex
from corpus.store import CorpusStore
from tests.conftest import REPO
from tests.helpers import PARAGRAPH, article_html, write_warc


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_build_whose_index_save_fails_exits_0_and_the_next_build_rebuilds_the_index(tmp_path: Path) -> None:
    pages = [(f"https://news.example.ma/article-{i}/", article_html(i)) for i in range(3)]
    (first,) = write_warc(tmp_path / "a", pages)
    (second,) = write_warc(tmp_path / "b", [("https://news.example.ma/article-9/", article_html(9))])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / INDEX_DIR).write_text("in the way", encoding="utf-8")  # the index directory cannot be made
    proc = cli("build", first, "--corpus", corpus, "-q")
    assert proc.returncode == 0, proc.stderr
    assert "version 0" in proc.stdout
    assert "version 0 is committed, but its near-duplicate index was not saved" in proc.stderr
    assert CorpusStore(corpus).latest_version() == 0

    (corpus / INDEX_DIR).unlink()
    proc = cli("build", second, "--corpus", corpus, "-q")
    assert proc.returncode == 0, proc.stderr
    assert "no near-duplicate index for version 0: rebuilding it from the table" in proc.stderr
    assert sorted(p.name for p in (corpus / INDEX_DIR).iterdir()) == ["base-v1.npz", "manifest.json"]
    index = NearDupIndex.load(corpus, 1, 0.5)
    assert index is not None and len(index.members) == 4  # the rebuilt documents and the new one


def test_a_save_that_fails_midway_leaves_no_temporary_file(tmp_path: Path) -> None:
    index = NearDupIndex(0.5)
    index.add((f"doc-{i}", PARAGRAPH.format(city=f"City{i}") * 3, False, "") for i in range(50))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    # a write past the limit then fails with EFBIG, as one fails on a full disk
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(OSError):
            index.save(tmp_path, 3)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert list((tmp_path / INDEX_DIR).iterdir()) == []
    assert NearDupIndex.load(tmp_path, 3, 0.5) is None
