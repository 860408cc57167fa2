"""`dgsn-corpus explain`: the text the rules saw, line by line, each removal marked with its rule
id, beside the clean result. Users read this to trust (or report) a removal."""

from __future__ import annotations

from collections.abc import Iterator

from cleaners.clean import explain_html, explain_text
from cleaners.document import Document, Removal
from cleaners.pipeline import item_fields
from cleaners.readers import RawItem, decode_item
from cleaners.strip import PREAMBLE_OFFSET

KEPT, DROPPED, CUT = "  ", "- ", "~ "


def explain_item(item: RawItem) -> tuple[Document, str]:
    """The Document `clean` makes of the item (same doc_id and fields), and the text the rules saw."""
    fields = item_fields(item)
    if item.kind == "html":
        doc, seen = explain_html(decode_item(item), url=item.url, **fields)
        if item.title and not doc.title:
            doc.title = item.title
        return doc, seen
    return explain_text(decode_item(item), url=item.url, title=item.title, **fields)


def render(doc: Document, seen: str, width: int = 100) -> Iterator[str]:
    """Lines of the report: a header, the preamble removals, then every line of `seen` marked
    kept, dropped (whole line) or cut (a span), with the rule ids at the right."""
    yield f"=== {doc.doc_id}  {doc.url or doc.raw_path or ''}  [{doc.language}]  title: {doc.title!r}"
    for r in doc.removed:
        if r.offset == PREAMBLE_OFFSET:
            yield f"{DROPPED}{_short(r.text, width)}  « {r.rule} (before <html>)"
    offset = 0
    for line in seen.split("\n"):
        end = offset + len(line)
        hits = [r for r in doc.removed if r.offset != PREAMBLE_OFFSET and offset <= r.offset <= end and r.text
                and r.text.strip() in line]
        if not hits:
            yield f"{KEPT}{_short(line, width)}"
        elif any(r.text.strip() == line.strip() for r in hits):
            rules = ", ".join(dict.fromkeys(_rule(r) for r in hits))
            yield f"{DROPPED}{_short(line, width)}  « {rules}"
        else:
            marked = line
            for r in hits:
                marked = marked.replace(r.text.strip(), f"⟦{r.text.strip()}⟧", 1)
            yield f"{CUT}{_short(marked, width)}  « {', '.join(dict.fromkeys(_rule(r) for r in hits))}"
        offset = end + 1
    if doc.credits:
        yield f"credits moved to metadata: {', '.join(doc.credits)}"
    yield f"--- clean text ({doc.word_count} words):"
    yield from doc.text.split("\n")


def _rule(r: Removal) -> str:
    """The rule id, and a learned rule's score ("model.boilerplate 0.93")."""
    return r.rule if r.score is None else f"{r.rule} {r.score:.2f}"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
