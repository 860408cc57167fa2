"""HTML stage: what reaches trafilatura, and which of its extractions is kept."""

from __future__ import annotations

from cleaners import clean_html

NAV = "<nav><ul>" + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(30)) + "</ul></nav>"
PARAS = "".join(f"<p>The harbour authority in Agadir reported that container traffic grew for the {i}th month "
                "in a row, helped by two new cranes and a longer quay.</p>" for i in range(1, 9))


def test_article_printed_after_an_early_end_of_document_is_kept() -> None:
    # A header template closing </body></html> before the article: libxml2 drops what follows.
    html = ("<!DOCTYPE html><html><head><title>Port traffic</title></head><body><header>" + NAV +
            "</header>\n</body>\n</html>\n<div class='post'><h1>Port traffic grows</h1>" + PARAS +
            "</div><footer>All rights reserved</footer></body></html>")
    text = clean_html(html).text
    assert "container traffic grew for the 1th month" in text
    assert "container traffic grew for the 8th month" in text
