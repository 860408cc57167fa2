"""HTML stage: what reaches trafilatura, and which of its extractions is kept."""

from __future__ import annotations

from cleaners import clean_html
from cleaners.extract import parse_html, prune_chrome

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


def _ld_page(visible: str, body: str) -> str:
    import json

    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Ten markets to visit",
                     "articleBody": body})
    return ("<html><head><title>Ten markets to visit</title><script type='application/ld+json'>" + ld +
            "</script></head><body><article><h1>Ten markets to visit</h1>" + visible + "</article></body></html>")


SLIDES = [f"Market number {i} in the old medina sells spices, leather and copper lamps, and opens at dawn "
          f"on every day except Friday, when the stalls stay closed until the afternoon prayer." for i in range(1, 11)]


def test_json_ld_article_body_replaces_an_extraction_that_missed_most_of_the_article() -> None:
    # The page shows the intro only (the items sit in a carousel the extractor skips).
    visible = "<p>" + SLIDES[0] + "</p><p>" + SLIDES[1] + "</p>"
    body = "<p>" + "</p><p>".join(SLIDES) + "</p>"
    text = clean_html(_ld_page(visible, body)).text
    assert "Market number 10 in the old medina" in text
    assert "<p>" not in text and "Market number 3 in" in text.split("\n")[2]


def test_json_ld_article_body_not_much_longer_leaves_the_extraction() -> None:
    visible = "".join(f"<p>{s}</p>" for s in SLIDES[:8]) + "<figure><img src='m.jpg'><figcaption>Copper lamps " \
        "for sale near the gate</figcaption></figure>"
    text = clean_html(_ld_page(visible, " ".join(SLIDES))).text
    assert "Copper lamps for sale near the gate" in text
    assert "Market number 9 in" not in text


ROWS = [("Casablanca", "1,204", "980"), ("Rabat", "611", "574"), ("Tanger", "498", "402"), ("Fes", "377", "350")]


