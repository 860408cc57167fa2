"""The command line as users call it on their own dumps: the outlet of every document, inputs from
an HTTP URL or standard input, a running crawl's `.open` files, one doc_id across commands,
`diff --json`, progress on a terminal and in a log, one-line errors."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import article_html, write_warc


def cli(*args: str | Path, cwd: Path = REPO, stdin: bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "corpus.cli", *map(str, args)], cwd=cwd, input=stdin,
                          capture_output=True, timeout=300, env={**os.environ, **(env or {})})


def docs_of(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WARC from another tool (no source in its warcinfo), hosts of two registry outlets and one
    unknown; an HTML page; a JSONL dump whose lines name their source."""
    root = tmp_path_factory.mktemp("dumps")
    write_warc(root / "warc", [
        ("https://www.hespress.com/societe/arrest-1.html", article_html(1)),
        ("https://fr.le360.ma/societe/notice-2", article_html(2)),
        ("https://unknown.example.org/a-3", article_html(3)),
    ])
    (root / "page.html").write_text(article_html(4), encoding="utf-8")
    (root / "lines.jsonl").write_text(
        json.dumps({"url": "https://x.example/a-5", "html": article_html(5), "source": "my-wire"}) + "\n"
        + json.dumps({"url": "https://www.hespress.com/a-6.html", "html": article_html(6)}) + "\n",
        encoding="utf-8")
    return root


def test_source_from_the_dump_then_the_option_then_the_registry(dumps: Path) -> None:
    proc = cli("clean", "-q", dumps)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    by_url = {d["url"]: d["source"] for d in docs_of(proc.stdout)}
    assert by_url == {
        "https://www.hespress.com/societe/arrest-1.html": "hespress-ar",  # the registry's domain
        "https://fr.le360.ma/societe/notice-2": "le360-fr",
        "https://unknown.example.org/a-3": None,  # no outlet holds the host
        None: None,  # page.html: no URL
        "https://x.example/a-5": "my-wire",  # the JSONL line names it
        "https://www.hespress.com/a-6.html": "hespress-ar",
    }
    proc = cli("clean", "-q", "--source", "my-outlet", dumps)
    by_url = {d["url"]: d["source"] for d in docs_of(proc.stdout)}
    assert by_url["https://unknown.example.org/a-3"] == "my-outlet" and by_url[None] == "my-outlet"
    assert by_url["https://x.example/a-5"] == "my-wire"  # what the dump says wins
    bad = cli("clean", "--source", "Not An Id", dumps)
    assert bad.returncode == 2 and bad.stderr.decode().count("\n") == 1 and b"--source" in bad.stderr


