"""Stripe Checkout end to end against a local fake of Stripe's API (DESIGN §4.8, §4.9, §7b).

The real ``stripe`` library sends every request to ``tests/orders/stripe_fake.py`` on
127.0.0.1, so these tests see the bytes the library really sends. Webhooks are signed with the
library's own signer and posted through the Flask test client, raw body and all.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import stripe
from sqlalchemy import func, select

from marketplace.audit import AuditEvent
from marketplace.auth.models import utcnow
from marketplace.extensions import db
from orders import notifications, settlement
from orders.models import (
    LedgerEntry,
    LedgerKind,
    Order,
    Payment,
    PaymentEvent,
    PaymentMethod,
)
from orders.payments import PaymentError, provider_for, stripe_events
from orders.payments.stripe_provider import from_minor, to_minor
from orders.states import FulfilmentStatus, InvalidTransition, OrderStatus, PaymentStatus
from tests.conftest import get_csrf
from tests.factories import make_product, make_seller
from tests.orders.factories import make_order
from tests.orders.stripe_fake import API_KEY, FakeStripe
from tests.orders.test_checkout import _add as add_to_cart
from tests.orders.test_checkout import _address_form as fill_address
from tests.orders.test_checkout import _shipping_post as shipping_form

WEBHOOK_SECRET = "whsec_test"
STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")


@pytest.fixture()
def fake_stripe():
    fake = FakeStripe().start()
    yield fake
    fake.stop()
    assert not fake.errors, fake.errors


@pytest.fixture()
def stripe_app(app_ctx, fake_stripe):
    """Point the app at the fake and rebuild the provider; restore both afterwards."""
    saved = {key: app_ctx.config.get(key) for key in STRIPE_KEYS}
    providers = app_ctx.extensions.setdefault("payment_providers", {})
    saved_providers = dict(providers)
    providers.clear()
    app_ctx.config.update(
        STRIPE_SECRET_KEY=API_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=fake_stripe.url,
    )
    yield app_ctx
    built = providers.get(PaymentMethod.STRIPE)
    if built is not None:
        built.close()
    providers.clear()
    providers.update(saved_providers)
    app_ctx.config.update(saved)


# --- helpers -------------------------------------------------------------------------------


def stripe_order(*, two_shops: bool = False, expires_in_hours: int = 24) -> Order:
    first = make_seller(shop_name="Gula Semut Longseran")
    lines = [
        (make_product(first, price=25000, title="Gula Semut 250 g"), 2),
        (make_product(first, price=18500, title="Kopi Robusta Sembalun"), 1),
    ]
    if two_shops:
        second = make_seller(shop_name="Tenun Pringgasela")
        lines.append((make_product(second, price=150000, title="Kain Tenun Songket"), 1))
    return make_order(lines, payment_method=PaymentMethod.STRIPE, expires_in_hours=expires_in_hours)


def start(order: Order, payment: Payment | None = None) -> str:
    """What the checkout view does: start the Stripe payment and commit the session id."""
    payment = payment or order.payments[0]
    provider_for(PaymentMethod.STRIPE).start(
        order,
        payment,
        success_url=f"http://localhost/orders/{order.number}/paid",
        cancel_url=f"http://localhost/orders/{order.number}",
    )
    db.session.commit()
    return payment.provider_reference


def post_event(
    client,
    event: dict,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp=None,
    signed: bool = True,
    body: str | None = None,
):
    payload = body if body is not None else json.dumps(event)
    headers = {}
    if signed:
        headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
            payload, secret, timestamp=timestamp
        )
    return client.post(
        "/webhooks/stripe", data=payload, headers=headers, content_type="application/json"
    )


def fresh(model, object_id):
    """The row as committed (webhook requests run in their own session)."""
    db.session.expire_all()
    return db.session.get(model, object_id)


def ledger_kinds(order: Order) -> list[tuple[int, str, int]]:
    part_ids = [p.id for p in order.seller_orders]
    rows = db.session.execute(
        select(LedgerEntry.seller_order_id, LedgerEntry.kind, LedgerEntry.amount)
        .where(LedgerEntry.seller_order_id.in_(part_ids))
        .order_by(LedgerEntry.seller_order_id, LedgerEntry.kind)
    )
    return [tuple(row) for row in rows]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def paid_order(client, fake, **kwargs) -> tuple[Order, str]:
    order = stripe_order(**kwargs)
    session_id = start(order)
    event = fake.event("checkout.session.completed", fake.complete(session_id))
    assert post_event(client, event).get_json() == {"result": "paid"}
    return fresh(Order, order.id), session_id


# --- starting a payment --------------------------------------------------------------------


def test_stripe_amounts_are_hundredths_of_a_rupiah_both_ways():
    assert to_minor(24_850) == 2_485_000
    assert from_minor(2_485_000) == 24_850
    # A fraction of a rupiah (never sent by us) is dropped rather than credited.
    assert from_minor(2_485_099) == 24_850
    assert from_minor(to_minor(1)) == 1


def test_session_request_sends_rupiah_times_100_metadata_and_idempotency_key(
    stripe_app, fake_stripe
):
    order = stripe_order(two_shops=True)
    payment = order.payments[0]

    redirect = provider_for(PaymentMethod.STRIPE).start(
        order,
        payment,
        success_url=f"http://localhost/orders/{order.number}/paid",
        cancel_url=f"http://localhost/orders/{order.number}",
    )
    db.session.commit()

    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    params = call.params
    assert call.authorization == f"Bearer {API_KEY}"
    assert call.idempotency_key == f"checkout-{order.number}-{payment.id}"
    assert params["mode"] == "payment"
    assert params["currency"] == "idr"
    lines = params["line_items"]
    assert {line["price_data"]["currency"] for line in lines} == {"idr"}
    amounts = [
        (
            line["price_data"]["product_data"]["name"],
            int(line["price_data"]["unit_amount"]),
            int(line["quantity"]),
        )
        for line in lines
    ]
    assert amounts == [
        ("Gula Semut 250 g", 2_500_000, 2),
        ("Kopi Robusta Sembalun", 1_850_000, 1),
        ("Ongkir Gula Semut Longseran (JNE REG)", 1_500_000, 1),
        ("Kain Tenun Songket", 15_000_000, 1),
        ("Ongkir Tenun Pringgasela (JNE REG)", 1_500_000, 1),
    ]
    assert sum(unit * qty for _, unit, qty in amounts) == order.total * 100 == 24_850_000
    assert params["metadata"] == {
        "order_id": str(order.id),
        "order_number": order.number,
        "payment_id": str(payment.id),
    }
    assert params["client_reference_id"] == order.number
    assert params["customer_email"] == order.email
    assert params["locale"] == "id"
    assert params["success_url"].endswith("/paid?session_id={CHECKOUT_SESSION_ID}")
    assert "expires_at" not in params  # 24 h left: beyond Stripe's window, Stripe's default
    session_id = fresh(Payment, payment.id).provider_reference
    assert session_id in fake_stripe.sessions
    assert redirect.url == fake_stripe.sessions[session_id]["url"]


def test_session_expires_with_the_order_when_stripe_allows_it(stripe_app, fake_stripe):
    order = stripe_order(expires_in_hours=2)
    start(order)
    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert int(call.params["expires_at"]) == int(order.expires_at.timestamp())

    late = stripe_order()
    late.expires_at = utcnow() + timedelta(minutes=10)
    db.session.commit()
    with pytest.raises(PaymentError):
        start(late)
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 1  # nothing sent


def test_starting_twice_reopens_the_same_session(stripe_app, fake_stripe):
    order = stripe_order()
    session_id = start(order)
    provider = provider_for(PaymentMethod.STRIPE)
    again = provider.start(
        order, order.payments[0], success_url="http://localhost/x", cancel_url="http://localhost/y"
    )
    assert again.url == fake_stripe.sessions[session_id]["url"]
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 1

    fake_stripe.expire(session_id)
    with pytest.raises(PaymentError):
        provider.start(
            order,
            order.payments[0],
            success_url="http://localhost/x",
            cancel_url="http://localhost/y",
        )


def test_lines_not_adding_up_to_the_total_are_never_sent(stripe_app, fake_stripe):
    order = stripe_order()
    order.total += 1  # e.g. a bug in checkout's arithmetic
    with pytest.raises(PaymentError):
        provider_for(PaymentMethod.STRIPE).start(
            order,
            order.payments[0],
            success_url="http://localhost/x",
            cancel_url="http://localhost/y",
        )
    db.session.rollback()
    assert fake_stripe.calls("POST", "/v1/checkout/sessions") == []


# --- the buyer's card pages -----------------------------------------------------------------


def _pay_by_card(client, order: Order):
    """Post the order page's "pay by card" button, as the guest holding the e-mailed link (the
    session's CSRF token is taken from any page: a cancelled order's page has no form)."""
    from orders.access import guest_token

    return client.post(
        f"/orders/{order.number}/pay",
        data={"csrf_token": get_csrf(client), "t": guest_token(order)},
    )


def test_card_checkout_places_the_order_then_opens_stripe_checkout(
    client, stripe_app, fake_stripe, monkeypatch
):
    sent = []
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: sent.append((to, s, b)))
    product = make_product(price=25000, stock=5)
    add_to_cart(client, product, 2)
    fill_address(client)
    form = shipping_form(client, product)
    form["payment_method"] = PaymentMethod.STRIPE

    response = client.post("/checkout", data=form)

    order = fresh(Order, db.session.scalar(select(Order.id)))
    [payment] = order.payments
    assert payment.provider == PaymentMethod.STRIPE
    assert response.status_code == 303
    assert response.headers["Location"] == fake_stripe.sessions[payment.provider_reference]["url"]
    [call] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert f"/orders/{order.number}/paid?t=" in call.params["success_url"]
    # The order, its e-mail and the emptied cart came from one commit, before Stripe was asked.
    assert [(to, order.number in body) for to, _, body in sent] == [("dewi@example.id", True)]
    with client.session_transaction() as session:
        assert "cart" not in session


def test_a_card_payment_stripe_refuses_leaves_the_order_to_pay_by_transfer(
    client, stripe_app, fake_stripe
):
    client.get("/?lang=en")  # the message below is checked in English
    order = make_order([(make_product(price=25000), 2)])
    fake_stripe.refuse_sessions = "Invalid request"

    response = _pay_by_card(client, order)

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Card payment is not available right now" in page
    order = fresh(Order, order.id)
    assert [(p.provider, p.provider_reference, p.status) for p in order.payments] == [
        (PaymentMethod.BANK_TRANSFER, None, PaymentStatus.UNPAID),
        (PaymentMethod.STRIPE, None, PaymentStatus.UNPAID),
    ]
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 1


def test_a_card_payment_page_that_expired_unpaid_is_followed_by_a_new_one(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    expired = start(order)
    fake_stripe.expire(expired)

    response = _pay_by_card(client, order)

    order = fresh(Order, order.id)
    assert [p.status for p in order.payments] == [PaymentStatus.UNPAID, PaymentStatus.UNPAID]
    new_session = order.payments[1].provider_reference
    assert new_session and new_session != expired
    assert response.status_code == 303
    assert response.headers["Location"] == fake_stripe.sessions[new_session]["url"]
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 2


def test_a_failed_card_payment_can_be_tried_again(client, stripe_app, fake_stripe):
    order = stripe_order()
    start(order)
    order.payments[0].status = PaymentStatus.FAILED
    db.session.commit()

    response = _pay_by_card(client, order)

    order = fresh(Order, order.id)
    assert [p.status for p in order.payments] == [PaymentStatus.FAILED, PaymentStatus.UNPAID]
    assert (
        response.headers["Location"]
        == (fake_stripe.sessions[order.payments[1].provider_reference]["url"])
    )


def test_a_card_payment_paid_but_not_yet_confirmed_opens_no_second_page(
    client, stripe_app, fake_stripe
):
    """The buyer paid on Stripe's page and its event is still on the way: no chance to pay twice."""
    order = stripe_order()
    session_id = start(order)
    fake_stripe.complete(session_id)

    response = _pay_by_card(client, order)

    assert response.status_code == 303
    assert f"/orders/{order.number}" in response.headers["Location"]
    order = fresh(Order, order.id)
    assert [(p.provider_reference, p.status) for p in order.payments] == [
        (session_id, PaymentStatus.PAID)
    ]
    assert order.status == OrderStatus.PAID
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 1


