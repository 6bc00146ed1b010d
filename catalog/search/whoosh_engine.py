"""Query execution over a Whoosh index a whole posting list at a time.

Whoosh's collector walks matches one posting at a time through a tree of Python matcher
objects and asks a column reader for every match and facet; at 100,000 products a common word
("kopi", 32,000 matches) then costs a third of a second. This module reads the same index and
gives the same answers faster:

* posting lists are read block by block (document numbers and term frequencies as arrays,
  decoded with ``itertools.accumulate``) and kept in a small cache of recently used terms;
* scores are Whoosh's BM25F, from the searcher's own idf and average field lengths and the
  segment's stored field lengths, so the ranking is Whoosh's (ties by document number); a
  cached term keeps its scores until a write changes those statistics;
* And/Or combine per-document scores in dicts; filters and facets read plain Python lists
  holding each segment's sortable columns, loaded once per segment (segments never change;
  their deletions are applied per searcher).

It understands the queries ``whoosh_backend`` builds (``Term``, ``And``, ``Or``,
``FuzzyTerm``, ``Prefix``, ``Every``) and nothing else; ``tests/catalog`` compares its answers
with Whoosh's own collector on the same index.

Reading the postings uses the block layout of the ``whoosh3`` codec (``W3LeafMatcher``),
through ``whoosh_internals``, the one module that touches Whoosh's private attributes; the
distribution is pinned to one version in ``pyproject.toml`` for this reason, and any other
matcher is read posting by posting through the public matcher interface.
"""

from __future__ import annotations

import heapq
import math
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Every, FuzzyTerm, Or, Prefix, Query, Term
from whoosh.reading import TermNotFound

from catalog.search import whoosh_internals

Scores = dict[int, float]

# Sortable columns held in memory per segment: facets, filters and sort keys.
COLUMNS = ("leaf", "province", "seller", "price_band", "price", "created")
# Recently used posting lists kept per segment, by total postings (12 bytes each, 20 with
# their scores).
POSTINGS_CACHE_SIZE = 1_500_000


class Postings:
    """One term's postings in one segment, and their scores for the index's current statistics.

    The scores depend on the whole index's idf and average field length, which change with
    every write, so they are kept with the constants they were computed from and computed
    again when those differ.
    """

    __slots__ = ("ids", "tfs", "scored")

    def __init__(self, ids: array, tfs: array):
        self.ids, self.tfs = ids, tfs
        self.scored: tuple[tuple[float, float, float], array] | None = None

    def __len__(self) -> int:
        return len(self.ids)


class _PostingsCache:
    """(field, term) → ``Postings``; least recently used goes first."""

    def __init__(self, budget: int = POSTINGS_CACHE_SIZE):
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key, value: Postings) -> None:
        cost = len(value) + 1
        if cost > self.budget:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self.size += cost
            while self.size > self.budget:
                _, old = self._items.popitem(last=False)
                self.size -= len(old) + 1


def _read_matcher(matcher) -> tuple[array, array]:
    """Every (document number, term frequency) of a fresh matcher, deletions not applied.

    Arrays, not lists: 8 bytes a posting in the cache instead of about 70.
    """
    if isinstance(matcher, FilterMatcher):  # the reader's deletion filter: applied later
        matcher = matcher.child
    ids = array("l")
    tfs = array("f")
    if whoosh_internals.reads_blocks(matcher):
        for deltas, weights in whoosh_internals.leaf_blocks(matcher):
            ids.extend(accumulate(deltas))  # each block's ids are delta-encoded
            tfs.extend(weights)
        return ids, tfs
    while matcher.is_active():
        ids.append(matcher.id())
        tfs.append(matcher.weight())
        matcher.next()
    return ids, tfs


def _shared(values) -> list:
    """The column as a list, each distinct value one object (a province code is not kept
    100,000 times over)."""
    distinct: dict = {}
    return [distinct.setdefault(v, v) for v in values]


