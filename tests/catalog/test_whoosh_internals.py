"""The private Whoosh attributes the search engine reads still exist and mean what it assumes.

A Whoosh upgrade that renames them must fail here, naming the attribute and the version,
instead of making search silently slow (the posting-by-posting path) or wrong.
"""

from __future__ import annotations

from itertools import accumulate

import pytest
from whoosh import fields
from whoosh.filedb.filestore import RamStorage

from catalog.search import whoosh_internals
from catalog.search.whoosh_engine import _read_matcher

# Enough postings for several of the codec's blocks (128 postings each by default).
DOCUMENTS = 300


@pytest.fixture()
def reader():
    schema = fields.Schema(name=fields.TEXT(), code=fields.ID(stored=True))
    index = RamStorage().create_index(schema)
    writer = index.writer()
    for n in range(DOCUMENTS):
        # "kopi" in every document, once or twice; "gula" in every third.
        words = ["kopi"] * (1 + n % 2) + (["gula"] if n % 3 == 0 else [])
        writer.add_document(name=" ".join(words), code=str(n))
    writer.commit()
    with index.reader() as reader:
        yield reader


def _upgrade_message(what: str) -> str:
    return (
        f"whoosh {whoosh_internals.whoosh_version()}: {what}; the search engine reads it "
        "(catalog/search/whoosh_internals.py). Adapt that module before upgrading Whoosh."
    )


def test_a_term_of_a_whoosh3_index_is_read_by_blocks(reader):
    matcher = reader.postings("name", "kopi")
    assert whoosh_internals.reads_blocks(matcher), _upgrade_message(
        f"postings come as {type(matcher).__name__}, not W3LeafMatcher"
    )


def test_every_private_attribute_read_exists(reader):
    matcher = reader.postings("name", "kopi")
    missing = [
        name for name, _ in whoosh_internals.LEAF_MATCHER_PRIVATE if not hasattr(matcher, name)
    ]
    assert not missing, _upgrade_message(f"W3LeafMatcher has no {', '.join(missing)}")


@pytest.mark.parametrize("term", ["kopi", "gula"])
def test_blocks_give_what_the_public_interface_gives(reader, term):
    public = reader.postings("name", term)
    expected_ids, expected_tfs = [], []
    while public.is_active():
        expected_ids.append(public.id())
        expected_tfs.append(public.weight())
        public.next()

    ids, tfs = [], []
    blocks = 0
    for deltas, weights in whoosh_internals.leaf_blocks(reader.postings("name", term)):
        ids.extend(accumulate(deltas))
        tfs.extend(weights)
        blocks += 1
    assert (ids, tfs) == (expected_ids, expected_tfs), _upgrade_message(
        "a leaf matcher's blocks no longer decode to its postings"
    )
    assert len(ids) == (DOCUMENTS if term == "kopi" else DOCUMENTS // 3)
    if term == "kopi":
        assert blocks > 1  # the walk from block to block is exercised too


def test_the_engine_reads_postings_through_the_blocks(reader):
    ids, tfs = _read_matcher(reader.postings("name", "kopi"))
    assert list(ids) == list(range(DOCUMENTS))
    assert list(tfs) == [float(1 + n % 2) for n in range(DOCUMENTS)]
