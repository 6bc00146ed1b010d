"""Packing, shipping, cancelling and receiving: the seller's and buyer's order use cases.

Each function is one use case and commits once (DESIGN §4.5); the status moves themselves go
through ``orders.settlement`` / ``orders.states.transition`` (compare-and-set), so a double
click or two tabs apply a move once and the loser gets a ``FulfilmentError`` with a message it
can show. On any error the transaction is rolled back, so a refused action changes nothing.
E-mails are scheduled with ``notifications.after_commit``: nobody hears of a change that was
rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from marketplace.auth.models import utcnow
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.i18n import format_rupiah
from orders import event_notes, notifications, settlement
from orders.emails import order_url
from orders.labels import COURIERS, FULFILMENT_STATUS
from orders.models import Order, PaymentMethod, SellerOrder
from orders.states import (
    FulfilmentStatus,
    InvalidTransition,
    OrderStatus,
    PaymentStatus,
    transition,
)

TRACKING_RE = re.compile(r"[A-Za-z0-9-]{6,40}")
REASON_MAX = 300  # an order event's note holds 300 characters
SELLER_CANCELLABLE = {FulfilmentStatus.NEW, FulfilmentStatus.PACKED}
LIST_LIMIT = 200


class FulfilmentError(DomainError):
    """A refused order action: ``code`` for code, ``message`` for the person who tried it."""

    def __init__(self, code: str, message) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


# --- reading ---------------------------------------------------------------------------------


def _seller_parts_query(seller):
    """Parts of paid orders only: before payment a seller must not ship, nor see the address,
    and an order that was never paid (expired, cancelled unpaid) is none of their business."""
    return (
        select(SellerOrder)
        .join(SellerOrder.order)
        .where(SellerOrder.seller_id == seller.id, Order.paid_at.is_not(None))
    )


def parts_for_seller(seller, status=None, limit: int = LIST_LIMIT) -> list[SellerOrder]:
    """The seller's order parts, optionally of one status (or several).

    Work still to do (new, packed) comes oldest first, so the longest-waiting buyer is served
    first; finished work comes newest first.
    """
    query = _seller_parts_query(seller).options(contains_eager(SellerOrder.order))
    statuses = _status_values(status)
    if statuses:
        query = query.where(SellerOrder.status.in_(statuses))
    todo = statuses and set(statuses) <= {FulfilmentStatus.NEW, FulfilmentStatus.PACKED}
    if todo:
        query = query.order_by(Order.paid_at.asc(), SellerOrder.id.asc())
    else:
        query = query.order_by(Order.paid_at.desc(), SellerOrder.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def part_counts(seller) -> dict[str, int]:
    """How many parts the seller has per fulfilment status (for the tab badges)."""
    rows = db.session.execute(
        _seller_parts_query(seller)
        .with_only_columns(SellerOrder.status, func.count(SellerOrder.id))
        .group_by(SellerOrder.status)
    )
    return {status: count for status, count in rows}


def _status_values(status) -> list[str]:
    if status is None:
        return []
    if isinstance(status, str):
        return [FulfilmentStatus(status).value]
    return [FulfilmentStatus(s).value for s in status]


def get_part_for_seller(seller, part_id: int) -> SellerOrder:
    """The seller's own part of a paid order; anything else is "not found", never a peek."""
    part = db.session.get(SellerOrder, part_id)
    if part is None or seller is None or part.seller_id != seller.id or part.order.paid_at is None:
        raise NotFound(f"seller order {part_id}")
    return part


def recent_orders(
    status: str | None = None, limit: int = 100, *, practice: bool = False
) -> list[Order]:
    """The newest orders for the back office, optionally of one order status.

    Workshops' practice orders are left out, so they never swell the figures operators read
    off this list; ``practice=True`` lists only them instead (each marked on the page).
    """
    which = Order.practice_workshop_id.is_not(None) if practice else None
    query = (
        select(Order)
        .options(selectinload(Order.payments))
        .where(which if which is not None else Order.practice_workshop_id.is_(None))
    )
    if status:
        query = query.where(Order.status == OrderStatus(status).value)
    return list(db.session.scalars(query.order_by(Order.id.desc()).limit(limit)))


# --- plumbing ----------------------------------------------------------------------------------