def test_a_transfer_order_can_still_be_paid_by_card(client, stripe_app, fake_stripe):
    order = make_order([(make_product(price=25000), 2)])

    response = _pay_by_card(client, order)

    order = fresh(Order, order.id)
    assert [(p.provider, p.status) for p in order.payments] == [
        (PaymentMethod.BANK_TRANSFER, PaymentStatus.UNPAID),
        (PaymentMethod.STRIPE, PaymentStatus.UNPAID),
    ]
    session_id = order.payments[1].provider_reference
    assert response.status_code == 303
    assert response.headers["Location"] == fake_stripe.sessions[session_id]["url"]


def test_a_cancelled_order_cannot_be_paid_by_card(client, stripe_app, fake_stripe):
    client.get("/?lang=en")  # the message below is checked in English
    order = stripe_order()
    order.status = OrderStatus.CANCELLED.value
    db.session.commit()

    response = _pay_by_card(client, order)

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This order cannot be paid by card now." in page
    assert len(fresh(Order, order.id).payments) == 1
    assert fake_stripe.calls("POST", "/v1/checkout/sessions") == []


# --- webhooks ------------------------------------------------------------------------------


def test_completed_webhook_pays_order_and_credits_ledger(client, stripe_app, fake_stripe):
    order = stripe_order(two_shops=True)
    session_id = start(order)
    session = fake_stripe.complete(session_id)

    response = post_event(client, fake_stripe.event("checkout.session.completed", session))

    assert response.status_code == 200
    assert response.get_json() == {"result": "paid"}
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.PAID
    assert order.payment_status == PaymentStatus.PAID
    assert {p.status for p in order.seller_orders} == {FulfilmentStatus.NEW}
    payment = order.payments[0]
    assert payment.status == PaymentStatus.PAID
    assert payment.provider_payment_id == session["payment_intent"]
    expected = []
    for part in order.seller_orders:
        expected += [
            (part.id, LedgerKind.COMMISSION, -part.commission),
            (part.id, LedgerKind.SALE, part.total),
        ]
    assert ledger_kinds(order) == expected
    [recorded] = db.session.scalars(select(PaymentEvent))
    assert (recorded.type, recorded.object_id, recorded.result) == (
        "checkout.session.completed",
        session_id,
        "paid",
    )


