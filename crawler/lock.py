"""One process at a time per directory: a crawl workdir, or a corpus being built. An exclusive
flock, non-blocking by default; the kernel releases it if the holder dies (even by kill -9)."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

EXIT_LOCKED = 75  # EX_TEMPFAIL: another process holds the directory; cron can simply try again later


class DirectoryLocked(RuntimeError):
    pass


@contextmanager
def dir_lock(directory: Path, name: str = ".lock", wait: float = 0.0, what: str = "run") -> Iterator[None]:
    """Hold `directory/name` exclusively; wait up to `wait` seconds for another holder to finish."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                    raise DirectoryLocked(f"another {what} (pid {holder}) holds {path}") from exc
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def workdir_lock(workdir: Path) -> AbstractContextManager[None]:
    """The crawl workdir's lock: `crawl`, `run` and the demo hold it."""
    return dir_lock(workdir)
