"""Practice mode: a workshop's practice shop, products, market and "Latihan (tanpa uang)" sales,
and that none of it reaches public pages, search, the API, ratings, balances or payouts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import func, select

from catalog import search as search_engine
from catalog import services as catalog
from catalog.models import Product, ProductImage, ProductStatus
from catalog.search.documents import documents_for_ids
from marketplace.audit import AuditEvent
from marketplace.auth.models import Role, utcnow
from marketplace.extensions import db
from orders import cart as carts
from orders import fulfilment, ledger, payouts, reviews
from orders.checkout import CheckoutError
from orders.models import LedgerEntry, Order, PaymentMethod, Review
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
from sellers import services as seller_services
from sellers.models import Seller, SellerStatus
from sellers.workshops import practice
from sellers.workshops.models import WorkshopStatus
from tests.conftest import csrf_from
from tests.conftest import login as first_login
from tests.factories import jpeg_bytes, make_category, make_product, make_seller, make_user
from tests.sellers.practice_factories import (
    buy,
    make_member,
    make_practice_product,
    make_workshop,
)

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def login(client, email: str) -> None:
    """Log in as ``email``, logging out whoever was logged in before."""
    with client.session_transaction() as session:
        session.clear()
    first_login(client, email)


@pytest.fixture()
def room(app_ctx):
    """An open workshop with a trainer, a selling member and a buying member."""
    workshop = make_workshop()
    seller_user = make_member(workshop, name="Sri Wahyuni")
    buyer = make_member(workshop, name="Baiq Nurul")
    seller = practice.practice_shop(seller_user)
    product = make_practice_product(workshop, seller, title="Gula Semut Latihan")
    return workshop, seller_user, buyer, seller, product


def _ship_and_deliver(order, seller_user, buyer):
    part = order.seller_orders[0]
    fulfilment.mark_packed(part, seller_user)
    fulfilment.mark_shipped(part, seller_user, "JNE", "JNE123456789")
    fulfilment.confirm_received(order, buyer)
    return part


# --- access ---------------------------------------------------------------------------------


def test_market_is_for_members_and_the_trainer_of_an_open_workshop(client, room):
    workshop, seller_user, buyer, _seller, product = room
    other_room = make_workshop()
    outsider = make_member(other_room, name="Orang Lain")
    url = f"/join/{workshop.join_code}/market"

    assert client.get(url).status_code == 302  # log in first

    login(client, outsider.email)
    assert client.get(url).status_code == 404  # another workshop's member
    assert client.get(f"{url}/p/{product.slug}").status_code == 404
    assert client.get(f"{url}/products/new").status_code == 404

    login(client, buyer.email)
    page = client.get(url)
    assert page.status_code == 200
    assert product.title in page.get_data(as_text=True)
    assert client.get(f"{url}/p/{product.slug}").status_code == 200
    assert client.get(f"/join/{other_room.join_code}/market").status_code == 404
    assert client.get("/join/not-a-code/market").status_code == 404

    login(client, workshop.trainer.email)
    assert client.get(url).status_code == 200

    workshop.status = WorkshopStatus.CLOSED.value
    db.session.commit()
    login(client, buyer.email)
    assert client.get(url).status_code == 404  # closed: practice is over


def test_market_lists_only_its_own_listed_practice_products(client, room):
    workshop, _seller_user, buyer, seller, product = room
    draft = make_practice_product(workshop, seller, listed=False, title="Draf Latihan Belum")
    elsewhere = make_practice_product(make_workshop(), title="Terasi Bengkel Lain")
    real = make_product(title="Kopi Asli Sembalun")
    login(client, buyer.email)
    html = client.get(f"/join/{workshop.join_code}/market").get_data(as_text=True)
    assert product.title in html
    assert draft.title not in html
    assert elsewhere.title not in html
    assert real.title not in html
    assert "Latihan" in html
    assert client.get(f"/join/{workshop.join_code}/market/p/{elsewhere.slug}").status_code == 404
    assert client.get(f"/join/{workshop.join_code}/market/p/{real.slug}").status_code == 404


# --- the practice shop and products ---------------------------------------------------------


def test_a_participant_without_a_shop_gets_a_draft_one_with_a_unique_slug(app_ctx):
    workshop = make_workshop()
    first = make_member(workshop, name="Ahmad Fauzi")
    second = make_member(workshop, name="Ahmad Fauzi")
    one, two = practice.practice_shop(first), practice.practice_shop(second)
    assert one.status == SellerStatus.DRAFT and one.owner_id == first.id
    assert "Ahmad Fauzi" in one.shop_name
    assert one.slug != two.slug
    assert first.has_role(Role.SELLER)
    assert practice.practice_shop(first).id == one.id  # reused, never a second shop


def test_a_verified_members_shop_is_reused(app_ctx):
    workshop = make_workshop()
    verified = make_seller()
    make_member(workshop, verified.owner)
    assert practice.practice_shop(verified.owner).id == verified.id


def test_practice_product_form_creates_a_practice_draft_and_lists_without_verification(
    client, app_ctx
):
    workshop = make_workshop()
    member = make_member(workshop, name="Lalu Ahmad")
    category = make_category(parent=make_category())
    login(client, member.email)
    url = f"/join/{workshop.join_code}/market/products/new"
    html = client.get(url).get_data(as_text=True)
    bad = client.post(url, data={"csrf_token": csrf_from(html), "title": "ab", "price": "x"})
    assert bad.status_code == 400  # wrong fields: the form again, with its errors
    assert Product.query.count() == 0
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(html),
            "title": "Tenun Songket Latihan",
            "category_id": str(category.id),
            "price": "150000",
            "stock": "3",
            "weight_grams": "400",
        },
    )
    assert response.status_code == 302
    product = db.session.scalar(select(Product))
    assert product.practice_workshop_id == workshop.id
    assert product.status == ProductStatus.DRAFT
    assert product.seller.status == SellerStatus.DRAFT
    catalog.add_product_images(product, [(jpeg_bytes(), "")])  # the real image pipeline

    editor = client.get(f"/seller/products/{product.id}/edit").get_data(as_text=True)
    assert "Latihan" in editor
    client.post(
        f"/seller/products/{product.id}/status",
        data={"csrf_token": csrf_from(editor), "action": "publish"},
    )
    db.session.refresh(product)
    assert product.status == ProductStatus.PRACTICE  # listed in the market only
    assert not product.is_public
    listing = client.get("/seller/products").get_data(as_text=True)
    assert "Latihan" in listing


def test_a_practice_product_never_becomes_published_and_a_real_one_never_practice(app_ctx):
    workshop = make_workshop()
    product = make_practice_product(workshop, listed=False)
    catalog.add_product_images(product, [(jpeg_bytes(), "")])
    with pytest.raises(catalog.CatalogError):
        catalog.set_product_status(product, ProductStatus.PUBLISHED)
    verified = make_seller()
    real = make_product(verified, status=ProductStatus.DRAFT)
    catalog.add_product_images(real, [(jpeg_bytes(color=(1, 2, 3)), "")])
    with pytest.raises(catalog.CatalogError):
        catalog.set_product_status(real, ProductStatus.PRACTICE)
    # The back office's "publish" means "list in the market" for a practice product, even for
    # a verified seller's.
    mine = make_practice_product(workshop, verified, listed=False)
    catalog.add_product_images(mine, [(jpeg_bytes(color=(9, 9, 9)), "")])
    seller_services.change_product_status(verified, mine, ProductStatus.PUBLISHED)
    assert mine.status == ProductStatus.PRACTICE and not mine.is_public


def test_closing_the_workshop_freezes_practice(app_ctx):
    workshop = make_workshop()
    member = make_member(workshop)
    draft = make_practice_product(workshop, practice.practice_shop(member), listed=False)
    catalog.add_product_images(draft, [(jpeg_bytes(), "")])
    listed = make_practice_product(workshop)
    workshop.status = WorkshopStatus.CLOSED.value
    workshop.closed_at = utcnow()
    db.session.commit()
    data = catalog.ProductData(title="Produk Baru Latihan", category_id=make_category().id)
    with pytest.raises(practice.PracticeError):
        practice.create_practice_product(workshop, member, data)
    with pytest.raises(practice.PracticeError):
        seller_services.change_product_status(draft.seller, draft, ProductStatus.PUBLISHED)
    with pytest.raises(carts.CartError):
        carts.add(carts.DatabaseStore(member.id), listed.id, 1)
    assert practice.market_products(workshop) == [listed]  # kept (frozen) until purged


def test_a_non_member_cannot_create_practice_products(app_ctx):
    workshop = make_workshop()
    stranger = make_user()
    data = catalog.ProductData(title="Produk Orang Lain", category_id=make_category().id)
    with pytest.raises(practice.PracticeError):
        practice.create_practice_product(workshop, stranger, data)


# --- never public ---------------------------------------------------------------------------


def test_practice_products_of_a_verified_seller_never_reach_public_pages(client, app_ctx):
    workshop = make_workshop()
    seller = make_seller()
    make_member(workshop, seller.owner)
    category = make_category()
    product = make_practice_product(
        workshop, seller, category=category, title="Kopi Robusta Latihanku", featured=True
    )
    # Even a (hand-made) published status cannot make it public.
    sneaky = make_practice_product(
        workshop, seller, category=category, title="Kopi Arabika Latihanku"
    )
    sneaky.status = ProductStatus.PUBLISHED.value
    db.session.commit()
    search_engine.reindex()
    for url in ("/", f"/c/{category.slug}", f"/shop/{seller.slug}", "/search?q=kopi"):
        html = client.get(url).get_data(as_text=True)
        assert "Latihanku" not in html, url
    assert client.get(f"/p/{product.slug}").status_code == 404
    assert client.get(f"/p/{sneaky.slug}").status_code == 404
    assert "Latihanku" not in client.get("/search/suggest?q=kopi").get_data(as_text=True)
    api = client.get("/api/v1/products").get_json()
    assert api["total"] == 0
    assert client.get(f"/api/v1/products/{sneaky.slug}").status_code == 404
    assert client.get("/api/v1/products?q=kopi").get_json()["total"] == 0


def test_practice_products_are_never_indexed_nor_cost_an_index_write(app_ctx):
    workshop = make_workshop()
    product = make_practice_product(workshop)
    with db.session.no_autoflush:
        docs, gone = documents_for_ids(db.session, {product.id})
    assert docs == [] and gone == set()
    assert search_engine.reindex() == 0


# --- cart and checkout ----------------------------------------------------------------------


def test_a_cart_never_mixes_practice_and_real_or_two_workshops(room):
    workshop, _seller_user, buyer, _seller, product = room
    real = make_product()
    other = make_workshop()
    make_member(other, buyer)
    elsewhere = make_practice_product(other)
    store = carts.DatabaseStore(buyer.id)
    carts.add(store, product.id, 1)
    with pytest.raises(carts.CartError, match="practice_mixed"):
        carts.add(store, real.id, 1)
    with pytest.raises(carts.CartError, match="practice_other_workshop"):
        carts.add(store, elsewhere.id, 1)
    store.clear()
    carts.add(store, real.id, 1)
    with pytest.raises(carts.CartError, match="practice_mixed"):
        carts.add(store, product.id, 1)
    assert store.items() == {real.id: 1}


def test_the_cart_page_refuses_the_mix_with_a_clear_message(client, room):
    workshop, _seller_user, buyer, _seller, product = room
    real = make_product()
    login(client, buyer.email)
    client.post("/cart/items", data={"product_id": product.id, "quantity": 1}, headers=SAME_ORIGIN)
    response = client.post(
        "/cart/items",
        data={"product_id": real.id, "quantity": 1},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Latihan" in html
    assert "cannot be in one cart" in html or "tidak bisa" in html.lower()


def test_outsiders_and_guests_cannot_put_practice_products_in_a_cart(room):
    _workshop, _seller_user, _buyer, _seller, product = room
    stranger = make_user()
    with pytest.raises(carts.CartError, match="unavailable"):
        carts.add(carts.DatabaseStore(stranger.id), product.id, 1)
    with pytest.raises(carts.CartError, match="unavailable"):
        carts.add(carts.SessionStore({}), product.id, 1)


def test_practice_checkout_pays_at_once_without_money_and_marks_everything(room):
    workshop, seller_user, buyer, seller, product = room
    carts.add(carts.DatabaseStore(buyer.id), product.id, 2)
    order = buy(buyer, product, 2)
    assert order.practice_workshop_id == workshop.id
    assert order.number.startswith("LATIHAN-")
    assert order.status == OrderStatus.PAID and order.payment_status == PaymentStatus.PAID
    assert order.payment_method == PaymentMethod.PRACTICE
    assert order.seller_orders[0].status == FulfilmentStatus.NEW
    assert carts.DatabaseStore(buyer.id).items() == {}
    lines = list(db.session.scalars(select(LedgerEntry)))
    assert lines and all(line.practice_workshop_id == workshop.id for line in lines)
    assert ledger.balance(seller.id) == 0
    assert ledger.practice_balance(seller.id) == order.seller_orders[0].payout_amount
    db.session.refresh(product)
    assert product.stock == 8  # the real stock code ran


def test_practice_payment_is_refused_for_real_items(app_ctx):
    workshop = make_workshop()
    buyer = make_member(workshop)
    real = make_product()
    with pytest.raises(CheckoutError) as error:
        buy(buyer, real, method=PaymentMethod.PRACTICE)
    assert error.value.code == "payment_method"
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_real_payment_is_refused_for_practice_items(room):
    _workshop, _seller_user, buyer, _seller, product = room
    for method in (PaymentMethod.BANK_TRANSFER, PaymentMethod.STRIPE):
        with pytest.raises(CheckoutError) as error:
            buy(buyer, product, method=method)
        assert error.value.code == "payment_method"
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_practice_payment_is_refused_outside_the_workshop(room):
    workshop, _seller_user, _buyer, _seller, product = room
    stranger = make_user()
    with pytest.raises(CheckoutError) as error:
        buy(stranger, product)
    assert error.value.code == "unavailable"
    with pytest.raises(CheckoutError):
        buy(None, product)  # a guest
    member = make_member(workshop)
    workshop.status = WorkshopStatus.CLOSED.value
    db.session.commit()
    with pytest.raises(CheckoutError):
        buy(member, product)  # closed: frozen
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_checkout_refuses_a_mixed_order_even_without_the_cart(room):
    workshop, _seller_user, buyer, _seller, product = room
    real = make_product()
    from orders.checkout import place_order
    from tests.sellers.practice_factories import cheapest_service, practice_address

    for method in (PaymentMethod.PRACTICE, PaymentMethod.BANK_TRANSFER):
        with pytest.raises(CheckoutError):
            place_order(
                buyer=buyer,
                quantities={product.id: 1, real.id: 1},
                address=practice_address(),
                services={
                    product.seller_id: cheapest_service(product),
                    real.seller_id: cheapest_service(real),
                },
                payment_method=method,
            )
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_checkout_page_offers_only_the_practice_payment_for_a_practice_cart(client, room):
    _workshop, _seller_user, buyer, _seller, product = room
    login(client, buyer.email)
    client.post("/cart/items", data={"product_id": product.id, "quantity": 1}, headers=SAME_ORIGIN)
    with client.session_transaction() as session:
        session["checkout_address"] = {
            "contact_name": "Baiq Nurul",
            "email": buyer.email,
            "phone": "081234567890",
            "street": "Jl. Merdeka No. 5",
            "rt_rw": "",
            "postal_code": "40152",
            "province_code": "32",
            "regency_code": "32.73",
            "district_code": "32.73.01",
            "village_code": "32.73.01.1001",
        }
    page = client.get("/checkout?step=shipping")
    html = page.get_data(as_text=True)
    assert 'value="practice"' in html
    assert 'value="bank_transfer"' not in html
    # Posting another method is refused by the service, not only hidden.
    total = html.split('name="expected_total" value="')[1].split('"')[0]
    refused = client.post(
        "/checkout",
        data={
            "csrf_token": csrf_from(html),
            "step": "shipping",
            "payment_method": "bank_transfer",
            "expected_total": total,
        },
    )
    assert refused.status_code == 400
    placed = client.post(
        "/checkout",
        data={
            "csrf_token": csrf_from(html),
            "step": "shipping",
            "payment_method": "practice",
            "expected_total": total,
        },
    )
    assert placed.status_code == 303
    order = db.session.scalar(select(Order))
    assert order.practice_workshop_id is not None
    order_page = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Latihan" in order_page


# --- fulfilment, reviews, ledger and money --------------------------------------------------


def test_a_whole_practice_sale_never_touches_ratings_balances_or_payouts(client, room):
    workshop, seller_user, buyer, seller, product = room
    seller.status = SellerStatus.VERIFIED.value
    seller.bank_name, seller.bank_account_number, seller.bank_account_holder = (
        "BRI",
        "1234567890",
        "Sri Wahyuni",
    )
    db.session.commit()
    order = buy(buyer, product)
    part = _ship_and_deliver(order, seller_user, buyer)
    assert part.status == FulfilmentStatus.DELIVERED
    item = part.items[0]
    review = reviews.add_review(buyer, item.id, 5, "Bagus sekali")
    assert review.practice_workshop_id == workshop.id
    assert reviews.seller_rating(seller.id).count == 0
    assert reviews.product_rating(product.id).count == 0
    assert reviews.ratings_for_products([product.id])[product.id].count == 0
    assert reviews.recent_shop_reviews(seller.id) == []
    assert ledger.balance(seller.id) == 0
    assert payouts.payable_balance(seller.id) == 0
    assert payouts.balances() == []
    admin = make_user(roles=(Role.ADMIN,))
    assert payouts.create_batch(admin).batch is None
    assert ledger.practice_balance(seller.id) == part.payout_amount

    login(client, seller_user.email)
    money = client.get("/seller/money").get_data(as_text=True)
    assert "Latihan" in money
    orders_page = client.get("/seller/orders?status=done").get_data(as_text=True)
    assert order.number in orders_page and "Latihan" in orders_page
    part_page = client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    assert "Latihan" in part_page


def test_admin_order_list_and_figures_leave_practice_out(client, room):
    _workshop, _seller_user, buyer, _seller, product = room
    order = buy(buyer, product)
    real = make_product(title="Garam Laut Pemongkong")
    admin = make_user(roles=(Role.ADMIN,))
    login(client, admin.email)
    html = client.get("/admin/orders").get_data(as_text=True)
    assert order.number not in html
    assert fulfilment.recent_orders() == []
    marked = client.get("/admin/orders?practice=1").get_data(as_text=True)
    assert order.number in marked and "Latihan" in marked
    assert fulfilment.recent_orders(practice=True) == [order]
    from catalog.admin_views import _count_published

    assert _count_published() == 1  # the real product; the listed practice one never counts
    assert real.is_public and not product.is_public


def test_cancelling_a_practice_part_moves_no_money(room):
    _workshop, seller_user, buyer, seller, product = room
    order = buy(buyer, product)
    fulfilment.seller_cancel(order.seller_orders[0], seller_user, "Stok habis")
    db.session.refresh(order)
    assert order.status == OrderStatus.CANCELLED
    assert ledger.practice_balance(seller.id) == 0
    assert ledger.balance(seller.id) == 0
    refunds = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "refund.manual")
    ).all()
    assert refunds == []


def test_statements_leave_practice_sales_out(room):
    from sellers import statements

    _workshop, seller_user, buyer, seller, product = room
    order = buy(buyer, product)
    _ship_and_deliver(order, seller_user, buyer)
    month = utcnow().date().replace(day=1)
    period = statements.Period(month, month)
    figures = statements.compute_figures(seller, period)
    assert figures["totals"]["gross"] == 0


# --- reset and purge ------------------------------------------------------------------------


def _practice_rows(workshop_id: int) -> dict[str, int]:
    def count(model) -> int:
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.practice_workshop_id == workshop_id)
            )
            or 0
        )

    return {
        "products": count(Product),
        "orders": count(Order),
        "ledger": count(LedgerEntry),
        "reviews": count(Review),
    }


def _sale_with_review(workshop, seller_user, buyer, product):
    order = buy(buyer, product)
    part = _ship_and_deliver(order, seller_user, buyer)
    reviews.add_review(buyer, part.items[0].id, 4, "Lumayan")
    return order


def test_the_trainer_resets_a_workshops_practice_data(client, room, app_ctx):
    workshop, seller_user, buyer, seller, product = room
    catalog.add_product_images(product, [(jpeg_bytes(color=(7, 70, 140)), "")])
    image = product.images[0]
    files = list(Path(app_ctx.config["MEDIA_ROOT"]).rglob(f"*{image.key}*"))
    assert files
    _sale_with_review(workshop, seller_user, buyer, product)
    stranger_trainer = make_user(roles=(Role.TRAINER,))
    other = make_workshop(stranger_trainer)
    kept = make_practice_product(other)
    real = make_product()
    carts.add(carts.DatabaseStore(buyer.id), product.id, 1)
    assert all(_practice_rows(workshop.id).values())

    market = f"/join/{workshop.join_code}/market"
    login(client, buyer.email)  # a participant: trainers only
    html = client.get(market).get_data(as_text=True)
    assert f"/trainer/workshops/{workshop.id}/practice/reset" not in html
    html = client.get("/cart").get_data(as_text=True)  # a page with a form and its token
    forbidden = client.post(
        f"/trainer/workshops/{workshop.id}/practice/reset", data={"csrf_token": csrf_from(html)}
    )
    assert forbidden.status_code == 403
    login(client, stranger_trainer.email)
    html = client.get(f"/join/{other.join_code}/market").get_data(as_text=True)
    assert client.get(market).status_code == 404
    assert (
        client.post(
            f"/trainer/workshops/{workshop.id}/practice/reset",
            data={"csrf_token": csrf_from(html)},
        ).status_code
        == 404
    )
    login(client, workshop.trainer.email)
    html = client.get(market).get_data(as_text=True)
    response = client.post(
        f"/trainer/workshops/{workshop.id}/practice/reset", data={"csrf_token": csrf_from(html)}
    )
    assert response.status_code == 303
    assert _practice_rows(workshop.id) == {"products": 0, "orders": 0, "ledger": 0, "reviews": 0}
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0
    assert not any(path.exists() for path in files)
    assert carts.DatabaseStore(buyer.id).items() == {}
    assert db.session.get(Product, kept.id) is not None
    assert db.session.get(Product, real.id) is not None
    assert db.session.get(Seller, seller.id) is not None  # the shop profile stays
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "workshop.practice_reset")
    )
    assert audit is not None and audit.actor_id == workshop.trainer_id


def test_purge_deletes_practice_data_of_long_closed_workshops_only(app_ctx, room):
    workshop, seller_user, buyer, _seller, product = room
    _sale_with_review(workshop, seller_user, buyer, product)
    workshop.status = WorkshopStatus.CLOSED.value
    workshop.closed_at = utcnow() - timedelta(days=31)
    recent = make_workshop(status=WorkshopStatus.CLOSED, closed_days_ago=3)
    make_practice_product(recent)
    still_open = make_workshop()
    make_practice_product(still_open)
    db.session.commit()

    done = practice.purge_closed()
    assert [w.id for w, _removed in done] == [workshop.id]
    db.session.refresh(workshop)
    assert workshop.practice_purged_at is not None
    assert _practice_rows(workshop.id) == {"products": 0, "orders": 0, "ledger": 0, "reviews": 0}
    assert _practice_rows(recent.id)["products"] == 1
    assert _practice_rows(still_open.id)["products"] == 1
    assert practice.purge_closed() == []  # twice changes nothing

    later = utcnow() + timedelta(days=40)
    assert [w.id for w, _r in practice.purge_closed(now=later)] == [recent.id]


def test_purge_command(app_ctx):
    workshop = make_workshop(status=WorkshopStatus.CLOSED, closed_days_ago=45)
    make_practice_product(workshop)
    result = app_ctx.test_cli_runner().invoke(args=["practice", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 1 workshop(s)" in result.output
    assert _practice_rows(workshop.id)["products"] == 0


def test_retention_days_are_configurable(app_ctx):
    workshop = make_workshop(status=WorkshopStatus.CLOSED, closed_days_ago=10)
    make_practice_product(workshop)
    assert practice.purge_closed() == []
    app_ctx.config["PRACTICE_RETENTION_DAYS"] = 7
    try:
        assert len(practice.purge_closed()) == 1
    finally:
        app_ctx.config["PRACTICE_RETENTION_DAYS"] = 30


def test_the_market_links_are_practice_links(room, app_ctx):
    workshop, *_rest, product = room
    with app_ctx.test_request_context():
        from sellers.workshops.practice import product_url as practice_product_url

        assert practice_product_url(product) == url_for(
            "practice.product", code=workshop.join_code, slug=product.slug
        )


def test_logging_in_never_merges_real_guest_items_into_a_practice_cart(room):
    _workshop, _seller_user, buyer, _seller, product = room
    real = make_product()
    carts.add(carts.DatabaseStore(buyer.id), product.id, 1)
    guest_session: dict = {}
    carts.add(carts.SessionStore(guest_session), real.id, 2)
    carts.merge_guest_cart(buyer, guest_session)
    assert carts.DatabaseStore(buyer.id).items() == {product.id: 1}


def test_a_cart_drops_practice_items_once_the_workshop_closes(room):
    workshop, _seller_user, buyer, _seller, product = room
    store = carts.DatabaseStore(buyer.id)
    carts.add(store, product.id, 1)
    workshop.status = WorkshopStatus.CLOSED.value
    db.session.commit()
    view = carts.view(store)
    assert view.is_empty and view.removed == [product.title]


def test_every_mail_about_a_practice_order_says_it_is_practice(room, monkeypatch):
    from orders import notifications

    sent: list = []
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: sent.append((to, s, b)))
    _workshop, seller_user, buyer, _seller, product = room
    order = buy(buyer, product)
    _ship_and_deliver(order, seller_user, buyer)
    assert len(sent) >= 4  # paid (buyer, seller), shipped, received
    for _to, subject, _body in sent:
        assert "LATIHAN-" in subject, subject
    # The seller's "received" mail (in their language) says practice money is never paid out.
    last_to_seller = [body for to, _s, body in sent if to == seller_user.email][-1]
    assert "LATIHAN-" in last_to_seller
    assert "tidak pernah dicairkan" in last_to_seller or "never paid out" in last_to_seller


def test_a_practice_product_is_shared_with_the_room_and_the_board_ticks_it(client, room):
    from urllib.parse import unquote

    from sellers.workshops.board import participant_steps

    workshop, seller_user, buyer, seller, product = room
    login(client, seller_user.email)
    kit = client.get(f"/seller/products/{product.id}/share?lang=en")
    assert kit.status_code == 200
    market_url = f"/join/{workshop.join_code}/market/p/{product.slug}"
    assert market_url in kit.get_data(as_text=True)  # the room's market, not the public store
    assert f'/p/{product.slug}"' not in kit.get_data(as_text=True).replace(market_url, "")
    sent = client.get(f"/seller/products/{product.id}/share/whatsapp")
    assert sent.status_code in (302, 303)
    assert sent.headers["Location"].startswith("https://wa.me/")
    assert market_url in unquote(sent.headers["Location"])
    steps = {row.user_id: row for row in participant_steps(workshop)}
    assert steps[seller_user.id].shared and not steps[buyer.id].shared
    # The link opens for a member of the room.
    login(client, buyer.email)
    assert client.get(market_url).status_code == 200


def test_a_practice_draft_has_nothing_to_share_yet(client, room):
    workshop, seller_user, _buyer, seller, _product = room
    draft = make_practice_product(workshop, seller, listed=False, title="Draf Latihan")
    login(client, seller_user.email)
    sent = client.get(f"/seller/products/{draft.id}/share/whatsapp")
    assert sent.status_code in (302, 303) and "wa.me" not in sent.headers["Location"]
