"""Order, fulfilment and payment states as data (DESIGN §4.6).

Each machine is an enum plus a table of allowed moves. ``transition`` is the one way a status
changes: a compare-and-set UPDATE (``WHERE status = <the status we saw>``) so two workers, two
webhook deliveries or a cron job racing a click can never both apply the same move, and an
event row records every change. Late or repeated signals therefore never move anything backwards.
"""

from __future__ import annotations

import enum

from sqlalchemy import update

from marketplace.errors import DomainError
from marketplace.extensions import db


class InvalidTransition(DomainError):
    """The move is not in the table, or someone else moved the row first."""


class OrderStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PaymentStatus(enum.StrEnum):
    UNPAID = "unpaid"
    PROCESSING = "processing"  # receipt uploaded, or a card payment still clearing
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class FulfilmentStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    NEW = "new"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    # Money went back to the buyer outside the platform (Stripe's dashboard): nothing may be
    # packed or shipped until an admin decides what the refund was for.
    ON_HOLD = "on_hold"


ORDER_TRANSITIONS: dict[OrderStatus, set[OrderStatus]] = {
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED},
    OrderStatus.PAID: {OrderStatus.COMPLETED, OrderStatus.CANCELLED},
    OrderStatus.COMPLETED: set(),
    OrderStatus.CANCELLED: set(),
    OrderStatus.EXPIRED: set(),
}

PAYMENT_TRANSITIONS: dict[PaymentStatus, set[PaymentStatus]] = {
    PaymentStatus.UNPAID: {PaymentStatus.PROCESSING, PaymentStatus.PAID, PaymentStatus.FAILED},
    PaymentStatus.PROCESSING: {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.UNPAID},
    PaymentStatus.FAILED: {PaymentStatus.PROCESSING, PaymentStatus.PAID},
    PaymentStatus.PAID: {PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED},
    PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED},
    PaymentStatus.REFUNDED: set(),
}

FULFILMENT_TRANSITIONS: dict[FulfilmentStatus, set[FulfilmentStatus]] = {
    FulfilmentStatus.AWAITING_PAYMENT: {FulfilmentStatus.NEW, FulfilmentStatus.CANCELLED},
    FulfilmentStatus.NEW: {
        FulfilmentStatus.PACKED,
        FulfilmentStatus.SHIPPED,
        FulfilmentStatus.CANCELLED,
        FulfilmentStatus.ON_HOLD,
    },
    FulfilmentStatus.PACKED: {
        FulfilmentStatus.SHIPPED,
        FulfilmentStatus.CANCELLED,
        FulfilmentStatus.ON_HOLD,
    },
    # Released to "new" (never straight to packed or shipped): the seller's own buttons, which
    # start from "new", stay the only way forward.
    FulfilmentStatus.ON_HOLD: {FulfilmentStatus.NEW, FulfilmentStatus.CANCELLED},
    FulfilmentStatus.SHIPPED: {FulfilmentStatus.DELIVERED},
    FulfilmentStatus.DELIVERED: set(),
    FulfilmentStatus.CANCELLED: set(),
}

MACHINES: dict[str, tuple[type[enum.StrEnum], dict]] = {
    "order": (OrderStatus, ORDER_TRANSITIONS),
    "payment": (PaymentStatus, PAYMENT_TRANSITIONS),
    "fulfilment": (FulfilmentStatus, FULFILMENT_TRANSITIONS),
}


def can_move(machine: str, current: str, target: str) -> bool:
    enum_type, table = MACHINES[machine]
    return enum_type(target) in table[enum_type(current)]


def transition(
    obj,
    target: enum.StrEnum,
    *,
    machine: str,
    field: str = "status",
    note: str = "",
    actor_id: int | None = None,
    record: bool = True,
) -> None:
    """Move ``obj.<field>`` to ``target`` if the table allows it and nobody moved it first.

    ``record=False`` skips the timeline row: for an order's ``payment_status`` mirroring a
    payment whose own transition has just recorded the very same step.

    Does not commit: the caller's use case owns the transaction, so the status change, its event
    and its side effects (stock, ledger) land together or not at all.
    """
    from orders.models import OrderEvent, SellerOrder

    current = getattr(obj, field)
    if not can_move(machine, current, target):
        raise InvalidTransition(f"{machine}: {current} → {target}")
    model = type(obj)
    column = getattr(model, field)
    result = db.session.execute(
        update(model)
        .where(model.id == obj.id, column == current)
        .values({field: target.value})
        .execution_options(synchronize_session=False)
    )
    # An UPDATE or DELETE gives a CursorResult; the session's stubs say Result.
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition(f"{machine}: {current} → {target} (changed meanwhile)")
    db.session.expire(obj, [field])
    if not record:
        return
    order_id = obj.order_id if isinstance(obj, SellerOrder) else getattr(obj, "order_id", obj.id)
    db.session.add(
        OrderEvent(
            order_id=order_id,
            seller_order_id=obj.id if isinstance(obj, SellerOrder) else None,
            machine=machine,
            from_status=current,
            to_status=target.value,
            note=note[:300],
            actor_id=actor_id,
        )
    )
