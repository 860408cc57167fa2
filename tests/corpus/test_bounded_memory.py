"""Memory stays bounded on hostile input: `clean` and `build` over 1 GiB decompression bombs (a WARC
record, an HTTP Content-Encoding body inside WARC, an .html.gz file) and an over-long JSONL line
each peak under 500 MB, in their own process (ru_maxrss), and keep the good documents beside them.
Near-duplicate signatures of very long texts cost a bounded prefix, not 200x the text."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from corpus.neardup import SHINGLE_CHARS, signature
from tests.bombs import MIB, gzip_bomb, write_bomb_warcs
from tests.conftest import REPO
from tests.helpers import PARAGRAPH, article_html

PEAK_LIMIT_MB = 500


@pytest.fixture(scope="module")
def bomb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bombs")
    write_bomb_warcs(d, 1024)
    (d / "bomb.html.gz").write_bytes(gzip_bomb(1024))
    (d / "good.html").write_text(article_html(20), encoding="utf-8")
    lines = [json.dumps({"url": "https://news.example.ma/j-0/", "text": PARAGRAPH.format(city="Fes") * 2}),
             json.dumps({"url": "https://news.example.ma/huge/", "text": "Interpol DGSN " * (2 * MIB)}),  # 28 MB
             json.dumps({"url": "https://news.example.ma/j-2/", "text": PARAGRAPH.format(city="Oujda") * 2})]
    (d / "dump.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


GOOD = {f"https://news.example.ma/article-{i}/" for i in (0, 1, 2, 3, 10, 11, 12, 13, 20)} | \
    {"https://news.example.ma/j-0/", "https://news.example.ma/j-2/"}


# Started from a fresh small process: a child's ru_maxrss starts at its parent's RSS when it forks
# (Linux keeps the high-water mark across exec), and pytest's own process grows as tests run.
LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[2:]); _, status, usage = os.wait4(p.pid, 0); "
            "open(sys.argv[1], 'w').write(str(usage.ru_maxrss)); sys.exit(os.waitstatus_to_exitcode(status))")


def _run(tmp_path: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Peak RSS (MB) of one `dgsn-corpus` process, from its own rusage (os.wait4), and how it ended."""
    rss = tmp_path / "maxrss"
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, str(rss), sys.executable, "-m", "corpus.cli", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    return int(rss.read_text()) / 1024, proc


def test_clean_on_bombs_stays_under_500_mb_and_keeps_the_good_documents(bomb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "docs.jsonl"
    peak, proc = _run(tmp_path, "clean", str(bomb_dir), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"clean on the bombs: peak RSS {peak:.0f} MB")  # pytest -s shows it
    assert peak < PEAK_LIMIT_MB, f"clean peaked at {peak:.0f} MB"
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {d["url"] or d["canonical_url"] for d in docs} == GOOD  # the HTML file's URL is its canonical link
    too_large = [line for line in proc.stderr.splitlines() if ": too_large:" in line]
    assert len(too_large) == 4 and all("@" in line for line in too_large), proc.stderr  # each with its offset


def test_build_on_bombs_stays_under_500_mb_and_commits_the_good_documents(bomb_dir: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    peak, proc = _run(tmp_path, "build", str(bomb_dir), "--corpus", str(corpus), "-q")
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"build on the bombs: peak RSS {peak:.0f} MB")
    assert peak < PEAK_LIMIT_MB, f"build peaked at {peak:.0f} MB"
    assert "skipped:too_large: 4" in proc.stderr
    from corpus.store import CorpusStore

    table = CorpusStore(corpus).read(columns=["url", "canonical_url"])
    assert {u or c for u, c in zip(table.column("url").to_pylist(), table.column("canonical_url").to_pylist(),
                                   strict=True)} == GOOD


def test_near_duplicate_signature_of_a_very_long_text_is_bounded() -> None:
    text = "".join(PARAGRAPH.format(city=f"Town{n}") + "\n" for n in range(12_000))  # 3 MB
    tracemalloc.start()
    try:
        long_sig = signature(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * MIB, f"{peak / MIB:.0f} MiB for a {len(text) / MIB:.0f} MiB text"
    # what is shingled is the opening: a copy that shares it is a near-duplicate, whatever follows
    assert (signature(text[:SHINGLE_CHARS] + "an unrelated ending " * 1000) == long_sig).all()
    assert (signature(text[SHINGLE_CHARS:]) != long_sig).any()
