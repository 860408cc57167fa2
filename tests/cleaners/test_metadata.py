"""Page metadata: JSON-LD first, then meta tags, then bylines in the page; and through clean_html."""

from __future__ import annotations

import json

from trafilatura.utils import load_html

from cleaners import clean_html
from cleaners.metadata import extract_metadata

BODY = " ".join(["Les services de police ont présenté le bilan annuel des opérations menées dans la région."] * 6)

# A Yoast-style @graph, as WordPress news sites print it.
GRAPH = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebPage", "@id": "https://atlas.example/x/#webpage", "name": "Bilan annuel - Atlas"},
        {"@type": "BreadcrumbList", "itemListElement": []},
        {"@type": ["Article", "NewsArticle"], "headline": "Bilan annuel de la police",
         "author": [{"@type": "Person", "name": "Samira Alaoui"}, {"@type": "Person", "name": "Karim Idrissi"}],
         "datePublished": "2025-03-04T09:30:00+01:00", "dateModified": "2025-03-05T11:00:00+01:00",
         "articleSection": ["Société", "Maroc"], "keywords": "police, bilan, sécurité",
         "publisher": {"@type": "Organization", "name": "Atlas Info"}},
    ],
}


def page(head: str, body: str = f"<article><h1>Bilan annuel de la police</h1><p>{BODY}</p></article>") -> str:
    return f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def test_json_ld_graph_wins_over_meta_tags() -> None:
    html = page(
        "<title>Bilan annuel de la police | Atlas Info</title>"
        "<meta property='og:title' content='Bilan annuel de la police | Atlas'>"
        "<meta name='author' content='Rédaction'>"
        "<meta property='article:section' content='Actualité'>"
        "<link rel='canonical' href='https://atlas.example/societe/bilan-annuel/'>"
        f"<script type='application/ld+json'>{json.dumps(GRAPH)}</script>"
    )
    meta = extract_metadata(load_html(html), "https://atlas.example/?p=12")
    assert meta.title == "Bilan annuel de la police"
    assert meta.authors == ["Samira Alaoui", "Karim Idrissi"]
    assert meta.published_at == "2025-03-04T09:30:00+01:00"
    assert meta.modified_at == "2025-03-05T11:00:00+01:00"
    assert meta.section == "Société"
    assert meta.tags == ["police", "bilan", "sécurité"]
    assert meta.site_name == "Atlas Info"
    assert meta.canonical_url == "https://atlas.example/societe/bilan-annuel/"


def test_meta_tags_when_json_ld_is_missing_or_broken() -> None:
    html = page(
        "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"headline\": </script>"
        "<meta property='og:title' content='Saisie record au port'>"
        "<meta property='og:site_name' content='Le Courrier &amp; Co'>"
        "<meta name='author' content='Youssef Benali'>"
        "<meta property='article:published_time' content='2024-11-02T08:00:00+00:00'>"
        "<meta property='article:section' content='Faits divers'>"
        "<meta property='article:tag' content='douane'><meta property='article:tag' content='port'>"
    )
    meta = extract_metadata(load_html(html))
    assert meta.title == "Saisie record au port"
    assert meta.authors == ["Youssef Benali"]
    assert meta.published_at == "2024-11-02T08:00:00+00:00"
    assert meta.section == "Faits divers"
    assert meta.tags == ["douane", "port"]
    assert meta.site_name == "Le Courrier & Co"


def test_byline_in_the_page_beats_a_one_word_meta_author() -> None:
    body = (f"<article><h1>Arrestation à Tanger</h1><div class='post-meta'><span class='meta-author'>"
            f"<a rel='author' href='/auteur/nadia'>Par Nadia Tazi</a></span></div><p>{BODY}</p></article>")
    html = page("<meta name='author' content='AtlasInfo'>", body)
    meta = extract_metadata(load_html(html))
    assert meta.authors == ["Nadia Tazi"]
    assert meta.title == "Arrestation à Tanger"


def test_author_labels_and_box_texts_are_not_names() -> None:
    body = ("<article><h1>Un titre assez long ici</h1><div class='author-bio'>Nadia Tazi écrit depuis dix ans.</div>"
            "<span class='author'>Written By:</span>"
            f"<p>{BODY}</p></article>")
    meta = extract_metadata(load_html(page("", body)))
    assert meta.authors == []


def test_publication_date_falls_back_to_htmldate() -> None:
    body = (f"<article><h1>Un titre assez long ici</h1><time datetime='2023-06-15'>15 juin 2023</time>"
            f"<p>{BODY}</p></article>")
    meta = extract_metadata(load_html(page("", body)))
    assert meta.published_at == "2023-06-15"


def test_a_date_in_the_future_is_not_a_publication_date() -> None:
    html = page("<meta property='article:published_time' content='2999-01-01T00:00:00Z'>")
    assert extract_metadata(load_html(html)).published_at != "2999-01-01T00:00:00Z"


def test_clean_html_carries_section_and_metadata_into_the_document() -> None:
    html = page(f"<script type='application/ld+json'>{json.dumps(GRAPH)}</script>")
    doc = clean_html(html, url="https://atlas.example/societe/bilan-annuel/")
    assert doc.section == "Société" and doc.authors == ["Samira Alaoui", "Karim Idrissi"]
    assert doc.title == "Bilan annuel de la police"
    assert "bilan annuel des opérations" in doc.text
    assert doc.published_at == "2025-03-04T09:30:00+01:00"


def test_named_authors_are_the_nodes_of_the_byline_xpath() -> None:
    """metadata._named_authors walks the page for what this XPath selects, in the same order."""
    from pathlib import Path

    from lxml import etree

    from cleaners.extract import parse_html
    from cleaners.metadata import _named_authors

    xpath = etree.XPath(
        "//*[@rel='author' or @itemprop='author' or contains(@class, 'author') or contains(@class, 'byline')"
        " or contains(@id, 'author') or contains(@class, 'writer')][not(self::meta or self::link or self::script"
        " or self::style or self::img or self::body or self::html)]")
    cases = page("<meta name='author' content='A'><link rel='author' href='/a'>",
                 "<body class='author-page'><a rel='author' href='/k'>Karim</a><span itemprop='author'>S</span>"
                 "<p class='post-byline'>By X</p><div id='authorBox'><img class='author-img'>x</div>"
                 "<em class='writer'>W</em><small class='entry-author'>E</small><b rel='Author'>no</b>"
                 "<i class='Author'>no</i><u id='coauthor'>c</u>"
                 f"<script class='author'></script><p>{BODY}</p>")
    pages = [cases] + [p.read_text("utf-8", errors="replace")
                       for p in sorted(Path(__file__).resolve().parents[2].joinpath(
                           "crawler", "sample_outlets", "pages").rglob("*.html"))]
    found = 0
    for html in pages:
        tree = parse_html(html)
        assert list(_named_authors(tree)) == xpath(tree)
        found += len(xpath(tree))
    assert len(xpath(parse_html(cases))) == 7 and found > 7
