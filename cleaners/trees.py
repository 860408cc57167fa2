"""Walks over lxml trees that more than one stage needs (no trafilatura, no numpy here)."""

from __future__ import annotations

from lxml import etree


def holding(root: etree._Element, tag: str) -> set[etree._Element]:
    """The elements with a `tag` element below them (`el.find(f".//{tag}") is not None`), in one
    walk up from each such element that stops where an earlier walk went."""
    found: set[etree._Element] = set()
    for el in root.iter(tag):
        node = el.getparent()
        while node is not None and node not in found:
            found.add(node)
            node = node.getparent()
    return found
