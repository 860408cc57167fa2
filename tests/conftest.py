from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.helpers import copy_project

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_dir() -> Path:
    """../shared beside the repo (as in CI), or $DGSN_SHARED."""
    return Path(os.environ.get("DGSN_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    path = shared_dir() / "seeds"
    if not path.is_dir():
        pytest.fail(f"seed documents not found at {path}: put ../shared beside the repo or set DGSN_SHARED")
    return path


# -- a wheel installed as users install it (tests/test_install.py, tests/e2e/) ---------------------
# Without the repo's and the caller's Python settings, so the fresh venv sees only what is installed in it.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE", "VIRTUAL_ENV")}


def _run(cmd: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=CLEAN_ENV)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("project"))
    out = project.parent / "dist"
    # --no-build-isolation: the build backend (setuptools, pinned in constraints.txt) is already installed
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                "-q", "-w", str(out), str(project)], cwd=project.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("dgsn_corpus-*.whl")
    return path


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its bin directory. The venv gets only the wheel;
    its dependencies come from this test's own environment through a .pth line naming its
    site-packages (a plain path line: the .pth files in there, such as the editable install's finder
    of dgsn-corpus itself, are not run), so nothing is downloaded."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(root)
    bindir = root / "bin"
    purelib = Path(_run([str(bindir / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                       cwd=root).stdout.strip())
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n", "utf-8")
    proc = _run([sys.executable, "-m", "pip", "--python", str(bindir / "python"), "install", "-q", "--no-deps",
                "--no-index", "--ignore-installed", str(wheel)], cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return bindir