@contextmanager
def _use_case() -> Iterator[None]:
    """One commit on success; on any error roll back so the refused action leaves no trace."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def mail_after_commit(to: str, locale: str | None, compose: Callable[[], tuple[str, str]]):
    """Compose a message in the recipient's language now; send it once the commit lands.

    ``compose`` runs here, while the session can still load what the text needs; only the
    finished strings travel to the after-commit hook (which cannot touch the database).
    """
    if not to:
        return
    with force_locale(locale or "id"):
        subject, body = compose()
    notifications.after_commit(notifications.send_mail, to, str(subject), str(body))


def _refused(code: str, message: Callable, part: SellerOrder) -> FulfilmentError:
    """Build the error after a rollback, so the message names the status as it now stands.

    ``message(status=…)`` returns a lazy string: it is translated when shown, in the language
    of whoever reads it, and services stay usable outside a request.
    """
    db.session.rollback()
    # StrEnum keys: the stored string finds its member's label.
    label = FULFILMENT_STATUS.get(part.status, part.status)  # type: ignore[call-overload]
    return FulfilmentError(code, message(status=label))


def _cannot_cancel(**kw):
    return _l("This order can't be cancelled any more: it is %(status)s.", **kw)


def _check_seller(part: SellerOrder, actor) -> None:
    if _actor_id(actor) is None or part.seller.owner_id != actor.id:
        raise NotFound(f"seller order {part.id}")


def _actor_id(user) -> int | None:
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def _check_buyer(order: Order, buyer) -> None:
    """Only the buyer may act on an account order; a guest order's link was checked upstream."""
    if order.buyer_id is None:
        return
    if _actor_id(buyer) != order.buyer_id:
        raise NotFound(f"order {order.number}")


# --- seller use cases -------------------------------------------------------------------------


def mark_packed(part: SellerOrder, actor) -> None:
    _check_seller(part, actor)
    try:
        with _use_case():
            transition(part, FulfilmentStatus.PACKED, machine="fulfilment", actor_id=actor.id)
    except InvalidTransition:
        raise _refused(
            "not_allowed",
            lambda **kw: _l(
                "Only a new order can be marked as packed. This one is: %(status)s.", **kw
            ),
            part,
        ) from None


def clean_tracking_number(value: str | None) -> str:
    return (value or "").strip()


def valid_tracking_number(value: str) -> bool:
    return TRACKING_RE.fullmatch(value) is not None


def mark_shipped(part: SellerOrder, actor, courier: str, tracking_number: str) -> None:
    """Record the courier and receipt number (resi) the buyer needs to follow the parcel."""
    _check_seller(part, actor)
    courier = (courier or "").strip()
    tracking = clean_tracking_number(tracking_number)
    if courier not in COURIERS:
        raise FulfilmentError("courier", _l("Choose the courier from the list."))
    if not valid_tracking_number(tracking):
        raise FulfilmentError(
            "tracking",
            _l("A tracking number has 6 to 40 letters, digits or dashes, without spaces."),
        )
    try:
        with _use_case():
            transition(
                part,
                FulfilmentStatus.SHIPPED,
                machine="fulfilment",
                actor_id=actor.id,
                note=f"{courier} {tracking}",
            )
            part.courier = courier
            part.tracking_number = tracking
            part.shipped_at = utcnow()
            order = part.order
            shop = part.seller.shop_name
            items = _item_lines(part)
            link = order_url(order)
            mail_after_commit(
                order.email,
                order.locale,
                lambda: (
                    _("Your order %(number)s is on its way", number=order.number),
                    "\n".join(
                        [
                            _("%(shop)s has shipped your package.", shop=shop),
                            items,
                            "",
                            _("Courier: %(courier)s", courier=courier),
                            _("Tracking number (resi): %(tracking)s", tracking=tracking),
                            "",
                            _(
                                "When it arrives, please confirm on your order page: %(url)s",
                                url=link,
                            ),
                        ]
                    ),
                ),
            )
    except InvalidTransition:
        raise _refused(
            "not_allowed",
            lambda **kw: _l("This order can't be shipped: it is %(status)s.", **kw),
            part,
        ) from None


def seller_cancel(part: SellerOrder, actor, reason: str) -> None:
    """The seller can't deliver (sold out, can't reach the courier): only before it ships.

    ``settlement.cancel_part`` puts the stock back, debits the ledger and refunds the buyer (a
    card refund, or an audit row telling the team to transfer the money back).
    """
    _check_seller(part, actor)
    reason = " ".join((reason or "").split())
    if not reason:
        raise FulfilmentError("reason", _l("Tell the buyer why you cancel."))
    if len(reason) > REASON_MAX:
        raise FulfilmentError(
            "reason", _l("Please keep the reason under %(n)s characters.", n=REASON_MAX)
        )
    if FulfilmentStatus(part.status) not in SELLER_CANCELLABLE:
        raise _refused("not_allowed", _cannot_cancel, part)
    try:
        with _use_case():
            order = part.order
            settlement.cancel_part(part, actor_id=actor.id, reason=reason)
            _mail_buyer_part_cancelled(order, part, reason)
            _mail_seller_part_cancelled(order, part, reason, by_buyer=False)
    except InvalidTransition:
        raise _refused("not_allowed", _cannot_cancel, part) from None


# --- buyer use cases --------------------------------------------------------------------------


