"""Public pages come from the page cache and a catalogue change is visible at once (the
visitor's own parts filled in per request: test_page_cache_holes.py)."""

from __future__ import annotations

from sqlalchemy import update

from catalog import services as catalog
from catalog.models import Product, ProductStatus
from marketplace.extensions import db
from tests.factories import make_product


def _rename_behind_the_orm(product: Product, title: str) -> None:
    """A write the cache cannot see (plain SQL), to tell a cached page from a fresh one."""
    db.session.execute(update(Product).where(Product.id == product.id).values(title=title))
    db.session.commit()


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anonymous_pages_are_served_from_the_cache(client, cached):
    product = make_product(title="Terasi Lama Jerowaru")
    urls = [
        "/",
        f"/p/{product.slug}",
        f"/c/{product.category.slug}",
        f"/shop/{product.seller.slug}",
    ]
    for url in urls:
        assert "Terasi Lama Jerowaru" in _page(client, url)
    _rename_behind_the_orm(product, "Terasi Baru Jerowaru")
    for url in urls:
        assert "Terasi Lama Jerowaru" in _page(client, url), url
    assert "Terasi Baru Jerowaru" in _page(client, f"/p/{product.slug}?utm_source=wa")


def test_catalogue_changes_show_at_once(client, cached):
    product = make_product(title="Garam Krosok Pemongkong")
    assert "Garam Krosok Pemongkong" in _page(client, "/")
    catalog.set_product_status(product, ProductStatus.ARCHIVED)
    assert "Garam Krosok Pemongkong" not in _page(client, "/")
    assert client.get(f"/p/{product.slug}").status_code == 404


def test_each_language_has_its_own_copy(client, cached):
    product = make_product(price=1500000)
    assert "Rp 1.500.000" in _page(client, f"/p/{product.slug}")
    assert "Rp 1,500,000" in _page(client, f"/p/{product.slug}?lang=en")
    assert "Rp 1,500,000" in _page(client, f"/p/{product.slug}")  # the choice stuck
