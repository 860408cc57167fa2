"""A build over a WARC of articles and pages that are not articles: the latter go to the rejected
table with reason not_article (counted like the other reasons), the articles are kept with
page_kind "article", and `clean` keeps every page with its page_kind. A table written before
the page_kind column existed still reads and takes new versions."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
from click.testing import CliRunner
from deltalake import CommitProperties, write_deltalake

from corpus.build import build
from corpus.cli import cli
from corpus.schema import SCHEMA, to_table
from corpus.store import META_KEY, TABLE_PROPERTIES, CorpusStore
from tests.cleaners.test_page_kind import forum_thread, product_page, tag_page
from tests.helpers import article_html, write_warc

ARTICLES = [(f"https://news.example.ma/article-{i}/", article_html(i)) for i in range(3)]


def _mentioning_interpol(page: tuple[str, str], old: str) -> tuple[str, str]:
    """The page with `old` (in its title) naming Interpol, so the scope prefilter lets it through to
    the page-kind judgement."""
    url, html = page
    return url, html.replace(old, f"{old} (Interpol)")


OTHERS = [tag_page(), _mentioning_interpol(product_page(), "Lampe de bureau LED Orion"),
          _mentioning_interpol(forum_thread(), "Renouvellement CNIE")]


def test_build_rejects_pages_that_are_not_articles(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_warc(raw, ARTICLES + OTHERS)
    corpus = tmp_path / "corpus"
    report = build([raw], corpus)
    assert report.rejected.get("not_article") == len(OTHERS), report.rejected
    store = CorpusStore(corpus)
    kept = store.read().to_pylist()
    assert sorted(r["url"] for r in kept) == sorted(u for u, _ in ARTICLES)
    assert {r["page_kind"] for r in kept} == {"article"}
    rejected = [r for r in store.rejected().to_pylist() if r["reason"] == "not_article"]
    assert sorted(r["url"] for r in rejected) == sorted(u for u, _ in OTHERS)
    assert all(r["page_kind"] == "not_article" and r["warc_record_id"] and r["raw_offset"] is not None
               for r in rejected)
    counts = store.history()[-1].metadata["rejected"]
    assert counts["not_article"] == len(OTHERS)


def test_clean_keeps_every_page_with_its_kind(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_warc(raw, ARTICLES + OTHERS, extra_records=False)
    out = tmp_path / "docs.jsonl"
    result = CliRunner().invoke(cli, ["clean", str(raw), "--out", str(out)])
    assert result.exit_code == 0, result.output
    kinds = {d["url"]: d["page_kind"] for d in map(json.loads, out.read_text("utf-8").splitlines())}
    # The tag page's teaser list is all its text: the content model would drop every line of it, and
    # never empties a page, so clean keeps it with its kind rather than dropping it as empty.
    assert "dropped:" not in result.output
    assert kinds == {**{u: "article" for u, _ in ARTICLES}, **{u: "not_article" for u, _ in OTHERS}}
    text = tmp_path / "a.txt"
    text.write_text("A plain text dump has no page structure to judge. " * 10, encoding="utf-8")
    result = CliRunner().invoke(cli, ["clean", str(text), "-q"])
    assert result.exit_code == 0 and json.loads(result.stdout.splitlines()[0])["page_kind"] is None


def test_table_from_before_page_kind_reads_and_upserts(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    old_schema = pa.schema([f for f in SCHEMA if f.name != "page_kind"])
    from cleaners import clean_html

    old = [clean_html(h, url=u) for u, h in ARTICLES[:2]]
    rows = to_table(old).drop_columns(["page_kind"]).cast(old_schema)
    corpus.mkdir()
    write_deltalake(str(corpus), rows, mode="append", configuration=TABLE_PROPERTIES,
                    commit_properties=CommitProperties(custom_metadata={META_KEY: json.dumps({"inputs": []})}))
    assert "page_kind" not in CorpusStore(corpus).read().column_names
    raw = tmp_path / "raw"
    edited = article_html(1, extra="<p>Update: the suspect was handed over to the requesting country on Friday.</p>")
    write_warc(raw, [("https://news.example.ma/article-1/", edited), ARTICLES[2], tag_page()])
    report = build([raw], corpus)
    assert report.rejected.get("not_article") == 1
    table = {r["url"]: r for r in CorpusStore(corpus).read().to_pylist()}
    assert table["https://news.example.ma/article-0/"]["page_kind"] is None  # an older row reads null
    assert table["https://news.example.ma/article-1/"]["page_kind"] == "article"  # replaced
    assert table["https://news.example.ma/article-2/"]["page_kind"] == "article"  # added
    assert "Update: the suspect" in table["https://news.example.ma/article-1/"]["text"]
