"""Sample outlets: pages written for this project in the markup of the themes the real outlets
run (Jannah, Publisher, Newspaper, AMP, Jetpack). The demo and the tests turn them into WARC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from crawler.warc import WarcFileWriter

REASONS = {200: "OK", 301: "Moved Permanently", 404: "Not Found", 500: "Internal Server Error"}


@dataclass
class SamplePage:
    file: str
    url: str
    fetched_at: str
    content_type: str
    status: int
    body: bytes


def _pages_dir() -> Traversable:
    """A Traversable, not a Path, so the pages also read from a zipped egg."""
    return resources.files(__package__) / "pages"


def sample_pages() -> list[SamplePage]:
    root = _pages_dir()
    entries = yaml.safe_load((root / "manifest.yaml").read_text(encoding="utf-8"))
    pages = []
    for entry in entries:
        body = (root / entry["file"]).read_bytes()
        if ".cp1256." in entry["file"]:
            # Stored as UTF-8 for editing; served as the windows-1256 bytes Arabic sites send.
            body = body.decode("utf-8").encode("cp1256", errors="xmlcharrefreplace")
        pages.append(SamplePage(entry["file"], entry["url"], str(entry["fetched_at"]),
                                entry["content_type"], int(entry.get("status", 200)), body))
    return pages


def write_sample_warc(directory: str | Path, max_bytes: int = 1 << 30) -> list[Path]:
    """Write every sample page as a request/response pair; return the closed WARC files."""
    with WarcFileWriter(directory, prefix="sample-outlets", max_bytes=max_bytes,
                        info={"operator": "dgsn-corpus demo", "source": "bundled sample pages"}) as w:
        for page in sample_pages():
            headers = [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))]
            when = datetime.fromisoformat(page.fetched_at.replace("Z", "+00:00"))
            w.write_response(page.url, page.status, REASONS.get(page.status, ""), headers, page.body,
                             request_headers=[("User-Agent", "dgsn-corpus/0.1")], fetched_at=when)
    return w.closed_files
