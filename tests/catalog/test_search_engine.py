"""The Whoosh backend's query engine gives exactly what Whoosh's own collector gives.

The engine (``catalog.search.whoosh_engine``) reads posting lists and columns itself for speed;
Whoosh's ``search_page`` with filters, sorting and grouping is the reference. Both run on the
same index of 1,200 products grown from the demo catalogue, with several segments and deleted
documents (as after a day of sellers editing), over words, synonyms, typos, filters, sorts,
pages past the end and autocomplete prefixes. No database is involved.
"""

from __future__ import annotations

from random import Random

import pytest
from whoosh import sorting
from whoosh.query import And, Every, NumericRange, Prefix, Term

from catalog.search.analysis import concepts_of, words
from catalog.search.base import SearchDocument, SearchQuery, sorted_facet
from catalog.search.whoosh_backend import (
    _SORTS,
    FACET_FIELDS,
    WhooshBackend,
    fuzzy_query,
    text_query,
)
from marketplace.demo.data import CATEGORIES, PRODUCTS

PARENT = {slug: parent for slug, _, _, parent in CATEGORIES}
NAMES = {slug: f"{name_id} {name_en}" for slug, name_id, name_en, _ in CATEGORIES}
PROVINCES = ("52", "32", "33", "35", "53")
SELLERS = tuple(f"toko-{n}" for n in range(12))


def _document(i: int, rng: Random, suffix: str = "") -> SearchDocument:
    template = PRODUCTS[i % len(PRODUCTS)]
    leaf = template.category_slug
    categories = (leaf, PARENT[leaf]) if PARENT[leaf] else (leaf,)
    title = f"{template.title} {rng.choice(('Asli', 'Premium', 'Hemat', ''))}{suffix}".strip()
    return SearchDocument(
        id=i,
        slug=f"p-{i}",
        title=title,
        body=template.description,
        place=rng.choice(("Lombok Timur", "Indramayu", "Banyuwangi", "Kupang")),
        tags=f"{NAMES[leaf]} {rng.choice(SELLERS)}",
        concepts=tuple(sorted(concepts_of(f"{title} {NAMES[leaf]}"))),
        categories=categories,
        province=rng.choice(PROVINCES),
        seller=rng.choice(SELLERS),
        # Coarse prices and dates: plenty of ties, so their order is compared too.
        price=rng.choice((15_000, 25_000, 40_000, 75_000, 120_000, 300_000)),
        created=rng.randrange(50),
        in_stock=True,
    )


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    rng = Random(11)
    backend = WhooshBackend(tmp_path_factory.mktemp("engine") / "index")
    backend.rebuild(_document(i, rng) for i in range(1, 1201))
    # A day of edits: new segments beside the big one, and deletions inside it.
    for start in range(1, 1201, 150):
        backend.upsert([_document(i, rng, " Baru") for i in range(start, start + 12)])
        backend.delete(range(start + 20, start + 30))
    return backend


def _whoosh_page(searcher, q, query: SearchQuery) -> tuple[list[int], int, int, dict]:
    """Whoosh's own collector, as the backend used it before the engine."""
    terms = [Term(name, value) for name, value in query.filters.items()]
    if query.min_price is not None or query.max_price is not None:
        terms.append(NumericRange("price", query.min_price, query.max_price))
    kwargs = {}
    if sort := _SORTS.get(query.sort):
        kwargs = {"sortedby": sort[0], "reverse": sort[1], "scored": False}
    page = searcher.search_page(
        q,
        query.page,
        pagelen=query.per_page,
        filter=And(terms) if terms else None,
        groupedby={
            name: sorting.FieldFacet(field, maptype=sorting.Count)
            for name, field in FACET_FIELDS.items()
        },
        **kwargs,
    )
    facets = {name: sorted_facet(page.results.groups(name).items()) for name in FACET_FIELDS}
    return [int(hit["id"]) for hit in page], page.total, max(1, page.pagenum), facets


def _engine_page(backend, q, query: SearchQuery) -> tuple[list[int], int, int, dict]:
    found = backend._run(backend._snapshot(), q, query)
    return found.ids, found.total, found.page, found.facets


QUERIES = [
    SearchQuery(text="gula"),
    SearchQuery(text="gula aren"),
    SearchQuery(text="palm sugar"),
    SearchQuery(text="kopi"),
    SearchQuery(text="coffee", per_page=100),
    SearchQuery(text="trasi lombok"),
    SearchQuery(text="tas anyaman"),
    SearchQuery(text="woven bag"),
    SearchQuery(text="tenun baru"),
    SearchQuery(text="madu hutan"),
    SearchQuery(text="keripik pisang asli"),
    SearchQuery(text="tidak ada barang begini"),
    SearchQuery(text="kopi", page=3),
    SearchQuery(text="kopi", page=400),
    SearchQuery(text="gula", sort="price_asc"),
    SearchQuery(text="gula", sort="price_desc", page=2),
    SearchQuery(text="tenun", sort="newest"),
    SearchQuery(text="kopi", category="kopi-minuman"),
    SearchQuery(text="garam", province="52"),
    SearchQuery(text="madu", seller="toko-3"),
    SearchQuery(text="gula", min_price=20_000, max_price=75_000),
    SearchQuery(text="keripik", min_price=100_000),
    SearchQuery(text="kain", category="kerajinan", province="33", sort="price_asc"),
    SearchQuery(category="camilan"),
    SearchQuery(category="olahan-pangan", province="35", page=2),
    SearchQuery(seller="toko-7", sort="price_desc"),
    SearchQuery(max_price=25_000, sort="newest"),
    SearchQuery(),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q.__dict__))
def test_engine_matches_whoosh_collector(backend, query):
    searcher = backend._searcher()
    assert len(searcher.reader().leaf_readers()) > 1, "the index should have several segments"
    q = text_query(query.text) or Every()
    expected = _whoosh_page(searcher, q, query)
    assert _engine_page(backend, q, query) == expected


@pytest.mark.parametrize("text", ["anyaaman", "kopii arabika", "gulla semut", "terasii"])
def test_typo_queries_match_whoosh_collector(backend, text):
    query = SearchQuery(text=text)
    q = fuzzy_query(text)
    expected = _whoosh_page(backend._searcher(), q, query)
    assert expected[1] > 0  # the typo is tolerated at all
    assert _engine_page(backend, q, query) == expected


@pytest.mark.parametrize("prefix", ["gu", "kop", "tenun son", "gula semut a", "xq"])
def test_autocomplete_matches_whoosh_collector(backend, prefix):
    raw = words(prefix)
    parts = [Term("title_raw", w) for w in raw[:-1]] + [Prefix("title_raw", raw[-1])]
    q = And(parts) if len(parts) > 1 else parts[0]
    expected = [hit["slug"] for hit in backend._searcher().search(q, limit=8)]
    assert [s.slug for s in backend.suggest(prefix)] == expected


def test_deleted_and_replaced_documents_are_not_found(backend):
    ids = set(backend.search(SearchQuery(per_page=2000)).ids)
    assert not ids & set(range(21, 31))  # deleted from the first segment
    assert {1, 12, 151} <= ids  # replaced by a newer version in a later segment
    baru = backend.search(SearchQuery(text="baru", per_page=2000))
    assert baru.total == 8 * 12  # the replacements, once each
