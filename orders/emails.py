"""The messages buyers and sellers receive about an order, sent only after a commit."""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.i18n import format_rupiah
from orders import notifications
from orders.access import guest_token
from orders.models import Order, PaymentMethod


def order_url(order: Order) -> str:
    """An absolute link when a request or SERVER_NAME tells the host; a path otherwise."""
    args = {"number": order.number}
    if order.buyer_id is None:
        args["t"] = guest_token(order)
    try:
        return url_for("orders.order_page", _external=True, **args)
    except RuntimeError:
        return f"/orders/{order.number}"


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


def order_paid(order: Order) -> None:
    with force_locale(order.locale):
        _send_later(
            order.email,
            _("Payment for %(number)s received", number=order.number),
            _("We received your payment. The sellers are preparing your package.")
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
                _("Please pack and ship within 2 working days:")
                + f"\n{items}\n"
                + _("Ship with: %(service)s", service=part.shipping_label),
            )


def join_orders_url(token: str) -> str:
    """Where the e-mail that joins guest orders to an account points (absolute in a request)."""
    try:
        return url_for("orders.join_guest_orders", token=token, _external=True)
    except RuntimeError:
        return f"/account/orders/join/{token}"
