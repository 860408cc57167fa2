"""End to end through the real CLI: WARC -> build -> versions -> export, and the failure modes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus.schema import DOC_FIELDS, SCHEMA
from corpus.store import CorpusStore
from tests.conftest import REPO
from tests.helpers import article_html, write_warc


def cli(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def exported_files(stdout: str) -> list[Path]:
    """The data files an export's manifest (whose path the CLI prints) lists, checked against it."""
    manifest_path = Path(stdout.strip())
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    files = [manifest_path.parent / f["path"] for f in manifest["files"]]
    for f, entry in zip(files, manifest["files"], strict=True):
        assert hashlib.sha256(f.read_bytes()).hexdigest() == entry["sha256"]
    return files


def _pages(ids: range, city: str = "Tangier") -> list[tuple[str, str]]:
    return [(f"https://news.example.ma/article-{i}/", article_html(i, city=city)) for i in ids]


def test_warc_build_versions_export(tmp_path: Path) -> None:
    raw1 = tmp_path / "raw1"
    write_warc(raw1, _pages(range(4)))
    corpus = tmp_path / "corpus"
    out = cli("build", raw1, "--corpus", corpus)
    assert "version 0" in out.stdout and "4 added" in out.stdout
    assert "skipped:non_html:image/png: 1" in out.stderr

    again = cli("build", raw1, "--corpus", corpus)
    assert "version 1" in again.stdout and "0 added, 0 changed, 0 removed, 4 unchanged" in again.stdout

    # A new crawl: two new articles, one article edited, one exact copy under another URL.
    raw2 = tmp_path / "raw2"
    edited = article_html(2, extra="<p>Update: the suspect was handed over to the requesting country on Friday.</p>")
    copy_of_0 = article_html(0).replace("article-0/", "copy-of-0/")
    write_warc(raw2, _pages(range(4, 6)) + [("https://news.example.ma/article-2/", edited),
                                             ("https://news.example.ma/copy-of-0/", copy_of_0)])
    third = cli("build", raw2, "--corpus", corpus)
    assert "version 2" in third.stdout and "2 added, 1 changed" in third.stdout
    assert "rejected:duplicate_content: 1" in third.stderr

    versions = [json.loads(line) for line in cli("versions", "--corpus", corpus, "--json").stdout.splitlines()]
    assert [v["version"] for v in versions] == [0, 1, 2]
    assert [v["counts"]["added"] for v in versions] == [4, 0, 2]
    assert [v["counts"]["changed"] for v in versions] == [0, 0, 1]
    assert [v["counts"]["documents"] for v in versions] == [4, 4, 6]
    (inp,) = versions[2]["inputs"]
    assert len(inp["sha256"]) == 64 and inp["path"].startswith("../raw2/")  # beside the corpus: relative to it
    assert versions[0]["cleaner_version"]
    table_out = cli("versions", "--corpus", corpus).stdout
    assert len(table_out.strip().splitlines()) == 4

    v0 = exported_files(cli("export", "--corpus", corpus, "--version", "0", "--format", "jsonl",
                            "--out", tmp_path / "export0").stdout)
    docs0 = [json.loads(line) for f in v0 for line in f.read_text(encoding="utf-8").splitlines()]
    assert len(docs0) == 4 and list(docs0[0]) == DOC_FIELDS
    assert [d["doc_id"] for d in docs0] == sorted(d["doc_id"] for d in docs0)
    assert not any("Update: the suspect" in d["text"] for d in docs0)  # time travel
    (latest,) = exported_files(cli("export", "--corpus", corpus, "--format", "parquet",
                                   "--out", tmp_path / "export").stdout)
    table = pq.read_table(latest)
    assert table.num_rows == 6 and table.column_names == DOC_FIELDS
    by_url = {r["url"]: r for r in table.to_pylist()}
    assert "Update: the suspect" in by_url["https://news.example.ma/article-2/"]["text"]
    doc = by_url["https://news.example.ma/article-5/"]
    assert doc["language"] == "en" and doc["title"].startswith("Suspect number 5")
    assert "Exit mobile version" not in doc["text"] and "Share this" not in doc["text"]
    assert doc["warc_file"].startswith("../raw2/") and doc["warc_record_id"].startswith("<urn:uuid:")
    assert {r["rule"] for r in doc["removed"]} >= {"structure.title_repeat"}
    assert set(doc["topics"]) == {"DGSN", "Interpol"}


def test_missing_input_exits_2_with_one_line(tmp_path: Path) -> None:
    for args in (("build", tmp_path / "missing.warc.gz", "--corpus", tmp_path / "c"),
                 ("clean", tmp_path / "missing.warc.gz")):
        proc = cli(*args, check=False)
        assert proc.returncode == 2
        assert proc.stderr.strip().count("\n") == 0
        assert "missing.warc.gz" in proc.stderr
    assert not (tmp_path / "c").exists()
    proc = cli("versions", "--corpus", tmp_path / "c", check=False)
    assert proc.returncode == 2 and "no corpus" in proc.stderr


def test_clean_command_jsonl_and_text(tmp_path: Path) -> None:
    write_warc(tmp_path / "raw", _pages(range(2)))
    out = cli("clean", tmp_path / "raw")
    docs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["url"] for d in docs] == [f"https://news.example.ma/article-{i}/" for i in range(2)]
    assert set(docs[0]) == set(DOC_FIELDS)
    text_file = tmp_path / "out.txt"
    cli("clean", tmp_path / "raw", "--format", "text", "--out", text_file)
    body = text_file.read_text(encoding="utf-8")
    assert body.count("### ") == 2 and "Suspect number 1 wanted by Interpol" in body