def test_duplicate_delivery_changes_nothing_twice(client, stripe_app, fake_stripe):
    order = stripe_order()
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(start(order)))

    assert post_event(client, event).get_json() == {"result": "paid"}
    second = post_event(client, event)

    assert second.status_code == 200
    assert second.get_json() == {"result": "duplicate"}
    assert len(ledger_kinds(order)) == 2  # one sale, one commission
    assert count(PaymentEvent) == 1


def test_concurrent_insert_of_the_same_event_is_a_duplicate(
    client, stripe_app, fake_stripe, monkeypatch
):
    """The unique (provider, event_id) row, not the pre-check, is what makes it exactly once."""
    order = stripe_order()
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(start(order)))
    assert stripe_events.handle_event(event) == "paid"
    monkeypatch.setattr(stripe_events, "_seen", lambda event_id: False)  # lost the race

    assert stripe_events.handle_event(event) == "duplicate"
    assert count(PaymentEvent) == 1
    assert len(ledger_kinds(order)) == 2


# SQLite serialises writers, so the race only exists on PostgreSQL: no SQLite pairing.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_simultaneous_deliveries_pay_once(stripe_app, fake_stripe):
    """Webhook retries and the return page racing on PostgreSQL: one payment, one ledger set."""
    order = stripe_order()
    session = fake_stripe.complete(start(order))
    first = fake_stripe.event("checkout.session.completed", session)
    other = fake_stripe.event("checkout.session.completed", session)  # Stripe resent, new id

    def deliver(event):
        with stripe_app.app_context():
            return stripe_events.handle_event(event)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = sorted(pool.map(deliver, [first, first, other]))

    assert results == ["already_paid", "duplicate", "paid"]
    assert len(ledger_kinds(order)) == 2
    assert count(PaymentEvent) == 2


