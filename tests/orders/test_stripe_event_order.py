"""Stripe events that arrive early, name the wrong order, or race each other.

Refunds reported before their payment is settled here are parked, not written off; a session
is checked against its order, payment and amount before it is bound to anything; concurrent
deliveries for one payment converge on one paid order and one ledger credit.
"""

from __future__ import annotations

import json
import threading
from collections import Counter

from sqlalchemy import select

from marketplace.auth.models import Role
from marketplace.extensions import db
from orders import settlement
from orders.models import Order, Payment, PaymentEvent
from orders.payments import stripe_events
from orders.payments.stripe_provider import to_minor
from orders.states import FulfilmentStatus, InvalidTransition, OrderStatus, PaymentStatus
from tests.conftest import login
from tests.factories import make_user
from tests.orders import test_stripe as base
from tests.orders.test_stripe import (
    audits,
    count,
    fresh,
    ledger_kinds,
    post_event,
    start,
    stripe_order,
)

fake_stripe = base.fake_stripe
stripe_app = base.stripe_app


def event_rows() -> list[tuple[str, str, bool]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(PaymentEvent.type, PaymentEvent.result, PaymentEvent.processed_at).order_by(
            PaymentEvent.id
        )
    ).all()
    return [(kind, result, processed is not None) for kind, result, processed in rows]


def unbind(order: Order) -> None:
    """As if the checkout request's commit had been lost after Stripe created the session."""
    payment = order.payments[0]
    payment.provider_reference = None
    db.session.commit()


# --- a refund before its payment -----------------------------------------------------------


def test_refund_before_the_payment_is_parked_then_applied_when_it_settles(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    session_id = start(order)
    session = fake_stripe.complete(session_id)
    refund = fake_stripe.charge(session_id, amount_refunded=to_minor(order.total))

    early = post_event(client, fake_stripe.event("charge.refunded", refund))

    assert early.status_code == 200
    assert early.get_json() == {"result": "parked"}
    assert event_rows() == [("charge.refunded", "parked", False)]
    order = fresh(Order, order.id)
    assert (order.status, order.payment_status) == (
        OrderStatus.AWAITING_PAYMENT,
        PaymentStatus.UNPAID,
    )
    assert order.payments[0].refunded_amount == 0

    paid = post_event(client, fake_stripe.event("checkout.session.completed", session))

    assert paid.get_json() == {"result": "paid"}
    order = fresh(Order, order.id)
    payment = order.payments[0]
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, order.total)
    assert order.payment_status == PaymentStatus.REFUNDED
    assert payment.refund_to_review == order.total
    # The seller must not ship goods the buyer already has the money back for.
    assert {p.status for p in order.seller_orders} == {FulfilmentStatus.ON_HOLD}
    assert event_rows() == [
        ("charge.refunded", "refunded", True),
        ("checkout.session.completed", "paid", True),
    ]


def test_a_redelivered_parked_refund_is_applied_once_its_payment_is_known(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    session_id = start(order)
    fake_stripe.complete(session_id)
    refund_event = fake_stripe.event(
        "charge.refunded", fake_stripe.charge(session_id, amount_refunded=500_000)
    )
    assert post_event(client, refund_event).get_json() == {"result": "parked"}
    assert post_event(client, refund_event).get_json() == {"result": "parked"}  # still early

    assert stripe_events.fulfil_from_return(session_id, order) == "paid"

    payment = fresh(Payment, order.payments[0].id)
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, 5000)
    assert post_event(client, refund_event).get_json() == {"result": "duplicate"}
    assert fresh(Payment, payment.id).refunded_amount == 5000


def test_reconcile_applies_a_parked_refund_with_the_missed_payment(client, stripe_app, fake_stripe):
    order = stripe_order()
    session_id = start(order)
    fake_stripe.event("checkout.session.completed", fake_stripe.complete(session_id))  # lost
    refund = fake_stripe.charge(session_id, amount_refunded=to_minor(order.total))
    assert post_event(client, fake_stripe.event("charge.refunded", refund)).get_json() == {
        "result": "parked"
    }

    result = stripe_app.test_cli_runner().invoke(args=["payments", "reconcile"])

    assert result.exit_code == 0, result.output
    assert "events: 2 seen, 1 applied, 1 already recorded, 0 waiting" in result.output
    order = fresh(Order, order.id)
    assert order.payment_status == PaymentStatus.REFUNDED
    assert order.payments[0].refund_to_review == order.total
    assert {kind for kind, _, done in event_rows() if not done} == set()


