"""Correctly signed webhook bodies with odd shapes: a clear 4xx or an ignored event, never a 500."""

from __future__ import annotations

import json
import time

import pytest

from orders.models import Order, PaymentEvent
from orders.states import PaymentStatus
from tests.orders import test_stripe as base
from tests.orders.test_stripe import count, fresh, post_event, start, stripe_order

# The Stripe fixtures (a fake API server and an app configured for it) come from the main suite.
fake_stripe = base.fake_stripe
stripe_app = base.stripe_app


@pytest.mark.parametrize("body", ["[]", "[1, 2]", "1", '"event"', "null", "true"])
def test_signed_json_that_is_no_object_is_refused(client, stripe_app, body):
    response = post_event(client, {}, body=body)
    assert response.status_code == 400
    assert count(PaymentEvent) == 0


def test_signature_dated_in_the_future_is_refused(client, stripe_app, fake_stripe):
    order = stripe_order()
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(start(order)))
    response = post_event(client, event, timestamp=int(time.time()) + 3600)
    assert response.status_code == 400
    assert count(PaymentEvent) == 0
    assert fresh(Order, order.id).payment_status == PaymentStatus.UNPAID


@pytest.mark.parametrize("created", [2**31, 4102444800, 2**70, -5, "soon"])
def test_event_time_beyond_2038_or_malformed_is_stored_without_error(client, stripe_app, created):
    event = {"id": "evt_odd_time", "type": "customer.created", "created": created}
    event["data"] = {"object": {"id": "cus_1"}}
    response = post_event(client, event)
    assert response.status_code == 200
    stored = PaymentEvent.query.filter_by(event_id="evt_odd_time").one()
    expected = created if isinstance(created, int) and 0 <= created <= 2**53 else 0
    assert stored.created == expected


@pytest.mark.parametrize("event_id", ["evt_\x00nul", "evt_ok"], ids=["nul-in-id", "nul-in-object"])
def test_nul_anywhere_in_a_signed_event_is_refused(client, stripe_app, event_id):
    obj = {"id": "cs_1" if "\x00" in event_id else "cs_\x00", "metadata": {}}
    event = {"id": event_id, "type": "checkout.session.completed", "data": {"object": obj}}
    response = post_event(client, event)
    assert response.status_code == 400
    assert count(PaymentEvent) == 0


@pytest.mark.parametrize(
    "metadata",
    [["order_id", "1"], "order_id=1", {"order_id": 2**70, "payment_id": 2**70}, {"order_id": [1]}],
)
def test_odd_metadata_changes_no_order(client, stripe_app, fake_stripe, metadata):
    order = stripe_order()
    session = fake_stripe.complete(start(order))
    session = dict(session, metadata=metadata, id="cs_unknown_session")
    event = fake_stripe.event("checkout.session.completed", session)
    response = post_event(client, event)
    assert response.status_code < 500
    assert fresh(Order, order.id).payment_status == PaymentStatus.UNPAID


def test_an_event_id_as_a_huge_number_is_refused(client, stripe_app):
    body = json.dumps({"id": 2**70, "type": "charge.refunded", "data": {"object": {}}})
    assert post_event(client, {}, body=body).status_code == 400
