"""Refunds made outside the platform (Stripe's dashboard), waiting for an admin to settle them.

Stripe tells us money went back but not what for; ``stripe_events`` records it, holds the shop
parts not yet shipped and leaves the amount on ``Payment.refund_to_review``. An admin then
decides, once: the refund cancelled the held parts, or it was a partial refund and they go on.
Each decision is one use case with one commit and an audit row (DESIGN §4.5).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.errors import DomainError
from marketplace.extensions import db
from orders import emails, settlement
from orders.models import Order, Payment, PaymentEvent
from orders.states import InvalidTransition


class ReviewError(DomainError):
    """A refused decision; ``message`` is shown to the admin."""

    def __init__(self, code: str, message) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def pending() -> list[Payment]:
    """Payments with money refunded outside the platform that nobody has settled yet."""
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.refund_to_review > 0)
            .options(selectinload(Payment.order).selectinload(Order.seller_orders))
            .order_by(Payment.updated_at, Payment.id)
        )
    )


def parked_events(limit: int = 50) -> list[PaymentEvent]:
    """Provider events still waiting for their payment (oldest first), for the admin to see.

    They apply themselves once the payment settles or ``payments reconcile`` runs; one that
    waits for days belongs to a payment this marketplace never took.
    """
    return list(
        db.session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.processed_at.is_(None), PaymentEvent.result == "parked")
            .order_by(PaymentEvent.received_at, PaymentEvent.id)
            .limit(limit)
        )
    )


def get_payment(payment_id: int) -> Payment | None:
    return db.session.get(Payment, payment_id)


def _locked(payment: Payment) -> Payment:
    """Re-read under a row lock so two admins (or a refund webhook) cannot both settle it."""
    db.session.refresh(payment, with_for_update=True)
    if payment.refund_to_review <= 0:
        db.session.rollback()
        raise ReviewError("settled", _l("This refund has already been settled."))
    return payment


def cancel_and_debit(payment: Payment, admin) -> tuple[int, int]:
    """The refund was for the held parts: cancel them.

    Returns how many parts were cancelled and how much of what the buyer paid for them was not
    refunded in Stripe (for the admin to refund there: the marketplace sends nothing twice).
    """
    try:
        _locked(payment)
        order = payment.order
        refunded = payment.refund_to_review
        parts = settlement.settle_refund_by_cancelling(order, payment, admin.id)
        owed = settlement.held_refund_shortfall(parts, refunded)
        emails.refund_settled(order, parts, cancelled=True)
        db.session.commit()
    except InvalidTransition:
        db.session.rollback()
        raise ReviewError(
            "nothing_held",
            _l("No part of this order is on hold any more: record it as a partial refund."),
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    return len(parts), owed


def record_partial(payment: Payment, admin) -> tuple[int, int]:
    """The refund was partial: debit the sellers by the amount and release the held parts.

    Returns how many parts were released, and 0 owed (the shape ``cancel_and_debit`` answers).
    """
    try:
        _locked(payment)
        order = payment.order
        parts = settlement.settle_refund_as_partial(order, payment, admin.id)
        emails.refund_settled(order, parts, cancelled=False)
        db.session.commit()
    except InvalidTransition:
        db.session.rollback()
        raise ReviewError(
            "not_partial",
            _l(
                "This order was already partly refunded once, or has nothing credited: "
                "cancel the held parts instead."
            ),
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    return len(parts), 0