def _table_page(box_class: str, cell: str) -> str:
    rows = "".join(f"<tr><td>{cell.format(c)}</td><td>{a}</td><td>{b}</td></tr>" for c, a, b in ROWS)
    half = PARAS.index("<p>", len(PARAS) // 2)  # the table between two paragraphs
    return ("<html><head><title>Port traffic</title></head><body><article><h1>Port traffic grows</h1>" + PARAS[:half]
            + f"<div class='{box_class}'><table><tr><th>City</th><th>2024</th><th>2023</th></tr>{rows}</table></div>"
            + PARAS[half:] + "</article></body></html>")


def test_a_data_table_in_a_box_trafilatura_drops_by_class_is_kept() -> None:
    # Webflow prints custom HTML (here a table) in a "w-embed" box; trafilatura deletes every
    # container whose class holds "embed", and the table with it.
    import trafilatura

    html = _table_page("w-embed", "{}")
    assert "Tanger" not in trafilatura.extract(html)  # what the rescue is for
    text = clean_html(html).text
    assert "Tanger" in text and "Casablanca" in text and "980" in text
    assert "container traffic grew for the 8th month" in text


def test_a_table_of_links_in_a_widget_still_goes() -> None:
    text = clean_html(_table_page("widget related-posts", "<a href='/c/{0}'>More news from {0}</a>")).text
    assert "More news from" not in text
    assert "container traffic grew for the 8th month" in text


def test_cookie_consent_manager_dialogs_are_pruned() -> None:
    # Consent managers print their dialogs as page markup, in prose an extractor can take for text.
    dialogs = ("<div id='cliSettingsPopup' class='cli-modal'><p>Necessary cookies are absolutely essential for "
               "the website to function properly.</p></div>"
               "<div class='cky-consent-container'><p>We value your privacy and use cookies to improve "
               "your browsing experience.</p></div>"
               "<div id='onetrust-consent-sdk'><p>When you visit any website, it may store or retrieve "
               "information on your browser.</p></div>")
    tree = parse_html("<html><body><div class='entry'><h1>Port traffic grows</h1>" + PARAS + "</div>" + dialogs +
                      "</body></html>")
    assert tree is not None
    prune_chrome(tree)
    text = " ".join(tree.itertext())
    assert "container traffic grew for the 8th month" in text
    assert "cookies" not in text and "your browser" not in text


def test_utf8_read_as_latin1_with_c1_controls_is_decoded_back() -> None:
    # The parser drops C1 controls, so this mojibake must be undone before parsing ("doesnât").
    english = ("The harbour authority says the new quay doesn’t need dredging before spring, "
               "and traffic won’t be diverted to Tangier while the cranes are installed.")
    arabic = "أعلنت المصالح الأمنية بمدينة طنجة عن توقيف شخصين يشتبه في تورطهما في قضية احتيال إلكتروني."
    paras = "".join(f"<p>{english}</p><p>{arabic}</p>" for _ in range(4))
    garbled = paras.encode("utf-8").decode("latin-1")
    assert any("\x80" <= c <= "\x9f" for c in garbled)
    text = clean_html("<html><body><article><h1>Port</h1>" + garbled + "</article></body></html>").text
    assert english in text and arabic in text
    assert "â" not in text and "Ø" not in text


def test_latin1_text_without_c1_controls_is_left_alone() -> None:
    para = ("<p>Le café de la gare, à Fès, a rouvert ses portes après des travaux menés par la commune "
            "et financés par la région, selon un communiqué publié lundi.</p>")
    text = clean_html("<html><body><article>" + para * 3 + "</article></body></html>").text
    assert "Le café de la gare, à Fès, a rouvert" in text


def test_chrome_elements_go_but_an_unclosed_one_keeps_the_article_it_swallowed() -> None:
    # <nav>, <button>, <select> never hold article text and go before extraction; but a <nav> left
    # open by a broken template holds the article, and is kept.
    tree = parse_html("<html><body><nav><a href='/'>Home</a></nav><button>Subscribe now</button>"
                      "<select><option>Region one</option></select><div class='entry'>" + PARAS +
                      "</div></body></html>")
    assert tree is not None
    prune_chrome(tree)
    text = " ".join(tree.itertext())
    assert "container traffic grew for the 8th month" in text
    assert "Home" not in text and "Subscribe now" not in text and "Region one" not in text
    swallowed = parse_html("<html><body><nav><a href='/'>Home</a><div class='entry'>" + PARAS + "</div></body></html>")
    assert swallowed is not None
    prune_chrome(swallowed)
    assert "container traffic grew for the 8th month" in " ".join(swallowed.itertext())


def test_our_trafilatura_run_gives_bare_extractions_text() -> None:
    # _run calls trafilatura's internal cascade (no Extractor, no tree copy per call): it must
    # give what the public bare_extraction gives, in both modes, on a full page and a teaser list.
    import trafilatura

    from cleaners.extract import _run

    teasers = "".join(f"<div class='teaser'><h3><a href='/n{i}'>Story {i} about the port</a></h3>"
                      f"<p>Short teaser {i}.</p></div>" for i in range(12))
    pages = ["<html><body><header>" + NAV + "</header><article><h1>Port traffic grows</h1>" + PARAS +
             "<ul><li>Cranes: two</li><li>Quay: 300 m</li></ul></article><footer>All rights reserved</footer>"
             "</body></html>",
             "<html><body><div class='intro'>" + PARAS[:400] + "</p></div>" + teasers + "</body></html>"]
    texts: list[str] = []
    for html in pages:
        for recall in (True, False):
            tree, copy = parse_html(html), parse_html(html)
            assert tree is not None and copy is not None
            expected = trafilatura.bare_extraction(copy, url="https://example.ma/a", include_comments=False,
                                                   include_tables=True, favor_recall=recall)
            texts.append(expected.text if expected is not None else "")
            assert _run(tree, "https://example.ma/a", recall) == texts[-1]
    assert all(texts[:2]) and "Short teaser 11" in texts[2]


def test_repair_gives_what_trafilaturas_repair_gives() -> None:
    # repair_html returns the page untouched unless trafilatura's repair would change it: each
    # case it repairs, the white space it keeps, and a character of another plane (UTF-16
    # surrogates) next to the forbidden ones.
    from trafilatura.utils import repair_faulty_html

    from cleaners.extract import repair_html

    body = "<body><p>Un paragraphe.\tTab\r\nCRLF 😀 \u00a0 \ufffd \ufefe</p></body></html>"
    pages = [f"<html>{body}", f"<!DOCTYPE html>\n<html>{body}",
             f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1.dtd">\n<html>{body}',
             "<!doctype html><html>" + body.replace("\r\n", " "),  # no newline: trafilatura appends one
             f"<!DOCTYPE html>\n<html lang='fr'/>\n{body}", f"<html/>\n{body}", f"<html xmlns='x' />\n{body}",
             *(f"<html>{body[:20]}{c}{body[20:]}"
               for c in ("\x00", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff")),
             "", "\n", "plain text"]
    repaired = 0
    for page in pages:
        beginning = page[:50].lower()
        expected = repair_faulty_html(page, beginning)
        assert repair_html(page, beginning) == expected, page
        repaired += expected != page
    assert repaired == 12


def test_our_loader_builds_the_tree_trafilaturas_loader_builds() -> None:
    # parse_html's loader is trafilatura's with a faster element-class lookup: the same tree (and
    # the same rejections), lxml.html elements all the same (trafilatura calls text_content()).
    from lxml import etree, html
    from trafilatura.utils import load_html as theirs

    from cleaners.extract import load_html as ours

    pages = ["<!DOCTYPE html><html><head><title>Port</title></head><body><form><label>Name</label>"
             "<input name='q'><select><option>a</option></select><textarea>x</textarea></form>" + PARAS +
             "<!-- a comment --><?php echo 1; ?></body></html>",
             '<?xml version="1.0" encoding="utf-8"?><html><body><p>Déclaré en UTF-8</p></body></html>',
             "<p>one fragment</p>", "plain text, no markup at all", "", "<html/>\n<body><p>Self-closed</p></body>"]
    for page in pages:
        mine, reference = ours(page), theirs(page)
        assert (mine is None) == (reference is None), page
        if mine is not None:
            assert etree.tostring(mine) == etree.tostring(reference)
            assert all(isinstance(el, html.HtmlElement) for el in mine.iter(etree.Element))
            assert mine.text_content() == reference.text_content()
