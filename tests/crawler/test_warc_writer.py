"""The WARC writer: valid files (warcio's checker), warcinfo, rotation, `.open` until closed, and a
killed writer leaves a file readable up to its last complete record."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from cleaners.readers import ReadStats, iter_items
from crawler.sample_outlets import sample_pages, write_sample_warc
from crawler.warc import WarcFileWriter
from tests.conftest import REPO


def _records(path: Path) -> list[tuple[str, str | None]]:
    with open(path, "rb") as fh:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)]


def test_sample_warc_passes_warcio_check_and_reads_back(tmp_path: Path) -> None:
    files = write_sample_warc(tmp_path)
    assert files and all(f.name.endswith(".warc.gz") for f in files)
    assert not list(tmp_path.glob("*.open"))
    for f in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(f)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout and "fail" not in check.stdout
    recs = _records(files[0])
    assert recs[0][0] == "warcinfo"
    pages = sample_pages()
    assert [u for t, u in recs if t == "response"] == [p.url for p in pages]
    assert sum(t == "request" for t, _ in recs) == len(pages)
    stats = ReadStats()
    items = list(iter_items(files, stats))
    assert len(items) == sum(p.status == 200 and "html" in p.content_type for p in pages)
    cp1256 = next(p for p in pages if ".cp1256." in p.file)
    item = next(i for i in items if i.url == cp1256.url)
    assert item.content == cp1256.body and item.content.decode("cp1256")


def test_rotation_by_size(tmp_path: Path) -> None:
    noise = random.Random(0).randbytes(5000)  # incompressible, so sizes are predictable
    body = b"<html><body>" + noise + b"</body></html>"
    with WarcFileWriter(tmp_path, max_bytes=8000) as w:
        spots = [w.write_response(f"https://a.example/{i}", 200, "OK", [("Content-Type", "text/html")], body)
                 for i in range(5)]
    assert len(w.closed_files) >= 3
    for path, offset, record_id in spots:
        assert path in w.closed_files
        with open(path, "rb") as fh:
            fh.seek(offset)
            assert next(iter(ArchiveIterator(fh))).rec_headers.get_header("WARC-Record-ID") == record_id
    for f in w.closed_files:
        assert _records(f)[0][0] == "warcinfo"


_KILLED_WRITER = """
import os, signal, sys
from crawler.warc import WarcFileWriter
w = WarcFileWriter(sys.argv[1])
for i in range(3):
    w.write_response(f"https://a.example/{i}", 200, "OK", [("Content-Type", "text/html")],
                     b"<html><body><p>Article %d about Interpol.</p></body></html>" % i)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_killed_writer_leaves_a_readable_open_file(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(tmp_path)], cwd=REPO)
    assert proc.returncode == -signal.SIGKILL
    (open_file,) = tmp_path.glob("*.warc.gz.open")
    stats = ReadStats()
    items = list(iter_items([open_file], stats))
    assert [i.url for i in items] == [f"https://a.example/{i}" for i in range(3)]
    assert stats.problems == []