def test_async_failure_after_success_does_not_unpay(client, stripe_app, fake_stripe):
    order, session_id = paid_order(client, fake_stripe)
    failed = dict(fake_stripe.sessions[session_id], payment_status="unpaid")

    response = post_event(
        client, fake_stripe.event("checkout.session.async_payment_failed", failed)
    )

    assert response.get_json() == {"result": "stale"}
    order = fresh(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.PAID, PaymentStatus.PAID)
    assert order.payments[0].status == PaymentStatus.PAID
    results = db.session.scalars(select(PaymentEvent.result).order_by(PaymentEvent.id))
    assert list(results) == ["paid", "stale"]


def test_completed_after_order_expired_records_money_without_reviving(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    session_id = start(order)
    settlement.expire(order)
    db.session.commit()

    response = post_event(
        client, fake_stripe.event("checkout.session.completed", fake_stripe.complete(session_id))
    )

    assert response.get_json() == {"result": "paid_after_close"}
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.EXPIRED
    assert order.payments[0].status == PaymentStatus.PAID
    assert {p.status for p in order.seller_orders} == {FulfilmentStatus.CANCELLED}
    assert ledger_kinds(order) == []
    [audit] = audits("payment.after_close")
    assert audit.subject == order.number


def test_a_lost_race_rolls_back_the_change_but_keeps_the_receipt(
    client, stripe_app, fake_stripe, monkeypatch
):
    order = stripe_order()
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(start(order)))
    real_settle = settlement.settle_paid

    def settle_then_lose(order, payment, **kwargs):
        real_settle(order, payment, **kwargs)  # our changes are made, then the last
        raise InvalidTransition("changed meanwhile")  # compare-and-set finds a moved row

    monkeypatch.setattr(settlement, "settle_paid", settle_then_lose)

    assert post_event(client, event).get_json() == {"result": "stale"}
    order = fresh(Order, order.id)
    assert (order.status, order.payment_status) == (
        OrderStatus.AWAITING_PAYMENT,
        PaymentStatus.UNPAID,
    )
    assert ledger_kinds(order) == []
    assert list(db.session.scalars(select(PaymentEvent.result))) == ["stale"]
    monkeypatch.undo()
    assert post_event(client, event).get_json() == {"result": "duplicate"}


