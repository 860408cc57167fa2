"""What a corpus records about its raw dumps resolves from any working directory, and still does
after the workdir is moved as a whole."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.build import unbuilt_warcs
from corpus.provenance import record_path, resolve_path
from corpus.store import CorpusStore
from tests.conftest import REPO
from tests.corpus.test_build import _pages
from tests.corpus.test_scope_neardup_releases import STORY, jsonl
from tests.helpers import write_warc


def cli_in(cwd: Path, *args: str | Path, code: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == code, f"exit {proc.returncode}, not {code}\n{proc.stdout}\n{proc.stderr}"
    return proc


def raw_record_of(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("raw record: "))


def test_recorded_paths_resolve_from_anywhere_and_after_a_move(tmp_path: Path) -> None:
    work = tmp_path / "a" / "dgsn-work"
    (warc,) = write_warc(work / "raw" / "run1", _pages(range(3)), extra_records=False)
    dump = jsonl(work / "dumps" / "d.jsonl", [{"url": "https://a.example/1", "title": "Arrestation à Fès",
                                                "text": STORY},
                                               {"url": "https://a.example/short", "text": "La DGSN, trop court."}])
    (outside,) = write_warc(tmp_path / "elsewhere", _pages(range(3, 5)), extra_records=False)
    # Built from inside the workdir, with paths relative to it.
    cli_in(work, "build", Path("raw") / "run1", dump.relative_to(work), outside, "--corpus", "corpus")
    inputs = CorpusStore(work / "corpus").history()[-1].metadata["inputs"]
    assert [i["path"] for i in inputs] == [f"../raw/run1/{warc.name}", "../dumps/d.jsonl", str(outside)]
    rows = CorpusStore(work / "corpus").read().to_pylist()
    assert {r["warc_file"] for r in rows if r["warc_file"]} == {f"../raw/run1/{warc.name}", str(outside)}
    assert {r["raw_path"] for r in rows} == {f"../raw/run1/{warc.name}", "../dumps/d.jsonl", str(outside)}
    assert [(r["url"], r["reason"], r["raw_path"]) for r in CorpusStore(work / "corpus").rejected().to_pylist()] == [
        ("https://a.example/short", "too_short", "../dumps/d.jsonl")]
    page = next(r for r in rows if r["url"] == "https://news.example.ma/article-1/")
    line = next(r for r in rows if r["url"] == "https://a.example/1")

    elsewhere = tmp_path / "b"
    elsewhere.mkdir()
    for cwd, corpus_arg, root in [(elsewhere, work / "corpus", work),
                                  (None, None, tmp_path / "moved" / "dgsn-work")]:
        if cwd is None:  # the whole workdir moved to another folder, read through a relative path
            shutil.move(work, root)
            cwd, corpus_arg = root.parent, Path("dgsn-work") / "corpus"
        out = cli_in(cwd, "rebuild", "--corpus", corpus_arg)
        assert "0 added, 0 changed, 0 removed, 6 unchanged" in out.stdout and "missing" not in out.stderr
        assert "shards_cleaned: 3" in out.stderr
        out = cli_in(cwd, "show", page["doc_id"], "--corpus", corpus_arg).stdout
        assert raw_record_of(out) == f"raw record: {root / 'raw' / 'run1' / warc.name}@{page['warc_offset']}"
        assert f"WARC-Record-ID: {page['warc_record_id']}" in out and "<!DOCTYPE html>" in out
        out = cli_in(cwd, "show", line["doc_id"], "--corpus", corpus_arg).stdout
        assert raw_record_of(out) == f"raw record: {root / 'dumps' / 'd.jsonl'}@0"
        assert json.loads(out.split(raw_record_of(out) + "\n", 1)[1].strip())["url"] == "https://a.example/1"
        # The rebuild recorded the same paths as the build: relative to the corpus, absolute outside.
        last = CorpusStore(root / "corpus").history()[-1].metadata
        assert last["operation"] == "rebuild" and [i["path"] for i in last["inputs"]] == [i["path"] for i in inputs]
    (new,) = write_warc(root / "raw" / "run2", _pages(range(5, 6)), extra_records=False)
    assert unbuilt_warcs(root / "raw", root / "corpus") == [new]

    # Every dump gone: the rebuild commits nothing and says so on one line.
    before = CorpusStore(root / "corpus").latest_version()
    shutil.rmtree(root / "raw")
    shutil.rmtree(root / "dumps")
    shutil.rmtree(tmp_path / "elsewhere")
    proc = cli_in(cwd, "rebuild", "--corpus", corpus_arg, code=1)
    assert proc.stderr.splitlines() == [
        f"dgsn-corpus: error: none of the 3 raw dump(s) recorded in {corpus_arg} was found "
        f"(first: {root / 'raw' / 'run1' / warc.name}); nothing committed"], proc.stderr
    assert CorpusStore(root / "corpus").latest_version() == before


def test_record_and_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "work" / "corpus"
    assert record_path(tmp_path / "work" / "raw" / "x.warc.gz", corpus) == "../raw/x.warc.gz"
    assert record_path(corpus / "inside.jsonl", corpus) == "inside.jsonl"
    assert record_path(tmp_path / "other" / "x.warc.gz", corpus) == str(tmp_path / "other" / "x.warc.gz")
    assert record_path("s3://bucket/cc-news/x.warc.gz", corpus) == "s3://bucket/cc-news/x.warc.gz"
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert record_path(Path("raw") / "x.warc.gz", "corpus") == "../raw/x.warc.gz"
    assert resolve_path("../raw/x.warc.gz", "corpus") == str(tmp_path / "work" / "raw" / "x.warc.gz")
    assert resolve_path("file:///data/x.warc.gz", corpus) == "file:///data/x.warc.gz"
    # A corpus from before: a path relative to the working directory of its build, which is this one.
    (tmp_path / "work" / "raw").mkdir()
    (tmp_path / "work" / "raw" / "old.warc.gz").write_bytes(b"")
    assert resolve_path("raw/old.warc.gz", corpus) == str(tmp_path / "work" / "raw" / "old.warc.gz")
    assert resolve_path("raw/none.warc.gz", corpus) == str(corpus / "raw" / "none.warc.gz")
