"""Relevance over the whole demo catalogue: what a buyer types, and what must come up top.

Indonesian morphology, synonyms both ways (Indonesian ↔ English), spelling variants, typos,
place names, filters, sorting, facets and autocomplete. Runs once per database (the index is
built from it after each commit).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog import search
from catalog.models import Product
from catalog.search import SearchQuery
from catalog.search.postgres_backend import PostgresBackend
from marketplace.demo.loader import load
from marketplace.extensions import db
from tests.conftest import SEARCH_BACKENDS, _empty_tables

RELEVANCE = [
    # (query, titles that must be among the first `top` results, top)
    ("gula aren", ["Gula Semut Aren Sesaot 250 g", "Gula Aren Cetak Batok 1 kg"], 5),
    ("gula semut", ["Gula Semut Aren Sesaot 250 g", "Gula Semut Aren Sesaot 500 g"], 3),
    ("palm sugar", ["Gula Semut Aren Sesaot 250 g", "Gula Kelapa Kristal Banyuwangi 500 g"], 6),
    ("coconut sugar", ["Gula Kelapa Kristal Banyuwangi 500 g"], 6),
    ("gula merah", ["Gula Aren Cetak Batok 1 kg"], 8),
    ("terasi", ["Terasi Udang Rebon Jerowaru 250 g"], 3),
    ("trasi", ["Terasi Udang Rebon Jerowaru 250 g"], 3),
    ("belacan", ["Terasi Udang Rebon Jerowaru 250 g"], 5),
    ("shrimp paste", ["Terasi Udang Rebon Jerowaru 250 g", "Terasi Udang Jerowaru 500 g"], 5),
    ("trasi lombok", ["Sambal Terasi Lombok Pedas 150 g"], 3),
    ("garam", ["Garam Krosok Pemongkong 1 kg"], 5),
    ("sea salt", ["Garam Krosok Pemongkong 1 kg"], 5),
    ("garam pemongkong", ["Garam Krosok Pemongkong 1 kg"], 1),
    ("madu", ["Madu Hutan Sesaot 250 ml", "Madu Trigona Jerowaru 150 ml"], 3),
    ("honey", ["Madu Hutan Sesaot 250 ml", "Madu Sembalun Bunga Kopi 250 ml"], 3),
    ("madu hutan", ["Madu Hutan Sesaot 250 ml"], 1),
    ("kopi arabika", ["Kopi Arabika Sembalun Biji 250 g", "Kopi Arabika Ijen Biji 250 g"], 4),
    ("arabica coffee", ["Kopi Arabika Ijen Biji 250 g"], 5),
    ("coffee", ["Kopi Osing Robusta Licin 250 g"], 12),
    ("kopi sembalun", ["Kopi Arabika Sembalun Biji 250 g"], 4),
    ("kopi lanang", ["Kopi Lanang Licin 200 g"], 1),
    ("robusta", ["Kopi Robusta Rinjani 500 g"], 6),
    ("tenun", ["Kain Tenun Pringgasela Motif Ragi Genep"], 6),
    ("kain tenun", ["Kain Tenun Pringgasela Motif Ragi Genep"], 3),
    ("woven cloth", ["Kain Tenun Pringgasela Motif Ragi Genep"], 6),
    ("songket", ["Kain Tenun Songket Benang Emas"], 1),
    ("selendang", ["Selendang Tenun Pringgasela Merah"], 1),
    ("tas anyaman", ["Tas Pandan Motif Sasak", "Tas Ketak Bulat Dasan Tapen"], 5),
    ("tas anyam", ["Tas Ketak Bulat Dasan Tapen"], 5),
    ("woven bag", ["Tas Ketak Bulat Dasan Tapen"], 6),
    ("keranjang", ["Keranjang Bambu Serbaguna"], 1),
    ("keripik", ["Keripik Singkong Pedas Bonjeruk 200 g"], 6),
    ("kripik", ["Keripik Singkong Pedas Bonjeruk 200 g"], 6),
    ("keripik pedas", ["Keripik Singkong Pedas Bonjeruk 200 g"], 1),
    ("chips", ["Keripik Pisang Manis 200 g"], 8),
    ("dodol", ["Dodol Rumput Laut Lombok 250 g"], 1),
    ("kue", ["Kue Semprong Indramayu 250 g"], 8),
    ("jahe merah", ["Jahe Merah Instan Warsini 250 g"], 1),
    ("ginger", ["Jahe Merah Instan Warsini 250 g"], 3),
    ("tea", ["Teh Hijau Kebun Licin 100 g"], 6),
    ("oleh-oleh", ["Paket Garam Oleh-oleh Lombok (3 rasa)"], 3),
    ("sambal", ["Sambal Terasi Lombok Pedas 150 g"], 2),
    # typos
    ("terasii", ["Terasi Udang Rebon Jerowaru 250 g"], 5),
    ("garem", ["Garam Krosok Pemongkong 1 kg"], 8),
    ("anyaaman", ["Tas Pandan Motif Sasak"], 8),
    ("sambel", ["Sambal Terasi Lombok Pedas 150 g"], 3),
    ("kopy arabika", ["Kopi Arabika Sembalun Biji 250 g"], 6),
    ("selendag", ["Selendang Tenun Pringgasela Merah"], 3),
    # places
    ("indramayu", ["Jahe Merah Instan Warsini 250 g"], 8),
    ("sembalun", ["Kopi Arabika Sembalun Biji 250 g"], 8),
    ("pringgasela", ["Selendang Tenun Pringgasela Merah"], 8),
    ("kopi banyuwangi", ["Kopi Osing Robusta Licin 250 g"], 4),
]


@pytest.fixture(scope="module", params=SEARCH_BACKENDS)
def catalogue(app, request):
    """The full demo store (small photos: relevance does not look at them), once per module
    and search backend; the PostgreSQL backend runs on the PostgreSQL database only."""
    with app.app_context():
        default = app.extensions["search"]
        if request.param == "postgres":
            app.extensions["search"] = PostgresBackend(app)
        try:
            _empty_tables()
            search.backend().clear()
            load(photo_size=320)
            titles = {p.id: p.title for p in db.session.scalars(select(Product))}
            yield titles
        finally:
            db.session.remove()
            _empty_tables()
            search.backend().clear()
            app.extensions["search"] = default


def _titles(catalogue, query: SearchQuery) -> list[str]:
    return [catalogue[i] for i in search.search(query).ids]


@pytest.mark.parametrize(("text", "expected", "top"), RELEVANCE, ids=[r[0] for r in RELEVANCE])
def test_relevance(catalogue, text, expected, top):
    found = _titles(catalogue, SearchQuery(text=text, per_page=top))
    missing = [title for title in expected if title not in found]
    assert not missing, f"{text!r}: {missing} not in top {top}: {found}"


def test_the_suite_is_broad_enough():
    assert len(RELEVANCE) >= 40


@pytest.mark.parametrize(
    ("text", "category"),
    [("kerajinan", "kerajinan"), ("camilan", "camilan"), ("crafts", "kerajinan")],
)
def test_category_words_find_only_that_category(catalogue, text, category):
    results = search.search(SearchQuery(text=text, per_page=100))
    in_category = search.search(SearchQuery(category=category, per_page=100))
    assert results.total == in_category.total > 0
    assert set(results.ids) == set(in_category.ids)


def test_did_you_mean_offers_the_corrected_query(catalogue):
    results = search.search(SearchQuery(text="anyaaman"))
    assert results.suggestion == "anyaman"
    assert results.fuzzy and results.total >= 3
    assert search.search(SearchQuery(text="terasi")).suggestion == ""


def test_nonsense_finds_nothing_and_does_not_guess_wildly(catalogue):
    results = search.search(SearchQuery(text="qwxz zzvq"))
    assert results.total == 0 and results.ids == []


def test_filters_narrow_and_combine(catalogue):
    products = {p.id: p for p in db.session.scalars(select(Product))}
    kopi_teh = search.search(SearchQuery(text="kopi", category="teh-herbal", per_page=50))
    assert kopi_teh.total >= 1
    assert all(products[i].category.slug == "teh-herbal" for i in kopi_teh.ids)

    garam = search.search(SearchQuery(category="garam", per_page=50))
    expected = [p for p in products.values() if p.category.slug == "garam"]
    assert garam.total == len(expected) == 5

    java = search.search(SearchQuery(province="32", per_page=50))
    assert java.total == 8
    assert all(products[i].seller.village_code.startswith("32.") for i in java.ids)

    cheap = search.search(SearchQuery(text="kopi", max_price=50_000, per_page=50))
    assert cheap.total >= 3
    assert all(products[i].price <= 50_000 for i in cheap.ids)
    mid = search.search(SearchQuery(min_price=50_000, max_price=99_999, per_page=100))
    assert mid.total > 0
    assert all(50_000 <= products[i].price <= 99_999 for i in mid.ids)

    shop = search.search(SearchQuery(text="terasi", seller="terasi-jerowaru", per_page=50))
    assert shop.total >= 4
    assert all(products[i].seller.slug == "terasi-jerowaru" for i in shop.ids)


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "newest"])
def test_sorting(catalogue, sort):
    products = {p.id: p for p in db.session.scalars(select(Product))}
    ids = search.search(SearchQuery(text="kopi", sort=sort, per_page=50)).ids
    assert len(ids) >= 10
    if sort == "newest":
        keys = [products[i].created_at for i in ids]
        assert keys == sorted(keys, reverse=True)
    else:
        prices = [products[i].price for i in ids]
        assert prices == sorted(prices, reverse=sort == "price_desc")


def test_facet_counts_add_up(catalogue):
    products = {p.id: p for p in db.session.scalars(select(Product))}
    results = search.search(SearchQuery(text="kopi", per_page=100))
    assert sum(n for _key, n in results.facets["category"]) == results.total
    assert sum(n for _key, n in results.facets["price_band"]) == results.total
    by_category: dict[str, int] = {}
    for i in results.ids:
        slug = products[i].category.slug
        by_category[slug] = by_category.get(slug, 0) + 1
    assert dict(results.facets["category"]) == by_category
    assert {code for code, _n in results.facets["province"]} <= {"52", "32", "35"}


def test_pages_are_disjoint_and_exact(catalogue):
    first = search.search(SearchQuery(text="kopi", per_page=5, page=1))
    second = search.search(SearchQuery(text="kopi", per_page=5, page=2))
    assert first.total == second.total >= 10
    assert first.pages == -(-first.total // 5)
    assert len(first.ids) == len(second.ids) == 5
    assert not set(first.ids) & set(second.ids)


def test_sold_out_products_are_still_found(catalogue):
    product = db.session.scalar(select(Product).where(Product.title == "Kopi Lanang Licin 200 g"))
    product.stock = 0
    db.session.commit()
    try:
        assert product.id in search.search(SearchQuery(text="kopi lanang")).ids
    finally:
        product.stock = 25
        db.session.commit()


def test_autocomplete(catalogue):
    titles = [s.title for s in search.suggest("gula s")]
    assert "Gula Semut Aren Sesaot 250 g" in titles
    assert all(t.lower().startswith("gula") or " s" in t.lower() for t in titles)
    assert any("Terasi" in s.title for s in search.suggest("teras"))
    assert search.suggest("x") == []
    assert len(search.suggest("ko", limit=3)) == 3
