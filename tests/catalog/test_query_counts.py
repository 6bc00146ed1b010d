"""The queries a catalogue page needs do not grow with the number of products it shows: a page
of 24 cards costs the database what a page of 3 does (no query per card, photo or shop)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from catalog import derived
from catalog.models import ProductImage
from marketplace.extensions import db
from tests.factories import make_category, make_product, make_seller, make_user

PAGES = ["home", "category", "shop", "product", "search"]


@contextmanager
def _counted():
    statements: list[str] = []

    def _before(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", _before)


def _add_products(seller, category, count: int, start: int) -> None:
    for i in range(start, start + count):
        product = make_product(
            seller=seller if i % 2 else make_seller(),  # cards from several shops
            category=category,
            title=f"Kopi Sembalun {i}",
            slug=f"kopi-sembalun-{i}",
            featured=True,
            rating_count=2,
            rating_sum=9,
        )
        product.images.append(
            ProductImage(key=f"{i:064x}", width=800, height=600, widths="320,640,1280")
        )
    db.session.commit()


def _urls(seller, category, product) -> dict[str, str]:
    return {
        "home": "/",
        "category": f"/c/{category.slug}",
        "shop": f"/shop/{seller.slug}",
        "product": f"/p/{product.slug}",
        "search": "/search?q=kopi",
    }


def _queries(app, client, url: str) -> int:
    derived.clear(app)  # cards rendered and counts made from scratch, as on a first visit
    with _counted() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


@pytest.fixture()
def full_pages(app_ctx):
    app_ctx.config["PRODUCTS_PER_PAGE"] = 24
    yield app_ctx
    app_ctx.config["PRODUCTS_PER_PAGE"] = 4


def test_queries_per_page_do_not_grow_with_the_products_shown(full_pages, client):
    app = full_pages
    seller = make_seller(user=make_user(roles=("buyer", "seller")))
    category = make_category("kopi", parent=make_category("minuman"))
    product = make_product(seller=seller, category=category, title="Kopi Utama")
    _add_products(seller, category, 3, 0)
    urls = _urls(seller, category, product)
    for url in urls.values():  # warm whatever a process loads once
        client.get(url)
    few = {name: _queries(app, client, url) for name, url in urls.items()}

    _add_products(seller, category, 21, 3)
    many = {name: _queries(app, client, url) for name, url in urls.items()}

    html = client.get(urls["category"]).get_data(as_text=True)
    assert html.count('class="card"') == 24  # a full page of cards
    assert many == few
