"""Payment providers behind one interface; only ``stripe_provider`` imports ``stripe``.

Bank transfer needs no keys and is always offered; Stripe Checkout is offered when
``STRIPE_SECRET_KEY`` is set. Tests swap a provider through ``app.extensions["payment_providers"]``
(the seam of DESIGN §4.8) rather than patching library internals.
"""

from __future__ import annotations

from flask import current_app

from orders.models import PaymentMethod
from orders.payments.base import (
    PaymentError,
    PaymentProvider,
    Redirect,
    SessionCompleted,
    SessionEnded,
)


class BankTransfer:
    """The buyer transfers to the platform's account; an admin confirms the money arrived."""

    name = PaymentMethod.BANK_TRANSFER

    def start(self, order, payment, *, success_url: str, cancel_url: str) -> Redirect:
        return Redirect(None)

    def refund(self, payment, amount: int, *, idempotency_key: str) -> str:
        return f"manual:{idempotency_key}"  # an admin transfers it back; recorded as an audit


def provider_for(name: str) -> PaymentProvider:
    providers = current_app.extensions.setdefault("payment_providers", {})
    if name not in providers:
        if name == PaymentMethod.BANK_TRANSFER:
            providers[name] = BankTransfer()
        elif name == PaymentMethod.STRIPE:
            from orders.payments.stripe_provider import StripeProvider

            providers[name] = StripeProvider.from_config(current_app.config)
        else:
            raise PaymentError(f"unknown payment provider {name}")
    return providers[name]


__all__ = [
    "BankTransfer",
    "PaymentError",
    "PaymentProvider",
    "Redirect",
    "SessionCompleted",
    "SessionEnded",
    "provider_for",
]
