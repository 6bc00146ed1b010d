"""The default search backend: a Whoosh index on local disk (the only module importing whoosh).

Text fields share the Indonesian analyzer of ``analysis``; ``title_raw`` keeps unstemmed words
for typo tolerance, "did you mean" and autocomplete. Facet fields are sortable columns so
counting them is cheap. Writers take Whoosh's lock with a timeout, so several gunicorn
workers can write one at a time; readers keep a searcher per thread and refresh it. Queries
are built as Whoosh query objects and run by ``whoosh_engine``, which reads the same index a
whole posting list at a time (Whoosh's own collector is ten times slower at 100,000 products).
"""

from __future__ import annotations

import gc
import logging
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh import index, scoring
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.query import And, Every, FuzzyTerm, Or, Prefix, Query, Term

from catalog.search.analysis import STOP_WORDS, find_concepts, normalise, stem, tokens, words
from catalog.search.base import (
    FACETS,
    Found,
    SearchDocument,
    SearchQuery,
    SearchResults,
    Suggestion,
    corrected,
    sorted_facet,
    with_typo_tolerance,
)
from catalog.search.index_lock import IndexLock
from catalog.search.whoosh_engine import SegmentCache, Snapshot

log = logging.getLogger(__name__)

# One text field, with the title written three times and category/shop twice: the weight of
# separate boosted fields at a third of the cost (each query word reads one posting list,
# not four; measured at 100,000 products).
TEXT_REPEAT = {"title": 3, "tags": 2, "place": 1, "body": 1}
# Mild length normalisation: a product with a long, careful description must not rank below a
# terse one for the same words in its title.
WEIGHTING = scoring.BM25F(B=0.3, K1=1.2)
WRITE_TIMEOUT = 30.0


class IndonesianFilter(Filter):
    """Normalise, drop stop words and stem (``stemmed=False``: normalise only)."""

    def __init__(self, stemmed: bool = True):
        self.stemmed = stemmed

    def __eq__(self, other):
        return isinstance(other, IndonesianFilter) and other.stemmed == self.stemmed

    def __call__(self, tokens_):
        for t in tokens_:
            word = normalise(t.text)
            if not word.isalnum() or word in STOP_WORDS:
                continue
            t.text = stem(word) if self.stemmed else word
            yield t


def _analyzer(stemmed: bool):
    return RegexTokenizer(r"\w+") | IndonesianFilter(stemmed)


def make_schema() -> Schema:
    stemmed, raw = _analyzer(True), _analyzer(False)
    return Schema(
        id=ID(stored=True, unique=True),
        slug=STORED,
        display_title=STORED,
        text=TEXT(analyzer=stemmed),
        title_raw=TEXT(analyzer=raw),
        concepts=KEYWORD(scorable=True),
        category=KEYWORD,  # leaf and parent slugs: filter by either
        leaf=ID(sortable=True),  # facet counts
        province=ID(sortable=True),
        seller=ID(sortable=True),
        price_band=ID(sortable=True),
        price=NUMERIC(bits=64, sortable=True),
        created=NUMERIC(bits=64, sortable=True),
    )


def _fields(doc: SearchDocument) -> dict:
    return {
        "id": str(doc.id),
        "slug": doc.slug,
        "display_title": doc.title,
        "text": " ".join(
            " ".join([getattr(doc, name)] * times) for name, times in TEXT_REPEAT.items()
        ),
        "title_raw": doc.title,
        "concepts": " ".join(doc.concepts + doc.title_concepts),  # named in the title: twice
        "category": " ".join(doc.categories),
        "leaf": doc.categories[0],
        "province": doc.province,
        "seller": doc.seller,
        "price_band": doc.price_band,
        "price": doc.price,
        "created": doc.created,
    }


def _any_field(token: str) -> Query:
    return Term("text", token)


def _fuzzy_word(word: str) -> Query:
    """A word as typed, tolerating typos on titles; its stem still matches every field."""
    maxdist = 1 if len(word) <= 5 else 2
    return Or(
        [
            _any_field(stem(word)),
            FuzzyTerm("title_raw", word, maxdist=maxdist, prefixlength=1),
        ]
    )


def text_query(text: str) -> Query | None:
    """Every word (or a synonym concept it forms) must match somewhere; ranked by BM25F."""
    toks = tokens(text)
    if not toks:
        return None
    parts: list[Query] = []
    i = 0
    spans = {start: (end, concept) for start, end, concept in find_concepts(toks)}
    while i < len(toks):
        if i in spans:
            end, concept = spans[i]
            literal = And([_any_field(t) for t in toks[i:end]])
            parts.append(Or([Term("concepts", concept, boost=0.8), literal]))
            i = end
        else:
            parts.append(_any_field(toks[i]))
            i += 1
    return And(parts) if len(parts) > 1 else parts[0]


