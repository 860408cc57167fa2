"""WARC writer: what was fetched, byte for byte (ISO 28500), through warcio.

Each record is its own gzip member and is flushed as soon as it is written, so a killed process
leaves a file readable up to its last complete record. A file is named `*.warc.gz.open` while it
is written and renamed to `*.warc.gz` when closed; it rotates when it passes `max_bytes`.
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners import CLEANER_VERSION

DEFAULT_MAX_BYTES = 1 << 30


def warc_date(when: datetime | None = None) -> str:
    when = when or datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcFileWriter:
    def __init__(self, directory: str | Path, prefix: str = "dgsn-corpus",
                 max_bytes: int = DEFAULT_MAX_BYTES, info: dict[str, object] | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = info or {}
        self.closed_files: list[Path] = []
        self._serial = 0
        self._fh: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        self._warcinfo_id: str | None = None  # every record names its file's warcinfo (ISO 28500 5.15)

    # -- files ---------------------------------------------------------------------------------
    @property
    def current_path(self) -> Path | None:
        """Final name (without `.open`) of the file being written."""
        return self._path.with_suffix("") if self._path else None

    @property
    def current_size(self) -> int:
        """Bytes written to the open file so far (0 when none is open)."""
        return self._fh.tell() if self._fh is not None else 0

    def _open(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            self._serial += 1
            name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:05d}.warc.gz.open"
            path = self.directory / name
            if not path.exists() and not path.with_suffix("").exists():
                break
        self._path = path
        self._fh = open(path, "wb")
        self._writer = WARCWriter(self._fh, gzip=True)
        payload = {"software": f"dgsn-corpus/{CLEANER_VERSION}", "format": "WARC File Format 1.1",
                   **{k: v if isinstance(v, str) else json.dumps(v) for k, v in self.info.items()}}
        record = self._writer.create_warcinfo_record(path.with_suffix("").name, payload)
        self._warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self._write(record)

    def _write(self, record) -> int:
        assert self._fh is not None and self._writer is not None
        offset = self._fh.tell()
        self._writer.write_record(record)
        self._fh.flush()
        return offset

    def close(self) -> None:
        if self._fh is None or self._path is None:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        final = self._path.with_suffix("")
        os.replace(self._path, final)
        self.closed_files.append(final)
        self._fh = self._writer = self._path = None

    def __enter__(self) -> WarcFileWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- records -------------------------------------------------------------------------------
    def write_response(self, url: str, status: int, reason: str, headers: list[tuple[str, str]],
                       body: bytes, *, request_headers: list[tuple[str, str]] | None = None,
                       method: str = "GET", fetched_at: datetime | None = None,
                       ip: str | None = None, truncated: str | None = None) -> tuple[Path, int, str]:
        """Write a request/response pair; return (final file name, response offset, record id).
        `truncated`: the WARC-Truncated reason when `body` is not all that was received."""
        if self._fh is None:
            self._open()
        assert self._writer is not None and self._path is not None
        date = warc_date(fetched_at)
        http = StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": date}
        if self._warcinfo_id:
            warc_headers["WARC-Warcinfo-ID"] = self._warcinfo_id
        if ip:
            warc_headers["WARC-IP-Address"] = ip
        if truncated:
            warc_headers["WARC-Truncated"] = truncated
        response = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
            warc_headers_dict=warc_headers,
        )
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        path = self.current_path
        assert path is not None
        offset = self._write(response)
        target = urlsplit_path(url)
        req_http = StatusAndHeaders(f"{method} {target} HTTP/1.1", request_headers or [],
                                    is_http_request=True)
        request = self._writer.create_warc_record(
            url, "request", http_headers=req_http,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id,
                               **({"WARC-Warcinfo-ID": self._warcinfo_id} if self._warcinfo_id else {})},
        )
        self._write(request)
        if self._fh is not None and self._fh.tell() >= self.max_bytes:
            self.close()
        return path, offset, record_id


def urlsplit_path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