class SegmentData:
    """What the engine keeps of one segment: its columns, field lengths and postings.

    Shared by every searcher that sees the segment (segments never change once written), so
    it holds no reader: each call gets the caller's own.
    """

    def __init__(self, reader):
        self.count = reader.doc_count_all()
        self.columns = {name: _shared(reader.column_reader(name)) for name in COLUMNS}
        self._lengths: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self.postings = _PostingsCache()

    def lengths(self, reader, field: str) -> list[int]:
        """Each document's stored length of ``field`` (what BM25F normalises by)."""
        found = self._lengths.get(field)
        if found is None:
            with self._lock:
                found = self._lengths.get(field)
                if found is None:
                    length = reader.doc_field_length
                    found = [length(d, field) or 0 for d in range(self.count)]
                    self._lengths[field] = found
        return found

    def term(self, reader, field: str, text: str) -> Postings:
        key = (field, text)
        hit = self.postings.get(key)
        if hit is None:
            try:
                hit = Postings(*_read_matcher(reader.postings(field, text)))
            except TermNotFound:
                hit = Postings(array("l"), array("f"))
            self.postings.put(key, hit)
        return hit

    def scores(self, reader, field: str, text: str, constants) -> tuple[array, array]:
        """(document numbers, BM25F scores) of a term; ``constants`` are ``(top, fixed,
        per_length)`` in ``top * tf / (tf + fixed + per_length * length)``."""
        postings = self.term(reader, field, text)
        scored = postings.scored
        if scored is None or scored[0] != constants:
            top, fixed, per_length = constants
            lengths = self.lengths(reader, field)
            values = array(
                "d",
                [
                    top * tf / (tf + fixed + per_length * lengths[d])
                    for d, tf in zip(postings.ids, postings.tfs, strict=True)
                ],
            )
            scored = postings.scored = (constants, values)
        return postings.ids, scored[1]


class SegmentCache:
    """Segment data shared by every searcher of one index, by segment id."""

    def __init__(self):
        self._segments: dict[str, SegmentData] = {}
        self._lock = threading.Lock()

    def snapshot(self, searcher) -> Snapshot:
        parts, live = [], set()
        for reader, offset in searcher.reader().leaf_readers():
            segment = reader.segment()
            if segment is None:  # an empty index has a reader without segments
                continue
            key = segment.segment_id()
            live.add(key)
            with self._lock:
                data = self._segments.get(key)
            if data is None:  # loaded outside the lock: a first load takes a moment
                data = SegmentData(reader)
                with self._lock:
                    data = self._segments.setdefault(key, data)
            parts.append(Part(data, reader, offset, reader.deleted_docs_set))
        with self._lock:  # forget segments merged away
            for key in [k for k in self._segments if k not in live]:
                del self._segments[key]
        return Snapshot(searcher, parts)


@dataclass(frozen=True)
class Part:
    data: SegmentData
    reader: object
    offset: int
    deleted: frozenset[int]


@dataclass
class Page:
    docnums: list[int]  # this page's documents, in order
    total: int
    page: int
    facets: dict[str, Counter]


