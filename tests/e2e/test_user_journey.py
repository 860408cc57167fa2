"""A researcher's first weeks, as one sequence of commands, run from a wheel installed in a fresh
virtualenv and from folders that are not the repo: crawl the sample outlets on a schedule (twice,
an article edited in between), build, release, vacuum, move the workdir elsewhere, rebuild there,
export, and load the export with datasets, pandas, polars and DuckDB. Every step checks the
document counts and that every document names its outlet."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from crawler.sample_outlets.server import SampleOutlets

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=0", "--set", "RETRY_BACKOFF_BASE=0.1"]


class User:
    """Runs the installed console script in its own working directory, never the repo."""

    def __init__(self, bindir: Path, home: Path):
        self.script = bindir / "dgsn-corpus"
        self.python = bindir / "python"
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.env.update(HF_HOME=str(home / "hf"), HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")

    def run(self, *args: str | Path, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(self.script), *map(str, args)], cwd=cwd or self.home, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if ok:
            assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        return proc

    def py(self, code: str, *args: str) -> str:
        proc = subprocess.run([str(self.python), "-c", code, *args], cwd=self.home, env=self.env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-3000:]}"
        return proc.stdout


READ = """
import json, sys
import polars as pl
frame = pl.read_delta(sys.argv[1])
print(json.dumps({"rows": frame.height, "sources": sorted(set(frame["source"].to_list()), key=str),
                  "pairs": sorted(zip(frame["url"].to_list(), frame["source"].to_list()))}))
"""

LOAD_EXPORT = """
import json, sys
import datasets, duckdb, pandas as pd, polars as pl
from datatrove.pipeline.readers import ParquetReader
out = sys.argv[1]
ds = datasets.load_dataset(out, split="train")
frame = pd.read_parquet(out + "/data")
pl_frame = pl.read_parquet(out + "/data/*.parquet")
n_duck = duckdb.connect().execute(f"select count(*) from read_parquet('{out}/data/*.parquet')").fetchone()[0]
n_datatrove = sum(1 for _ in ParquetReader(out + "/data", id_key="doc_id")())
print(json.dumps({"datasets": ds.num_rows, "pandas": len(frame), "polars": pl_frame.height, "duckdb": n_duck,
                  "datatrove": n_datatrove, "sources": sorted(set(ds["source"]), key=str)}))
"""

API = """
import json, sys
import corpus
c = corpus.open(sys.argv[1])
release = c.documents("week2", columns=["doc_id", "source"], format="polars")
print(json.dumps({"versions": [v["version"] for v in c.versions() if not v["vacuum"]],
                  "release_rows": release.height, "pandas_rows": len(c.documents(format="pandas")),
                  "sources": sorted(set(release["source"].to_list()), key=str)}))
"""


def _outlet_of(outlets: SampleOutlets) -> dict[str, str]:
    return {urlsplit(o.base).netloc: f"sample-{oid}" for oid, o in outlets.outlets.items()}


def test_weeks_of_use_from_a_wheel(installed: Path, tmp_path: Path) -> None:
    user = User(installed, tmp_path / "home")
    user.home.mkdir()
    workdir = user.home / "dgsn-work"
    with SampleOutlets(extra_articles=3, slow_seconds=0.2) as outlets:
        registry = outlets.registry(user.home / "sources.yaml")
        outlet_of = _outlet_of(outlets)
        # Week 1: the scheduled run crawls and builds.
        first = user.run("run", "--workdir", workdir, "--sources", registry, *FAST, "-q")
        assert "version 0 of" in first.stdout
        seen = json.loads(user.py(READ, str(workdir / "corpus")))
        assert seen["rows"] >= 10
        assert all(source == outlet_of[urlsplit(url).netloc] for url, source in seen["pairs"])
        # Week 2: one article edited; the next run fetches it alone and changes one document.
        le360 = outlets.outlets["le360-fr"]
        article = le360.articles[0]
        added = "<p>Les enquêteurs ont précisé mardi que deux complices présumés ont été arrêtés à Fès.</p>".encode()
        cut = article.body.index(b"</p>", article.body.index(b"td-post-content")) + 4  # after the first paragraph
        outlets.edit(le360.url(article), article.body[:cut] + added + article.body[cut:])
        second = user.run("run", "--workdir", workdir, "--sources", registry, *FAST, "-q")
        assert "version 1 of" in second.stdout and "1 changed" in second.stdout, second.stdout
    corpus = workdir / "corpus"
    assert json.loads(user.py(READ, str(corpus)))["rows"] == seen["rows"]
    user.run("release", "create", "week2", "--corpus", corpus)
    doc_id = json.loads(user.run("diff", "0", "1", "--corpus", corpus, "--json").stdout)["changed"][0]

    # The weekly vacuum: only the latest and released versions stay readable.
    user.run("vacuum", "--corpus", corpus, "--retention-hours", "0")
    shown = user.run("show", doc_id, "--corpus", corpus)
    assert "deux complices présumés" in shown.stdout and "raw record: " in shown.stdout

    # The workdir moves to another disk; every command works from yet another folder.
    moved = tmp_path / "elsewhere" / "dgsn-work"
    moved.parent.mkdir()
    shutil.move(workdir, moved)
    other_cwd = tmp_path / "scripts"
    other_cwd.mkdir()
    corpus = moved / "corpus"
    rebuilt = user.run("rebuild", "--corpus", corpus, "-q", cwd=other_cwd)
    assert "0 added, 0 changed, 0 removed" in rebuilt.stdout and "missing" not in rebuilt.stderr, rebuilt.stderr
    shown = user.run("show", doc_id, "--corpus", corpus, cwd=other_cwd)
    assert "raw record: " in shown.stdout and "unavailable" not in shown.stderr
    user.run("report", "--corpus", corpus, "--out", other_cwd / "report.html", cwd=other_cwd)
    assert "Crawl health per source" in (other_cwd / "report.html").read_text(encoding="utf-8")

    # The analyst exports the release and loads it with the usual tools.
    out = other_cwd / "export"
    user.run("export", "--corpus", corpus, "--release", "week2", "--format", "parquet", "--out", out, cwd=other_cwd)
    loaded = json.loads(user.py(LOAD_EXPORT, str(out)))
    n = seen["rows"]
    readers = ("datasets", "pandas", "polars", "duckdb", "datatrove")
    assert {k: loaded[k] for k in readers} == dict.fromkeys(readers, n)
    assert loaded["sources"] == seen["sources"] and None not in loaded["sources"]
    # and from a script, through the Python API (it must exit cleanly: user.py checks exit 0)
    api = json.loads(user.py(API, str(corpus)))
    assert api["release_rows"] == api["pandas_rows"] == n and api["sources"] == seen["sources"]
