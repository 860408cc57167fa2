"""Three of trafilatura's cascade steps without the work they throw away: the same results, for
every input and option.

trafilatura (2.3.1) copies the raw tree twice per run for its comparison with readability and
justext (a cleaned backup, and the raw tree itself), and tests the link density of every <div>,
<list> and <p> of each candidate container, in six passes. In recall mode a long extraction skips
that comparison, so on most article pages both copies are made and never read; and an element
holding no link always passes the link-density test. Here:

- `prepare_tree` leaves out the cleaned backup when comments are off (the one other reader of the
  backup is comment capture): `extract_and_compare` rebuilds it from the raw tree, which nothing
  changes in between, only when the comparison runs, and copies the raw tree only then;
- `delete_by_link_density` tests only the elements that hold a link.

cleaners.xpaths.faster() puts them in trafilatura's modules for the length of a block, with the
node selections. tests/cleaners/test_cascade.py checks them against trafilatura's own.
"""

from __future__ import annotations

from copy import copy

from lxml import etree
from trafilatura import core, htmlprocessing, main_extractor
from trafilatura.external import compare_extraction
from trafilatura.htmlprocessing import convert_tags, delete_element, tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.utils import trim

from cleaners.trees import holding


def prepare_tree(tree: etree._Element, options: Extractor, url: str | None
                 ) -> tuple[etree._Element, etree._Element | None]:
    """core._prepare_tree; the backup is None (built when needed) unless comments are captured."""
    if options.comments:
        return ORIGINALS["_prepare_tree"](tree, options, url)
    return convert_tags(tree_cleaning(copy(tree), options), options, url), None


def _bypassed(text: str, options: Extractor) -> bool:
    """compare_extraction returns the extraction as it is (its first test)."""
    return options.focus == "recall" and len(text) > options.min_extracted_size * 10


def extract_and_compare(cleaned_tree: etree._Element, cleaned_tree_backup: etree._Element | None,
                        tree: etree._Element, options: Extractor) -> tuple[etree._Element, str]:
    """core._extract_and_compare, copying for the comparison only when it runs."""
    postbody, temp_text = extract_content(cleaned_tree, options)
    if not options.fast and not _bypassed(temp_text, options):
        if cleaned_tree_backup is None:
            cleaned_tree_backup = tree_cleaning(copy(tree), options)
        postbody, temp_text = compare_extraction(cleaned_tree_backup, copy(tree), postbody, temp_text, options)
    return postbody, temp_text


def delete_by_link_density(subtree: etree._Element, tagname: str, backtracking: bool = False,
                           favor_precision: bool = False) -> etree._Element:
    """htmlprocessing.delete_by_link_density: link_density_test is (False, False) for an element
    without a <ref> below it, so only the others are tested."""
    linked = holding(subtree, "ref")
    deletions = []
    len_threshold = 200 if favor_precision else 100
    depth_threshold = 1 if favor_precision else 3
    for elem in subtree.iter(tagname):
        if elem not in linked:
            continue
        result, short_with_links = htmlprocessing.link_density_test(elem, favor_precision)
        if result or (backtracking and short_with_links and len(elem) >= depth_threshold
                      and len(trim(elem.text_content())) < len_threshold):
            parent = elem.getparent()
            if tagname == "p" and parent is not None and parent.tag in ("item", "td", "th"):
                continue  # trafilatura keeps a list item's paragraph (GH #788)
            deletions.append(elem)
    for elem in dict.fromkeys(deletions):
        delete_element(elem)
    return subtree


# Each function, by the modules that call it, and its replacement.
FUNCTIONS = {
    "_prepare_tree": (prepare_tree, (core,)),
    "_extract_and_compare": (extract_and_compare, (core,)),
    "delete_by_link_density": (delete_by_link_density, (main_extractor,)),
}
ORIGINALS = {name: getattr(modules[0], name) for name, (_, modules) in FUNCTIONS.items()}