def test_payment_after_the_order_was_refunded_is_still_recorded(client, stripe_app, fake_stripe):
    """A second tab's session paid after the first payment was refunded: real money, flagged."""
    order, first_session = paid_order(client, fake_stripe)
    refund = fake_stripe.charge(first_session, amount_refunded=to_minor(order.total))
    assert post_event(client, fake_stripe.event("charge.refunded", refund)).status_code == 200
    second = Payment(provider=PaymentMethod.STRIPE, amount=order.total)
    order.payments.append(second)
    db.session.commit()
    second_session = start(order, second)

    response = post_event(
        client,
        fake_stripe.event("checkout.session.completed", fake_stripe.complete(second_session)),
    )

    assert response.get_json() == {"result": "paid_after_close"}
    second = fresh(Payment, second.id)
    assert second.status == PaymentStatus.PAID
    assert second.provider_payment_id == fake_stripe.sessions[second_session]["payment_intent"]
    assert fresh(Order, order.id).payment_status == PaymentStatus.REFUNDED
    assert [a.subject for a in audits("payment.after_close")] == [order.number]
    assert len(ledger_kinds(order)) == 2  # the sale is not credited twice


def test_forged_signature_is_refused_and_nothing_recorded(client, stripe_app, fake_stripe):
    order = stripe_order()
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(start(order)))

    response = post_event(client, event, secret="whsec_attacker")

    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert count(PaymentEvent) == 0
    assert fresh(Order, order.id).status == OrderStatus.AWAITING_PAYMENT


def test_missing_signature_header_is_refused(client, stripe_app, fake_stripe):
    order = stripe_order()
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(start(order)))

    response = post_event(client, event, signed=False)

    assert response.status_code == 400
    assert count(PaymentEvent) == 0


def test_old_timestamp_is_refused_as_a_replay(client, stripe_app, fake_stripe):
    order = stripe_order()
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(start(order)))

    response = post_event(client, event, timestamp=int(time.time()) - 600)

    assert response.status_code == 400
    assert count(PaymentEvent) == 0
    assert fresh(Order, order.id).payment_status == PaymentStatus.UNPAID


def test_signed_body_that_is_not_json_is_refused(client, stripe_app):
    response = post_event(client, {}, body="{not json")
    assert response.status_code == 400
    assert count(PaymentEvent) == 0


def test_unknown_event_type_is_acknowledged_and_ignored(client, stripe_app, fake_stripe):
    event = fake_stripe.event("customer.created", {"id": "cus_test_1", "object": "customer"})

    response = post_event(client, event)

    assert response.status_code == 200
    assert response.get_json() == {"result": "ignored"}
    assert count(PaymentEvent) == 1


def test_webhook_without_configured_secret_is_unavailable(client, stripe_app, fake_stripe):
    stripe_app.config["STRIPE_WEBHOOK_SECRET"] = ""
    event = fake_stripe.event("customer.created", {"id": "cus_test_1", "object": "customer"})

    response = post_event(client, event)

    assert response.status_code == 503
    assert count(PaymentEvent) == 0