def test_schema_matches_document_fields() -> None:
    assert SCHEMA.names[:-1] == DOC_FIELDS and SCHEMA.names[-1] == "record_hash"


_KILL_BEFORE_COMMIT = """
import os, signal, sys
import pyarrow.parquet as pq
from corpus import store
def dying_commit(self, upserts, metadata, deletes=(), **_):
    # Write the data files a commit would add (the build streams its rows), then die before the
    # log entry exists.
    pq.write_table(upserts.read_all(), self.path / "part-orphan-of-killed-build.parquet")
    os.kill(os.getpid(), signal.SIGKILL)
store.CorpusStore.commit = dying_commit
from corpus.cli import main
sys.argv = ["dgsn-corpus", "build", sys.argv[1], "--corpus", sys.argv[2]]
main()
"""


def test_build_killed_before_commit_leaves_previous_version(tmp_path: Path) -> None:
    write_warc(tmp_path / "raw1", _pages(range(3)))
    write_warc(tmp_path / "raw2", _pages(range(3, 6)))
    corpus = tmp_path / "corpus"
    cli("build", tmp_path / "raw1", "--corpus", corpus)
    proc = subprocess.run([sys.executable, "-c", _KILL_BEFORE_COMMIT, str(tmp_path / "raw2"), str(corpus)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert (corpus / "part-orphan-of-killed-build.parquet").exists()
    store = CorpusStore(corpus)
    assert store.latest_version() == 0
    assert store.read().num_rows == 3
    out = cli("build", tmp_path / "raw2", "--corpus", corpus)
    assert "version 1" in out.stdout and "3 added" in out.stdout
    assert CorpusStore(corpus).read().num_rows == 6


def test_build_killed_at_any_moment_never_corrupts(tmp_path: Path) -> None:
    """SIGKILL a real build at several moments: the table is always at a whole version."""
    write_warc(tmp_path / "base", _pages(range(2)))
    write_warc(tmp_path / "big", _pages(range(100, 160)))
    corpus = tmp_path / "corpus"
    cli("build", tmp_path / "base", "--corpus", corpus)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for delay in (0.3, 1.0, 2.0, 3.5):
        proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", "build", str(tmp_path / "big"),
                                 "--corpus", str(corpus)], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        store = CorpusStore(corpus)
        rows = store.read().num_rows
        assert rows in (2, 62), rows
        assert len(set(store.read(columns=["doc_id"]).column("doc_id").to_pylist())) == rows
    out = cli("build", tmp_path / "big", "--corpus", corpus)
    assert "documents" in out.stdout
    assert CorpusStore(corpus).read().num_rows == 62
    # the build's two stages, timed (benchmarks/archive_scan.py reads this line)
    took = re.search(r"^  took: cleaning ([\d.]+) s, after cleaning ([\d.]+) s$", out.stderr, re.M)
    assert took, out.stderr
    # A build killed late may have staged its shard already: this build then reuses it and cleans
    # nothing (which of the kills lands after staging depends on the machine's speed).
    if re.search(r"^\s+shards_reused: 1$", out.stderr, re.M):
        assert float(took.group(1)) == 0.0, out.stderr
    else:
        assert float(took.group(1)) > 0, out.stderr


def test_unknown_version_is_a_clear_error(tmp_path: Path) -> None:
    write_warc(tmp_path / "raw", _pages(range(1)))
    cli("build", tmp_path / "raw", "--corpus", tmp_path / "c")
    proc = cli("export", "--corpus", tmp_path / "c", "--version", "7", "--format", "jsonl",
               "--out", tmp_path / "e", check=False)
    assert proc.returncode == 2 and "no version 7" in proc.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export_is_deterministic(tmp_path: Path, fmt: str) -> None:
    write_warc(tmp_path / "raw", _pages(range(3)))
    cli("build", tmp_path / "raw", "--corpus", tmp_path / "c")
    (a,) = exported_files(cli("export", "--corpus", tmp_path / "c", "--format", fmt, "--out", tmp_path / "a").stdout)
    (b,) = exported_files(cli("export", "--corpus", tmp_path / "c", "--format", fmt, "--out", tmp_path / "b").stdout)
    assert a.read_bytes() == b.read_bytes()


def test_explain_marks_each_removal_with_its_rule(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    out = cli("explain", FIXTURES / "dumps" / "en_php_notice.txt", "--width", "300").stdout
    lines = out.splitlines()
    notice = next(line for line in lines if "Notice: Function" in line)
    assert notice.startswith("- ") and notice.endswith("« php.notice")
    assert any(line.startswith("- ") and line.endswith("« chrome.amp_switcher") for line in lines)
    assert any(line.startswith("- ") and "structure.breadcrumb" in line for line in lines)
    body = lines[lines.index(next(x for x in lines if x.startswith("--- clean text"))) + 1:]
    assert body and not any("Exit mobile version" in line for line in body)
    write_warc(tmp_path, _pages(range(1)))
    html_out = cli("explain", tmp_path).stdout
    assert "Share this" not in html_out.split("--- clean text")[1]
    assert "« structure.title_repeat" in html_out
