"""Product page views: counted per product and day, bots left out, nothing about the visitor
kept, and anonymous visitors get exactly what the page cache gave them before."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from catalog import view_counts
from catalog.models import Product, ProductViewDay
from marketplace.extensions import db
from tests.factories import make_product

PHONE = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "WhatsApp/2.23.20.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "TelegramBot (like TwitterBot)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0 Safari/537.36",
    "",
]


@pytest.fixture()
def views(app_ctx, monkeypatch):
    """An empty counter that writes only when told to (no batch size, no timer: the test
    configuration)."""
    counter = view_counts.counter(app_ctx)
    assert counter.batch == counter.seconds == 0
    counter.take()
    yield counter
    counter.take()


def stored() -> dict[int, int]:
    return {row.product_id: row.views for row in db.session.scalars(select(ProductViewDay)).all()}


def open_page(client, slug: str, agent: str = PHONE, **headers):
    return client.get(f"/p/{slug}", headers={"User-Agent": agent, **headers})


def test_views_are_counted_per_product_and_day_and_written_in_one_batch(client, views):
    gula, garam = make_product(), make_product()
    for _ in range(3):
        assert open_page(client, gula.slug).status_code == 200
    open_page(client, garam.slug)
    assert stored() == {}  # nothing written while counting
    assert views.pending() == 4
    assert view_counts.flush(client.application) == 4
    assert stored() == {gula.id: 3, garam.id: 1}
    # A second batch adds to the same product-day row.
    open_page(client, gula.slug)
    view_counts.flush(client.application)
    assert stored() == {gula.id: 4, garam.id: 1}
    row = db.session.scalar(select(ProductViewDay).where(ProductViewDay.product_id == gula.id))
    lombok = datetime.now(UTC).astimezone(view_counts.TIME_ZONES["WITA"]).date()
    assert row.day == lombok  # the factories' shop is in Lombok (WITA)
    assert set(ProductViewDay.__table__.columns.keys()) == {"product_id", "day", "views"}


def test_bots_prefetches_and_missing_pages_are_not_counted(client, views):
    product = make_product()
    for agent in BOTS:
        assert open_page(client, product.slug, agent).status_code == 200
    open_page(client, product.slug, Purpose="prefetch")
    open_page(client, product.slug, **{"Sec-Purpose": "prefetch;prerender"})
    assert client.get("/p/no-such-product", headers={"User-Agent": PHONE}).status_code == 404
    client.get(f"/shop/{product.seller.slug}", headers={"User-Agent": PHONE})
    assert views.pending() == 0
    assert view_counts.is_bot(None) and not view_counts.is_bot(PHONE)


def test_a_full_batch_is_written_by_the_writer_thread(client, views, monkeypatch):
    product = make_product()
    monkeypatch.setattr(views, "batch", 3)
    views.written.clear()
    open_page(client, product.slug)
    open_page(client, product.slug)
    assert not views.written.wait(0.2) and stored() == {}
    open_page(client, product.slug)  # fills the batch: the writer is woken, the request is not held
    assert views.written.wait(10)
    assert stored() == {product.id: 3} and views.pending() == 0


def test_a_quiet_product_is_written_after_the_time_limit(client, views):
    product = make_product()
    timed = view_counts.ViewCounter(client.application, batch=0, seconds=0.1)
    timed.add(product.slug, int(datetime.now(UTC).timestamp() // 3600))
    assert timed.written.wait(10)
    assert stored() == {product.id: 1} and timed.pending() == 0


def without_cookie(headers) -> dict:
    return {name: value for name, value in headers.items() if name != "Set-Cookie"}


def test_counting_leaves_the_page_cache_alone(client, cached, views):
    """Same body, same headers, and a cached page stays a cache hit while views are counted."""
    product = make_product(title="Terasi Jerowaru Asli")
    first = open_page(client, product.slug)
    assert first.status_code == 200
    # Change the title behind the cache's back: a fresh render would show the new one.
    db.session.execute(update(Product).where(Product.id == product.id).values(title="Baru"))
    db.session.commit()
    second = open_page(client, product.slug)
    assert second.get_data() == first.get_data()  # still the cached page: a hit
    assert "Terasi Jerowaru Asli" in second.get_data(as_text=True)
    # A new visitor's session (it holds the add-to-cart form's token) settles within two
    # visits; after that, counting stores nothing on the visitor.
    settled = open_page(client, product.slug)
    assert "Set-Cookie" not in settled.headers
    assert without_cookie(second.headers) == without_cookie(first.headers)
    # A visit that is not counted (a crawler) gets the very same response.
    uncounted = open_page(client, product.slug, BOTS[0])
    assert uncounted.get_data() == first.get_data()
    assert dict(uncounted.headers) == dict(settled.headers)
    assert views.pending() == 3  # every phone visit counted, the cache hits included
    view_counts.flush(client.application)
    assert stored() == {product.id: 3}
    # Writing the counts is no catalogue change: the page is still served from the cache.
    assert open_page(client, product.slug).get_data() == first.get_data()


def test_counting_is_safe_across_threads(app_ctx, views):
    def count():
        for _ in range(1000):
            views.add("gula-semut", 500000)

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert views.take() == {("gula-semut", 500000): 8000}


def test_a_failed_write_keeps_the_counts(client, views, monkeypatch):
    product = make_product()
    open_page(client, product.slug)

    def broken(_rows):
        raise RuntimeError("database away")

    monkeypatch.setattr(view_counts, "_upsert", broken)
    assert view_counts.flush(client.application) == 0
    assert views.pending() == 1
    monkeypatch.undo()
    assert view_counts.flush(client.application) == 1
    assert stored() == {product.id: 1}
