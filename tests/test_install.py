"""Installs as users install: a wheel built from the project (what `pip install .` installs), installed into a
fresh virtualenv and run from a directory outside the repo, so that nothing is read from the source tree.

The fresh venv gets only the wheel; its dependencies come from this test's own environment through a .pth
line naming its site-packages (a plain path line: the .pth files in there, such as the editable install's
finder of dgsn-corpus itself, are not run), so the test downloads nothing."""

from __future__ import annotations

import json
import subprocess
import time
import zipfile
from collections import Counter
from pathlib import Path

import yaml
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import CLEAN_ENV as ENV
from tests.helpers import package_data_files

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=0", "--set", "RETRY_BACKOFF_BASE=0.1"]


def run(cmd: list[str], cwd: Path, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**ENV, **env})


def test_wheel_ships_every_data_file_and_the_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (entry_points,) = [z.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt")]
    data = package_data_files()
    assert data <= names, sorted(data - names)
    assert not any(n.startswith("tests/") for n in names)
    assert "dgsn-corpus = corpus.cli:main" in entry_points and "settings = crawler.settings" in entry_points


def test_installed_wheel_crawls_builds_and_runs_scrapy_outside_the_repo(installed: Path, tmp_path: Path) -> None:
    python, cli = str(installed / "python"), str(installed / "dgsn-corpus")
    where = run([python, "-c", "import crawler, cleaners, corpus; print(crawler.__file__, cleaners.__file__, "
                 "corpus.__file__)"], cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(p.startswith(str(installed.parent)) for p in where.stdout.split()), where.stdout
    # the bundled registry (crawler/sources.yaml) loads: an unknown id is a usage error, not a FileNotFoundError
    proc = run([cli, "crawl", "--source", "no-such-outlet", "--workdir", str(tmp_path / "w0")], cwd=tmp_path)
    assert proc.returncode == 2 and "unknown source(s): no-such-outlet" in proc.stderr, proc.stderr[-3000:]

    # the sample outlets as the README serves them, from the installed package
    registry = tmp_path / "sample-sources.yaml"
    server = subprocess.Popen([python, "-m", "crawler.sample_outlets.server", "--registry", str(registry)],
                              cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (registry.is_file() and len((yaml.safe_load(registry.read_text("utf-8")) or {})
                                               .get("sources", [])) == 6):
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
            time.sleep(0.1)

        proc = run([cli, "run", "--sources", str(registry), "--workdir", "W", *FAST], cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        versions = run([cli, "versions", "--corpus", "W/corpus", "--json"], cwd=tmp_path)
        assert versions.returncode == 0, versions.stderr[-3000:]
        assert json.loads(versions.stdout.splitlines()[-1])["counts"]["documents"] > 0, versions.stdout[-3000:]

        proc = run([python, "-m", "scrapy", "crawl", "news", "-a", "source=sample-cp1256-ar",
                    "-a", f"sources_file={registry}", "-s", "DGSN_WORKDIR=S", "-s", "DOWNLOAD_DELAY=0",
                    "-s", "AUTOTHROTTLE_ENABLED=False"], cwd=tmp_path, SCRAPY_SETTINGS_MODULE="crawler.settings")
        assert proc.returncode == 0 and "'finish_reason': 'finished'" in proc.stderr, proc.stderr[-3000:]
    finally:
        server.terminate()
        server.communicate(timeout=10)  # and closes the stderr pipe
    statuses: Counter[str] = Counter()
    for path in (tmp_path / "S").glob("raw/*/*.warc.gz"):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    statuses[record.http_headers.get_statuscode()] += 1
    assert statuses["200"] > 0, statuses


def test_installed_wheel_runs_the_demo_outside_the_repo(installed: Path, tmp_path: Path) -> None:
    """`dgsn-corpus demo` reads the bundled sample pages from the installed package."""
    proc = run([str(installed / "dgsn-corpus"), "demo", "--workdir", "demo-work"], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "release demo = v1" in proc.stdout and (tmp_path / "demo-work" / "export" / "manifest.json").is_file()
    assert (tmp_path / "demo-work" / "report.html").is_file()
