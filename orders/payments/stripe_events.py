"""What Stripe tells us, applied once: webhooks, the return page and reconciliation (§4.9, §7b).

Three roads lead here and all end in ``apply_session``: a signed webhook (``handle_event``), the
buyer coming back from Stripe's page (``fulfil_from_return``, so they see "paid" before the
webhook lands) and the ``payments reconcile`` command (for deliveries that never came). Each
road is idempotent on its own terms:

* every event id is recorded once in ``PaymentEvent``; its "processed" mark is a compare-and-set
  committed with its effects, so a redelivery is answered "duplicate" and changes nothing, and
  of two workers applying one event only one keeps its effects;
* an event that cannot be applied yet (a refund for a payment not settled here) is parked, not
  finalised: settling the payment applies it, as do a redelivery and ``payments reconcile``;
* a session is checked against its order, payment and amount before anything is written;
* every status change goes through ``orders.states.transition`` (compare-and-set), so a late or
  reordered signal can only fail to apply: it never moves an order or payment backwards. Such an
  event is still recorded, with the result "stale".

An expired Checkout Session marks only its Payment failed ("abandoned"). The order keeps its own
deadline: the buyer may start a new card payment or switch to bank transfer until then, and the
``orders expire`` job releases the stock afterwards as for any unpaid order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.auth.models import utcnow
from marketplace.extensions import db
from marketplace.request_hygiene import MAX_ID
from orders import event_notes, settlement
from orders.models import Order, Payment, PaymentEvent, PaymentMethod
from orders.payments.base import PaymentError
from orders.payments.stripe_provider import StripeProvider, from_minor, to_minor
from orders.states import (
    InvalidTransition,
    OrderStatus,
    PaymentStatus,
    can_move,
    transition,
)

log = logging.getLogger(__name__)

PROVIDER = PaymentMethod.STRIPE
CURRENCY = "idr"

# Result labels, stored on PaymentEvent.result and returned to Stripe in the webhook reply.
PAID = "paid"
PAID_AFTER_CLOSE = "paid_after_close"  # money arrived for an expired/cancelled order: refund it
ALREADY_PAID = "already_paid"
PROCESSING = "processing"
ALREADY_PROCESSING = "already_processing"
FAILED = "failed"
ABANDONED = "abandoned"
OPEN = "open"
REFUNDED = "refunded"
ALREADY_RECORDED = "already_recorded"
AMOUNT_MISMATCH = "amount_mismatch"
UNKNOWN_PAYMENT = "unknown_payment"
MISMATCH = "mismatch"  # the session names another order/payment/amount: refused, audited
PARKED = "parked"  # cannot apply yet (its payment is not settled here): kept, retried later
STALE = "stale"
DUPLICATE = "duplicate"
IGNORED = "ignored"
UNAVAILABLE = "unavailable"

CHANGED = frozenset({PAID, PAID_AFTER_CLOSE, PROCESSING, FAILED, ABANDONED, REFUNDED})

# A PaymentIntent in these states after a completed session means the delayed payment failed.
FAILED_INTENT_STATUSES = frozenset({"requires_payment_method", "canceled"})


class MalformedEvent(ValueError):
    """Signed by Stripe but not shaped like an event (no id, type or object)."""


#: Stored in a 64-bit column; a later time is no real event's (year 2^53 s is far beyond).
MAX_TIMESTAMP = 2**53


# --- finding our rows ------------------------------------------------------------------


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _row_id(value) -> int | None:
    """An id from metadata, or None when no row could have it (beyond the column's range)."""
    number = _int(value)
    return number if number is not None and 0 < number <= MAX_ID else None


def _timestamp(value) -> int:
    """The provider's Unix time, or 0 for a value no real event carries."""
    number = _int(value)
    return number if number is not None and 0 <= number <= MAX_TIMESTAMP else 0


def _metadata(session: dict) -> dict:
    metadata = session.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _has_nul(value) -> bool:
    """True when any string in the event holds a NUL, which no database text column can store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _intent_id(session: dict) -> str:
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        return str(intent.get("id") or "")
    return str(intent or "")


def _locked(statement):
    """Re-read the row under FOR UPDATE (PostgreSQL) so racing deliveries queue up.

    A webhook and the return page often arrive together; the second then sees the first's
    result ("already_paid") instead of failing its compare-and-set. SQLite ignores the clause
    (it serialises writers anyway).
    """
    return db.session.scalar(statement.with_for_update().execution_options(populate_existing=True))


@dataclass
class _Located:
    """Our rows for a Checkout Session, found without changing anything.

    ``bind`` says the session id still has to be stored on the Payment; ``problem`` says why
    the session must not touch these rows at all (it names another order or payment, or asks
    for another amount), in which case nothing is written but an audit row.
    """

    order: Order | None = None
    payment: Payment | None = None
    bind: bool = False
    problem: str = ""


def _locate_session(session: dict) -> _Located:
    """Our Payment for a Checkout Session, cross-checked against everything the session says.

    Every check runs before any write: a session that names another order, another payment or
    another amount must not bind itself to a Payment, or the real session would be refused
    afterwards.
    """
    session_id = str(session.get("id") or "")
    if not session_id:
        return _Located()
    metadata = _metadata(session)
    payment = _locked(
        select(Payment).where(
            Payment.provider == PROVIDER, Payment.provider_reference == session_id
        )
    )
    bind = False
    if payment is None:
        # start() stored the session id but the request's commit was lost: the metadata, which
        # only we write and Stripe returns signed, still names the Payment.
        payment_id = _row_id(metadata.get("payment_id"))
        candidate = _locked(select(Payment).where(Payment.id == payment_id)) if payment_id else None
        if candidate is None or candidate.provider != PROVIDER:
            return _Located()
        if candidate.provider_reference not in (None, session_id):
            return _Located(candidate.order, candidate, problem="bound to another session")
        # Equal to ours: a concurrent delivery bound it while we waited for the row lock.
        payment = candidate
        bind = candidate.provider_reference is None
    order = payment.order
    named_order = _row_id(metadata.get("order_id"))
    if (named_order is not None and named_order != order.id) or (bind and named_order is None):
        return _Located(order, payment, problem=f"names order {metadata.get('order_id')!r}")
    named_payment = _row_id(metadata.get("payment_id"))
    if named_payment is not None and named_payment != payment.id:
        return _Located(order, payment, problem=f"names payment {metadata.get('payment_id')!r}")
    number = metadata.get("order_number")
    if number is not None and str(number) != order.number:
        return _Located(order, payment, problem=f"names order number {str(number)[:40]!r}")
    if bind and not _amount_matches(order, session):
        return _Located(order, payment, problem="amount or currency differ")
    return _Located(order, payment, bind=bind)


# --- applying a Checkout Session -----------------------------------------------------------


def _outcome(session: dict, event_type: str | None) -> str:
    """What the session says happened: paid, pending, failed, expired or still open."""
    if event_type == "checkout.session.async_payment_failed":
        return "failed"
    if event_type == "checkout.session.expired" or session.get("status") == "expired":
        return "expired"
    if session.get("status") == "open":
        return "open"
    if session.get("payment_status") == "paid":
        return "paid"
    # Complete but unpaid: a delayed method (bank debit, some wallets) is still clearing, unless
    # the expanded PaymentIntent (reconciliation) already shows it failed.
    intent = session.get("payment_intent")
    if isinstance(intent, dict) and intent.get("status") in FAILED_INTENT_STATUSES:
        return "failed"
    return "pending"


def _amount_matches(order: Order, session: dict) -> bool:
    currency = str(session.get("currency") or "").lower()
    return currency == CURRENCY and session.get("amount_total") == to_minor(order.total)


def apply_session(session: dict, *, event_type: str | None = None) -> str:
    """Bring our Payment and order in line with one Checkout Session; never commits.

    Raises ``InvalidTransition`` when someone else moved the rows first; callers roll back.
    """
    found = _locate_session(session)
    order, payment = found.order, found.payment
    session_id = str(session.get("id") or "")
    if payment is None or order is None:  # a problem always comes with both rows
        return UNKNOWN_PAYMENT
    if found.problem:
        log.error("stripe session %s refused: %s", session_id, found.problem)
        settlement.audit(
            None,
            "payment.mismatch",
            order.number,
            f"stripe {session_id[:80]} refused for payment {payment.id}: {found.problem}"[:500],
        )
        return MISMATCH
    if found.bind:
        payment.provider_reference = session_id
    note = f"stripe {session_id}"
    outcome = _outcome(session, event_type)
    if outcome == "open":
        return OPEN
    if outcome == "expired":
        if payment.status != PaymentStatus.UNPAID:
            return STALE
        transition(
            payment,
            PaymentStatus.FAILED,
            machine="payment",
            note=event_notes.coded("card_session_expired", ref=session_id),
        )
        return ABANDONED
    if outcome == "failed":
        if payment.status not in (PaymentStatus.UNPAID, PaymentStatus.PROCESSING):
            return STALE
        settlement.mark_failed(
            order, payment, note=event_notes.coded("card_payment_failed", ref=session_id)
        )
        return FAILED
    if not _amount_matches(order, session):
        settlement.audit(
            None,
            "payment.amount_mismatch",
            order.number,
            f"stripe {session_id}: {session.get('amount_total')} {session.get('currency')}, "
            f"expected {to_minor(order.total)} {CURRENCY}",
        )
        return AMOUNT_MISMATCH
    if outcome == "pending":
        if payment.status == PaymentStatus.PROCESSING:
            return ALREADY_PROCESSING
        if payment.status != PaymentStatus.UNPAID:
            return STALE
        settlement.mark_processing(
            order, payment, note=event_notes.coded("card_payment_clearing", ref=session_id)
        )
        return PROCESSING
    if payment.status == PaymentStatus.PAID:
        return ALREADY_PAID
    if payment.status in (PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED):
        return STALE
    if order.payment_status != PaymentStatus.PAID and not can_move(
        "payment", order.payment_status, PaymentStatus.PAID
    ):
        # E.g. a second session paid after the order's first payment was refunded: settle_paid
        # would fail on the order's payment status and the money would go unrecorded.
        transition(payment, PaymentStatus.PAID, machine="payment", note=note)
        payment.provider_payment_id = _intent_id(session)
        settlement.audit(
            None,
            "payment.after_close",
            order.number,
            f"stripe paid {order.total} while payment was {order.payment_status}: refund it",
        )
        _apply_parked(payment)
        return PAID_AFTER_CLOSE
    was_open = order.status == OrderStatus.AWAITING_PAYMENT
    settlement.settle_paid(
        order,
        payment,
        amount=from_minor(session["amount_total"]),
        provider_payment_id=_intent_id(session),
        note=note,
    )
    _apply_parked(payment)
    return PAID if was_open else PAID_AFTER_CLOSE


def _apply_and_commit(session: dict, *, order_id: int | None = None) -> str:
    """One session, one transaction (the return page and reconciliation, which have no event).

    A lost compare-and-set is retried once on fresh rows, as for events.
    """
    for attempt in range(2):
        try:
            if order_id is not None:
                payment = _locate_session(session).payment
                if payment is None or payment.order_id != order_id:
                    db.session.rollback()
                    return UNKNOWN_PAYMENT
            result = apply_session(session)
            db.session.commit()
            return result
        except (InvalidTransition, IntegrityError):
            db.session.rollback()
            if attempt:
                return STALE
        except Exception:
            db.session.rollback()
            raise
    return STALE  # not reached: the loop returns on its second pass


# --- refunds -------------------------------------------------------------------------------


class NotYet(Exception):
    """The event belongs to a payment that is not settled here yet: park it, apply it later."""


def _charge_intent(charge: dict) -> str:
    intent = charge.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    return str(intent_id or "")


def _on_charge_refunded(event_type: str, charge: dict) -> str:
    """Record money Stripe says went back, unless we already recorded it ourselves.

    ``amount_refunded`` is cumulative, so it is compared with what we hold rather than added:
    a refund made through ``settlement.refund_amount`` (already counted) or a redelivery can
    never count twice. What is left was refunded outside the platform (Stripe's dashboard):
    the shop parts still to be sent go on hold and an admin decides what it was for.

    A refund can arrive before the payment it belongs to is settled here (Stripe does not keep
    the order of its deliveries): ``NotYet`` parks it, and settling the payment applies it.
    """
    intent_id = _charge_intent(charge)
    if not intent_id:
        return UNKNOWN_PAYMENT
    payment = _locked(
        select(Payment).where(
            Payment.provider == PROVIDER, Payment.provider_payment_id == intent_id
        )
    )
    if payment is None or payment.status in (PaymentStatus.UNPAID, PaymentStatus.PROCESSING):
        raise NotYet(f"no settled payment for {intent_id}")
    order = payment.order
    if str(charge.get("currency") or "").lower() != CURRENCY:
        return AMOUNT_MISMATCH
    refunded = min(payment.amount, from_minor(_int(charge.get("amount_refunded")) or 0))
    if refunded <= payment.refunded_amount:
        return ALREADY_RECORDED
    if payment.status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
        return STALE
    added = refunded - payment.refunded_amount
    target = (
        PaymentStatus.REFUNDED if refunded >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    )
    note = event_notes.coded("card_refunded", ref=charge.get("id", ""), amount=refunded)
    payment.refunded_amount = refunded
    transition(payment, target, machine="payment", note=note)
    if order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
        transition(order, target, machine="payment", field="payment_status", note=note)
    held = settlement.hold_for_refund(order, payment, added, note=note)
    settlement.audit(
        None,
        "refund.provider",
        order.number,
        f"Stripe refunded Rp {added} not recorded here (Rp {refunded} in total): "
        + (f"{held} shop part(s) on hold for review" if held is not None else "nothing credited"),
    )
    return REFUNDED


# --- events --------------------------------------------------------------------------------


def _on_session(event_type: str, session: dict) -> str:
    return apply_session(session, event_type=event_type)


HANDLERS: dict[str, Callable[[str, dict], str]] = {
    "checkout.session.completed": _on_session,
    "checkout.session.async_payment_succeeded": _on_session,
    "checkout.session.async_payment_failed": _on_session,
    "checkout.session.expired": _on_session,
    # Cumulative, so safe to apply in any order and more than once. ``refund.created`` is left
    # out on purpose: it carries one refund's amount, and counting both would count twice.
    "charge.refunded": _on_charge_refunded,
}


def _parts(event: dict) -> tuple[str, str, dict]:
    event_id = event.get("id") if isinstance(event, dict) else None
    event_type = event.get("type") if isinstance(event, dict) else None
    data = event.get("data") if isinstance(event, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not (
        isinstance(event_id, str)
        and event_id
        and isinstance(event_type, str)
        and isinstance(obj, dict)
    ):
        raise MalformedEvent("not a Stripe event")
    if _has_nul(event):
        raise MalformedEvent("not a Stripe event: NUL character")
    return event_id[:255], event_type[:80], obj


def _record(event_id: str, event_type: str, obj: dict, event: dict) -> PaymentEvent:
    record = PaymentEvent(
        provider=PROVIDER,
        event_id=event_id,
        type=event_type,
        object_id=str(obj.get("id") or "")[:255],
        payload=json.dumps(event, separators=(",", ":"), sort_keys=True, default=str),
        created=_timestamp(event.get("created")),
    )
    db.session.add(record)
    return record


def _seen(event_id: str) -> bool:
    return (
        db.session.scalar(
            select(PaymentEvent.id).where(
                PaymentEvent.provider == PROVIDER, PaymentEvent.event_id == event_id
            )
        )
        is not None
    )


def _finish(record_id: int, result: str, *, parked: bool = False) -> bool:
    """Mark the event processed (or parked) unless someone else already did: compare-and-set.

    This UPDATE commits with the event's effects, so of two workers applying the same event
    (a redelivery racing reconciliation) only one keeps its effects; the other rolls back.
    """
    done = db.session.execute(
        update(PaymentEvent)
        .where(PaymentEvent.id == record_id, PaymentEvent.processed_at.is_(None))
        .values(result=result, processed_at=None if parked else utcnow())
        .execution_options(synchronize_session=False)
    )
    # An UPDATE or DELETE gives a CursorResult; the session's stubs say Result.
    return done.rowcount == 1  # type: ignore[attr-defined]


def _process(record_id: int, event_type: str, obj: dict) -> str:
    """Apply a recorded, unprocessed event; its effects and its "processed" mark land together.

    A lost compare-and-set (another delivery moved the rows first) is retried once on fresh
    rows, so a racing duplicate converges on "already paid" instead of being written off; an
    event whose payment is not settled yet is parked, never finalised.
    """
    handler = HANDLERS.get(event_type)
    for attempt in range(2):
        try:
            result = handler(event_type, obj) if handler else IGNORED
            if not _finish(record_id, result):
                db.session.rollback()
                return DUPLICATE
            db.session.commit()
            return result
        except NotYet as exc:
            db.session.rollback()
            log.info("stripe event %s parked: %s", record_id, exc)
            _finish(record_id, PARKED, parked=True)
            db.session.commit()
            return PARKED
        except (InvalidTransition, IntegrityError) as exc:
            # Someone moved the rows first: drop our half-applied change and look again.
            db.session.rollback()
            log.info("stripe event %s (%s) lost a race: %s", record_id, event_type, exc)
            if attempt == 0:
                continue
        except Exception:
            db.session.rollback()
            raise
    if not _finish(record_id, STALE):
        db.session.rollback()
        return DUPLICATE
    db.session.commit()
    return STALE


def _unprocessed(event_id: str) -> int | None:
    return db.session.scalar(
        select(PaymentEvent.id).where(
            PaymentEvent.provider == PROVIDER,
            PaymentEvent.event_id == event_id,
            PaymentEvent.processed_at.is_(None),
        )
    )


def handle_event(event: dict) -> str:
    """Apply one verified Stripe event exactly once; returns the result label.

    The receipt is committed first, on its own: a concurrent delivery of the same id then fails
    on the unique constraint, and an event that could not be applied (its payment not settled
    yet, or the worker died) stays on record, unprocessed, for the next delivery, the payment's
    settlement or ``payments reconcile`` to apply. A redelivery of a processed event changes
    nothing and answers "duplicate".
    """
    event_id, event_type, obj = _parts(event)
    if not _seen(event_id):
        _record(event_id, event_type, obj, event)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    record_id = _unprocessed(event_id)
    if record_id is None:
        return DUPLICATE
    return _process(record_id, event_type, obj)


def _stored_object(payload: str) -> tuple[str, dict] | None:
    try:
        _, event_type, obj = _parts(json.loads(payload))
    except (ValueError, MalformedEvent):
        return None
    return event_type, obj


def _apply_parked(payment: Payment) -> None:
    """Refunds that arrived before this payment settled: apply them now, in its transaction."""
    intent_id = payment.provider_payment_id
    if not intent_id:
        return
    # Only a refund is ever parked (``NotYet`` comes from the charge handler alone).
    rows = db.session.execute(
        select(PaymentEvent.id, PaymentEvent.payload)
        .where(
            PaymentEvent.provider == PROVIDER,
            PaymentEvent.processed_at.is_(None),
            PaymentEvent.result == PARKED,
            PaymentEvent.type == "charge.refunded",
        )
        .order_by(PaymentEvent.created, PaymentEvent.id)
    ).all()
    for record_id, payload in rows:
        stored = _stored_object(payload)
        if stored is None or _charge_intent(stored[1]) != intent_id:
            continue
        event_type, obj = stored
        try:
            result = HANDLERS[event_type](event_type, obj)
        except NotYet:
            continue
        _finish(record_id, result)


def retry_unprocessed() -> tuple[int, int]:
    """Apply every recorded event still unprocessed (parked, or its worker died); each commits.

    Returns (applied, still waiting).
    """
    rows = db.session.execute(
        select(PaymentEvent.id, PaymentEvent.payload)
        .where(PaymentEvent.provider == PROVIDER, PaymentEvent.processed_at.is_(None))
        .order_by(PaymentEvent.created, PaymentEvent.id)
    ).all()
    db.session.rollback()
    applied = waiting = 0
    for record_id, payload in rows:
        stored = _stored_object(payload)
        if stored is None:
            _finish(record_id, IGNORED)
            db.session.commit()
            continue
        result = _process(record_id, *stored)
        if result == PARKED:
            waiting += 1
        elif result != DUPLICATE:
            applied += 1
    return applied, waiting


def fulfil_from_return(session_id: str, order: Order | None = None) -> str:
    """The buyer is back from Stripe: ask Stripe directly and apply what it says.

    The session id comes from the URL, so it proves nothing by itself; the session is fetched
    from Stripe and, when ``order`` is given, must belong to it. Returns "unavailable" when
    Stripe cannot be reached (the page then shows "confirming"; the webhook will follow).
    """
    from orders.payments import provider_for

    try:
        session = cast(StripeProvider, provider_for(PROVIDER)).retrieve_session(session_id)
    except PaymentError:
        return UNAVAILABLE
    return _apply_and_commit(session, order_id=order.id if order is not None else None)


# --- reconciliation ------------------------------------------------------------------------


@dataclass
class ReconcileReport:
    events_seen: int = 0
    events_applied: int = 0
    events_duplicate: int = 0
    events_waiting: int = 0
    sessions_checked: int = 0
    sessions_changed: int = 0
    errors: int = 0


def reconcile(since_hours: int = 72) -> ReconcileReport:
    """Re-apply what webhooks may have missed; safe to run twice or beside live webhooks.

    Events first, oldest first: they carry what a session alone cannot show (a refund, the
    order of a failure and a success). Then every Stripe payment still unpaid or clearing is
    checked against its session; each event and each session commits on its own.
    """
    from orders.payments import provider_for

    provider = cast(StripeProvider, provider_for(PROVIDER))
    report = ReconcileReport()
    cutoff = utcnow() - timedelta(hours=since_hours)

    try:
        events = sorted(
            provider.list_events(int(cutoff.timestamp()), types=sorted(HANDLERS)),
            key=lambda e: (_timestamp(e.get("created")), str(e.get("id"))),
        )
    except PaymentError:
        report.errors += 1
        events = []
    for event in events:
        report.events_seen += 1
        try:
            result = handle_event(event)
        except MalformedEvent:
            report.errors += 1
            continue
        if result == DUPLICATE:
            report.events_duplicate += 1
        elif result != PARKED:
            report.events_applied += 1
    # Parked events (a refund that came before its payment) and any a worker left half done.
    applied, report.events_waiting = retry_unprocessed()
    report.events_applied += applied

    waiting = (PaymentStatus.UNPAID.value, PaymentStatus.PROCESSING.value)
    payment_ids = list(
        db.session.scalars(
            select(Payment.id)
            .join(Order, Order.id == Payment.order_id)
            .where(
                Payment.provider == PROVIDER,
                Payment.provider_reference.is_not(None),
                Payment.status.in_(waiting),
                or_(
                    Order.status == OrderStatus.AWAITING_PAYMENT.value,
                    Payment.created_at >= cutoff,  # paid late for an order that has closed
                ),
            )
            .order_by(Payment.id)
        )
    )
    for payment_id in payment_ids:
        payment = db.session.get(Payment, payment_id)
        if payment is None or payment.status not in waiting:
            continue  # an event above settled it
        reference = payment.provider_reference or ""  # never empty: selected above
        db.session.rollback()  # no transaction held open while Stripe answers
        try:
            session = provider.retrieve_session(reference)
        except PaymentError:
            report.errors += 1
            continue
        report.sessions_checked += 1
        if _apply_and_commit(session) in CHANGED:
            report.sessions_changed += 1
    return report
