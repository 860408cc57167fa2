"""scrapyd for real: a scrapyd server on a free localhost port, the project deployed with scrapyd-deploy (the
egg scrapyd-client builds with `setup.py bdist_egg`), one source crawled through schedule.json against the
sample outlets, and the WARC files the job wrote read back. Also what the egg carries, and that its code runs
from the zipped egg, as scrapyd imports it."""

from __future__ import annotations

import configparser
import json
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.sample_outlets.server import SampleOutlets
from tests.helpers import copy_project, package_data_files

PROJECT = "dgsn_corpus"  # scrapy.cfg [deploy] project
DEPLOY = [sys.executable, "-m", "scrapyd_client.deploy"]  # scrapyd-deploy
CLIENT = [sys.executable, "-m", "scrapyd_client"]  # scrapyd-client
WARCIO = str(Path(sys.executable).with_name("warcio"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(url: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urlencode(data).encode() if data is not None else None
    with urlopen(f"{url}/{endpoint}", data=body, timeout=30) as response:
        return json.load(response)


def run(cmd: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def point_deploy_at(project: Path, url: str) -> None:
    """The [deploy] target of the project's scrapy.cfg, aimed at the test server (no trailing slash:
    scrapyd-client's other commands would ask for //listspiders.json)."""
    cfg = configparser.ConfigParser()
    cfg.read(project / "scrapy.cfg")
    cfg["deploy"]["url"] = url
    with open(project / "scrapy.cfg", "w") as fh:
        cfg.write(fh)


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A scrapyd of its own: configuration, eggs, logs and job database under tmp_path/scrapyd."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\nitems_dir =\n"
        "max_proc = 1\npoll_interval = 0.2\n", "utf-8")
    url = f"http://127.0.0.1:{port}"
    with open(home / "scrapyd.out", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    api(url, "daemonstatus.json")
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("scrapyd did not start:\n" + (home / "scrapyd.out").read_text()[-3000:])
                    time.sleep(0.2)
            yield url, home
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def egg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The egg scrapyd-deploy would upload (`--build-egg` builds it, as a deploy does, without uploading)."""
    project = copy_project(tmp_path_factory.mktemp("project"))
    path = project.parent / "dgsn_corpus.egg"
    proc = run([*DEPLOY, "--build-egg", str(path)], cwd=project)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return path


def wait_finished(url: str, jobid: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = api(url, f"listjobs.json?project={PROJECT}")
        done = [job for job in jobs["finished"] if job["id"] == jobid]
        if done:
            return done[0]
        time.sleep(0.3)
    pytest.fail(f"scrapyd job {jobid} not finished after {timeout} s: {jobs}")


def test_egg_ships_the_registry_rules_pages_and_scrapy_entry_point(egg: Path) -> None:
    with zipfile.ZipFile(egg) as z:
        names = set(z.namelist())
        entry_points = z.read("EGG-INFO/entry_points.txt").decode()
    # every data file the packages read at run time is in the egg
    data = package_data_files()
    assert data <= names, sorted(data - names)
    assert "crawler/spiders/news.py" in names and not any(n.startswith("tests/") for n in names)
    # scrapyd finds the settings module through this entry point (without it: AttributeError on the server)
    assert "[scrapy]\nsettings = crawler.settings" in entry_points


def test_egg_code_runs_from_the_zipped_egg(egg: Path, tmp_path: Path) -> None:
    """scrapyd puts the .egg file itself on sys.path: the registry, the rules and the sample pages must load
    through zipimport, not from paths beside __file__."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import crawler, cleaners\n"
        "assert crawler.__file__.startswith(sys.argv[1]), crawler.__file__\n"
        "from crawler.sources import load_sources\n"
        "from cleaners import clean_html\n"
        "from crawler.sample_outlets import sample_pages\n"
        "pages = sample_pages()\n"
        "doc = clean_html(next(p.body for p in pages if p.file.endswith('.cp1256.html')))\n"
        "print(len(load_sources()), len(pages), doc.language)\n")
    proc = run([sys.executable, "-c", code, str(egg)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    n_sources, n_pages, language = proc.stdout.split()
    assert int(n_sources) >= 20 and int(n_pages) >= 10 and language == "ar"


def test_deploy_schedule_and_crawl_through_scrapyd(tmp_path: Path, scrapyd: tuple[str, Path]) -> None:
    url, home = scrapyd
    project = copy_project(tmp_path / "project")
    point_deploy_at(project, url)
    # A mark only the deployed code carries, to tell that the job ran the egg and not the repo's packages.
    settings = project / "crawler" / "settings.py"
    settings.write_text(settings.read_text("utf-8").replace('BOT_NAME = "dgsn-corpus"', 'BOT_NAME = "dgsn-egg"'))

    deploy = run(DEPLOY, cwd=project)
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout[-3000:]
    check = run([*CLIENT, "spiders", "-p", PROJECT], cwd=project)  # the check the README gives after a deploy
    assert check.returncode == 0 and check.stdout.split() == [f"{PROJECT}:", "news"], check.stdout
    assert api(url, "listprojects.json")["projects"] == [PROJECT]
    assert api(url, f"listspiders.json?project={PROJECT}")["spiders"] == ["news"]

    workdir = tmp_path / "work"
    with SampleOutlets(slow_seconds=0.2) as outlets:
        registry = outlets.registry(tmp_path / "sample-sources.yaml")
        job = api(url, "schedule.json", [
            ("project", PROJECT), ("spider", "news"),
            ("source", "sample-le360-fr"), ("sources_file", str(registry)),
            ("setting", f"DGSN_WORKDIR={workdir}"),
            ("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_ENABLED=False")])
        assert job["status"] == "ok", job
        wait_finished(url, job["jobid"])
        expected = set(outlets.article_urls("le360-fr"))
    log = (home / "logs" / PROJECT / "news" / f"{job['jobid']}.log").read_text("utf-8")
    assert "(bot: dgsn-egg)" in log, log[:2000]
    assert "'finish_reason': 'finished'" in log, log[-3000:]

    warcs = sorted(workdir.glob("raw/*/*.warc.gz"))
    assert warcs and not list(workdir.glob("raw/*/*.open"))
    check = run([WARCIO, "check", *map(str, warcs)], cwd=tmp_path)
    assert check.returncode == 0, check.stdout[-3000:]
    fetched = set()
    for path in warcs:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.http_headers.get_statuscode() == "200":
                    fetched.add(record.rec_headers.get_header("WARC-Target-URI"))
    assert expected and expected <= fetched, sorted(expected - fetched)


def test_a_refused_deploy_fails_the_spiders_check(tmp_path: Path, scrapyd: tuple[str, Path]) -> None:
    """scrapyd refuses an egg without the `scrapy` entry point, but answers HTTP 200 {"status": "error"}, so
    scrapyd-deploy (scrapyd-client 2.0.3) exits 0; `scrapyd-client spiders` is the check that fails."""
    url, _ = scrapyd
    (tmp_path / "scrapy.cfg").write_text(f"[settings]\ndefault = crawler.settings\n\n[deploy]\nurl = {url}\n"
                                         f"project = {PROJECT}\n", "utf-8")
    broken = tmp_path / "broken.egg"
    with zipfile.ZipFile(broken, "w") as z:  # what a pyproject build without the entry point gave
        z.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 2.1\nName: dgsn-corpus\nVersion: 0.1.0\n")
        z.writestr("crawler/__init__.py", "")
    deploy = run([*DEPLOY, "--egg", str(broken)], cwd=tmp_path)
    assert json.loads(deploy.stdout)["status"] == "error" and "module_name" in deploy.stdout
    assert deploy.returncode == 0, "scrapyd-deploy now fails on a refused egg: simplify the README's deploy check"
    check = run([*CLIENT, "spiders", "-p", PROJECT], cwd=tmp_path)
    assert check.returncode == 1 and "Scrapyd responded with an error" in check.stdout, check.stdout
