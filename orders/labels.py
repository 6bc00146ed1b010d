"""Human words for order, payment and fulfilment statuses, shared by every order page.

Statuses are stored as stable English codes (``awaiting_payment``); people read these labels
instead, translated per request (lazy), so one dictionary serves both languages. Keys are the
enum members, which are ``str`` and hash like their values, so ``ORDER_STATUS["paid"]`` works.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from orders.models import LedgerKind
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus

ORDER_STATUS = {
    OrderStatus.AWAITING_PAYMENT: _l("Awaiting payment"),
    OrderStatus.PAID: _l("Paid"),
    OrderStatus.COMPLETED: _l("Completed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
    OrderStatus.EXPIRED: _l("Expired (not paid in time)"),
}

PAYMENT_STATUS = {
    PaymentStatus.UNPAID: _l("Not paid yet"),
    PaymentStatus.PROCESSING: _l("Being checked"),
    PaymentStatus.PAID: _l("Paid"),
    PaymentStatus.FAILED: _l("Payment not accepted"),
    PaymentStatus.REFUNDED: _l("Refunded"),
    PaymentStatus.PARTIALLY_REFUNDED: _l("Partly refunded"),
}

FULFILMENT_STATUS = {
    FulfilmentStatus.AWAITING_PAYMENT: _l("Waiting for payment"),
    FulfilmentStatus.NEW: _l("New: to pack"),
    FulfilmentStatus.PACKED: _l("Packed"),
    FulfilmentStatus.SHIPPED: _l("Shipped"),
    FulfilmentStatus.DELIVERED: _l("Delivered"),
    FulfilmentStatus.CANCELLED: _l("Cancelled"),
    FulfilmentStatus.ON_HOLD: _l("On hold: payment being checked"),
}

LEDGER_KIND = {
    LedgerKind.SALE: _l("Sale"),
    LedgerKind.COMMISSION: _l("Platform commission"),
    LedgerKind.REFUND: _l("Refund"),
    LedgerKind.PAYOUT: _l("Payout to your bank"),
    LedgerKind.ADJUSTMENT: _l("Adjustment"),
}

# Brand names: not translated. The ship form offers exactly these.
COURIERS = [
    "JNE",
    "J&T Express",
    "SiCepat",
    "POS Indonesia",
    "AnterAja",
    "Ninja Xpress",
    "Lion Parcel",
    "Wahana",
]

# The courier a checkout service code belongs to, to preselect it on the ship form.
SERVICE_COURIER = {
    "jne": "JNE",
    "jnt": "J&T Express",
    "sicepat": "SiCepat",
    "pos": "POS Indonesia",
    "anteraja": "AnterAja",
    "ninja": "Ninja Xpress",
    "lion": "Lion Parcel",
    "wahana": "Wahana",
}


def courier_for_service(service: str) -> str:
    """``jne_reg`` → ``JNE``; empty when the service code names no known courier."""
    return SERVICE_COURIER.get((service or "").split("_", 1)[0], "")
