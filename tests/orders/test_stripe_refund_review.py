"""A refund made in Stripe's dashboard: parts on hold, the admin told, and settled once.

Stripe reports money going back that the marketplace did not send. The shop parts not yet
shipped go on hold (the seller can neither pack nor ship them), admins are mailed and see the
payment under /admin/payments, and settle it either by cancelling the held parts (stock back,
sellers debited) or by recording a partial refund (sellers debited in proportion, parts go on).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.models import Product
from marketplace.audit import AuditEvent
from marketplace.auth.models import Role
from marketplace.extensions import db
from orders import fulfilment, ledger, notifications, settlement
from orders.models import LedgerEntry, LedgerKind, Order, Payment, SellerOrder
from orders.payments import review
from orders.payments.stripe_provider import to_minor
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
from tests.conftest import csrf_from, login
from tests.factories import make_user
from tests.orders import test_stripe as base
from tests.orders.test_stripe import audits, fresh, paid_order, post_event, start, stripe_order

fake_stripe = base.fake_stripe
stripe_app = base.stripe_app


@pytest.fixture()
def mails(monkeypatch):
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: sent.append((to, s, b)))
    return sent


@pytest.fixture()
def admin(app_ctx):
    return make_user(email="admin@example.id", roles=(Role.ADMIN,))


def dashboard_refund(client, fake, order: Order, session_id: str, rupiah: int):
    charge = fake.charge(session_id, amount_refunded=to_minor(rupiah))
    response = post_event(client, fake.event("charge.refunded", charge))
    assert response.get_json() == {"result": "refunded"}


def entries(part: SellerOrder) -> dict[str, int]:
    rows = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount).where(LedgerEntry.seller_order_id == part.id)
    ).all()
    return {kind: amount for kind, amount in rows}


def test_dashboard_refund_holds_unshipped_parts_and_tells_admin_and_sellers(
    client, stripe_app, fake_stripe, admin, mails
):
    order, session_id = paid_order(client, fake_stripe, two_shops=True)
    first, second = order.seller_orders
    fulfilment.mark_packed(first, first.seller.owner)
    mails.clear()

    dashboard_refund(client, fake_stripe, order, session_id, order.total)

    order = fresh(Order, order.id)
    assert [p.status for p in order.seller_orders] == [FulfilmentStatus.ON_HOLD] * 2
    assert order.payments[0].refund_to_review == order.total
    assert order.payment_status == PaymentStatus.REFUNDED
    # Nothing is taken from the sellers until the admin says what the refund was for.
    assert all(LedgerKind.REFUND not in entries(p) for p in order.seller_orders)
    recipients = sorted(to for to, _, _ in mails)
    owners = sorted(p.seller.owner.email for p in order.seller_orders)
    assert recipients == sorted(["admin@example.id", *owners])
    [admin_mail] = [m for m in mails if m[0] == "admin@example.id"]
    assert order.number in admin_mail[1] and "/admin/payments" in admin_mail[2]
    # A held part can be neither packed nor shipped.
    with pytest.raises(fulfilment.FulfilmentError):
        fulfilment.mark_packed(second, second.seller.owner)
    with pytest.raises(fulfilment.FulfilmentError):
        fulfilment.mark_shipped(first, first.seller.owner, "JNE", "JP1234567890")
    assert {p.status for p in fresh(Order, order.id).seller_orders} == {FulfilmentStatus.ON_HOLD}


def test_the_seller_sees_why_a_held_part_waits(client, stripe_app, fake_stripe):
    order, session_id = paid_order(client, fake_stripe)
    dashboard_refund(client, fake_stripe, order, session_id, 10000)
    part = fresh(Order, order.id).seller_orders[0]
    login(client, part.seller.owner.email)

    page = client.get(f"/seller/orders/{part.id}").get_data(as_text=True)
    listed = client.get("/seller/orders?status=new").get_data(as_text=True)

    assert "Jangan kemas atau kirim pesanan ini dulu" in page
    assert f'action="/seller/orders/{part.id}/pack"' not in page
    assert order.number in listed


def test_shipped_parts_are_not_held_but_the_refund_still_waits_for_review(
    client, stripe_app, fake_stripe
):
    order, session_id = paid_order(client, fake_stripe, two_shops=True)
    first, second = order.seller_orders
    fulfilment.mark_shipped(first, first.seller.owner, "JNE", "JP1234567890")

    dashboard_refund(client, fake_stripe, order, session_id, 20000)

    order = fresh(Order, order.id)
    assert [p.status for p in order.seller_orders] == [
        FulfilmentStatus.SHIPPED,
        FulfilmentStatus.ON_HOLD,
    ]
    assert [p.id for p in review.pending()] == [order.payments[0].id]


def test_refund_of_money_that_came_after_the_order_closed_needs_no_review(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    session_id = start(order)
    settlement.expire(order)
    db.session.commit()
    session = fake_stripe.complete(session_id)
    assert post_event(client, fake_stripe.event("checkout.session.completed", session)).get_json()[
        "result"
    ] == ("paid_after_close")

    dashboard_refund(client, fake_stripe, order, session_id, order.total)

    assert fresh(Payment, order.payments[0].id).refund_to_review == 0
    assert review.pending() == []


def _admin_post(client, url: str):
    token = csrf_from(client.get("/admin/payments").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token})


def test_admin_cancels_and_debits_the_held_parts(client, stripe_app, fake_stripe, admin, mails):
    order, session_id = paid_order(client, fake_stripe, two_shops=True)
    stock_before = {
        i.product_id: i.product.stock + i.quantity for p in order.seller_orders for i in p.items
    }
    dashboard_refund(client, fake_stripe, order, session_id, order.total)
    payment_id = order.payments[0].id
    login(client, admin.email)

    page = client.get("/admin/payments").get_data(as_text=True)
    assert order.number in page and f"/admin/payments/{payment_id}/refund/cancel" in page

    response = _admin_post(client, f"/admin/payments/{payment_id}/refund/cancel")

    assert response.status_code == 303
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.CANCELLED
    assert {p.status for p in order.seller_orders} == {FulfilmentStatus.CANCELLED}
    for part in order.seller_orders:
        assert entries(part)[LedgerKind.REFUND] == -part.payout_amount
        assert ledger.balance(part.seller_id) == 0
    stock_now = {pid: db.session.get(Product, pid).stock for pid in stock_before}
    assert stock_now == stock_before
    assert order.payments[0].refund_to_review == 0
    [audit] = audits("refund.review.cancel")
    assert (audit.actor_id, audit.subject) == (admin.id, order.number)
    assert fake_stripe.calls("POST", "/v1/refunds") == []  # the money went back already
    after = client.get("/admin/payments").get_data(as_text=True)
    assert f"/admin/payments/{payment_id}/refund/cancel" not in after

    again = _admin_post(client, f"/admin/payments/{payment_id}/refund/cancel")

    assert again.status_code == 303
    assert len(audits("refund.review.cancel")) == 1
    follow = client.get("/admin/payments").get_data(as_text=True)
    assert "sudah diselesaikan" in follow


def test_admin_records_a_partial_refund_debited_in_proportion(
    client, stripe_app, fake_stripe, admin
):
    order, session_id = paid_order(client, fake_stripe, two_shops=True)
    first, second = order.seller_orders
    dashboard_refund(client, fake_stripe, order, session_id, 20001)
    login(client, admin.email)

    response = _admin_post(client, f"/admin/payments/{order.payments[0].id}/refund/partial")

    assert response.status_code == 303
    order = fresh(Order, order.id)
    assert {p.status for p in order.seller_orders} == {FulfilmentStatus.NEW}
    first, second = order.seller_orders
    debits = [-entries(p)[LedgerKind.ADJUSTMENT] for p in (first, second)]
    assert sum(debits) == 20001
    expected_first = 20001 * first.total // order.total
    assert debits[0] in (expected_first, expected_first + 1)
    assert order.payments[0].refund_to_review == 0
    assert order.payments[0].refunded_amount == 20001
    assert [a.actor_id for a in audits("refund.review.partial")] == [admin.id]
    # The sellers go on: a released part can be packed again.
    fulfilment.mark_packed(first, first.seller.owner)
    assert fresh(SellerOrder, first.id).status == FulfilmentStatus.PACKED

    # Cancelling that part later takes back only what the partial refund had not.
    settlement.cancel_part(fresh(SellerOrder, first.id), actor_id=None, reason="stok habis")
    db.session.commit()
    first = fresh(SellerOrder, first.id)
    assert entries(first)[LedgerKind.REFUND] == -(first.payout_amount - debits[0])
    assert ledger.balance(first.seller_id) == 0


def test_refund_settling_is_for_admins_with_a_valid_form(client, stripe_app, fake_stripe, admin):
    order, session_id = paid_order(client, fake_stripe)
    dashboard_refund(client, fake_stripe, order, session_id, 10000)
    payment_id = order.payments[0].id
    url = f"/admin/payments/{payment_id}/refund/cancel"
    seller_client = stripe_app.test_client()
    login(seller_client, order.seller_orders[0].seller.owner.email)
    token = csrf_from(seller_client.get("/seller/orders").get_data(as_text=True))
    assert seller_client.post(url, data={"csrf_token": token}).status_code == 403

    login(client, admin.email)
    assert client.post(url, data={}).status_code == 400  # no CSRF token
    unknown = _admin_post(client, "/admin/payments/999999/refund/cancel")
    assert unknown.status_code == 404
    assert fresh(Payment, payment_id).refund_to_review == 10000
    settled = select(AuditEvent.id).where(AuditEvent.action.like("refund.review%"))
    assert db.session.scalar(settled) is None


def test_cancelling_after_a_smaller_refund_says_what_the_buyer_is_still_owed(
    client, stripe_app, fake_stripe, admin
):
    order, session_id = paid_order(client, fake_stripe)
    dashboard_refund(client, fake_stripe, order, session_id, 10000)
    login(client, admin.email)

    _admin_post(client, f"/admin/payments/{order.payments[0].id}/refund/cancel")

    page = client.get("/admin/payments").get_data(as_text=True)
    assert "lebih banyak untuk bagian yang dibatalkan" in page
    [audit] = audits("refund.review.cancel")
    assert f"Rp {order.total - 10000} of them still to refund" in audit.detail
    assert fake_stripe.calls("POST", "/v1/refunds") == []