def test_reconcile_retries_events_a_worker_recorded_but_never_applied(stripe_app, fake_stripe):
    order = stripe_order()
    session = fake_stripe.complete(start(order))
    event = fake_stripe.event("checkout.session.completed", session, log=False)
    # The receipt committed, then the worker died before the payment was applied.
    db.session.add(
        PaymentEvent(
            provider="stripe",
            event_id=event["id"],
            type=event["type"],
            object_id=session["id"],
            payload=json.dumps(event),
        )
    )
    db.session.commit()

    result = stripe_app.test_cli_runner().invoke(args=["payments", "reconcile"])

    assert result.exit_code == 0, result.output
    assert "events: 0 seen, 1 applied" in result.output
    assert fresh(Order, order.id).status == OrderStatus.PAID
    assert event_rows() == [("checkout.session.completed", "paid", True)]
    assert len(ledger_kinds(order)) == 2


def test_a_refund_for_a_charge_never_ours_stays_parked_and_changes_nothing(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    session_id = start(order)
    fake_stripe.complete(session_id)
    foreign = dict(
        fake_stripe.charge(session_id, amount_refunded=100), payment_intent="pi_someone_else"
    )

    assert post_event(client, fake_stripe.event("charge.refunded", foreign)).get_json() == {
        "result": "parked"
    }
    stripe_events.fulfil_from_return(session_id, order)

    assert event_rows() == [("charge.refunded", "parked", False)]
    assert fresh(Payment, order.payments[0].id).refunded_amount == 0


# --- a session that names someone else ----------------------------------------------------


def test_a_session_naming_another_order_binds_nothing_and_the_real_one_still_pays(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    other = stripe_order()
    real = fake_stripe.complete(start(order))
    unbind(order)
    stray = dict(real, id="cs_test_stray", metadata=dict(real["metadata"], order_id=str(other.id)))

    refused = post_event(client, fake_stripe.event("checkout.session.completed", stray))

    assert refused.get_json() == {"result": "mismatch"}
    assert fresh(Payment, order.payments[0].id).provider_reference is None
    assert [a.subject for a in audits("payment.mismatch")] == [order.number]
    assert fresh(Order, other.id).payment_status == PaymentStatus.UNPAID

    paid = post_event(client, fake_stripe.event("checkout.session.completed", real))

    assert paid.get_json() == {"result": "paid"}
    payment = fresh(Payment, order.payments[0].id)
    assert payment.provider_reference == real["id"]
    assert fresh(Order, order.id).status == OrderStatus.PAID


def test_an_unbound_session_with_another_amount_or_number_binds_nothing(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    real = fake_stripe.complete(start(order))
    unbind(order)
    strays = [
        dict(real, id="cs_test_cheap", amount_total=real["amount_total"] - 100),
        dict(real, id="cs_test_usd", currency="usd"),
        dict(real, id="cs_test_num", metadata=dict(real["metadata"], order_number="MM-X")),
        dict(real, id="cs_test_noorder", metadata={"payment_id": real["metadata"]["payment_id"]}),
    ]
    for stray in strays:
        event = fake_stripe.event("checkout.session.expired", dict(stray, status="expired"))
        assert post_event(client, event).get_json() == {"result": "mismatch"}, stray["id"]

    payment = fresh(Payment, order.payments[0].id)
    assert (payment.provider_reference, payment.status) == (None, PaymentStatus.UNPAID)
    paid = post_event(client, fake_stripe.event("checkout.session.completed", real))
    assert paid.get_json() == {"result": "paid"}


def test_a_bound_session_naming_another_payment_is_refused(client, stripe_app, fake_stripe):
    order = stripe_order()
    other = stripe_order()
    session = fake_stripe.complete(start(order))
    named = dict(session, metadata=dict(session["metadata"], payment_id=str(other.payments[0].id)))

    response = post_event(client, fake_stripe.event("checkout.session.completed", named))

    assert response.get_json() == {"result": "mismatch"}
    assert fresh(Order, order.id).payment_status == PaymentStatus.UNPAID
    assert fresh(Order, other.id).payment_status == PaymentStatus.UNPAID


# --- concurrent deliveries -----------------------------------------------------------------


def _deliver_together(app, events: list[dict]) -> Counter:
    """One thread per event, each with its own app context and session, released together."""
    barrier = threading.Barrier(len(events))
    results: list[str] = []
    lock = threading.Lock()

    def deliver(event: dict) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcome = stripe_events.handle_event(event)
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                outcome = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a delivery hung"
    return Counter(results)


def test_concurrent_events_for_an_unbound_payment_pay_once(stripe_app, fake_stripe):
    order = stripe_order(two_shops=True)
    session_id = start(order)
    pending = fake_stripe.complete(session_id, payment_status="unpaid")
    paid = fake_stripe.complete(session_id)
    unbind(order)
    events = [
        fake_stripe.event("checkout.session.completed", pending),
        fake_stripe.event("checkout.session.async_payment_succeeded", paid),
        fake_stripe.event("checkout.session.completed", paid),
        fake_stripe.event("checkout.session.completed", paid),  # resent under a new id
    ]
    db.session.commit()  # hand the connection back: the deliveries need pooled ones

    results = _deliver_together(stripe_app, events)

    assert results["paid"] == 1, results
    assert set(results) <= {"paid", "already_paid", "processing", "stale"}, results
    order = fresh(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.PAID, PaymentStatus.PAID)
    payment = order.payments[0]
    assert (payment.status, payment.provider_reference) == (PaymentStatus.PAID, session_id)
    assert len(ledger_kinds(order)) == 4  # one sale and one commission per shop, once
    assert all(done for _, _, done in event_rows())
    assert count(PaymentEvent) == 4


def test_admins_see_events_waiting_for_their_payment(client, stripe_app, fake_stripe):
    order = stripe_order()
    session_id = start(order)
    fake_stripe.complete(session_id)
    event = fake_stripe.event(
        "charge.refunded", fake_stripe.charge(session_id, amount_refunded=100)
    )
    post_event(client, event)
    login(client, make_user(email="admin@example.id", roles=(Role.ADMIN,)).email)

    page = client.get("/admin/payments").get_data(as_text=True)

    assert "Event Stripe yang menunggu pembayarannya" in page
    assert event["id"] in page


def test_a_parked_refund_redelivered_while_its_payment_settles_counts_once(
    client, stripe_app, fake_stripe
):
    order = stripe_order()
    session_id = start(order)
    session = fake_stripe.complete(session_id)
    refund = fake_stripe.event(
        "charge.refunded", fake_stripe.charge(session_id, amount_refunded=to_minor(order.total))
    )
    assert post_event(client, refund).get_json() == {"result": "parked"}
    db.session.commit()

    results = _deliver_together(
        stripe_app,
        [fake_stripe.event("checkout.session.completed", session), refund, refund],
    )

    assert results["paid"] == 1, results
    assert set(results) <= {"paid", "refunded", "parked", "duplicate"}, results
    order = fresh(Order, order.id)
    payment = order.payments[0]
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, order.total)
    assert payment.refund_to_review == order.total  # not counted twice
    assert len(audits("refund.provider")) == 1
    assert event_rows() == [
        ("charge.refunded", "refunded", True),
        ("checkout.session.completed", "paid", True),
    ]


def test_the_return_page_retries_a_lost_race(stripe_app, fake_stripe, monkeypatch):
    order = stripe_order()
    session_id = start(order)
    fake_stripe.complete(session_id)
    real_settle = settlement.settle_paid
    lost = []

    def lose_once(*args, **kwargs):
        if not lost:
            lost.append(True)
            raise InvalidTransition("changed meanwhile")
        return real_settle(*args, **kwargs)

    monkeypatch.setattr(settlement, "settle_paid", lose_once)

    assert stripe_events.fulfil_from_return(session_id, order) == "paid"
    assert fresh(Order, order.id).status == OrderStatus.PAID
