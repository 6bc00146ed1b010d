"""Guest orders join the account of whoever proves they own the order's e-mail address.

An account's address is not verified when it is made, so having the same address as a guest
order proves nothing: anybody could register with someone else's address and read their
orders. The account holder is instead sent a signed, expiring link *to that address*;
following it while logged in to that very account moves the guest orders (and any reviews
written through their links) into the account. Asking for the link is limited to once a day,
so the address's owner is not flooded by someone else's account.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from marketplace.audit import AuditEvent
from marketplace.auth.models import as_utc, utcnow
from marketplace.extensions import db
from orders import emails, settlement
from orders.fulfilment import mail_after_commit
from orders.models import Order, OrderItem, Review, SellerOrder

SENT = "orders.join_link_sent"
JOINED = "orders.guest_orders_joined"
RESEND_AFTER = timedelta(days=1)


class SendResult(enum.Enum):
    SENT = "sent"
    TOO_SOON = "too_soon"  # a link went out less than a day ago
    NOTHING = "nothing"  # no guest orders with this address wait to join


class JoinResult(enum.Enum):
    JOINED = "joined"
    NOTHING = "nothing"  # a genuine link, but every order has joined already
    INVALID = "invalid"  # forged, damaged or cut short
    EXPIRED = "expired"
    OTHER_ACCOUNT = "other_account"  # signed for another account, or its address changed


@dataclass
class Joined:
    result: JoinResult
    numbers: list[str] = field(default_factory=list)


def _address(user) -> str:
    return (user.email or "").strip().lower()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="order-guest-join")


def _waiting(email: str):
    return select(Order.id).where(Order.buyer_id.is_(None), Order.email == email)


def waiting_count(user) -> int:
    """How many guest orders were placed with the user's address and have not joined yet."""
    if user is None or not getattr(user, "is_authenticated", False) or not _address(user):
        return 0
    return (
        db.session.scalar(select(func.count()).select_from(_waiting(_address(user)).subquery()))
        or 0
    )


def _last_sent(user):
    moment = db.session.scalar(
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.action == SENT, AuditEvent.actor_id == user.id
        )
    )
    return as_utc(moment) if moment is not None else None


def join_token(user) -> str:
    return _serializer().dumps({"u": user.id, "e": _address(user)})


def send_join_link(user) -> SendResult:
    """E-mail the link that joins the waiting guest orders, at most once a day; one commit."""
    count = waiting_count(user)
    if not count:
        return SendResult.NOTHING
    last = _last_sent(user)
    if last is not None and utcnow() - last < RESEND_AFTER:
        return SendResult.TOO_SOON
    address = _address(user)
    link = emails.join_orders_url(join_token(user))
    hours = current_app.config["GUEST_JOIN_LINK_HOURS"]
    settlement.audit(user.id, SENT, address[:120], f"{count} guest orders")
    mail_after_commit(
        address,
        user.locale,
        lambda: (
            _("Add your earlier orders to your Migrant Mart account"),
            "\n".join(
                [
                    ngettext(
                        "You placed %(num)d order on Migrant Mart without an account, with "
                        "this e-mail address.",
                        "You placed %(num)d orders on Migrant Mart without an account, with "
                        "this e-mail address.",
                        count,
                    ),
                    _(
                        "To see those orders under My orders, open this link while you are "
                        "logged in (it works for %(hours)s hours):",
                        hours=hours,
                    ),
                    link,
                    "",
                    _("If you did not ask for this, you can ignore this e-mail."),
                ]
            ),
        ),
    )
    db.session.commit()
    return SendResult.SENT


def offer_at_login(user) -> None:
    """Send the join link as ``user`` logs in; logging in never fails because of it.

    A database error is logged and its work rolled back: the link can be asked for again from
    My orders.
    """
    try:
        send_join_link(user)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("could not offer to join guest orders for user %s", user.id)


def join_orders(user, token: str) -> Joined:
    """Follow the e-mailed link as ``user``: their waiting guest orders become theirs.

    Only the account the link was sent for, still with the same address, can use it; anything
    else changes nothing. Orders are moved with one ``UPDATE … WHERE buyer_id IS NULL``, so an
    order can never be taken from an account that already has it.
    """
    max_age = current_app.config["GUEST_JOIN_LINK_HOURS"] * 3600
    try:
        payload = _serializer().loads(token or "", max_age=max_age)
    except SignatureExpired:
        return Joined(JoinResult.EXPIRED)
    except BadSignature:
        return Joined(JoinResult.INVALID)
    if not isinstance(payload, dict):
        return Joined(JoinResult.INVALID)
    if payload.get("u") != user.id or payload.get("e") != _address(user):
        return Joined(JoinResult.OTHER_ACCOUNT)
    email = payload["e"]
    numbers = list(
        db.session.scalars(
            select(Order.number)
            .where(Order.buyer_id.is_(None), Order.email == email)
            .order_by(Order.id)
        )
    )
    if not numbers:
        return Joined(JoinResult.NOTHING)
    try:
        # An UPDATE or DELETE gives a CursorResult; the session's stubs say Result.
        moved = db.session.execute(  # type: ignore[attr-defined]
            update(Order)
            .where(Order.buyer_id.is_(None), Order.email == email, Order.number.in_(numbers))
            .values(buyer_id=user.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        items = (
            select(OrderItem.id)
            .join(SellerOrder, OrderItem.seller_order_id == SellerOrder.id)
            .join(Order, SellerOrder.order_id == Order.id)
            .where(Order.buyer_id == user.id)
        )
        db.session.execute(
            update(Review)
            .where(Review.buyer_id.is_(None), Review.order_item_id.in_(items))
            .values(buyer_id=user.id)
            .execution_options(synchronize_session=False)
        )
        settlement.audit(user.id, JOINED, email[:120], " ".join(numbers)[:500])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if not moved:
        return Joined(JoinResult.NOTHING)
    return Joined(JoinResult.JOINED, numbers)