def confirm_received(order: Order, buyer, part_id: int | None = None) -> int:
    """The buyer says the parcels arrived: shipped parts are delivered; returns how many.

    Each shop ships its own parcel, which may arrive days apart, so ``part_id`` confirms one
    shop's part only (a part of another order is simply not found); without it every shipped
    part is confirmed. Delivery is what makes a seller's money payable (``orders.payouts``),
    and when every part is delivered (or cancelled) settlement completes the order.
    """
    _check_buyer(order, buyer)
    actor_id = _actor_id(buyer)
    shipped = [
        p
        for p in order.seller_orders
        if p.status == FulfilmentStatus.SHIPPED and part_id in (None, p.id)
    ]
    if not shipped:
        raise FulfilmentError("nothing_shipped", _l("Nothing in this order has been shipped yet."))
    try:
        with _use_case():
            for part in shipped:
                settlement.deliver(
                    part, actor_id=actor_id, note=event_notes.coded("received_by_buyer")
                )
                _mail_seller_delivered(order, part)
    except InvalidTransition:
        db.session.rollback()
        raise FulfilmentError(
            "not_allowed", _l("This order changed meanwhile. Please look at it again.")
        ) from None
    return len(shipped)


def can_buyer_cancel(order: Order) -> bool:
    """Until payment, always; after payment only while no seller has started packing."""
    if order.status == OrderStatus.AWAITING_PAYMENT:
        return True
    if order.status != OrderStatus.PAID:
        return False
    open_parts = [p for p in order.seller_orders if p.status != FulfilmentStatus.CANCELLED]
    return bool(open_parts) and all(p.status == FulfilmentStatus.NEW for p in open_parts)


def buyer_cancel(order: Order, buyer) -> None:
    """Cancel the whole order: stock goes back, paid money is refunded through settlement."""
    _check_buyer(order, buyer)
    if not can_buyer_cancel(order):
        raise FulfilmentError(
            "not_allowed",
            _l("This order can no longer be cancelled: a seller is already preparing it."),
        )
    actor_id = _actor_id(buyer)
    try:
        with _use_case():
            paid_parts = [p for p in order.seller_orders if p.status == FulfilmentStatus.NEW]
            if (
                order.payment_method == PaymentMethod.BANK_TRANSFER
                and order.payment_status == PaymentStatus.PROCESSING
            ):
                # The buyer says they transferred, nobody has checked yet: the money may be in
                # the account, so someone must look before it is forgotten.
                settlement.audit(
                    actor_id,
                    "refund.check",
                    order.number,
                    "cancelled while a transfer receipt was waiting to be checked: "
                    "if the money arrived, transfer it back",
                )
            settlement.cancel_order(
                order, actor_id=actor_id, reason=event_notes.coded("cancelled_by_buyer")
            )
            for part in paid_parts:
                _mail_seller_part_cancelled(order, part, "", by_buyer=True)
    except InvalidTransition:
        db.session.rollback()
        raise FulfilmentError(
            "not_allowed",
            _l("This order can no longer be cancelled: a seller is already preparing it."),
        ) from None


# --- messages -----------------------------------------------------------------------------------


def _item_lines(part: SellerOrder) -> str:
    return "\n".join(f"- {item.quantity} × {item.title}" for item in part.items)


def _mail_buyer_part_cancelled(order: Order, part: SellerOrder, reason: str) -> None:
    shop = part.seller.shop_name
    items = _item_lines(part)
    amount = part.total
    card = order.payment_method == PaymentMethod.STRIPE
    practice = order.practice_workshop_id is not None
    link = order_url(order)

    def compose():
        money = (
            _("This was a practice order (Latihan): no money was paid, none is refunded.")
            if practice
            else _(
                "%(amount)s is refunded to your card; banks take a few days to show it.",
                amount=format_rupiah(amount),
            )
            if card
            else _(
                "Our team will contact you to transfer %(amount)s back to you.",
                amount=format_rupiah(amount),
            )
        )
        return (
            _("Part of your order %(number)s was cancelled", number=order.number),
            "\n".join(
                [
                    _("%(shop)s cannot send these items:", shop=shop),
                    items,
                    _("Reason: %(reason)s", reason=reason),
                    "",
                    money,
                    link,
                ]
            ),
        )

    mail_after_commit(order.email, order.locale, compose)


def _mail_seller_part_cancelled(order: Order, part: SellerOrder, reason: str, *, by_buyer: bool):
    owner = part.seller.owner
    items = _item_lines(part)

    def compose():
        first = (
            _("The buyer cancelled order %(number)s. Please do not send it.", number=order.number)
            if by_buyer
            else _("You cancelled order %(number)s.", number=order.number)
        )
        lines = [first, items]
        if reason:
            lines.append(_("Reason: %(reason)s", reason=reason))
        lines.append(_("The items are back in your stock."))
        return _("Order %(number)s cancelled", number=order.number), "\n".join(lines)

    mail_after_commit(owner.email, owner.locale, compose)


def _mail_seller_delivered(order: Order, part: SellerOrder) -> None:
    owner = part.seller.owner
    amount = part.payout_amount
    practice = order.practice_workshop_id is not None

    def compose():
        if practice:
            body = _(
                "The buyer received practice order %(number)s. In a real sale %(amount)s would "
                "now be ready for your next payout; practice money is never paid out.",
                number=order.number,
                amount=format_rupiah(amount),
            )
        else:
            body = _(
                "The buyer received order %(number)s. %(amount)s will be in your next payout.",
                number=order.number,
                amount=format_rupiah(amount),
            )
        return _("Order %(number)s was received", number=order.number), body

    mail_after_commit(owner.email, owner.locale, compose)