class Snapshot:
    """One searcher's view of the index: segments at their document offsets, minus deletions."""

    def __init__(self, searcher, parts):
        self.searcher = searcher
        self.parts = parts
        self.count = sum(part.data.count for part in parts)
        self.deleted = {d + part.offset for part in parts for d in part.deleted}
        if len(parts) == 1:
            self.columns = parts[0].data.columns
        else:
            self.columns = {name: [] for name in COLUMNS}
            for part in parts:
                for name in COLUMNS:
                    self.columns[name] += part.data.columns[name]
        self._lengths: dict[str, list[int]] = {}

    # -- terms ---------------------------------------------------------------------------
    def lengths(self, field: str) -> list[int]:
        if len(self.parts) == 1:
            return self.parts[0].data.lengths(self.parts[0].reader, field)
        found = self._lengths.get(field)
        if found is None:
            found = []
            for part in self.parts:
                found += part.data.lengths(part.reader, field)
            self._lengths[field] = found
        return found

    def postings(self, field: str, text: str) -> array:
        """The document numbers of a term, in order."""
        if len(self.parts) == 1:
            return self.parts[0].data.term(self.parts[0].reader, field, text).ids
        ids = array("l")
        for part in self.parts:
            seg_ids = part.data.term(part.reader, field, text).ids
            ids.extend(map(part.offset.__add__, seg_ids) if part.offset else seg_ids)
        return ids

    def term_scores(self, field: str, text: str, boost: float = 1.0) -> Scores:
        """BM25F for one term, as ``whoosh.scoring.bm25`` computes it, times the boost."""
        if not any(len(part.data.term(part.reader, field, text)) for part in self.parts):
            return {}  # and no idf to ask for: Whoosh's fails on a term it has never seen
        searcher = self.searcher
        if not searcher.schema[field].scorable:
            return dict.fromkeys(self.postings(field, text), boost)
        weighting = searcher.weighting
        b, k1 = weighting.B, weighting.K1
        # bm25(idf, tf, fl, avgfl, B, K1) with the constants taken out of the loop.
        constants = (
            searcher.idf(field, text) * (k1 + 1) * boost,
            k1 * (1 - b),
            k1 * b / (searcher.avg_field_length(field) or 1),
        )
        out: Scores = {}
        for part in self.parts:
            ids, scores = part.data.scores(part.reader, field, text, constants)
            shifted = map(part.offset.__add__, ids) if part.offset else ids
            out.update(zip(shifted, scores, strict=True))
        return out

    def expansions(self, q: FuzzyTerm | Prefix) -> Iterable[str]:
        reader = self.searcher.reader()
        if isinstance(q, FuzzyTerm):
            return reader.terms_within(q.fieldname, q.text, q.maxdist, prefix=q.prefixlength)
        return (
            t.decode() if isinstance(t, bytes) else t
            for t in reader.expand_prefix(q.fieldname, q.text)
        )

    # -- queries -------------------------------------------------------------------------
    def evaluate(self, q: Query, memo: dict | None = None) -> Scores:
        """Every matching document (deletions not yet removed) with its score.

        ``memo`` holds the terms already scored in this query ("kopi arabika" asks for the
        coffee concept twice); the dicts returned are never changed afterwards.
        """
        memo = {} if memo is None else memo
        if isinstance(q, (FuzzyTerm, Prefix)):  # each word it expands to, scored (as Whoosh)
            expanded = [Term(q.fieldname, text, boost=q.boost) for text in self.expansions(q)]
            return self.evaluate(Or(expanded), memo)
        if isinstance(q, Term):
            key = (q.fieldname, q.text, q.boost)
            if key not in memo:
                memo[key] = self.term_scores(*key)
            return memo[key]
        if isinstance(q, And):
            parts = sorted((self.evaluate(sub, memo) for sub in q.subqueries), key=len)
            out = parts[0]
            for other in parts[1:]:
                out = {d: s + other[d] for d, s in out.items() if d in other}
            return out
        if isinstance(q, Or):
            out = {}
            for sub in q.subqueries:
                more = self.evaluate(sub, memo)
                if not out:
                    out = dict(more)  # a copy: memoised dicts are shared
                    continue
                sums = {d: out[d] + more[d] for d in out.keys() & more.keys()}
                out.update(more)
                out.update(sums)
            return out
        if isinstance(q, Every):
            return dict.fromkeys(range(self.count), 0.0)
        raise TypeError(f"the search engine cannot run {q!r}")

    def docs_of(self, field: str, text: str) -> set[int]:
        return set(self.postings(field, text))

    def run(
        self,
        q: Query,
        *,
        category: str = "",
        equals: dict[str, str] | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        sort: tuple[str, bool] | None = None,
        page: int = 1,
        per_page: int = 24,
        facets: dict[str, str] | None = None,
    ) -> Page:
        """Match, filter, count facets, order and cut one page.

        ``equals`` filters columns by value; ``category`` is a term of the ``category`` field
        (a leaf or its parent); ``sort`` is (column, descending) or None for relevance;
        ``facets`` maps a facet name to the column counted for it.
        """
        cols = self.columns
        if isinstance(q, Every):
            scores = None
            docs = sorted(self.docs_of("category", category)) if category else range(self.count)
            docs = list(docs)
        else:
            scores = self.evaluate(q)
            docs = sorted(scores)
            if category:
                allowed = self.docs_of("category", category)
                docs = [d for d in docs if d in allowed]
        for name, value in (equals or {}).items():
            column = cols[name]
            docs = [d for d in docs if column[d] == value]
        if min_price is not None or max_price is not None:
            price = cols["price"]
            low = -math.inf if min_price is None else min_price
            high = math.inf if max_price is None else max_price
            docs = [d for d in docs if low <= price[d] <= high]
        if self.deleted:
            deleted = self.deleted
            docs = [d for d in docs if d not in deleted]
        counted = {
            name: Counter(map(cols[column].__getitem__, docs))
            for name, column in (facets or {}).items()
        }
        total = len(docs)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        end = page * per_page
        if sort is not None:
            column, descending = sort
            # Whoosh reverses the whole order, ties included: the higher document first.
            source = docs[::-1] if descending else docs
            ordered = sorted(source, key=cols[column].__getitem__, reverse=descending)[:end]
        elif scores is not None:
            # Stable on docs in ascending order: equal scores keep the lower document first.
            if end * 8 < total:
                ordered = heapq.nlargest(end, docs, key=scores.__getitem__)
            else:
                ordered = sorted(docs, key=scores.__getitem__, reverse=True)[:end]
        else:
            ordered = docs[:end]
        return Page(docnums=ordered[end - per_page :], total=total, page=page, facets=counted)
