"""``POST /webhooks/stripe``: provider events, verified on the raw body (DESIGN §4.9).

Stripe signs the exact bytes it sends, so the signature is checked on ``request.get_data()``
before anything is parsed. The view is exempt from CSRF (Stripe has no session) and from rate
limits (Stripe retries whatever we refuse, so throttling would only delay payments); the
signature is what keeps strangers out.

Without ``STRIPE_WEBHOOK_SECRET`` the endpoint answers 503 rather than 404: the route exists
but cannot verify anything, and Stripe keeps retrying a 503 for days, so events sent while the
secret was missing are delivered once an operator sets it, and the failures show in Stripe's
dashboard meanwhile. Unverified events are never processed.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request

from marketplace.extensions import csrf, limiter

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)


def _plain(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.post("/stripe")
def stripe_webhook():
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET") or ""
    if not secret:
        log.error("Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        return _plain("webhook not configured", 503)
    # Imported here so the app starts (and serves bank transfers) without the stripe package.
    from orders.payments.stripe_events import MalformedEvent, handle_event
    from orders.payments.stripe_provider import InvalidWebhook, parse_webhook

    try:
        event = parse_webhook(
            request.get_data(cache=False),
            request.headers.get("Stripe-Signature"),
            secret=secret,
        )
        result = handle_event(event)
    except InvalidWebhook as exc:
        log.warning("Stripe webhook rejected: %s", exc)
        return _plain(str(exc), 400)
    except MalformedEvent as exc:
        return _plain(str(exc), 400)
    return jsonify(result=result)


csrf.exempt(stripe_webhook)
limiter.exempt(stripe_webhook)
