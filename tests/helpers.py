"""Builders of raw dumps for tests: real WARC files written by the project's own WARC writer; a copy of the
project for the tests that build and install it."""

from __future__ import annotations

import shutil
from pathlib import Path

from crawler.warc import WarcFileWriter

REPO = Path(__file__).resolve().parents[1]
# What a build of the distribution reads: its metadata, setup.py (scrapyd-deploy), scrapy.cfg and the packages.
PROJECT_FILES = ("pyproject.toml", "setup.py", "README.md", "scrapy.cfg", "cleaners", "crawler", "corpus")

PARAGRAPH = ("The General Directorate of National Security said officers in {city} arrested a man "
             "wanted under an Interpol red notice for fraud committed abroad, and placed him in "
             "custody pending extradition proceedings requested by the issuing country.")


def article_html(n: int, *, city: str = "Tangier", extra: str = "") -> str:
    title = f"Suspect number {n} wanted by Interpol arrested in {city}"
    body = PARAGRAPH.format(city=city)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title} - Test News</title>"
            f"<link rel='canonical' href='https://news.example.ma/article-{n}/'></head><body>"
            f"<header><nav>Home Politics Society</nav></header><article><h1>{title}</h1>"
            f"<p>{body} Case reference {n} was opened by the prosecutor.</p>"
            f"<p>Investigators said case {n} involved several bank transfers made between 2021 and 2023, "
            f"according to the statement published on Monday evening.</p>{extra}"
            f"<div class='sharedaddy'><h3>Share this:</h3><a>Facebook</a><a>Twitter</a></div></article>"
            f"<div id='amp-mobile-version-switcher'><a>Exit mobile version</a></div></body></html>")


def write_warc(directory: Path, pages: list[tuple[str, str]], *, extra_records: bool = True,
               max_bytes: int = 1 << 30) -> list[Path]:
    """`pages`: (url, html). Adds a non-HTML response and a 404 unless extra_records is False."""
    with WarcFileWriter(directory, prefix="test", max_bytes=max_bytes, info={"test": True}) as w:
        for url, html in pages:
            w.write_response(url, 200, "OK", [("Content-Type", "text/html; charset=utf-8")],
                             html.encode("utf-8"))
        if extra_records:
            w.write_response("https://news.example.ma/logo.png", 200, "OK",
                             [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n" + bytes(200))
            w.write_response("https://news.example.ma/missing/", 404, "Not Found",
                             [("Content-Type", "text/html")], b"<html><body>Not found</body></html>")
    return w.closed_files


def write_cc_warc(path: Path, pages: list[tuple[str, str]], *, truncate_at: int | None = None,
                  torn_tail: bool = True) -> Path:
    """A WARC laid out as Common Crawl's CC-NEWS files are: a warcinfo record, then per page a
    request, a response and a metadata record, each its own gzip member. As Common Crawl does,
    the payload is stored decoded and the HTTP headers that described its encoding are renamed
    (X-Crawler-Content-Encoding, X-Crawler-Content-Length). The first page's response carries no
    Content-Type (its type is in WARC-Identified-Payload-Type). With `truncate_at`, the last page's
    payload is cut at that many bytes and marked `WARC-Truncated: length`. With `torn_tail`, the
    file ends in a record cut short, as a download interrupted mid-file leaves it."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = BytesIO()
    writer = WARCWriter(buf, gzip=True, warc_version="1.0")
    writer.write_record(writer.create_warcinfo_record(path.name, {
        "isPartOf": "CC-NEWS", "operator": "Common Crawl Admin", "software": "StormCrawler",
        "format": "WARC File Format 1.0"}))
    for i, (url, html) in enumerate(pages):
        body = html.encode("utf-8")
        truncated = truncate_at is not None and i == len(pages) - 1
        if truncated:
            body = body[:truncate_at]
        request = writer.create_warc_record(url, "request", http_headers=StatusAndHeaders(
            "GET / HTTP/1.1", [("Host", url.split("/")[2]), ("User-Agent", "CCBot/2.0")], is_http_request=True))
        writer.write_record(request)
        headers = [("Date", "Mon, 03 Jun 2024 10:00:00 GMT"), ("X-Crawler-Content-Encoding", "gzip"),
                   ("X-Crawler-Content-Length", str(len(body) // 3)), ("Content-Length", str(len(body)))]
        if i > 0:
            headers.insert(0, ("Content-Type", "text/html; charset=UTF-8"))
        warc_headers = {"WARC-Identified-Payload-Type": "text/html"}
        if truncated:
            warc_headers["WARC-Truncated"] = "length"
        response = writer.create_warc_record(
            url, "response", payload=BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
            warc_headers_dict=warc_headers)
        writer.write_record(response)
        meta = b"fetchTimeMs: 120\r\ncharset-detected: UTF-8\r\nlanguages-cld2: {\"languages\": []}\r\n"
        writer.write_record(writer.create_warc_record(url, "metadata", payload=BytesIO(meta), length=len(meta),
                                                      warc_content_type="application/warc-fields"))
    data = buf.getvalue()
    if torn_tail:
        member = BytesIO()
        tail_writer = WARCWriter(member, gzip=True, warc_version="1.0")
        tail_writer.write_record(tail_writer.create_warc_record(
            "https://cut.example/x", "response", payload=BytesIO(body := pages[0][1].encode()), length=len(body),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")))
        data += member.getvalue()[: len(member.getvalue()) // 2]
    path.write_bytes(data)
    return path


def copy_project(dest: Path) -> Path:
    """The project as a build sees it. Builds write build/ and *.egg-info into the project root; a copy keeps
    the repo clean and lets tests run side by side."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def package_data_files() -> set[str]:
    """Every non-Python file of the three packages (sources.yaml, the rules, the sample pages with
    their manifest, robots.txt files and the windows-1256 page): what a wheel or egg must ship."""
    data = {p.relative_to(REPO).as_posix() for pkg in ("crawler", "cleaners", "corpus")
            for p in (REPO / pkg).rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
            and "__pycache__" not in p.parts}
    assert {"crawler/sources.yaml", "crawler/sample_outlets/pages/manifest.yaml",
            "crawler/sample_outlets/pages/7news-en/robots.txt", "cleaners/rules/chrome.yaml",
            "cleaners/models/content_model.npz"} <= data
    assert any(n.endswith(".cp1256.html") for n in data)
    return data
