"""The search backend interface: what the storefront asks of any search engine.

The database is the source of truth; a backend holds a derived index of public products that
can always be rebuilt from it. Queries and results are plain data so the same behaviour tests
run against every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from marketplace.pagination import Paged

SORTS = ("relevance", "newest", "price_asc", "price_desc")
FACETS = ("category", "province", "seller", "price_band")
MAX_QUERY_CHARS = 200
MAX_PAGE = 400  # deep pages cost the engine; nobody reads 9,600 results

# Price bands are stored per document at index time: counting them is then as cheap as
# counting categories (numeric range facets are slow on a large index).
PRICE_BANDS = (
    ("lt25", 0, 25_000),
    ("25-50", 25_000, 50_000),
    ("50-100", 50_000, 100_000),
    ("100-250", 100_000, 250_000),
    ("gte250", 250_000, None),
)


def band_bounds(band: str) -> tuple[int, int | None] | None:
    """A band's (min, max) price, both inclusive, for the ``min_price``/``max_price`` filter."""
    for name, low, high in PRICE_BANDS:
        if name == band:
            return low, (high - 1 if high is not None else None)
    return None


def price_band(price: int) -> str:
    for name, low, high in PRICE_BANDS:
        if price >= low and (high is None or price < high):
            return name
    return PRICE_BANDS[-1][0]


@dataclass(frozen=True)
class SearchDocument:
    """One public product as the index sees it (built by ``documents.document_for``)."""

    id: int
    slug: str
    title: str
    body: str
    place: str
    tags: str
    concepts: tuple[str, ...]
    categories: tuple[str, ...]  # leaf slug first, then its parent's
    province: str
    seller: str
    price: int
    created: int  # microseconds since the epoch: products added in one second still sort
    in_stock: bool

    @property
    def price_band(self) -> str:
        return price_band(self.price)

    @property
    def title_concepts(self) -> tuple[str, ...]:
        """Concepts the title itself names: they weigh more than ones from the category
        ("Terasi Udang" is shrimp paste more surely than anything filed under Bumbu & Terasi)."""
        from catalog.search.analysis import concepts_of

        return tuple(sorted(concepts_of(self.title) & set(self.concepts)))


@dataclass
class SearchQuery:
    text: str = ""
    category: str = ""
    province: str = ""
    seller: str = ""
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 24

    @property
    def unsearchable(self) -> bool:
        """Words were given but none can be searched for (only emoji, punctuation, "a" …)."""
        from catalog.search.analysis import has_search_terms

        return bool(self.text.strip()) and not has_search_terms(self.text)

    @property
    def asks_nothing(self) -> bool:
        """No words and no filters: the search page shows its prompt instead of results."""
        return (
            not self.text.strip()
            and not self.filters
            and self.min_price is None
            and self.max_price is None
        )

    @property
    def filters(self) -> dict[str, str]:
        """The keyword filters in force (prices are a range, see ``min_price``/``max_price``)."""
        return {
            name: value
            for name in ("category", "province", "seller")
            if (value := getattr(self, name))
        }


@dataclass
class SearchResults(Paged):
    ids: list[int]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str = ""  # "did you mean", as a whole corrected query
    fuzzy: bool = False  # found only by tolerating typos


@dataclass(frozen=True)
class Suggestion:
    title: str
    slug: str


class SearchBackend(Protocol):
    name: str

    def search(self, query: SearchQuery) -> SearchResults: ...

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]: ...

    def upsert(self, documents: Iterable[SearchDocument]) -> None: ...

    def delete(self, product_ids: Iterable[int]) -> None: ...

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        progress: Callable[[int], None] | None = None,
    ) -> int: ...

    def clear(self) -> None: ...

    def warm(self) -> None:
        """Load what the first search needs before requests arrive (a worker starting)."""

    def optimize(self) -> str:
        """Compact the index (a scheduled job, safe while the site serves); says what it did."""


FEW_RESULTS = 3  # below this many exact results, typo tolerance is tried


@dataclass
class Found:
    """One run of a query in a backend: the page's ids, the exact total, facet counts."""

    ids: list[int]
    total: int
    page: int
    facets: dict[str, list[tuple[str, int]]]


def with_typo_tolerance(
    query: SearchQuery,
    run: Callable[[str], Found],
    did_you_mean: Callable[[str], str],
    run_fuzzy: Callable[[], Found | None],
) -> SearchResults:
    """The search policy every backend shares; backends only say how to run each step.

    The query as typed first; when it finds fewer than ``FEW_RESULTS``, the corrected query
    ("anyaaman" → "anyaman", synonyms and all), then fuzzy matching on titles, each only while
    still short of results; the run that finds most wins.
    """
    from catalog.search.analysis import tokens

    found, fuzzy, suggestion = run(query.text), False, ""
    if tokens(query.text) and found.total < FEW_RESULTS:
        suggestion = did_you_mean(query.text)
        for attempt in (lambda: run(suggestion) if suggestion else None, run_fuzzy):
            if found.total >= FEW_RESULTS:
                break
            loose = attempt()
            if loose is not None and loose.total > found.total:
                found, fuzzy = loose, True
    return SearchResults(
        ids=found.ids,
        total=found.total,
        page=found.page,
        per_page=query.per_page,
        facets=found.facets,
        suggestion=suggestion,
        fuzzy=fuzzy,
    )


def sorted_facet(counts) -> list[tuple[str, int]]:
    """(value, count) pairs, commonest first, without the empty value."""
    return sorted(((k, n) for k, n in counts if k), key=lambda kv: (-kv[1], kv[0]))


def corrected(
    query_words: list[str], known: Callable[[str], bool], closest: Callable[[str], str | None]
) -> str:
    """ "Did you mean": the query with each unknown word (3+ letters) replaced by the closest
    known one; empty when nothing changed. Backends supply what "known" and "closest" mean."""
    out, changed = [], False
    for word in query_words:
        if len(word) >= 3 and not known(word):
            better = closest(word)
            if better and better != word:
                out.append(better)
                changed = True
                continue
        out.append(word)
    return " ".join(out) if changed else ""
