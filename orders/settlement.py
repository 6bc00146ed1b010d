"""What happens to an order when money arrives, leaves or never comes.

These functions change state but never commit: the use case calling them (a webhook, an admin
confirming a transfer, a cron job) owns the transaction, so the status change, stock, ledger and
events land together. Every move goes through ``orders.states.transition`` (compare-and-set), so
running any of them twice, or two of them at once, applies the change once and makes the other
raise ``InvalidTransition``, which callers treat as "already done".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from marketplace.audit import record as audit  # the name the orders code uses
from marketplace.auth.models import utcnow
from marketplace.extensions import db
from orders import event_notes, ledger
from orders.checkout import give_back_stock
from orders.models import Order, Payment, PaymentMethod, SellerOrder
from orders.states import (
    FulfilmentStatus,
    InvalidTransition,
    OrderStatus,
    PaymentStatus,
    can_move,
    transition,
)

CANCELLABLE = {FulfilmentStatus.AWAITING_PAYMENT, FulfilmentStatus.NEW, FulfilmentStatus.PACKED}


def payment_for(order: Order, provider: str) -> Payment | None:
    for payment in reversed(order.payments):
        if payment.provider == provider:
            return payment
    return None


def settle_paid(
    order: Order,
    payment: Payment,
    *,
    amount: int,
    provider_payment_id: str = "",
    actor_id: int | None = None,
    note: str = "",
) -> bool:
    """Record that ``payment`` cleared; returns False when it was already recorded.

    A payment that arrives after the order expired or was cancelled is still recorded (the money
    is real) but the order is not revived, since its stock may be sold; an audit row flags it
    for a refund.
    """
    if payment.status == PaymentStatus.PAID:
        return False
    if amount < order.total:
        raise InvalidTransition(f"paid {amount}, order total {order.total}")
    # The payment's row records the step; the order's payment_status only mirrors it.
    transition(payment, PaymentStatus.PAID, machine="payment", note=note, actor_id=actor_id)
    if provider_payment_id:
        payment.provider_payment_id = provider_payment_id
    if order.payment_status != PaymentStatus.PAID:
        if can_move("payment", order.payment_status, PaymentStatus.PAID):
            transition(
                order,
                PaymentStatus.PAID,
                machine="payment",
                field="payment_status",
                note=note,
                actor_id=actor_id,
                record=False,
            )
        else:  # e.g. a second card session paid after the first payment was refunded
            audit(
                actor_id,
                "payment.unexpected",
                order.number,
                f"{payment.provider} paid {amount} while payment was {order.payment_status}",
            )
            return True
    if order.status != OrderStatus.AWAITING_PAYMENT:
        audit(
            actor_id,
            "payment.after_close",
            order.number,
            f"{payment.provider} paid {amount} while order was {order.status}: refund it",
        )
        return True
    transition(order, OrderStatus.PAID, machine="order", actor_id=actor_id)
    order.paid_at = utcnow()
    for part in order.seller_orders:
        transition(part, FulfilmentStatus.NEW, machine="fulfilment", actor_id=actor_id)
        ledger.credit_sale(part, order.number)
    from orders import emails

    emails.order_paid(order)
    return True


def mark_processing(order: Order, payment: Payment, note: str = "") -> None:
    """A receipt was uploaded or a card payment is clearing: the order must not expire now."""
    moved = payment.status in (PaymentStatus.UNPAID, PaymentStatus.FAILED)
    if moved:
        transition(payment, PaymentStatus.PROCESSING, machine="payment", note=note)
    if order.payment_status in (PaymentStatus.UNPAID, PaymentStatus.FAILED):
        # One step, one timeline row: the order's status only records it if the payment didn't.
        transition(
            order,
            PaymentStatus.PROCESSING,
            machine="payment",
            field="payment_status",
            note=note,
            record=not moved,
        )


def mark_failed(order: Order, payment: Payment, note: str = "", actor_id: int | None = None):
    """The payment did not go through; the buyer may try again until the order expires."""
    moved = payment.status in (PaymentStatus.UNPAID, PaymentStatus.PROCESSING)
    if moved:
        transition(payment, PaymentStatus.FAILED, machine="payment", note=note, actor_id=actor_id)
    others_pending = any(
        p.id != payment.id and p.status in (PaymentStatus.PROCESSING, PaymentStatus.PAID)
        for p in order.payments
    )
    # A failed card attempt must not hide a transfer receipt that is still being checked.
    if not others_pending and order.payment_status in (
        PaymentStatus.UNPAID,
        PaymentStatus.PROCESSING,
    ):
        transition(
            order,
            PaymentStatus.FAILED,
            machine="payment",
            field="payment_status",
            note=note,
            actor_id=actor_id,
            record=not moved,
        )


def _close_if_done(order: Order, actor_id: int | None) -> None:
    statuses = {FulfilmentStatus(p.status) for p in order.seller_orders}
    if statuses <= {FulfilmentStatus.CANCELLED}:
        if order.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID):
            transition(order, OrderStatus.CANCELLED, machine="order", actor_id=actor_id)
    elif (
        statuses <= {FulfilmentStatus.DELIVERED, FulfilmentStatus.CANCELLED}
        and order.status == OrderStatus.PAID
    ):
        transition(order, OrderStatus.COMPLETED, machine="order", actor_id=actor_id)


def refund_amount(order: Order, payment: Payment, amount: int, key: str, actor_id, note: str):
    """Give money back: a real provider refund for cards, a recorded one for transfers."""
    if amount <= 0:
        return
    # Lock the payment row (PostgreSQL) so a provider's refund webhook cannot interleave with
    # this refund and have it counted twice.
    db.session.refresh(payment, with_for_update=True)
    if payment.provider == PaymentMethod.STRIPE:
        from orders.payments import provider_for

        provider_for(PaymentMethod.STRIPE).refund(payment, amount, idempotency_key=key)
    elif payment.provider == PaymentMethod.PRACTICE:
        pass  # a practice payment moved no money: there is nothing to give back
    else:
        audit(
            actor_id,
            "refund.manual",
            order.number,
            f"transfer Rp {amount} back to the buyer ({event_notes.describe(note)})",
        )
    payment.refunded_amount = min(payment.amount, payment.refunded_amount + amount)
    target = (
        PaymentStatus.REFUNDED
        if payment.refunded_amount >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    recorded = False
    for obj, field in ((payment, "status"), (order, "payment_status")):
        if getattr(obj, field) != target or target == PaymentStatus.PARTIALLY_REFUNDED:
            transition(
                obj,
                target,
                machine="payment",
                field=field,
                note=note,
                actor_id=actor_id,
                record=not recorded,
            )
            recorded = True


HOLDABLE = {FulfilmentStatus.NEW, FulfilmentStatus.PACKED}


def credited_parts(order: Order) -> list[SellerOrder]:
    """Parts whose sale was credited to a seller and not taken back by a cancellation."""
    return [
        p
        for p in order.seller_orders
        if p.status not in (FulfilmentStatus.AWAITING_PAYMENT, FulfilmentStatus.CANCELLED)
    ]


def hold_for_refund(order: Order, payment: Payment, amount: int, note: str) -> int | None:
    """Money went back outside the platform: stop the shipping and ask an admin what it was for.

    The provider does not say which shop the refund was for, so every part not yet shipped goes
    on hold (the seller can neither pack nor ship it) and the amount waits on the payment for
    an admin to settle. Returns how many parts were held, or None when no seller was credited
    for this order (e.g. money that arrived after it expired): nothing then needs deciding.
    """
    parts = credited_parts(order)
    if not parts:
        return None
    payment.refund_to_review = payment.refund_to_review + amount
    held = 0
    for part in parts:
        if FulfilmentStatus(part.status) in HOLDABLE:
            transition(part, FulfilmentStatus.ON_HOLD, machine="fulfilment", note=note)
            held += 1
    from orders import emails

    emails.refund_needs_review(order, amount)
    return held


def split_by_total(amount: int, parts: list[SellerOrder]) -> list[int]:
    """``amount`` shared among ``parts`` in proportion to what each cost the buyer.

    Whole rupiah: the rounding remainder goes one rupiah at a time to the first parts, so the
    shares always add up to ``amount`` (when it does not exceed the parts' total).
    """
    whole = sum(p.total for p in parts)
    if whole <= 0:
        return [0 for _ in parts]
    amount = min(amount, whole)
    shares = [amount * p.total // whole for p in parts]
    for i in range(amount - sum(shares)):
        shares[i % len(shares)] += 1
    return shares


def settle_refund_by_cancelling(order: Order, payment: Payment, actor_id: int) -> list[SellerOrder]:
    """The refund was for the held parts: cancel them, put their stock back, debit the sellers.

    The money has already gone back through the provider, so no refund is sent again.
    """
    held = [p for p in order.seller_orders if p.status == FulfilmentStatus.ON_HOLD]
    if not held:
        raise InvalidTransition("no part on hold")
    amount = payment.refund_to_review
    note = f"refunded outside the platform (Rp {amount}): cancelled"
    for part in held:
        transition(
            part, FulfilmentStatus.CANCELLED, machine="fulfilment", note=note, actor_id=actor_id
        )
        ledger.debit_refund(part, order.number)
    give_back_stock(held)
    payment.refund_to_review = 0
    _close_if_done(order, actor_id)
    owed = held_refund_shortfall(held, amount)
    audit(
        actor_id,
        "refund.review.cancel",
        order.number,
        f"Rp {amount} refunded in Stripe: {len(held)} part(s) cancelled, stock returned, "
        "sellers debited" + (f"; Rp {owed} of them still to refund to the buyer" if owed else ""),
    )
    return held


def held_refund_shortfall(parts: list[SellerOrder], refunded: int) -> int:
    """What the buyer paid for ``parts`` beyond the ``refunded`` amount (0 when covered)."""
    return max(0, sum(p.total for p in parts) - refunded)


def settle_refund_as_partial(order: Order, payment: Payment, actor_id: int) -> list[SellerOrder]:
    """The refund was a partial one: debit it from the sellers and let the held parts go on.

    The amount is shared among the credited parts in proportion to their totals, never more
    than a part had earned.
    """
    parts = credited_parts(order)
    if not parts or any(ledger.has_adjustment(p) for p in parts):
        raise InvalidTransition("no credited part, or one already partly refunded")
    amount = payment.refund_to_review
    for part, share in zip(parts, split_by_total(amount, parts), strict=True):
        share = min(share, part.payout_amount)
        if share > 0:
            ledger.debit_partial_refund(part, share, f"{order.number} refund")
    released = [p for p in parts if p.status == FulfilmentStatus.ON_HOLD]
    for part in released:
        transition(
            part,
            FulfilmentStatus.NEW,
            machine="fulfilment",
            note=f"partial refund of Rp {amount} recorded: continue",
            actor_id=actor_id,
        )
    payment.refund_to_review = 0
    audit(
        actor_id,
        "refund.review.partial",
        order.number,
        f"Rp {amount} refunded in Stripe recorded as a partial refund: debited from "
        f"{len(parts)} part(s), {len(released)} released from hold",
    )
    return released


def cancel_part(
    part: SellerOrder, *, actor_id: int | None, reason: str, restock: bool = True
) -> None:
    """Cancel one shop's part before it ships: stock back, ledger and money refunded."""
    order = part.order
    was_paid = part.status != FulfilmentStatus.AWAITING_PAYMENT
    transition(
        part, FulfilmentStatus.CANCELLED, machine="fulfilment", note=reason, actor_id=actor_id
    )
    if restock:
        give_back_stock([part])
    if was_paid:
        ledger.debit_refund(part, order.number)
        payment = next(
            (
                p
                for p in reversed(order.payments)
                if p.status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
            ),
            None,
        )
        if payment is not None:
            refund_amount(order, payment, part.total, f"refund-part-{part.id}", actor_id, reason)
    _close_if_done(order, actor_id)


def cancel_order(order: Order, *, actor_id: int | None, reason: str) -> None:
    """Cancel every part that has not shipped yet (all of them, or nothing is cancelled)."""
    parts = [p for p in order.seller_orders if p.status != FulfilmentStatus.CANCELLED]
    if not parts or any(FulfilmentStatus(p.status) not in CANCELLABLE for p in parts):
        raise InvalidTransition("order has shipped parts")
    for part in parts:
        cancel_part(part, actor_id=actor_id, reason=reason, restock=False)
    give_back_stock(parts)


def expire(order: Order) -> None:
    """An unpaid order ran out of time: its stock goes back on sale."""
    transition(
        order, OrderStatus.EXPIRED, machine="order", note=event_notes.coded("payment_time_ran_out")
    )
    released = []
    for part in order.seller_orders:
        if part.status == FulfilmentStatus.AWAITING_PAYMENT:
            transition(
                part,
                FulfilmentStatus.CANCELLED,
                machine="fulfilment",
                note=event_notes.coded("expired"),
            )
            released.append(part)
    give_back_stock(released)


def deliver(part: SellerOrder, *, actor_id: int | None, note: str = "") -> None:
    transition(part, FulfilmentStatus.DELIVERED, machine="fulfilment", note=note, actor_id=actor_id)
    part.delivered_at = utcnow()
    _close_if_done(part.order, actor_id)


# --- periodic jobs: each order in its own transaction, safe to run twice or concurrently -----


def _each(ids, work) -> int:
    done = 0
    for object_id in ids:
        try:
            if work(object_id):
                db.session.commit()
                done += 1
            else:
                db.session.rollback()
        except InvalidTransition:
            db.session.rollback()  # another run got there first
    return done


def expire_unpaid(now: datetime | None = None) -> int:
    """Expire orders past their payment time, except those whose payment is being checked."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Order.id).where(
                Order.status == OrderStatus.AWAITING_PAYMENT.value,
                Order.payment_status.in_([PaymentStatus.UNPAID.value, PaymentStatus.FAILED.value]),
                Order.expires_at < now,
            )
        )
    )

    def work(order_id: int) -> bool:
        order = db.session.get(Order, order_id)
        if order is None or order.status != OrderStatus.AWAITING_PAYMENT:
            return False
        expire(order)
        return True

    return _each(ids, work)


def complete_shipped(now: datetime | None = None) -> int:
    """Parts shipped long enough ago count as received (buyers often forget to confirm)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["AUTO_COMPLETE_DAYS"])
    ids = list(
        db.session.scalars(
            select(SellerOrder.id).where(
                SellerOrder.status == FulfilmentStatus.SHIPPED.value,
                SellerOrder.shipped_at < cutoff,
            )
        )
    )

    def work(part_id: int) -> bool:
        part = db.session.get(SellerOrder, part_id)
        if part is None or part.status != FulfilmentStatus.SHIPPED:
            return False
        deliver(part, actor_id=None, note=event_notes.coded("completed_automatically"))
        return True

    return _each(ids, work)
