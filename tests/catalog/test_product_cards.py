"""Product cards are rendered once per product, language and catalogue version and reused by
every grid; any catalogue change shows at once."""

from __future__ import annotations

from sqlalchemy import update

from catalog import derived, services
from catalog.models import Product
from marketplace import page_cache
from marketplace.extensions import db
from tests.factories import make_category, make_product, make_seller


def _count_renders(monkeypatch) -> list[object]:
    made: list[object] = []
    real = derived.BoundedCache.get_or_make

    def counting(self, key, ttl, make):
        def counted():
            if "card" in key:
                made.append(key)
            return make()

        return real(self, key, ttl, counted)

    monkeypatch.setattr(derived.BoundedCache, "get_or_make", counting)
    return made


def _shop_with_products(count: int = 3):
    seller = make_seller()
    category = make_category()
    products = [
        make_product(seller=seller, category=category, title=f"Tenun Ikat {i}", featured=True)
        for i in range(count)
    ]
    return seller, category, products


def test_cards_are_reused_across_pages(client, monkeypatch):
    seller, category, products = _shop_with_products()
    made = _count_renders(monkeypatch)
    assert client.get(f"/c/{category.slug}").status_code == 200
    first = len(made)
    assert first == len(products)
    client.get(f"/shop/{seller.slug}")  # the same cards, in the same order
    client.get(f"/c/{category.slug}?sort=newest")
    assert len(made) == first
    client.get("/?lang=en")  # another language: its own cards
    assert len(made) > first


def test_an_edit_shows_on_the_next_page_at_once(client):
    _seller, category, products = _shop_with_products(1)
    (product,) = products
    assert "Tenun Ikat 0" in client.get(f"/c/{category.slug}").get_data(as_text=True)
    services.update_product(
        product,
        services.ProductData(
            title="Tenun Songket Baru",
            category_id=category.id,
            description=product.description,
            price=175000,
            stock=product.stock,
            weight_grams=product.weight_grams,
        ),
    )
    html = client.get(f"/c/{category.slug}").get_data(as_text=True)
    assert "Tenun Songket Baru" in html and "Rp 175.000" in html
    assert "Tenun Ikat 0" not in html


def test_stock_taken_outside_the_orm_shows_once_pages_are_refreshed(client):
    _seller, category, products = _shop_with_products(1)
    assert 'class="sold-out"' not in client.get(f"/c/{category.slug}").get_data(as_text=True)
    db.session.execute(update(Product).where(Product.id == products[0].id).values(stock=0))
    db.session.commit()
    page_cache.bump()  # what checkout does after taking stock with its conditional UPDATE
    assert 'class="sold-out"' in client.get(f"/c/{category.slug}").get_data(as_text=True)


def test_each_language_has_its_own_card(client):
    _seller, category, _products = _shop_with_products(1)
    assert "Rp 25.000" in client.get(f"/c/{category.slug}").get_data(as_text=True)
    assert "Rp 25,000" in client.get(f"/c/{category.slug}?lang=en").get_data(as_text=True)


def test_the_card_cache_is_bounded_and_expires():
    kept = derived.BoundedCache(max_items=3)
    for i in range(5):
        kept.get_or_make(i, 60, lambda i=i: f"card {i}")
    assert len(kept) == 3
    assert kept.get_or_make(0, 60, lambda: "again") == "again"  # the oldest went first
    assert kept.get_or_make(4, 60, lambda: "again") == "card 4"
    assert kept.get_or_make(4, 0, lambda: "fresh") == "card 4"  # still valid when read
    assert kept.get_or_make(5, -1, lambda: "expired at once") == "expired at once"
    assert kept.get_or_make(5, 60, lambda: "remade") == "remade"


def test_peeking_at_several_cards_keeps_order_and_marks_them_used():
    kept = derived.BoundedCache(max_items=3)
    kept.get_or_make("a", 60, lambda: "card a")
    kept.get_or_make("b", 60, lambda: "card b")
    kept.get_or_make("gone", -1, lambda: "expired")
    assert kept.peek_many(["b", "missing", "a", "gone"]) == ["card b", None, "card a", None]
    kept.get_or_make("c", 60, lambda: "card c")  # full: the least recently used goes
    assert kept.peek_many(["a", "b", "c"]) == ["card a", "card b", "card c"]  # "gone" went


def test_a_listing_with_kept_cards_loads_no_product(client, monkeypatch):
    _seller, category, products = _shop_with_products(3)
    client.get(f"/c/{category.slug}")  # draws and keeps the cards
    from catalog import services

    asked: list[list[int]] = []
    real = services.products_in_order
    monkeypatch.setattr(services, "products_in_order", lambda ids: asked.append(ids) or real(ids))
    html = client.get(f"/c/{category.slug}").get_data(as_text=True)
    assert all(p.title in html for p in products)
    assert asked == []


def test_a_listings_count_follows_the_catalogue_at_once(client):
    _seller, category, products = _shop_with_products(2)
    html = client.get(f"/c/{category.slug}").get_data(as_text=True)
    assert "2 produk" in html
    make_product(seller=products[0].seller, category=category, title="Tenun Ikat Baru")
    assert "3 produk" in client.get(f"/c/{category.slug}").get_data(as_text=True)
    assert "3 produk" in client.get(f"/shop/{products[0].seller.slug}").get_data(as_text=True)