def fuzzy_query(text: str) -> Query | None:
    raw = [w for w in words(text) if len(w) >= 3]
    if not raw:
        return None
    return And([_fuzzy_word(w) for w in raw])


_SORTS = {
    "newest": ("created", True),
    "price_asc": ("price", False),
    "price_desc": ("price", True),
}
FACET_FIELDS = {  # facet name → the sortable column that holds it
    "category": "leaf",
    "province": "province",
    "seller": "seller",
    "price_band": "price_band",
}


class IndexUnreadable(RuntimeError):
    pass


def _open_index(directory: Path):
    failure = ""
    with warnings.catch_warnings():
        # Whoosh leaves a damaged file open when it fails; it closes once the error is gone.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return index.open_dir(str(directory))
        except Exception as exc:
            failure = f"{exc.__class__.__name__}: {exc}"
        gc.collect()
    raise IndexUnreadable(failure)


# A reader lists the newest table of contents, then opens it and the segments it names; a
# writer committing in another process at that moment deletes the files it replaced, and the
# reader finds one gone. Such a failure passes on a second try; a damaged index does not.
RETRY_DELAYS = (0.02, 0.05, 0.1, 0.2, 0.4)


def _retrying(open_once: Callable[[], object]):
    for delay in RETRY_DELAYS:
        try:
            return open_once()
        except (IndexUnreadable, OSError):
            time.sleep(delay)
    return open_once()


