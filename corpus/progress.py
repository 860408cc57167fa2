"""Progress of long commands on stderr: a rich progress bar when stderr is a terminal, a plain line
every DGSN_PROGRESS_SECONDS (30 s) otherwise, so a cron log stays readable; nothing with --quiet.

Work is measured in bytes of input when the total is known (files are cleaned front to back, so a
document's raw offset says how far into its file the reader is), which gives an ETA even for one
large CC-NEWS file; otherwise in items (documents, pages) with a rate and no ETA.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType

INTERVAL_ENV = "DGSN_PROGRESS_SECONDS"
DEFAULT_INTERVAL_S = 30.0


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL_S)))
    except ValueError:
        return DEFAULT_INTERVAL_S


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """`what` names the command; `total_bytes`/`total_files` when the input is known up front.
    `counters` are named counts shown beside the main one (e.g. fetched, errors)."""

    def __init__(self, what: str, *, unit: str = "documents", total_bytes: int | None = None,
                 total_files: int | None = None, quiet: bool = False, terminal: bool | None = None):
        self.what = what
        self.unit = unit
        self.total_bytes = total_bytes or None
        self.total_files = total_files
        self.quiet = quiet
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.count = 0
        self.files_done = 0
        self.bytes_done = 0  # of finished files
        self.position = 0  # in the file being read
        self.counters: dict[str, int] = {}
        self.started = time.monotonic()
        self._last_line = self.started
        self._interval = _interval()
        self._bar = None
        self._task = None

    # -- updates --------------------------------------------------------------------------------
    def item(self, n: int = 1, position: int | None = None) -> None:
        """`n` more items; `position`: the byte offset reached in the current file."""
        self.count += n
        if position is not None:
            self.position = position
        self._show()

    def file_done(self, nbytes: int = 0) -> None:
        self.files_done += 1
        self.bytes_done += nbytes
        self.position = 0
        self._show()

    def set(self, count: int | None = None, **counters: int) -> None:
        if count is not None:
            self.count = count
        self.counters.update(counters)
        self._show()

    # -- display --------------------------------------------------------------------------------
    def _done_bytes(self) -> int:
        return self.bytes_done + self.position

    def describe(self, bar: bool = False) -> str:
        """The line logged; `bar`: the counts shown beside a progress bar (which shows bytes and ETA)."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        parts = []
        if self.total_files is not None:
            parts.append(f"{self.files_done}/{self.total_files} files")
        if self.total_bytes and not bar:
            parts.append(f"{_size(self._done_bytes())}/{_size(self.total_bytes)}")
        parts.append(f"{self.count} {self.unit}")
        parts.extend(f"{v} {k}" for k, v in self.counters.items())
        parts.append(f"{self.count / elapsed:.1f} {self.unit}/s")
        eta = self.eta(elapsed)
        if eta is not None and not bar:
            parts.append(f"ETA {_duration(eta)}")
        return ", ".join(parts) if bar else f"{self.what}: " + ", ".join(parts)

    def eta(self, elapsed: float) -> float | None:
        done = self._done_bytes()
        if not self.total_bytes or done <= 0:
            return None
        return max(0.0, elapsed * (self.total_bytes - done) / done)

    def _show(self) -> None:
        if self.quiet:
            return
        if self.terminal:
            self._update_bar()
            return
        now = time.monotonic()
        if now - self._last_line >= self._interval:
            self._last_line = now
            print(self.describe(), file=sys.stderr, flush=True)

    def _update_bar(self) -> None:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

            columns = [TextColumn(self.what)]
            if self.total_bytes:
                columns += [BarColumn(bar_width=24), DownloadColumn(), TimeRemainingColumn()]
            columns.append(TextColumn("{task.description}"))
            self._bar = Progress(*columns, console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total_bytes)
        self._bar.update(self._task, completed=self._done_bytes() if self.total_bytes else None,
                         description=self.describe(bar=True))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif not self.quiet and not self.terminal and time.monotonic() - self.started >= self._interval:
            print(self.describe() + " (done)", file=sys.stderr, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
