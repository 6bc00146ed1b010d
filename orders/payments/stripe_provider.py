"""Stripe Checkout behind the provider interface: the only module that imports ``stripe`` (§4.8).

Everything Stripe-shaped stops here. Amounts leave as rupiah × 100 (IDR is not a zero-decimal
currency in Stripe's API, §7b) and objects come back as plain dicts, so the rest of the code,
and its tests, never handle a ``StripeObject``. Library errors become ``PaymentError`` with a
message safe to show a buyer; the details go to the log.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from orders.models import PaymentMethod
from orders.payments.base import PaymentError, Redirect, SessionCompleted, SessionEnded

log = logging.getLogger(__name__)

CURRENCY = "idr"
MINOR_UNITS = 100  # Stripe counts IDR in hundredths of a rupiah

# Stripe accepts a Checkout Session expiry between 30 minutes and 24 hours after creation. The
# margins absorb clock differences between us and Stripe.
SESSION_MIN_LIFETIME = timedelta(minutes=32)
SESSION_MAX_LIFETIME = timedelta(hours=24) - timedelta(minutes=2)

SESSION_ID_RE = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
EVENT_PAGE_SIZE = 100
HTTP_TIMEOUT_SECONDS = 30  # a webhook or a buyer is waiting; Stripe's own default is 80
# Safe to retry: creates carry our idempotency key, which the library resends unchanged.
MAX_NETWORK_RETRIES = 2


class InvalidWebhook(Exception):
    """A webhook body we must not act on: unsigned, forged, replayed too late or not JSON."""


def to_minor(rupiah: int) -> int:
    """Rupiah → Stripe's amount; the one place that knows IDR is not zero-decimal there."""
    return int(rupiah) * MINOR_UNITS


def from_minor(amount: int) -> int:
    """Stripe's amount → whole rupiah; a stray fraction of a rupiah is dropped, never rounded."""
    return int(amount) // MINOR_UNITS


