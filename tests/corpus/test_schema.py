"""The table form of documents (corpus.schema)."""

from __future__ import annotations

import pyarrow as pa

from cleaners.document import Document, Removal
from corpus.schema import SCHEMA, to_row, to_table


def test_to_table_is_the_rows_as_schema() -> None:
    """Built a column at a time, the table holds what pyarrow makes of the row dicts: nulls,
    empty and full lists, removals, Arabic text, large offsets."""
    docs = [
        Document(url="https://news.example.ma/a/", language="ar", text="نص الخبر\n\nفقرة ثانية", word_count=4,
                 authors=["س. كاتب", "Rédaction"], topics=["dgsn"], matched_terms=["dgsn", "الأمن الوطني"],
                 removed=[Removal("share.row", "Partager", 12), Removal("wp.notice", "Warning: x", -1)],
                 warc_offset=2**40, raw_offset=0, topic_score=1.5, page_kind="article", is_canonical=False,
                 near_dup_cluster="c1", tags=["sécurité"], credits=["(Avec MAP)"], languages=["ar", "fr"]),
        Document(),
        Document(text="Plain text only.", language_score=None, raw_format="text"),
    ]
    for doc in docs:
        doc.finalize()
    table = to_table(docs)
    assert table.schema.equals(SCHEMA)
    assert table.equals(pa.Table.from_pylist([to_row(d) for d in docs], schema=SCHEMA))
    assert table.column("removed").to_pylist()[0][1] == {"rule": "wp.notice", "text": "Warning: x", "offset": -1}
    assert to_table([]).num_rows == 0 and to_table([]).schema.equals(SCHEMA)
