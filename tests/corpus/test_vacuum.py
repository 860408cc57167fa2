"""A corpus vacuumed every week, as a cron job with the default retention leaves it: every command
keeps working on every version whose files remain, and a vacuumed version is one clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from corpus.build import build
from corpus.cli import cli
from corpus.store import CorpusStore, version_ranges
from tests.conftest import REPO
from tests.helpers import article_html, write_warc

WEEKS = 8
NEW_PER_WEEK = 3


class Subprocesses:
    """The console command in processes of its own, started at once and waited for in turn."""

    def start(self, *args: str | Path) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        return subprocess.Popen([sys.executable, "-m", "corpus.cli", *map(str, args)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, proc: subprocess.Popen[str], code: int = 0) -> tuple[str, str]:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == code, f"{proc.args[3:]}: exit {proc.returncode}, not {code}\n{out}\n{err}"
        assert "Traceback" not in err, err
        return out, err


class InProcess:
    """The same click commands run by click's CliRunner in this process: no interpreter start-up
    (a second each on two busy cores), so that every week can run every command."""

    def start(self, *args: str | Path) -> tuple[list[str], Result]:
        argv = list(map(str, args))
        return argv, CliRunner().invoke(cli, argv)

    def finish(self, started: tuple[list[str], Result], code: int = 0) -> tuple[str, str]:
        argv, result = started
        assert result.exit_code == code, f"{argv}: exit {result.exit_code}, not {code}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result.stdout, result.stderr


def week_pages(week: int) -> list[tuple[str, str]]:
    """Week 1: articles 0-2. Each later week: three new articles, and article 0 edited again."""
    new = range((week - 1) * NEW_PER_WEEK, week * NEW_PER_WEEK)
    pages = [(f"https://news.example.ma/article-{i}/", article_html(i)) for i in new]
    if week > 1:
        update = f"<p>Update in week {week}: the court in Rabat scheduled the extradition hearing.</p>"
        pages.append(("https://news.example.ma/article-0/", article_html(0, extra=update)))
    return pages


def one_error_line(err: str, corpus: Path, version: int) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dgsn-corpus: error: version {version} of {corpus} was vacuumed "
                               "(its data files are deleted); readable versions: "), err


def test_weekly_vacuum_keeps_every_command_working(tmp_path: Path, caplog) -> None:
    """Eight weekly builds, each followed by `vacuum --retention-hours 0` (only the latest and the
    released version keep their files), then every command. Weeks 2 and 8 run them as processes."""
    corpus = tmp_path / "corpus"
    store = CorpusStore(corpus)
    release = None
    for week in range(1, WEEKS + 1):
        runner = Subprocesses() if week in (2, WEEKS) else InProcess()
        start, finish = runner.start, runner.finish

        def run(*args: str | Path, code: int = 0) -> tuple[str, str]:
            return finish(start(*args), code)  # noqa: B023 (called in this iteration only)

        report = build([write_warc(tmp_path / "raw" / f"week{week}", week_pages(week), extra_records=False)[0]],
                       corpus)
        assert report.counts["added"] == NEW_PER_WEEK and report.counts["changed"] == (week > 1)
        # The index saved by last week's rebuild is found past the vacuum's own commits.
        assert "no near-duplicate index" not in caplog.text
        if week == 2:
            release = report.version
            run("release", "create", "week2", "--corpus", corpus)
        out, err = run("vacuum", "--corpus", corpus, "--retention-hours", "0")
        assert err.strip().endswith("deleted")

        latest = store.latest_version()
        readable = store.readable_versions()
        vacuumed = sorted(set(range(latest + 1)) - set(readable))
        assert report.version in readable and latest in readable
        assert (release in readable) if release is not None else True
        assert bool(vacuumed) == (week > 1), vacuumed  # week 1: one build, nothing to delete yet
        doc0 = next(r["doc_id"] for r in store.read(columns=["doc_id", "url"]).to_pylist()
                    if r["url"] == "https://news.example.ma/article-0/")

        # Every reading command at once (they only read), then a rebuild (it takes the build lock).
        procs = {
            "show": start("show", doc0, "--corpus", corpus),
            "diff": start("diff", "week2" if release is not None else 0, latest, "--corpus", corpus),
            "export": start("export", "--corpus", corpus, "--format", "jsonl", "--out", tmp_path / "export"),
            "report": start("report", "--corpus", corpus, "--out", tmp_path / "report.html"),
            "versions": start("versions", "--corpus", corpus, "--json"),
        }
        if vacuumed:
            gone = vacuumed[-1]
            procs |= {
                "show gone": start("show", doc0, "--corpus", corpus, "--version", gone),
                "diff gone": start("diff", gone, latest, "--corpus", corpus),
                "export gone": start("export", "--corpus", corpus, "--version", gone, "--format", "jsonl",
                                     "--out", tmp_path / "export-gone"),
            }
            procs["release gone"] = start("release", "create", "old", "--corpus", corpus, "--version", gone)

        out, _ = finish(procs["show"])
        head = out.splitlines()[0]
        if vacuumed:  # the first version read after vacuumed ones is the release (kept by vacuum)
            assert head.startswith(f"history (versions {version_ranges(readable)}; "
                                   f"{version_ranges(vacuumed)} vacuumed): v{release} present"), head
            assert week == 2 or f"v{report.version} changed" in head, head
        else:
            assert head == "history: v0 added"
        assert f"Update in week {week}" in out if week > 1 else True
        assert "raw record: " in out and "WARC-Record-ID: <urn:uuid:" in out and "<!DOCTYPE html>" in out

        out, _ = finish(procs["diff"])
        if release is not None:
            assert out.splitlines()[0] == (f"version {release} -> {latest}: {NEW_PER_WEEK * (week - 2)} added, "
                                           f"0 removed, {int(week > 2)} changed")
        out, _ = finish(procs["export"])
        manifest = json.loads(Path(out.strip()).read_text(encoding="utf-8"))
        assert manifest["version"] == latest and manifest["counts"]["documents"] == NEW_PER_WEEK * week
        finish(procs["report"])
        page = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert f"<title>v{report.version}: {NEW_PER_WEEK * week} documents</title>" in page
        # delta-rs logs a vacuum that deletes files as two commits (none when there is nothing to delete)
        assert f"({2 * week - 1} builds, {2 * (week - 1)} vacuum commits)" in page if week > 1 else True
        out, _ = finish(procs["versions"])
        history = [json.loads(line) for line in out.splitlines()]
        assert [v["version"] for v in history] == list(range(latest + 1))
        assert [v["version"] for v in history if v["readable"]] == readable
        ops = [v["operation"] for v in history]
        assert ops.count("build") == week and ops.count("rebuild") == week - 1
        assert ops.count("vacuum") == 2 * (week - 1) and (week == 1 or ops[-2:] == ["vacuum", "vacuum"])
        for name, proc in procs.items():
            if name.endswith("gone"):
                _, err = finish(proc, 2)
                one_error_line(err, corpus, gone)

        out, err = run("rebuild", "--corpus", corpus)
        assert "0 added, 0 changed, 0 removed" in out and "missing" not in err
        assert "no near-duplicate index" not in err

    assert not (tmp_path / "export-gone").exists()
    assert set(store.releases()) == {"week2"}
    table = Subprocesses().finish(Subprocesses().start("versions", "--corpus", corpus))[0].splitlines()
    assert table[0].split()[:4] == ["version", "time", "(UTC)", "operation"]
    vacuum_rows = [line.split() for line in table[1:] if line.split()[2] == "vacuum"]
    assert len(vacuum_rows) == 2 * (WEEKS - 1) and all(len(row) == 4 for row in vacuum_rows)  # no counts
    assert {line.split()[-1] for line in table[1:]} == {"readable", "vacuumed"}
