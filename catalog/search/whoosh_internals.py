"""The engine's only reads of Whoosh's private attributes, kept in one place.

Reading a posting list through the public matcher interface costs a Python call per posting;
the ``whoosh3`` codec's leaf matcher already holds each block as arrays, so the engine takes
them whole. Those attributes are not Whoosh's API: a release may rename them. The
distribution is pinned in ``pyproject.toml``, and ``tests/catalog/test_whoosh_internals.py``
checks every name below against the installed version, so an upgrade fails there, by name,
rather than in a slow or wrong search.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import whoosh
from whoosh.codec.whoosh3 import W3LeafMatcher

# What ``leaf_blocks`` touches on a ``W3LeafMatcher``: (attribute, what it is).
LEAF_MATCHER_PRIVATE = (
    ("_atend", "true once the last block has been read"),
    ("_read_data", "decodes the current block's document numbers"),
    ("_read_weights", "decodes the current block's term frequencies"),
    ("_data", "(delta-encoded document numbers, …) of the current block"),
    ("_weights", "the current block's term frequencies"),
    ("_next_block", "moves to the following block"),
)


def whoosh_version() -> str:
    return whoosh.versionstring()


def reads_blocks(matcher) -> bool:
    """Whether ``leaf_blocks`` can read this matcher (anything else goes posting by posting)."""
    return isinstance(matcher, W3LeafMatcher)


def leaf_blocks(matcher: W3LeafMatcher) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """Each remaining block of a fresh leaf matcher: (delta-encoded document numbers, term
    frequencies). Consume each block before asking for the next: the matcher reuses them."""
    while not matcher._atend:
        matcher._read_data()
        matcher._read_weights()
        yield matcher._data[0], matcher._weights
        matcher._next_block()