def test_delayed_payment_is_processing_until_it_succeeds(client, stripe_app, fake_stripe):
    order = stripe_order()
    session_id = start(order)
    pending = fake_stripe.complete(session_id, payment_status="unpaid")

    first = post_event(client, fake_stripe.event("checkout.session.completed", pending))

    assert first.get_json() == {"result": "processing"}
    order = fresh(Order, order.id)
    assert (order.status, order.payment_status) == (
        OrderStatus.AWAITING_PAYMENT,
        PaymentStatus.PROCESSING,
    )
    # While the payment clears, the order must not lapse and give its stock away.
    assert settlement.expire_unpaid(now=utcnow() + timedelta(days=3)) == 0
    assert ledger_kinds(order) == []

    succeeded = fake_stripe.complete(session_id, payment_status="paid")
    second = post_event(
        client, fake_stripe.event("checkout.session.async_payment_succeeded", succeeded)
    )

    assert second.get_json() == {"result": "paid"}
    order = fresh(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.PAID, PaymentStatus.PAID)
    assert len(ledger_kinds(order)) == 2


def test_amount_mismatch_never_pays(client, stripe_app, fake_stripe):
    order = stripe_order()
    session = fake_stripe.complete(start(order))
    session["amount_total"] = order.total  # rupiah, not rupiah × 100

    response = post_event(client, fake_stripe.event("checkout.session.completed", session))

    assert response.get_json() == {"result": "amount_mismatch"}
    order = fresh(Order, order.id)
    assert order.payment_status == PaymentStatus.UNPAID
    assert order.payments[0].status == PaymentStatus.UNPAID
    assert ledger_kinds(order) == []
    assert len(audits("payment.amount_mismatch")) == 1


def test_wrong_currency_never_pays(client, stripe_app, fake_stripe):
    order = stripe_order()
    session = dict(fake_stripe.complete(start(order)), currency="usd")

    response = post_event(client, fake_stripe.event("checkout.session.completed", session))

    assert response.get_json() == {"result": "amount_mismatch"}
    assert fresh(Order, order.id).payment_status == PaymentStatus.UNPAID


def test_expired_session_abandons_payment_but_order_waits(client, stripe_app, fake_stripe):
    order = stripe_order()
    product_stock = order.seller_orders[0].items[0].product.stock
    session = fake_stripe.expire(start(order))

    response = post_event(client, fake_stripe.event("checkout.session.expired", session))

    assert response.get_json() == {"result": "abandoned"}
    order = fresh(Order, order.id)
    assert order.payments[0].status == PaymentStatus.FAILED
    # The buyer may still pay another way until the order's own deadline.
    assert (order.status, order.payment_status) == (
        OrderStatus.AWAITING_PAYMENT,
        PaymentStatus.UNPAID,
    )
    assert order.seller_orders[0].items[0].product.stock == product_stock


def test_dashboard_refund_is_recorded_and_later_completion_is_stale(
    client, stripe_app, fake_stripe
):
    order, session_id = paid_order(client, fake_stripe)
    charge = fake_stripe.charge(session_id, amount_refunded=to_minor(order.total))

    response = post_event(client, fake_stripe.event("charge.refunded", charge))

    assert response.get_json() == {"result": "refunded"}
    order = fresh(Order, order.id)
    payment = order.payments[0]
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, order.total)
    assert order.payment_status == PaymentStatus.REFUNDED
    assert len(audits("refund.provider")) == 1

    # Stripe redelivers the old completion under a new id (or reconcile finds it): no effect.
    late = fake_stripe.event("checkout.session.completed", fake_stripe.sessions[session_id])
    assert post_event(client, late).get_json() == {"result": "stale"}
    payment = fresh(Payment, payment.id)
    assert payment.status == PaymentStatus.REFUNDED
    assert fresh(Order, order.id).payment_status == PaymentStatus.REFUNDED


