"""The payment provider interface (DESIGN §4.8): checkout code never names a provider's library.

A provider starts a payment for an order and, where it can, refunds one. Confirmation always
arrives separately (a webhook, a return page, an admin confirming a transfer) and goes through
``orders.settlement.settle_paid``, the one idempotent place that marks an order paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from marketplace.errors import DomainError


class PaymentError(DomainError):
    """The provider refused or could not be reached; the message is safe to show."""


class SessionCompleted(PaymentError):
    """The buyer already paid on the provider's page; its confirmation has not arrived yet."""


class SessionEnded(PaymentError):
    """The provider's payment page for this attempt expired unpaid: only a new attempt can pay."""


@dataclass(frozen=True)
class Redirect:
    """Where to send the buyer to pay (a hosted payment page), or None to stay on our site."""

    url: str | None


class PaymentProvider(Protocol):
    name: str

    def start(self, order, payment, *, success_url: str, cancel_url: str) -> Redirect: ...

    def refund(self, payment, amount: int, *, idempotency_key: str) -> str:
        """Refund ``amount`` rupiah of ``payment``; returns the provider's refund reference."""
        ...
