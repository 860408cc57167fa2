"""The scope prefilter loses nothing: a build with it keeps exactly the documents a build without
it keeps, over generated pages that hide their topic term every way the full path still finds it
(entities, windows-1256, mojibake, the title only, a caption only, JSON-LD only, split by markup,
Arabic marks and letter forms), and rejects, without cleaning them, pages that only seem to
mention a term (in a script, a comment, a near-miss phrase)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleaners import clean_text
from cleaners.prefilter import could_be_in_scope
from cleaners.topics import compile_terms
from corpus.build import build
from corpus.cli import cli
from corpus.scope import ScopeConfig
from corpus.store import CorpusStore
from crawler.warc import WarcFileWriter

EN = ("The city council met on Tuesday to discuss the new budget for public parks, libraries and "
      "road repairs, and several residents asked for more evening bus services in the northern "
      "districts before the summer holidays begin. ")
FR = ("Le conseil municipal s'est réuni mardi pour examiner le nouveau budget des parcs, des "
      "bibliothèques et de l'entretien des routes, et plusieurs habitants ont demandé davantage de "
      "bus le soir dans les quartiers du nord avant les vacances d'été. ")
AR = ("اجتمع المجلس البلدي يوم الثلاثاء لمناقشة الميزانية الجديدة للحدائق العامة والمكتبات وإصلاح "
      "الطرق، وطالب عدد من السكان بمزيد من رحلات الحافلات المسائية في الأحياء الشمالية قبل بداية "
      "العطلة الصيفية. ")


def page(lang: str, body: str, *, title: str = "Council news", head: str = "", filler: str | None = None,
         h1: bool = True) -> str:
    text = filler if filler is not None else {"en": EN, "fr": FR, "ar": AR}[lang] * 2
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{title}</title>{head}"
            f"</head><body><nav>Home | Sport | Contact</nav><article>{f'<h1>{title}</h1>' if h1 else ''}"
            f"<p>{text}</p>{body}</article><footer>All rights reserved</footer></body></html>")


def mojibake(text: str, codec: str) -> str:
    """UTF-8 text read in another charset and written back as UTF-8: what a wrong charset leaves
    (windows-1252 as ftfy reads it, or Latin-1, whose C1 controls the HTML stage decodes back)."""
    import ftfy  # noqa: F401 (registers sloppy-windows-1252)

    return text.encode("utf-8").decode(codec)


AR_TERM = "أعلنت المديرية العامة للأمن الوطني عن توقيف المشتبه به."


ARTICLE_BODY = ("The \\u0049nterpol liaison office and the national police services held a workshop on "
                "tracing fugitives across borders. " + EN * 4)

# name -> (url path, html or bytes, Content-Type): every page is one WARC response record.
IN_SCOPE: dict[str, str | bytes] = {
    "numeric_entities": page("en", "<p>Officers acted on a request from Inter&#112;ol and the &#x44;GSN.</p>"),
    "named_entities": page("fr", "<p>Selon la S&ucirc;ret&eacute; nationale, l'enquête continue.</p>"),
    "double_escaped": page("fr", "<p>Selon la S&amp;ucirc;ret&amp;eacute; nationale, l'enquête continue.</p>"),
    "cp1256": page("ar", "<p>أعلنت المديرية العامة للأمن الوطني عن توقيف المشتبه به.</p>",
                   head="<meta charset='windows-1256'>").replace("<meta charset='utf-8'>", "").encode("cp1256"),
    "mojibake_cp1252": page("ar", f"<p>{mojibake(AR_TERM, 'sloppy-windows-1252')}</p>"),
    "mojibake_latin1": page("ar", f"<p>{mojibake(AR_TERM, 'latin-1')}</p>"),
    "title_only": page("en", "", title="Council meets as Interpol backs police exchange", h1=False),
    "og_title_only": page("en", "", h1=False, head=(
        "<meta property='og:title' content='Council meets as Inter&amp;shy;pol backs police exchange'>")),
    "ld_headline_only": page("en", "", h1=False, head=(
        "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", "
        "\"headline\": \"DGSN officers honoured\"}</script>")),
    "caption_only": page("en", "<figure><img src='a.jpg' alt=''><figcaption>Officers of the DGSN at the "
                               "ceremony on Monday.</figcaption></figure>"),
    "split_markup": page("en", "<p>A request from Inter<b>pol</b> reached the DG<span>SN</span> on Friday.</p>"),
    "split_paragraphs": page("fr", "<p>Un communiqué de la Sûreté</p><p>nationale a été publié.</p>"),
    "soft_hyphen": page("en", "<p>A request from Inter&shy;pol reached the police on Friday.</p>"),
    "harakat_tatweel": page("ar", "<p>وأكدت مصالح الأمـــنِ الوطنيّ أن التحقيق مستمر مع الإنتربول.</p>"),
    "hamza_forms": page("ar", "<p>وجاء ذلك بتنسيق مع الانتربول والمصالح المختصة.</p>"),
    "accents_case": page("fr", "<p>SURETE NATIONALE : un communiqué a été publié.</p>"),
    "json_ld_body": page("en", "", head="<script type='application/ld+json'>" + json.dumps(
        {"@type": "NewsArticle", "headline": "Workshop", "articleBody": "PLACEHOLDER"}).replace(
        "PLACEHOLDER", ARTICLE_BODY) + "</script>", filler=EN),
    "configured_topic": page("fr", "<p>Les services de l'ADII ont saisi une cargaison au port.</p>"),
}
OUT_OF_SCOPE: dict[str, str | bytes] = {
    "plain_en": page("en", "<p>Read our privacy notice and cookie policy.</p>",
                     head="<link rel='canonical' href='https://news.example.ma/council/budget/'>"),
    "plain_fr": page("fr", "<p>La sûreté des installations nationales a été renforcée.</p>"),
    "plain_ar": page("ar", "<p>وشارك في الاجتماع ممثلون عن الأمن والوقاية المدنية.</p>"),
    "term_in_script": page("en", "<script>var tags = ['Interpol', 'DGSN', 'red notice'];</script>"),
    "term_in_style": page("en", "<style>.interpol-box, .dgsn { color: red }</style>"),
    "term_in_comment": page("fr", "<!-- Sûreté nationale: bloc désactivé, DGSN -->"),
    "near_miss": page("en", "<p>The Interpolation of data and the DGSNX project were presented.</p>"),
}


def write_pages(directory: Path) -> tuple[Path, dict[str, str]]:
    """One WARC of all pages; returns it and url -> page name."""
    names: dict[str, str] = {}
    with WarcFileWriter(directory, prefix="prefilter", max_bytes=1 << 30, info={"test": True}) as w:
        for name, html in {**IN_SCOPE, **OUT_OF_SCOPE}.items():
            url = f"https://news.example.ma/{name}/"
            names[url] = name
            # a text of its own, or the pages with the same text are exact duplicates of each other;
            # in the first paragraph (a short line of its own is what boilerplate looks like)
            mark = f"<p>Page {name.replace('_', ' ')}. "
            html = html.replace("<p>", mark, 1) if isinstance(html, str) else html.replace(b"<p>", mark.encode(), 1)
            if isinstance(html, bytes):  # the cp1256 page: its charset only in <meta>, as on many Arabic sites
                w.write_response(url, 200, "OK", [("Content-Type", "text/html")], html)
            else:
                w.write_response(url, 200, "OK", [("Content-Type", "text/html; charset=utf-8")],
                                 html.encode("utf-8"))
    (warc,) = w.closed_files
    return warc, names


CONFIG = "topics:\n  Customs:\n    ADII: '\\badii\\b'\n"


def test_prefiltered_build_keeps_exactly_what_the_full_build_keeps(tmp_path: Path) -> None:
    warc, names = write_pages(tmp_path / "raw")
    (tmp_path / "scope.yaml").write_text(CONFIG, encoding="utf-8")
    config = ScopeConfig.load(tmp_path / "scope.yaml")
    full = build([warc], tmp_path / "full", config, prefilter=False)
    fast = build([warc], tmp_path / "fast", config)

    def kept(corpus: str) -> dict[str, str]:
        table = CorpusStore(tmp_path / corpus).read(columns=["url", "doc_id", "content_hash"])
        return {names[u]: f"{d}:{h}" for u, d, h in zip(*(table.column(c).to_pylist() for c in table.column_names),
                                                          strict=True)}

    assert kept("fast") == kept("full")  # the same documents, with the same text
    assert sorted(kept("full")) == sorted(IN_SCOPE)  # and the test pages test what they say
    rejected = CorpusStore(tmp_path / "fast").rejected().to_pylist()
    skipped = [r for r in rejected if r["reason"] == "prefilter_out_of_scope"]
    assert sorted(names[r["url"]] for r in skipped) == sorted(OUT_OF_SCOPE)
    for row in skipped:  # provenance, no text
        assert row["text"] == "" and row["word_count"] == 0
        assert row["warc_file"] and row["warc_record_id"] and row["warc_offset"] is not None
        assert row["doc_id"] == next(r["doc_id"] for r in CorpusStore(tmp_path / "full").rejected().to_pylist()
                                     if r["url"] == row["url"])
    assert fast.read["skipped:prefilter_out_of_scope"] == len(OUT_OF_SCOPE)
    assert "skipped:prefilter_out_of_scope" not in full.read
    meta = CorpusStore(tmp_path / "fast").history()[-1].metadata
    assert meta["read"]["skipped:prefilter_out_of_scope"] == len(OUT_OF_SCOPE)
    assert "prefilter" not in meta["inputs"][0]
    assert CorpusStore(tmp_path / "full").history()[-1].metadata["inputs"][0]["prefilter"] is False


def test_configured_topics_drive_the_prefilter() -> None:
    html = IN_SCOPE["configured_topic"]
    assert isinstance(html, str)
    assert not could_be_in_scope(html)
    assert could_be_in_scope(html, compile_terms({"Customs": {"ADII": r"\badii\b"}}))


@pytest.mark.parametrize("text", ["Un communiqué de la S&ucirc;ret&eacute; nationale.",
                                  "Un communiqué de la <b Sûreté nationale>.",
                                  "Un communiqué de la Sûreté &amp; nationale."])
def test_text_records_are_read_as_text(text: str) -> None:
    """A plain-text record is not markup: a '<' in it is text, and its entities are decoded as
    the full path decodes them (ftfy); as HTML, the same '<b …>' is a tag."""
    assert could_be_in_scope(text, is_html=False) is bool(clean_text(text).topics)
    assert could_be_in_scope(f"<p>{text}</p>") is ("<b" not in text and "&amp;" not in text)


def test_no_prefilter_is_recorded_and_rebuild_repeats_it(tmp_path: Path) -> None:
    warc, _ = write_pages(tmp_path / "raw")
    corpus = tmp_path / "corpus"
    runner = CliRunner()
    result = runner.invoke(cli, ["build", str(warc), "--corpus", str(corpus), "--no-prefilter", "-q"])
    assert result.exit_code == 0, result.output
    assert "skipped:prefilter_out_of_scope" not in result.output
    result = runner.invoke(cli, ["rebuild", "--corpus", str(corpus), "-q"])
    assert result.exit_code == 0, result.output
    history = CorpusStore(corpus).history()
    assert [v.metadata["inputs"][0].get("prefilter") for v in history] == [False, False]
    assert "skipped:prefilter_out_of_scope" not in history[-1].metadata["read"]
    result = runner.invoke(cli, ["rebuild", "--corpus", str(corpus), "--prefilter", "-q"])
    assert result.exit_code == 0, result.output
    last = CorpusStore(corpus).history()[-1].metadata
    assert "prefilter" not in last["inputs"][0]
    assert last["read"]["skipped:prefilter_out_of_scope"] == len(OUT_OF_SCOPE) + 1  # + the ADII page
    assert last["counts"]["removed"] == 0 and last["counts"]["changed"] == 0


@pytest.mark.parametrize("html", [
    "<ul><li>Police</li><li>DGSN</li><li>Rabat</li></ul>",  # glued, "PoliceDGSNRabat" has no word DGSN
    "<table><tr><td>red</td><td>notice</td></tr></table>",
    "<p>Inter&#173;pol</p>",  # a soft hyphen, as an entity
    "<p>ＤＧＳＮ</p>",  # full-width letters
    "<p>قال حمـــوشـيّ</p>",  # tatweel and shadda
    "<p>&lt;b&gt;Interpol&lt;/b&gt;</p>",  # escaped markup is text to the parser
    """<script type="application/ld+json">{"headline": "\\u0044GSN"}</script>""",
    "<meta name='twitter:title' content='Interpol &amp;amp; Morocco'>",
    "<title>Direction <générale> Interpol</title>",  # a title's text is not markup
    "<!-- closed --> Interpol <!-- never closed",
])
def test_every_reading_of_a_page_is_matched(html: str) -> None:
    assert could_be_in_scope(html)


@pytest.mark.parametrize("html", ["<p>DG<span>ST</span>A</p>", "<script>DGSN</script><style>x</style>",
                                  "<!--> DGSN -->", "<p>red <b>noticeboard</b></p>"])
def test_near_misses_are_ruled_out(html: str) -> None:
    assert could_be_in_scope(html) is ("<!-->" in html)  # "<!-->" closes the comment at once


def test_builtin_patterns_take_any_white_space() -> None:
    """The prefilter matches the built-in patterns without folding white space: none may rely on
    a single plain space."""
    from cleaners.topics import builtin_terms

    assert all(" " not in rx.pattern for _, _, _, rx in builtin_terms())


@pytest.mark.parametrize("unit, size", [("<!--", 400_000), ("<script>", 400_000), ("<a", 400_000),
                                        ("<title>", 400_000), ("<meta ", 400_000), ("&amp;", 400_000),
                                        ("Ã©\x80", 50_000)])  # mojibake: ftfy's own (linear) pace
def test_hostile_pages_cost_one_pass(unit: str, size: int) -> None:
    """A page of 100,000 unclosed tags or comments: linear, not quadratic (which would take hours)."""
    import time

    page = unit * (size // len(unit))
    started = time.process_time()
    could_be_in_scope(page)
    assert time.process_time() - started < 10
