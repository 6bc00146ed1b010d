"""The messages buyers and sellers receive about an order, sent only after a commit."""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.i18n import format_rupiah
from orders import notifications
from orders.access import guest_token
from orders.models import Order, PaymentMethod


def _url(endpoint: str, fallback: str, **values) -> str:
    """An absolute link when a request or SERVER_NAME tells the host; ``fallback`` otherwise."""
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        return fallback


def order_url(order: Order) -> str:
    args = {"number": order.number}
    if order.buyer_id is None:
        args["t"] = guest_token(order)
    return _url("orders.order_page", f"/orders/{order.number}", **args)


def _send_later(to: str, subject: str, body: str) -> None:
    notifications.after_commit(notifications.send_mail, to, subject, body)


def order_placed(order: Order, bank: dict) -> None:
    with force_locale(order.locale):
        lines = [
            _("Thank you for your order %(number)s.", number=order.number),
            _("Total: %(total)s", total=format_rupiah(order.total)),
            "",
        ]
        if order.payment_method == PaymentMethod.BANK_TRANSFER:
            lines += [
                _("Please transfer the exact amount to:"),
                " ".join(
                    (
                        bank["BANK_NAME"],
                        bank["BANK_ACCOUNT_NUMBER"],
                        "a.n.",
                        bank["BANK_ACCOUNT_HOLDER"],
                    )
                ),
                _(
                    "Write this reference in the transfer description: %(ref)s",
                    ref=order.payment_reference,
                ),
                "",
            ]
        lines.append(_("Follow your order here: %(url)s", url=order_url(order)))
        subject = _("Order %(number)s received", number=order.number)
        _send_later(order.email, subject, "\n".join(lines))


def _practice_line(order: Order) -> str:
    """The first line of every mail about a workshop's practice order."""
    if order.practice_workshop_id is None:
        return ""
    return _("Practice (Latihan): a workshop's practice order, no real money moves.") + "\n\n"


def order_paid(order: Order) -> None:
    with force_locale(order.locale):
        _send_later(
            order.email,
            _("Payment for %(number)s received", number=order.number),
            _practice_line(order)
            + _("We received your payment. The sellers are preparing your package.")
            + "\n"
            + order_url(order),
        )
    for part in order.seller_orders:
        owner = part.seller.owner
        with force_locale(owner.locale or "id"):
            items = "\n".join(f"- {i.quantity} × {i.title}" for i in part.items)
            _send_later(
                owner.email,
                _("New paid order %(number)s", number=order.number),
                _practice_line(order)
                + _("Please pack and ship within 2 working days:")
                + f"\n{items}\n"
                + _("Ship with: %(service)s", service=part.shipping_label),
            )


def join_orders_url(token: str) -> str:
    """Where the e-mail that joins guest orders to an account points."""
    return _url("orders.join_guest_orders", f"/account/orders/join/{token}", token=token)


def _admin_url() -> str:
    return _url("admin_orders.payments", "/admin/payments")


def refund_needs_review(order: Order, amount: int) -> None:
    """A refund made outside the platform: admins decide, sellers of held parts must wait.

    Sellers are told too, since the "paid, please ship" mail they had may otherwise be acted on.
    """
    from sqlalchemy import select

    from marketplace.auth.models import Role, User, UserRole
    from marketplace.extensions import db
    from orders.states import FulfilmentStatus

    admins = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN.value, User.is_active_account.is_(True))
        .order_by(User.id)
    )
    link = _admin_url()
    for admin in admins:
        with force_locale(admin.locale or "id"):
            _send_later(
                admin.email,
                _("Refund to review for order %(number)s", number=order.number),
                _(
                    "%(amount)s of order %(number)s was refunded in Stripe, not through the "
                    "marketplace. Its unshipped parts are on hold until you settle it:",
                    amount=format_rupiah(amount),
                    number=order.number,
                )
                + f"\n{link}",
            )
    for part in order.seller_orders:
        if part.status != FulfilmentStatus.ON_HOLD:
            continue
        owner = part.seller.owner
        with force_locale(owner.locale or "id"):
            _send_later(
                owner.email,
                _("Order %(number)s is on hold", number=order.number),
                _(
                    "Please do not pack or ship order %(number)s for now: its payment is being "
                    "checked. We will tell you when you may continue.",
                    number=order.number,
                ),
            )


def refund_settled(order: Order, parts, *, cancelled: bool) -> None:
    """An admin settled a refund made in Stripe: the sellers of the held parts learn what now."""
    for part in parts:
        owner = part.seller.owner
        with force_locale(owner.locale or "id"):
            if cancelled:
                subject = _("Order %(number)s cancelled", number=order.number)
                body = _(
                    "The buyer was refunded, so order %(number)s is cancelled. Please do not "
                    "send it. The items are back in your stock.",
                    number=order.number,
                )
            else:
                subject = _("Order %(number)s may be sent", number=order.number)
                body = _(
                    "The payment check for order %(number)s is done: please pack and ship it.",
                    number=order.number,
                )
        _send_later(owner.email, subject, body)
