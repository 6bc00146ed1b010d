"""Who may see an order: its buyer, or whoever holds its signed guest link.

Guests check out without an account, so their order page is reached through a link signed with
the app's secret (sent in the confirmation e-mail and remembered in their session). Anyone else
asking for an order number gets 404, the same as a number that does not exist.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from marketplace.extensions import db
from orders.models import Order

SESSION_KEY = "guest_orders"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-guest-link")


def guest_token(order: Order) -> str:
    return _serializer().dumps(order.number)


def token_matches(order: Order, token: str | None) -> bool:
    if not token:
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


def visible_order(number: str, user, session: MutableMapping, token: str | None) -> Order | None:
    order = find_order(number)
    if order is None:
        return None
    if order.can_view(user):
        return order
    if order.buyer_id is None and (
        number in session.get(SESSION_KEY, []) or token_matches(order, token)
    ):
        return order
    return None


def orders_for_buyer(user, limit: int = 50) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.buyer_id == user.id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
