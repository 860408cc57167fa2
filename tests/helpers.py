"""Builders of raw dumps for tests: real WARC files written by the project's own WARC writer."""

from __future__ import annotations

from pathlib import Path

from crawler.warc import WarcFileWriter

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