def test_cancelling_a_paid_part_refunds_it_through_stripe_once(client, stripe_app, fake_stripe):
    order, session_id = paid_order(client, fake_stripe, two_shops=True)
    part = order.seller_orders[1]

    settlement.cancel_part(part, actor_id=None, reason="stok habis")
    db.session.commit()

    [call] = fake_stripe.calls("POST", "/v1/refunds")
    assert call.params["amount"] == str(part.total * 100)
    assert call.params["payment_intent"] == fake_stripe.sessions[session_id]["payment_intent"]
    assert call.idempotency_key == f"refund-part-{part.id}"
    payment = fresh(Payment, order.payments[0].id)
    assert payment.refunded_amount == part.total
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED

    # Stripe then reports the same refund: already counted, not counted again.
    charge = fake_stripe.charge(session_id, amount_refunded=to_minor(part.total))
    response = post_event(client, fake_stripe.event("charge.refunded", charge))

    assert response.get_json() == {"result": "already_recorded"}
    payment = fresh(Payment, payment.id)
    assert payment.refunded_amount == part.total
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert audits("refund.provider") == []


# --- return page ---------------------------------------------------------------------------


def test_return_page_fulfils_before_the_webhook(client, stripe_app, fake_stripe):
    order = stripe_order()
    session_id = start(order)
    session = fake_stripe.complete(session_id)

    assert stripe_events.fulfil_from_return(session_id, order) == "paid"
    assert fresh(Order, order.id).status == OrderStatus.PAID
    [lookup] = fake_stripe.calls("GET", f"/v1/checkout/sessions/{session_id}")
    assert lookup.params == {"expand": ["payment_intent"]}

    # The webhook arriving afterwards finds the work done.
    response = post_event(client, fake_stripe.event("checkout.session.completed", session))
    assert response.get_json() == {"result": "already_paid"}
    assert len(ledger_kinds(order)) == 2


def test_return_page_checks_the_session_belongs_to_the_order(stripe_app, fake_stripe):
    mine = stripe_order()
    other = stripe_order()
    other_session = start(other)
    fake_stripe.complete(other_session)

    assert stripe_events.fulfil_from_return(other_session, mine) == "unknown_payment"
    assert stripe_events.fulfil_from_return("../../v1/refunds", mine) == "unavailable"
    assert fresh(Order, other.id).status == OrderStatus.AWAITING_PAYMENT


# --- reconciliation ------------------------------------------------------------------------


def test_reconcile_applies_missed_payments_and_is_safe_twice(stripe_app, fake_stripe):
    by_event = stripe_order()
    fake_stripe.event("checkout.session.completed", fake_stripe.complete(start(by_event)))
    by_session = stripe_order()
    fake_stripe.complete(start(by_session))  # its event fell outside the window
    failed = stripe_order()
    fake_stripe.complete(
        start(failed), payment_status="unpaid", intent_status="requires_payment_method"
    )
    still_open = stripe_order()
    start(still_open)
    paid_late = stripe_order()
    late_session = start(paid_late)
    settlement.expire(paid_late)
    db.session.commit()
    fake_stripe.complete(late_session)  # paid in the last minute, webhook lost
    runner = stripe_app.test_cli_runner()

    first = runner.invoke(args=["payments", "reconcile", "--since-hours", "24"])

    assert first.exit_code == 0, first.output
    assert "events: 1 seen, 1 applied, 0 already recorded" in first.output
    assert "sessions: 4 checked, 3 changed" in first.output
    orders = [fresh(Order, o.id) for o in (by_event, by_session, failed, still_open, paid_late)]
    assert [(o.status, o.payment_status) for o in orders] == [
        (OrderStatus.PAID, PaymentStatus.PAID),
        (OrderStatus.PAID, PaymentStatus.PAID),
        (OrderStatus.AWAITING_PAYMENT, PaymentStatus.FAILED),
        (OrderStatus.AWAITING_PAYMENT, PaymentStatus.UNPAID),
        (OrderStatus.EXPIRED, PaymentStatus.PAID),  # recorded, not revived
    ]
    assert [a.subject for a in audits("payment.after_close")] == [paid_late.number]
    ledger_before = count(LedgerEntry)
    assert ledger_before == 4
    [call] = fake_stripe.calls("GET", "/v1/events")
    assert int(call.params["created"]["gte"]) <= int(time.time()) - 24 * 3600 + 5

    second = runner.invoke(args=["payments", "reconcile", "--since-hours", "24"])

    assert second.exit_code == 0, second.output
    assert "events: 1 seen, 0 applied, 1 already recorded" in second.output
    assert "sessions: 1 checked, 0 changed" in second.output  # only the open one is left
    assert count(LedgerEntry) == ledger_before
    assert count(PaymentEvent) == 1