def _plain(obj: Any) -> dict:
    """StripeObject → dict, so callers never depend on the library's object model."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _payment_error(exc: stripe.StripeError, doing: str) -> PaymentError:
    """Log what Stripe said; give the buyer a message that reveals no keys or internals."""
    log.warning("stripe %s failed: %r", doing, exc)
    if isinstance(exc, stripe.CardError):
        return PaymentError("The card payment was declined.")
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return PaymentError("The card payment service is busy. Please try again shortly.")
    return PaymentError("The card payment service could not process this request.")


def parse_webhook(payload: bytes, sig_header: str | None, *, secret: str) -> dict:
    """Verify the ``Stripe-Signature`` on the raw body and return the event as a dict.

    Verification must see the exact bytes Stripe signed, so callers pass ``request.get_data()``,
    never re-serialised JSON. The library also refuses timestamps older than five minutes,
    which stops an attacker replaying a captured delivery later.
    """
    if not secret:
        raise InvalidWebhook("webhook secret not configured")
    try:
        event = stripe.Webhook.construct_event(payload, sig_header or "", secret)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook("invalid signature") from exc
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # Not UTF-8, not JSON, or JSON that is no object (a list, a number).
        raise InvalidWebhook("invalid payload") from exc
    if _signed_in_future(sig_header or ""):
        raise InvalidWebhook("timestamp in the future")
    if not isinstance(event, dict) and not hasattr(event, "to_dict"):
        raise InvalidWebhook("invalid payload")
    return _plain(event)


def _signed_in_future(sig_header: str) -> bool:
    """The library refuses old signatures (replays) but not ones dated ahead of our clock.

    A signature dated hours ahead would stay replayable for that long; Stripe signs at
    sending time, so allow only the usual clock drift.
    """
    for item in sig_header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            try:
                return int(value) > time.time() + stripe.Webhook.DEFAULT_TOLERANCE
            except ValueError:
                return True
    return False


class StripeProvider:
    """Hosted Stripe Checkout for card and wallet payments; confirmation comes separately.

    The buyer is sent to Stripe's page; the order is marked paid only by
    ``orders.payments.stripe_events`` (webhook, return page or reconciliation).
    """

    name = PaymentMethod.STRIPE

    def __init__(
        self,
        client: stripe.StripeClient,
        *,
        http_client: stripe.HTTPClient | None = None,
        min_amount: int = 0,
        max_amount: int | None = None,
    ) -> None:
        self.client = client
        self._http_client = http_client
        self.min_amount = min_amount
        self.max_amount = max_amount

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeProvider:
        """Build the client from settings; ``STRIPE_API_BASE`` points it at a local fake in tests.

        The library joins ``base_addresses["api"]`` with the request path and accepts plain
        ``http://`` there, which is how tests reach a server on 127.0.0.1.
        """
        secret_key = config.get("STRIPE_SECRET_KEY") or ""
        if not secret_key:
            raise PaymentError("Card payments are not available.")
        http_client = stripe.RequestsClient(timeout=HTTP_TIMEOUT_SECONDS)
        options: dict[str, Any] = {
            "http_client": http_client,
            "max_network_retries": MAX_NETWORK_RETRIES,
        }
        api_base = (config.get("STRIPE_API_BASE") or "").rstrip("/")
        if api_base:
            options["base_addresses"] = {"api": api_base}
        return cls(
            stripe.StripeClient(secret_key, **options),
            http_client=http_client,
            min_amount=int(config.get("STRIPE_MIN_AMOUNT", 0)),
            max_amount=config.get("STRIPE_MAX_AMOUNT"),
        )

    def close(self) -> None:
        """Release pooled connections (tests and shutdown; the client is otherwise reused)."""
        if self._http_client is not None:
            self._http_client.close()

    # --- starting a payment ------------------------------------------------------------

    @staticmethod
    def line_items(order) -> list[dict]:
        """One line per item and one shipping line per shop, as the buyer saw them at checkout."""
        lines: list[dict] = []
        for part in order.seller_orders:
            for item in part.items:
                lines.append(_line(item.title, item.unit_price, item.quantity))
            if part.shipping_cost:
                label = f"Ongkir {part.seller.shop_name} ({part.shipping_label})"
                lines.append(_line(label, part.shipping_cost, 1))
        return lines

    @staticmethod
    def session_expiry(order, now: datetime | None = None) -> int | None:
        """The order's own deadline when Stripe accepts it; None lets Stripe default to 24 h.

        Depends only on the order, never on "now + something", so a repeated request with the
        same idempotency key carries the same parameters (Stripe rejects a key reused with
        different ones). Raises when too little time is left to pay before the order lapses.
        """
        now = now or datetime.now(UTC)
        expires_at = order.expires_at
        if expires_at.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
            expires_at = expires_at.replace(tzinfo=UTC)
        remaining = expires_at - now
        if remaining < SESSION_MIN_LIFETIME:
            raise PaymentError("Too little time is left to pay this order by card.")
        if remaining > SESSION_MAX_LIFETIME:
            return None
        return int(expires_at.timestamp())

    def start(self, order, payment, *, success_url: str, cancel_url: str) -> Redirect:
        """Create (or reopen) the Checkout Session for ``payment``; the caller commits.

        The idempotency key ties the session to this Payment row, so a double click or a
        library retry returns the same session instead of opening a second one.
        """
        if payment.provider_reference:
            session = self.retrieve_session(payment.provider_reference)
            if session.get("status") == "open" and session.get("url"):
                return Redirect(session["url"])
            if session.get("status") == "expired":
                raise SessionEnded("This card payment has ended. Please start a new payment.")
            # "complete": the buyer has paid (or is paying) there; its confirmation is on its way
            # and a second page would let them pay twice.
            raise SessionCompleted("This card payment is being confirmed.")
        if not (
            self.min_amount <= order.total
            and (self.max_amount is None or order.total <= int(self.max_amount))
        ):
            raise PaymentError("This amount cannot be paid by card; please use bank transfer.")
        lines = self.line_items(order)
        sent = sum(line["price_data"]["unit_amount"] * line["quantity"] for line in lines)
        if sent != to_minor(order.total):
            log.error(
                "order %s: line items sum to %s, total is %s",
                order.number,
                sent,
                to_minor(order.total),
            )
            raise PaymentError("The order total could not be confirmed. Please contact us.")
        metadata = {
            "order_id": str(order.id),
            "order_number": order.number,
            "payment_id": str(payment.id),
        }
        params: dict[str, Any] = {
            "mode": "payment",
            "currency": CURRENCY,
            "line_items": lines,
            "client_reference_id": order.number,
            "metadata": metadata,
            "payment_intent_data": {"description": order.number, "metadata": metadata},
            "customer_email": order.email,
            "success_url": _with_session_id(success_url),
            "cancel_url": cancel_url,
            "locale": "en" if (order.locale or "id").startswith("en") else "id",
        }
        expires_at = self.session_expiry(order)
        if expires_at is not None:
            params["expires_at"] = expires_at
        try:
            # A plain dict, not Stripe's TypedDict: its fields are Stripe's to check.
            created = self.client.v1.checkout.sessions.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"checkout-{order.number}-{payment.id}"},
            )
        except stripe.StripeError as exc:
            raise _payment_error(exc, "checkout session") from exc
        payment.provider_reference = created.id
        return Redirect(created.url)

    # --- after the payment -------------------------------------------------------------

    def refund(self, payment, amount: int, *, idempotency_key: str) -> str:
        """Refund ``amount`` rupiah of the PaymentIntent; the key makes a retried cancel safe."""
        if amount <= 0:
            raise PaymentError("Nothing to refund.")
        if not payment.provider_payment_id:
            raise PaymentError("This card payment has no charge to refund yet.")
        try:
            refund = self.client.v1.refunds.create(
                {
                    "payment_intent": payment.provider_payment_id,
                    "amount": to_minor(amount),
                    "metadata": {"payment_id": str(payment.id), "key": idempotency_key},
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _payment_error(exc, "refund") from exc
        return refund.id

    def retrieve_session(self, session_id: str) -> dict:
        """The session as Stripe has it now, with its PaymentIntent expanded.

        The PaymentIntent's status is what tells a failed bank debit apart from one still
        pending (both are ``complete`` / ``unpaid`` on the session).
        """
        if not SESSION_ID_RE.match(session_id or ""):
            raise PaymentError("Unknown card payment.")
        try:
            session = self.client.v1.checkout.sessions.retrieve(
                session_id, {"expand": ["payment_intent"]}
            )
        except stripe.StripeError as exc:
            raise _payment_error(exc, "session lookup") from exc
        return _plain(session)

    def list_events(self, created_gte: int, types: list[str] | None = None) -> Iterator[dict]:
        """Events since ``created_gte`` (Stripe keeps 30 days), newest first as Stripe pages."""
        params: dict[str, Any] = {"created": {"gte": int(created_gte)}, "limit": EVENT_PAGE_SIZE}
        if types:
            params["types"] = list(types)
        try:
            page = self.client.v1.events.list(params)  # type: ignore[arg-type]  # as above
            for event in page.auto_paging_iter():
                yield _plain(event)
        except stripe.StripeError as exc:
            raise _payment_error(exc, "event listing") from exc


def _line(name: str, rupiah: int, quantity: int) -> dict:
    return {
        "price_data": {
            "currency": CURRENCY,
            "unit_amount": to_minor(rupiah),
            "product_data": {"name": name[:250]},
        },
        "quantity": int(quantity),
    }


def _with_session_id(url: str) -> str:
    """Stripe substitutes the literal placeholder; url_for would have percent-encoded it."""
    if SESSION_ID_PLACEHOLDER in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}session_id={SESSION_ID_PLACEHOLDER}"