def test_build_source_is_kept_by_rebuild(dumps: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    proc = cli("build", "-q", dumps / "page.html", "--source", "my-outlet", "--corpus", corpus)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    from corpus.store import CorpusStore

    assert CorpusStore(corpus).read(columns=["source"]).column("source").to_pylist() == ["my-outlet"]
    proc = cli("rebuild", "-q", "--corpus", corpus)
    assert proc.returncode == 0 and b"0 changed" in proc.stdout, proc.stdout + proc.stderr
    assert CorpusStore(corpus).read(columns=["source"]).column("source").to_pylist() == ["my-outlet"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_dir(dumps: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(dumps)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_html_page_by_url_and_a_dump_on_standard_input(dumps: Path, http_dir: str) -> None:
    proc = cli("clean", "-q", f"{http_dir}/page.html")
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    (doc,) = docs_of(proc.stdout)
    assert doc["raw_path"] == doc["url"] == f"{http_dir}/page.html" and "Interpol" in doc["text"]
    (warc,) = (dumps / "warc").glob("*.warc.gz")
    for data in (warc.read_bytes(), gzip.compress((dumps / "lines.jsonl").read_bytes())):
        proc = cli("clean", "-q", "-", stdin=data)
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
        docs = docs_of(proc.stdout)
        assert len(docs) in (2, 3) and {d["raw_path"] for d in docs} == {"-"}
    proc = cli("clean", "-", "-", stdin=b"")
    assert proc.returncode == 2 and proc.stderr.decode().count("\n") == 1
    proc = cli("build", "-", "--corpus", dumps / "c", stdin=b"")
    assert proc.returncode == 2 and b"read by `clean` only" in proc.stderr and proc.stderr.decode().count("\n") == 1


def test_build_skips_and_counts_a_running_crawls_open_files(dumps: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "run1"
    raw.mkdir(parents=True)
    (warc,) = (dumps / "warc").glob("*.warc.gz")
    (raw / "closed.warc.gz").write_bytes(warc.read_bytes())
    (raw / "writing.warc.gz.open").write_bytes(warc.read_bytes()[:1000])
    proc = cli("build", "-q", tmp_path / "raw", "--corpus", tmp_path / "c")
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert b"skipped:open_warc: 1" in proc.stderr and b"bad:" not in proc.stderr
    versions = docs_of(cli("versions", "--corpus", tmp_path / "c", "--json").stdout)
    assert [Path(i["path"]).name for i in versions[0]["inputs"]] == ["closed.warc.gz"]


def test_one_doc_id_for_one_input_in_clean_explain_and_build(dumps: Path, tmp_path: Path) -> None:
    page = dumps / "page.html"  # no URL: the doc_id comes from the raw bytes
    (doc,) = docs_of(cli("clean", "-q", page).stdout)
    explained = cli("explain", page).stdout.decode()
    assert explained.startswith(f"=== {doc['doc_id']} ")
    cli("build", "-q", page, "--corpus", tmp_path / "c")
    from corpus.store import CorpusStore

    assert CorpusStore(tmp_path / "c").read(columns=["doc_id"]).column("doc_id").to_pylist() == [doc["doc_id"]]


def test_diff_json(dumps: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    cli("build", "-q", dumps / "page.html", "--corpus", corpus)
    cli("build", "-q", dumps / "lines.jsonl", "--corpus", corpus)
    proc = cli("diff", "0", "1", "--corpus", corpus, "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    out = json.loads(proc.stdout)
    assert out["old"] == 0 and out["new"] == 1 and out["counts"] == {"added": 2, "removed": 0, "changed": 0}
    assert len(out["added"]) == 2 and out["removed"] == [] and out["changed"] == []
    doc_id = out["added"][0]
    one = json.loads(cli("diff", "0", "1", "--corpus", corpus, "--json", "--show", doc_id).stdout)
    assert one["doc_id"] == doc_id and not one["in_old"] and one["in_new"] and one["diff"][0].startswith("---")


def test_missing_sources_registry_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = cli("crawl", "--workdir", tmp_path / "w", "--sources", tmp_path / "missing.yaml")
    assert proc.returncode == 2, proc.stderr.decode()
    assert proc.stderr.decode().count("\n") == 1 and b"missing.yaml" in proc.stderr
    proc = cli("clean", "-q", "/dev/null")
    assert proc.returncode == 2 and b"not a regular file" in proc.stderr


def test_progress_in_a_log_on_a_terminal_and_quiet(dumps: Path, tmp_path: Path) -> None:
    logged = cli("clean", dumps, env={"DGSN_PROGRESS_SECONDS": "0"})
    lines = [line for line in logged.stderr.decode().splitlines() if line.startswith("clean: ")]
    assert lines and "3/3 files" in lines[-1] and "6 documents" in lines[-1] and "documents/s" in lines[-1]
    assert "\x1b[" not in logged.stderr.decode()  # plain lines, no terminal codes in a log
    quiet = cli("clean", "-q", dumps, env={"DGSN_PROGRESS_SECONDS": "0"})
    assert quiet.returncode == 0 and b"clean: " not in quiet.stderr
    # on a terminal: a rich bar, redrawn in place
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "corpus.cli", "build", str(dumps), "--corpus", str(tmp_path / "c")],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=slave, env={**os.environ, "COLUMNS": "150"})
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0
    os.close(master)
    text = seen.decode("utf-8", "replace")
    assert "build" in text and "3/3 files" in text and "6 documents" in text and "\x1b[" in text
    exported = cli("export", "--corpus", tmp_path / "c", "--format", "jsonl", "--shard-rows", "4",
                   "--out", tmp_path / "e", env={"DGSN_PROGRESS_SECONDS": "0"})
    assert exported.returncode == 0, exported.stderr.decode()
    assert "export: 2/2 files, 6 documents" in exported.stderr.decode()
