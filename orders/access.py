"""Who may see an order: its buyer, or whoever holds its signed guest link.

Guests check out without an account, so their order page is reached through a link signed with
the app's secret (sent in the confirmation e-mail and remembered in their session). Anyone else
asking for an order number gets 404, the same as a number that does not exist.

The link is the guest's only key, so it must keep working for as long as the order needs them
(paying, confirming receipt, reviewing), but an e-mail forwarded or left on a shared phone should
not open someone's address forever: guest access ends ``GUEST_LINK_DAYS`` after the order closed
(completed, cancelled or expired). While the order is open it always works.
"""

from __future__ import annotations

import enum
from collections.abc import MutableMapping
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from marketplace.auth.models import as_utc, utcnow
from marketplace.extensions import db
from orders.models import Order, OrderEvent
from orders.states import OrderStatus

SESSION_KEY = "guest_orders"
CLOSED = (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.EXPIRED)


class Access(enum.Enum):
    """What a request may do with an order it names."""

    NONE = "none"  # no such order, or nothing proves the right to it: answer 404
    BUYER = "buyer"  # the logged-in buyer of an account order
    GUEST = "guest"  # a guest order opened with its link (or from the session that placed it)
    EXPIRED = "expired"  # a genuine guest link whose time is over: say so, show nothing
    JOINED = "joined"  # a genuine guest link of an order since joined to an account: log in


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-guest-link")


def guest_token(order: Order) -> str:
    return _serializer().dumps(order.number)


def token_matches(order: Order, token: str | None) -> bool:
    if not token or len(token) > 200:
        return False
    try:
        return _serializer().loads(token) == order.number
    except BadSignature:
        return False


def remember_guest_order(session: MutableMapping, order: Order) -> None:
    numbers = list(session.get(SESSION_KEY, []))[-9:]
    session[SESSION_KEY] = [*numbers, order.number]


def find_order(number: str) -> Order | None:
    if not number or len(number) > 20:
        return None
    return db.session.scalar(select(Order).where(Order.number == number))


def closed_at(order: Order) -> datetime | None:
    """When the order reached its final status (None while it is open).

    Read from the order's timeline, which records every status change, so no column has to be
    kept in step with it.
    """
    if order.status not in CLOSED:
        return None
    moment = db.session.scalar(
        select(func.max(OrderEvent.created_at)).where(
            OrderEvent.order_id == order.id,
            OrderEvent.machine == "order",
            OrderEvent.to_status.in_([s.value for s in CLOSED]),
        )
    )
    return as_utc(moment or order.created_at)


def guest_link_expired(order: Order, now: datetime | None = None) -> bool:
    closed = closed_at(order)
    if closed is None:
        return False
    days = current_app.config["GUEST_LINK_DAYS"]
    return (now or utcnow()) >= closed + timedelta(days=days)


def order_access(
    number: str, user, session: MutableMapping, token: str | None
) -> tuple[Order | None, Access]:
    """The order and what the request may do with it; ``(None, NONE)`` means 404.

    A token signed for another order number never matches, so a link of order A cannot act on
    order B. Only a genuine link learns that its order expired or moved into an account.
    """
    order = find_order(number)
    if order is None:
        return None, Access.NONE
    if order.can_view(user):
        return order, Access.BUYER
    # The guest's key: the signed link, or the session of the browser that placed the order.
    holds_key = token_matches(order, token) or number in session.get(SESSION_KEY, [])
    if not holds_key:
        return None, Access.NONE
    if order.buyer_id is not None:
        return order, Access.JOINED
    if guest_link_expired(order):
        return order, Access.EXPIRED
    return order, Access.GUEST


def orders_for_buyer(user, limit: int = 50) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.buyer_id == user.id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
