"""Guests act on their order through its signed link, as an account buyer does on the page:
confirm each shop's parcel, review what arrived, cancel while allowed. The link expires some
time after the order closes, and the guest's orders join an account once its owner proves the
order's e-mail address is theirs."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from catalog.models import Product
from marketplace.audit import AuditEvent
from marketplace.auth.models import utcnow
from marketplace.extensions import db
from orders import access, fulfilment, guest_join, notifications, reviews, settlement
from orders.models import Order, OrderEvent, Review, SellerOrder
from orders.states import FulfilmentStatus, OrderStatus
from tests.conftest import csrf_from, get_csrf, login
from tests.factories import make_product, make_seller, make_user
from tests.orders.factories import make_order


@pytest.fixture()
def mails(app_ctx, monkeypatch):
    """Every message that would leave, as (to, subject, body), after its commit."""
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: sent.append((to, s, b)))
    return sent


def english(client):
    client.get("/?lang=en")
    return client


def pay(order: Order) -> Order:
    payment = settlement.payment_for(order, order.payment_method)
    settlement.settle_paid(order, payment, amount=order.total)
    db.session.commit()
    return order


def shipped_guest_order(*sellers, email: str | None = None) -> Order:
    order = pay(make_order([(make_product(s), 1) for s in sellers]))
    if email:
        order.email = email
        db.session.commit()
    for part, seller in zip(order.seller_orders, sellers, strict=True):
        fulfilment.mark_shipped(part, seller.owner, "JNE", f"JP{part.id:010d}")
    return order


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def part_status(part_id: int) -> str:
    return db.session.scalar(select(SellerOrder.status).where(SellerOrder.id == part_id))


def page(client, order: Order, token: str) -> str:
    response = client.get(f"/orders/{order.number}?t={token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- acting through the link ------------------------------------------------------------------


def test_guest_confirms_each_shops_parcel_from_another_phone(client, mails):
    first, second = make_seller(), make_seller()
    order = shipped_guest_order(first, second)
    part_a, part_b = (p.id for p in order.seller_orders)
    token = access.guest_token(order)
    html = page(english(client), order, token)  # a phone that never saw the checkout
    assert html.count("I received my package") == 1  # both parcels at once
    assert f"I received the package from {first.shop_name}" in html  # or one shop's
    assert f"I received the package from {second.shop_name}" in html
    assert f'name="part_id" value="{part_a}"' in html
    assert f'name="t" value="{token}"' in html

    # The token travels in the form body only: no query string, no guest session.
    mails.clear()
    response = client.post(
        f"/orders/{order.number}/received",
        data={"csrf_token": csrf_from(html), "t": token, "part_id": part_a},
    )
    assert response.status_code == 303
    assert f"t={token}" in response.headers["Location"]
    assert part_status(part_a) == FulfilmentStatus.DELIVERED
    assert part_status(part_b) == FulfilmentStatus.SHIPPED
    assert fresh(Order, order.id).status == OrderStatus.PAID
    assert [to for to, _s, _b in mails] == [first.owner.email]  # "the buyer received it"

    html = page(client, order, token)
    assert "I received the package from" not in html  # one parcel left: one button
    assert html.count("I received my package") == 1
    client.post(
        f"/orders/{order.number}/received", data={"csrf_token": csrf_from(html), "t": token}
    )
    assert part_status(part_b) == FulfilmentStatus.DELIVERED
    assert fresh(Order, order.id).status == OrderStatus.COMPLETED


def test_guest_actions_need_the_csrf_token(client, mails):
    order = shipped_guest_order(make_seller())
    token = access.guest_token(order)
    part = order.seller_orders[0].id
    page(client, order, token)
    response = client.post(f"/orders/{order.number}/received", data={"t": token, "part_id": part})
    assert response.status_code == 400
    assert part_status(part) == FulfilmentStatus.SHIPPED


def test_guest_reviews_what_arrived_and_the_review_is_signed_with_their_name(client, mails):
    seller = make_seller()
    order = shipped_guest_order(seller)
    token = access.guest_token(order)
    item = order.seller_orders[0].items[0]
    assert "review-form" not in page(client, order, token)  # not delivered yet
    fulfilment.confirm_received(order, None)

    html = page(english(client), order, token)
    assert f'name="order_item_id" value="{item.id}"' in html
    data = {"csrf_token": csrf_from(html), "t": token, "order_item_id": item.id, "rating": 5}
    response = client.post(f"/orders/{order.number}/reviews", data={**data, "text": "Manis!"})
    assert response.status_code == 303
    review = db.session.scalar(select(Review).where(Review.order_item_id == item.id))
    assert (review.rating, review.text, review.buyer_id) == (5, "Manis!", None)
    shown = reviews.recent_reviews(item.product_id)
    assert [(r.first_name, r.text) for r in shown] == [("Dewi", "Manis!")]
    assert reviews.product_rating(item.product_id).count == 1

    client.post(f"/orders/{order.number}/reviews", data={**data, "rating": 1})
    assert db.session.scalar(select(Review.rating).where(Review.order_item_id == item.id)) == 5
    assert "review-form" not in page(client, order, token)


def test_guest_cancels_an_unpaid_order_and_the_stock_comes_back(client, mails):
    product = make_product(stock=5)
    order = make_order([(product, 2)])
    token = access.guest_token(order)
    html = page(english(client), order, token)
    assert "Cancel order" in html
    response = client.post(
        f"/orders/{order.number}/cancel", data={"csrf_token": csrf_from(html), "t": token}
    )
    assert response.status_code == 303
    assert fresh(Order, order.id).status == OrderStatus.CANCELLED
    assert db.session.scalar(select(Product.stock).where(Product.id == product.id)) == 5


def test_guest_cannot_cancel_once_a_seller_packed(client, mails):
    seller = make_seller()
    order = pay(make_order([(make_product(seller), 1)]))
    fulfilment.mark_packed(order.seller_orders[0], seller.owner)
    token = access.guest_token(order)
    html = page(english(client), order, token)
    assert "Cancel order" not in html
    client.post(f"/orders/{order.number}/cancel", data={"csrf_token": get_csrf(client), "t": token})
    assert fresh(Order, order.id).status == OrderStatus.PAID


# --- wrong keys ---------------------------------------------------------------------------------


def test_a_forged_or_other_orders_token_answers_404_and_changes_nothing(client, mails):
    seller = make_seller()
    mine = shipped_guest_order(seller)
    theirs = shipped_guest_order(seller)
    my_token = access.guest_token(mine)
    csrf = csrf_from(page(client, mine, my_token))
    their_part = theirs.seller_orders[0].id

    for token in (my_token, "forged", my_token[:-2] + "xx", ""):
        assert client.get(f"/orders/{theirs.number}?t={token}").status_code == 404
        for action, extra in (
            ("received", {"part_id": their_part}),
            ("cancel", {}),
            ("reviews", {"order_item_id": theirs.seller_orders[0].items[0].id, "rating": 5}),
        ):
            response = client.post(
                f"/orders/{theirs.number}/{action}",
                data={"csrf_token": csrf, "t": token, **extra},
            )
            assert response.status_code == 404, (action, token)
    assert part_status(their_part) == FulfilmentStatus.SHIPPED
    assert fresh(Order, theirs.id).status == OrderStatus.PAID
    assert db.session.scalar(select(Review.id)) is None


def test_one_orders_link_cannot_confirm_or_review_another_orders_parts(client, mails):
    seller = make_seller()
    mine = shipped_guest_order(seller)
    theirs = shipped_guest_order(seller)
    fulfilment.confirm_received(theirs, None)
    token = access.guest_token(mine)
    csrf = csrf_from(page(client, mine, token))
    client.post(
        f"/orders/{mine.number}/received",
        data={"csrf_token": csrf, "t": token, "part_id": theirs.seller_orders[0].id},
    )
    assert part_status(mine.seller_orders[0].id) == FulfilmentStatus.SHIPPED
    client.post(
        f"/orders/{mine.number}/reviews",
        data={
            "csrf_token": csrf,
            "t": token,
            "order_item_id": theirs.seller_orders[0].items[0].id,
            "rating": 1,
        },
    )
    assert db.session.scalar(select(Review.id)) is None


def test_a_guest_link_does_not_open_an_account_order(client, app_ctx):
    order = make_order([(make_product(), 1)], buyer=make_user())
    assert client.get(f"/orders/{order.number}?t=whatever").status_code == 404


# --- expiry -------------------------------------------------------------------------------------


def close_days_ago(order: Order, days: int) -> None:
    db.session.execute(
        update(OrderEvent)
        .where(OrderEvent.order_id == order.id, OrderEvent.machine == "order")
        .values(created_at=utcnow() - timedelta(days=days))
    )
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(created_at=utcnow() - timedelta(days=days + 20))
    )
    db.session.commit()


def test_the_link_expires_a_while_after_the_order_closes(client, app_ctx, mails, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "GUEST_LINK_DAYS", 60)
    seller = make_seller()
    order = shipped_guest_order(seller)
    fulfilment.confirm_received(order, None)
    assert fresh(Order, order.id).status == OrderStatus.COMPLETED
    token = access.guest_token(order)

    close_days_ago(order, 59)
    csrf = csrf_from(page(english(client), order, token))

    close_days_ago(order, 61)
    response = client.get(f"/orders/{order.number}?t={token}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "no longer works" in html and "60 days" in html and "/account/login" in html
    assert "Jl. Merdeka" not in html  # nothing of the order's details
    item = order.seller_orders[0].items[0]
    response = client.post(
        f"/orders/{order.number}/reviews",
        data={"csrf_token": csrf, "t": token, "order_item_id": item.id, "rating": 4},
    )
    assert response.status_code == 410
    assert db.session.scalar(select(Review.id)) is None
    # A forged token still learns nothing, not even that the link expired.
    assert client.get(f"/orders/{order.number}?t=forged").status_code == 404

    monkeypatch.setitem(app_ctx.config, "GUEST_LINK_DAYS", 90)
    assert client.get(f"/orders/{order.number}?t={token}").status_code == 200


def test_the_link_of_an_open_order_never_expires(client, app_ctx, mails):
    order = shipped_guest_order(make_seller())
    close_days_ago(order, 400)  # placed long ago, still waiting for the parcel
    assert fresh(Order, order.id).status == OrderStatus.PAID
    page(client, order, access.guest_token(order))


def test_a_cancelled_orders_link_expires_too(client, app_ctx, mails):
    order = make_order([(make_product(), 1)])
    fulfilment.buyer_cancel(order, None)
    close_days_ago(order, 61)
    assert client.get(f"/orders/{order.number}?t={access.guest_token(order)}").status_code == 410


# --- joining an account -------------------------------------------------------------------------


LINK_RE = re.compile(r"https?://[^\s]+/account/orders/join/[^\s]+")


def join_link(mails, to: str) -> str:
    found = [LINK_RE.search(body) for address, _s, body in mails if address == to]
    found = [m.group(0) for m in found if m]
    assert found, mails
    return found[-1].split("localhost", 1)[1]


def test_guest_orders_join_only_after_the_address_is_verified(client, mails):
    seller = make_seller()
    order = shipped_guest_order(seller, email="sari@example.id")
    fulfilment.confirm_received(order, None)
    item = order.seller_orders[0].items[0]
    assert reviews.add_review(None, item.id, 4, "", guest_order=order).buyer_id is None
    user = make_user(email="sari@example.id", name="Sari Wulandari")

    login(client, "sari@example.id")
    assert fresh(Order, order.id).buyer_id is None  # same address, but not proven yet
    assert order.number not in english(client).get("/account/orders").get_data(as_text=True)
    link = join_link(mails, "sari@example.id")

    response = client.get(link)
    assert response.status_code == 303
    assert fresh(Order, order.id).buyer_id == user.id
    assert db.session.scalar(select(Review.buyer_id)) == user.id
    html = client.get("/account/orders").get_data(as_text=True)
    assert order.number in html and "1 order was added" in html
    assert "Send me the link" not in html  # nothing waits any more
    assert client.get(f"/orders/{order.number}").status_code == 200  # now an account order
    joined = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == guest_join.JOINED)
    ).all()
    assert joined == [order.number]

    # The old guest link now points to the account instead of opening the order.
    client.post("/account/logout", data={"csrf_token": csrf_from(html)})
    response = client.get(f"/orders/{order.number}?t={access.guest_token(order)}")
    assert response.status_code == 410
    assert "log in" in response.get_data(as_text=True).lower()


def test_the_link_is_sent_at_most_once_a_day(client, mails):
    make_order([(make_product(), 1)]).email = "sari@example.id"
    db.session.commit()
    make_user(email="sari@example.id")
    login(client, "sari@example.id")
    assert len(mails) == 1
    html = english(client).get("/account/orders").get_data(as_text=True)
    assert "Send me the link" in html and "1 order was placed" in html
    response = client.post(
        "/account/orders/join", data={"csrf_token": csrf_from(html)}, follow_redirects=True
    )
    assert "already sent the link" in response.get_data(as_text=True)
    assert len(mails) == 1

    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.action == guest_join.SENT)
        .values(created_at=utcnow() - timedelta(hours=25))
    )
    db.session.commit()
    response = client.post("/account/orders/join", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303
    assert len(mails) == 2 and mails[1][0] == "sari@example.id"


def _fails_to_flush(user) -> None:
    """A write the database refuses, as a lost connection or a full disk would."""
    settlement.audit(user.id, guest_join.SENT, "sari@example.id", "1 guest orders")
    db.session.add(AuditEvent(actor_id=user.id, action=None, subject="x"))  # NOT NULL
    db.session.flush()


def test_a_database_error_while_offering_the_link_never_stops_a_login(client, mails, monkeypatch):
    make_order([(make_product(), 1)]).email = "sari@example.id"
    db.session.commit()
    make_user(email="sari@example.id")
    monkeypatch.setattr(guest_join, "send_join_link", _fails_to_flush)

    login(client, "sari@example.id")  # asserts the login went through

    assert mails == []
    html = english(client).get("/account/orders").get_data(as_text=True)
    assert "Send me the link" in html  # and it can be asked for from here


def test_offering_the_link_rolls_back_what_a_database_error_left(app_ctx, monkeypatch):
    user = make_user(email="sari@example.id")
    monkeypatch.setattr(guest_join, "send_join_link", _fails_to_flush)

    guest_join.offer_at_login(user)

    # The session works again (a failed flush otherwise refuses every query until a rollback),
    # and nothing of the failed attempt was kept.
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_nothing_is_sent_without_waiting_guest_orders(client, mails):
    make_user(email="budi@example.id")
    make_order([(make_product(), 1)], buyer=make_user())  # someone else's account order
    login(client, "budi@example.id")
    assert mails == []
    assert "Send me the link" not in english(client).get("/account/orders").get_data(as_text=True)


def test_another_account_cannot_use_the_link(client, app_ctx, mails):
    order = make_order([(make_product(), 1)])
    order.email = "sari@example.id"
    db.session.commit()
    sari = make_user(email="sari@example.id")
    make_user(email="intruder@example.id")
    with app_ctx.test_request_context():
        link = f"/account/orders/join/{guest_join.join_token(sari)}"

    login(english(client), "intruder@example.id")
    response = client.get(link, follow_redirects=True)
    assert "sent for another account" in response.get_data(as_text=True)
    assert fresh(Order, order.id).buyer_id is None


def test_the_link_is_refused_when_the_account_changed_its_address(client, app_ctx, mails):
    order = make_order([(make_product(), 1)])
    order.email = "sari@example.id"
    db.session.commit()
    sari = make_user(email="sari@example.id")
    token = guest_join.join_token(sari)
    sari.email = "sari.baru@example.id"
    db.session.commit()
    assert guest_join.join_orders(sari, token).result == guest_join.JoinResult.OTHER_ACCOUNT
    assert fresh(Order, order.id).buyer_id is None


def test_forged_and_expired_links_change_nothing(client, app_ctx, mails, monkeypatch):
    order = make_order([(make_product(), 1)])
    order.email = "sari@example.id"
    db.session.commit()
    sari = make_user(email="sari@example.id")
    now = time.time()
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: now - 73 * 3600)  # signed three days ago
        expired = guest_join.join_token(sari)

    login(english(client), "sari@example.id")
    response = client.get("/account/orders/join/not-a-real-token", follow_redirects=True)
    assert "not valid" in response.get_data(as_text=True)
    response = client.get(f"/account/orders/join/{expired}", follow_redirects=True)
    assert "expired" in response.get_data(as_text=True)
    assert fresh(Order, order.id).buyer_id is None


def test_following_the_link_logged_out_asks_to_log_in_first(client, app_ctx, mails):
    order = make_order([(make_product(), 1)])
    order.email = "sari@example.id"
    db.session.commit()
    sari = make_user(email="sari@example.id")
    link = f"/account/orders/join/{guest_join.join_token(sari)}"
    response = client.get(link)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert fresh(Order, order.id).buyer_id is None

    csrf = csrf_from(client.get(response.headers["Location"]).get_data(as_text=True))
    response = client.post(
        response.headers["Location"],
        data={"email": "sari@example.id", "password": "password123", "csrf_token": csrf},
    )
    assert response.headers["Location"].endswith(link)
    client.get(link)
    assert fresh(Order, order.id).buyer_id == sari.id


def test_an_account_order_is_never_taken_over(client, app_ctx, mails):
    owner = make_user(email="owner@example.id")
    order = make_order([(make_product(), 1)], buyer=owner)
    sari = make_user(email="sari@example.id")
    order.email = "sari@example.id"  # the owner once typed Sari's address at checkout
    db.session.commit()
    assert guest_join.waiting_count(sari) == 0
    assert guest_join.join_orders(sari, guest_join.join_token(sari)).result == (
        guest_join.JoinResult.NOTHING
    )
    assert fresh(Order, order.id).buyer_id == owner.id
