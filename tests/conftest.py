from __future__ import annotations

import os
from pathlib import Path

import pytest

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
