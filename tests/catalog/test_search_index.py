"""The index follows the database: after commit, never before, never after a rollback; two
writers at once; a lost or damaged index is rebuilt instead of failing; the search page and
autocomplete under bad input."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import delete

from catalog import search
from catalog import services as catalog
from catalog.models import Product, ProductImage, ProductStatus
from catalog.search import SearchQuery
from catalog.search.base import SearchDocument
from catalog.search.whoosh_backend import WhooshBackend
from marketplace.extensions import db
from sellers import services as seller_services
from sellers.models import SellerStatus
from tests.factories import make_category, make_product, make_seller


def _found(text: str) -> list[int]:
    return search.search(SearchQuery(text=text)).ids


def test_published_product_appears_after_commit_and_follows_changes(app_ctx, search_backend):
    product = make_product(title="Gula Semut Longseran", status=ProductStatus.DRAFT)
    assert _found("longseran") == []  # drafts are not public
    product.status = ProductStatus.PUBLISHED.value
    db.session.flush()
    assert _found("longseran") == []  # flushed is not committed
    db.session.commit()
    assert _found("longseran") == [product.id]

    product.title = "Gula Aren Kelapa Jurit"
    db.session.commit()
    assert _found("longseran") == []
    assert _found("jurit") == [product.id]

    catalog.set_product_status(product, ProductStatus.ARCHIVED)
    assert _found("jurit") == []


def test_rollback_leaves_the_index_as_it_was(app_ctx, search_backend):
    product = make_product(title="Terasi Pemongkong Asli")
    product.title = "Terasi Bukan Ini"
    db.session.flush()
    db.session.rollback()
    assert _found("pemongkong") == [product.id]
    assert _found("bukan") == []

    db.session.add(
        Product(
            seller=product.seller,
            category=product.category,
            title="Madu Yang Batal",
            slug="madu-yang-batal",
            price=10000,
            status=ProductStatus.PUBLISHED.value,
        )
    )
    db.session.flush()
    db.session.rollback()
    assert _found("batal") == []


def test_deleted_product_leaves_the_index(app_ctx, search_backend):
    product = make_product(title="Kopi Robusta Terhapus")
    assert _found("terhapus") == [product.id]
    db.session.execute(delete(ProductImage).where(ProductImage.product_id == product.id))
    db.session.delete(product)
    db.session.commit()
    assert _found("terhapus") == []


def test_seller_suspension_hides_all_their_products(app_ctx, search_backend):
    seller = make_seller()
    products = [make_product(seller=seller, title=f"Tenun Sukarara {i}") for i in range(3)]
    assert sorted(_found("sukarara")) == sorted(p.id for p in products)
    seller_services.set_status(seller, SellerStatus.SUSPENDED)
    assert _found("sukarara") == []
    seller_services.set_status(seller, SellerStatus.VERIFIED)
    assert len(_found("sukarara")) == 3


def test_category_rename_reaches_its_products(app_ctx, search_backend):
    category = make_category("kain-tenun")
    product = make_product(category=category, title="Selendang Merah")
    category.name_id = "Kain Songket"
    db.session.commit()
    assert _found("songket") == [product.id]


def _doc(i: int) -> SearchDocument:
    return SearchDocument(
        id=i,
        slug=f"p-{i}",
        title=f"Keripik Uji {i}",
        body="",
        place="",
        tags="",
        concepts=(),
        categories=("keripik", "camilan"),
        province="52",
        seller="toko",
        price=10000 + i,
        created=i,
        in_stock=True,
    )


def test_two_writers_at_once_lose_nothing(tmp_path):
    directory = tmp_path / "index"
    WhooshBackend(directory).clear()
    errors = []

    def write(start: int) -> None:
        backend = WhooshBackend(directory)  # like a second gunicorn worker: its own handle
        try:
            for i in range(start, start + 20):
                backend.upsert([_doc(i)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n * 100,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    results = WhooshBackend(directory).search(SearchQuery(text="keripik", per_page=100))
    assert results.total == 40


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_lost_or_damaged_index_is_rebuilt_from_the_database(app_ctx, caplog, damage):
    product = make_product(title="Garam Krosok Ekas")
    directory = search.backend().directory
    if damage == "missing":
        search.backend().clear()
        for path in directory.iterdir():
            path.unlink()
        directory.rmdir()
    else:
        for path in directory.glob("_MAIN_*.toc"):
            path.write_bytes(b"not an index")
    fresh = search._make_backend(app_ctx)
    app_ctx.extensions["search"] = fresh
    with caplog.at_level(logging.INFO):
        assert _found("ekas") == [product.id]
    expected = "is missing" if damage == "missing" else "is unreadable"
    assert f"{expected} " in caplog.text and "rebuilding it from the database" in caplog.text


def test_reindex_command_rebuilds_everything(app_ctx, search_backend):
    products = [make_product(title=f"Kopi Reindex {i}") for i in range(3)]
    search.backend().clear()
    assert _found("reindex") == []
    result = app_ctx.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "3 public products" in result.output
    assert sorted(_found("reindex")) == sorted(p.id for p in products)


# -- the search page and autocomplete under bad input ----------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "*",
        ":",
        "AND",
        "(",
        "'",
        "--",
        "%",
        "gula AND (aren OR",
        "kopi*",
        'title:"x',
        "x" * 2000,
    ],
)
def test_syntax_characters_and_long_queries_are_just_text(client, q):
    make_product(title="Gula Aren Sesaot")
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200


def test_query_is_reflected_escaped(client):
    html = client.get("/search?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_page_shows_results_snippets_facets_and_filters(client, search_backend):
    category = make_category("gula-pemanis")
    product = make_product(
        category=category,
        title="Gula Semut Aren",
        description="Gula aren bubuk dari nira aren hutan, dimasak di tungku kayu.",
        price=25000,
    )
    html = client.get("/search?q=gula+aren").get_data(as_text=True)
    assert f'href="/p/{product.slug}"' in html
    assert "<mark>aren</mark>" in html  # the snippet marks what matched
    assert "/search?q=gula+aren&amp;category=gula-pemanis" in html  # facet link
    assert "/search?q=gula+aren&amp;min_price=25000&amp;max_price=49999" in html
    narrowed = client.get("/search?q=gula+aren&category=gula-pemanis").get_data(as_text=True)
    assert f'href="/p/{product.slug}"' in narrowed
    assert "hapus filter" in narrowed  # the filter in use can be removed
    empty = client.get("/search?q=gula+aren&category=tidak-ada").get_data(as_text=True)
    assert f'href="/p/{product.slug}"' not in empty


@pytest.mark.parametrize(
    ("args", "status", "text"),
    [
        ({"q": ""}, 200, "Ketik yang Anda cari"),
        ({"q": "gula", "sort": "bogus"}, 200, ""),
        ({"q": "gula", "category": "../../etc"}, 200, ""),
        ({"q": "gula", "page": "abc"}, 200, ""),
        ({"q": "gula", "page": "10000"}, 400, "terlalu jauh"),
        ({"q": "gula", "min_price": "murah"}, 400, "rupiah bulat"),
        ({"q": "gula", "max_price": "Rp 50.000"}, 200, ""),
    ],
)
def test_bad_parameters_give_a_page_or_a_400_with_a_message(client, args, status, text):
    response = client.get("/search", query_string=args)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_suggest_returns_json_and_survives_odd_input(client, search_backend):
    product = make_product(title="Terasi Udang Rebon")
    data = client.get("/search/suggest?q=teras").get_json()
    assert data == [{"title": "Terasi Udang Rebon", "url": f"/p/{product.slug}"}]
    for q in ["", "t", '"(*', "x" * 2000]:
        response = client.get("/search/suggest", query_string={"q": q})
        assert response.status_code == 200 and isinstance(response.get_json(), list)