class WhooshBackend:
    name = "whoosh"

    def __init__(self, directory: str | Path, rebuild: Callable[[], None] | None = None):
        self.directory = Path(directory)
        self._rebuild_from_source = rebuild
        self._ix: index.Index | None = None
        self._local = threading.local()
        self._guard = IndexLock(self.directory.with_name(self.directory.name + ".lock"))
        self._segments = SegmentCache()

    # -- index lifecycle -------------------------------------------------------------------
    def _open(self):
        if self._ix is not None:
            return self._ix
        try:
            with self._guard.hold():
                if self._ix is None:
                    self._ix = _open_index(self.directory)
        except IndexUnreadable:
            self._recover()
        return self._ix

    def _recover(self) -> None:
        """Open the index after a first failure, or rebuild it when it is missing or damaged.

        Under the cross-process lock: another worker may be rebuilding it right now (then it
        opens once that is done), or committing a write (then a second try opens it).
        """
        with self._guard.hold():
            if self._ix is not None:
                return
            missing = not any(self.directory.glob("_MAIN_*.toc"))
            try:
                self._ix = (
                    _open_index(self.directory)
                    if missing
                    else _retrying(lambda: _open_index(self.directory))
                )
                return
            except IndexUnreadable as exc:
                # A first start has no index yet (info); a damaged one is worth a warning.
                log.log(
                    logging.INFO if missing else logging.WARNING,
                    "search index at %s is %s (%s); rebuilding it from the database",
                    self.directory,
                    "missing" if missing else "unreadable",
                    exc,
                )
            if self._rebuild_from_source is None:
                self._ix = self._create()
                return
            # Built beside the directory and swapped in (``rebuild``), never wiped in place.
            self._rebuild_from_source()
            if self._ix is None:  # the rebuild went through another handle on this directory
                self._ix = _open_index(self.directory)

    def _create(self):
        with self._guard.hold():
            if self.directory.exists():
                shutil.rmtree(self.directory)
            self.directory.mkdir(parents=True)
            self._local = threading.local()
            return index.create_in(str(self.directory), make_schema())

    def clear(self) -> None:
        self._ix = self._create()

    def _searcher(self):
        """This thread's searcher, reopened when the index has a newer generation.

        Not ``Searcher.refresh()``: it reuses segment readers, and a reused reader keeps the
        deletions it saw when opened, so deleted products would still be found.
        """
        ix = self._open()
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and getattr(self._local, "ix", None) is ix:
            try:
                if searcher.up_to_date():
                    return searcher
            except Exception:  # noqa: S110 - the files changed under us: reopen below
                pass
            searcher.close()
        searcher = _retrying(lambda: ix.searcher(weighting=WEIGHTING))
        self._local.searcher, self._local.ix, self._local.snapshot = searcher, ix, None
        return searcher

    def warm(self) -> None:
        """Open the index and load what a first search would (each segment's columns and field
        lengths: 0.75 s at 100,000 products), so a fresh worker's first buyer does not wait."""
        snapshot = self._snapshot()
        for field in ("text", "concepts"):
            snapshot.lengths(field)

    def _snapshot(self) -> Snapshot:
        """The engine's view of this thread's searcher (segment data shared across threads)."""
        searcher = self._searcher()
        snapshot = getattr(self._local, "snapshot", None)  # a rebuild may have reset _local
        if snapshot is None or snapshot.searcher is not searcher:
            snapshot = self._local.snapshot = self._segments.snapshot(searcher)
        return snapshot

    # -- writes ----------------------------------------------------------------------------
    def upsert(self, documents: Iterable[SearchDocument]) -> None:
        docs = list(documents)
        if not docs:
            return
        writer = self._open().writer(timeout=WRITE_TIMEOUT)
        try:
            for doc in docs:
                writer.update_document(**_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def delete(self, product_ids: Iterable[int]) -> None:
        ids = [str(i) for i in product_ids]
        if not ids:
            return
        writer = self._open().writer(timeout=WRITE_TIMEOUT)
        try:
            for pid in ids:
                writer.delete_by_term("id", pid)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        progress: Callable[[int], None] | None = None,
        batch: int = 5000,
    ) -> int:
        """Build a fresh index beside the live one, then swap it in.

        The whole build holds the cross-process lock: a second rebuild (a worker finding the
        index missing while ``search reindex`` runs) waits and then opens the finished index
        instead of building into the same folder. Readers keep the old index until the swap.
        """
        with self._guard.hold():
            staging = self.directory.with_name(self.directory.name + ".new")
            if staging.exists():
                shutil.rmtree(staging)
            staging.mkdir(parents=True)
            ix = index.create_in(str(staging), make_schema())
            count = 0
            writer = ix.writer(limitmb=256, procs=1)
            try:
                for doc in documents:
                    writer.add_document(**_fields(doc))
                    count += 1
                    if progress and count % batch == 0:
                        progress(count)
            except BaseException:
                # The documents come from the database, which may fail mid-way: close the
                # writer's files and leave the live index as it was.
                writer.cancel()
                shutil.rmtree(staging, ignore_errors=True)
                raise
            writer.commit(optimize=True)
            old = self.directory.with_name(self.directory.name + ".old")
            if old.exists():
                shutil.rmtree(old)
            if self.directory.exists():
                self.directory.rename(old)
            staging.rename(self.directory)
            shutil.rmtree(old, ignore_errors=True)
            self._ix = index.open_dir(str(self.directory))
            self._local = threading.local()
        if progress:
            progress(count)
        return count

    def optimize(self) -> str:
        """Merge every segment into one, dropping deleted documents.

        Each product edit adds a small segment and marks the old version deleted; Whoosh merges
        small segments as it goes, but the big one keeps its deletions until this runs. Takes
        the writer lock like any write, so workers' edits wait rather than fail.
        """
        ix = self._open()
        with ix.searcher() as searcher:
            before = len(searcher.reader().leaf_readers())
            deleted = searcher.doc_count_all() - searcher.doc_count()
        writer = ix.writer(timeout=WRITE_TIMEOUT)
        writer.commit(optimize=True)
        return f"{before} segments and {deleted} deleted documents merged into one segment"

    # -- reads -----------------------------------------------------------------------------
    def _run(self, snapshot: Snapshot, q: Query, query: SearchQuery) -> Found:
        page = snapshot.run(
            q,
            category=query.category,
            equals={name: value for name, value in query.filters.items() if name != "category"},
            min_price=query.min_price,
            max_price=query.max_price,
            sort=_SORTS.get(query.sort),
            page=query.page,
            per_page=query.per_page,
            facets=FACET_FIELDS,
        )
        stored = snapshot.searcher.stored_fields
        return Found(
            ids=[int(stored(docnum)["id"]) for docnum in page.docnums],
            total=page.total,
            page=page.page,
            facets={name: sorted_facet(page.facets[name].items()) for name in FACETS},
        )

    def search(self, query: SearchQuery) -> SearchResults:
        snapshot = self._snapshot()

        def fuzzy() -> Found | None:
            loose = fuzzy_query(query.text)
            return self._run(snapshot, loose, query) if loose is not None else None

        return with_typo_tolerance(
            query,
            run=lambda text: self._run(snapshot, text_query(text) or Every(), query),
            did_you_mean=lambda text: self._did_you_mean(snapshot.searcher, text),
            run_fuzzy=fuzzy,
        )

    def _did_you_mean(self, searcher, text: str) -> str:
        def known(word: str) -> bool:
            return bool(
                searcher.doc_frequency("text", stem(word))
                or searcher.doc_frequency("title_raw", word)
            )

        def closest(word: str) -> str | None:
            options = searcher.suggest("title_raw", word, limit=1, maxdist=2, prefix=1)
            return options[0] if options else None

        return corrected(words(text), known, closest)

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        raw = words(prefix)
        if not raw or (len(raw) == 1 and len(raw[0]) < 2):
            return []
        snapshot = self._snapshot()
        parts = [Term("title_raw", w) for w in raw[:-1]] + [Prefix("title_raw", raw[-1])]
        q = And(parts) if len(parts) > 1 else parts[0]
        stored = snapshot.searcher.stored_fields
        hits = [stored(docnum) for docnum in snapshot.run(q, per_page=limit).docnums]
        return [Suggestion(title=hit["display_title"], slug=hit["slug"]) for hit in hits]
