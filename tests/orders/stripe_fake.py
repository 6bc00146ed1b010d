"""A local fake of the few Stripe endpoints we call, for the real ``stripe`` library to talk to.

It listens on 127.0.0.1 only and records every request (path, decoded form parameters,
Idempotency-Key, Authorization) so tests can assert what left the application, in the form the
library really encodes it. Responses follow the shapes of Stripe's own example objects
(``checkout.session``, ``refund``, ``charge``, ``payment_intent``, ``event`` in Stripe's OpenAPI
``fixtures3.json``, MIT licence), trimmed to the fields this project reads, with our ids and
amounts filled in.

Each response closes its connection (HTTP/1.0) and ``stop()`` joins every handler thread, so no
socket or thread outlives a test (pytest turns their warnings into errors here).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_fake"

SESSION_SHAPE = {
    "id": "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY",
    "object": "checkout.session",
    "after_expiration": None,
    "allow_promotion_codes": None,
    "amount_subtotal": None,
    "amount_total": None,
    "automatic_tax": {"enabled": False, "liability": None, "status": None},
    "billing_address_collection": None,
    "cancel_url": "https://example.com/cancel",
    "client_reference_id": None,
    "created": 1234567890,
    "currency": None,
    "customer": None,
    "customer_creation": None,
    "customer_details": None,
    "customer_email": None,
    "expires_at": 1234567890,
    "livemode": False,
    "locale": None,
    "metadata": {},
    "mode": "payment",
    "payment_intent": None,
    "payment_method_types": ["card"],
    "payment_status": "unpaid",
    "status": "open",
    "success_url": "https://example.com/success",
    "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    "url": "https://checkout.stripe.com/c/pay/cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkf",
}

PAYMENT_INTENT_SHAPE = {
    "id": "pi_1PgafyB7WZ01zgkWSjxsAJo3",
    "object": "payment_intent",
    "amount": 1099,
    "amount_received": 0,
    "currency": "usd",
    "created": 1234567890,
    "latest_charge": None,
    "livemode": False,
    "metadata": {},
    "status": "processing",
}

REFUND_SHAPE = {
    "id": "re_1Pgc72B7WZ01zgkWqPvrRrPE",
    "object": "refund",
    "amount": 100,
    "balance_transaction": None,
    "charge": "ch_1PgafuB7WZ01zgkWXYmPNZs8",
    "created": 1234567890,
    "currency": "usd",
    "metadata": {},
    "payment_intent": None,
    "reason": None,
    "status": "succeeded",
}

CHARGE_SHAPE = {
    "id": "ch_1PgafuB7WZ01zgkWXYmPNZs8",
    "object": "charge",
    "amount": 100,
    "amount_captured": 100,
    "amount_refunded": 0,
    "captured": True,
    "created": 1234567890,
    "currency": "usd",
    "livemode": False,
    "metadata": {},
    "paid": True,
    "payment_intent": None,
    "refunded": False,
    "status": "succeeded",
}

EVENT_SHAPE = {
    "id": "evt_1Pgc76B7WZ01zgkWwyRHS12y",
    "object": "event",
    "api_version": "2026-10-28.endive",
    "created": 1234567890,
    "data": {"object": {}},
    "livemode": False,
    "pending_webhooks": 1,
    "request": {"id": None, "idempotency_key": None},
    "type": "plan.created",
}


def decode_form(pairs: list[tuple[str, str]]) -> dict:
    """``line_items[0][price_data][unit_amount]=…`` → nested dicts and lists, as Stripe reads it."""
    root: dict = {}
    for key, value in pairs:
        names = re.findall(r"[^\[\]]+", key)
        node = root
        for name in names[:-1]:
            node = node.setdefault(name, {})
        node[names[-1]] = value

    def listify(node):
        if isinstance(node, dict):
            node = {k: listify(v) for k, v in node.items()}
            if node and all(k.isdigit() for k in node):
                return [node[k] for k in sorted(node, key=int)]
        return node

    return listify(root)


@dataclass
class Recorded:
    method: str
    path: str
    params: dict
    idempotency_key: str | None
    authorization: str | None


@dataclass
class FakeStripe:
    """State of the fake account: sessions, payment intents, refunds and its event log."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict] = field(default_factory=dict)
    intents: dict[str, dict] = field(default_factory=dict)
    refunds: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    # When set, creating a Checkout Session is refused with this message (as Stripe refuses a
    # request it finds invalid).
    refuse_sessions: str | None = None

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._replies: dict[str, tuple[int, dict]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        fake = self

        class Handler(_Handler):
            stripe = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = False
        server.block_on_close = True  # server_close() joins every handler thread
        server.handle_error = lambda request, address: fake.errors.append(_current_error())
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    # --- what tests look at ----------------------------------------------------------------

    def calls(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}fake"

    # --- what the buyer does on Stripe's page ----------------------------------------------

    def complete(
        self, session_id: str, *, payment_status: str = "paid", intent_status: str | None = None
    ) -> dict:
        """The buyer paid (or started a delayed payment): the session completes with an intent."""
        with self._lock:
            session = self.sessions[session_id]
            intent_id = session["payment_intent"] or self._new_id("pi")
            intent = copy.deepcopy(PAYMENT_INTENT_SHAPE)
            intent.update(
                id=intent_id,
                amount=session["amount_total"],
                currency=session["currency"],
                created=int(time.time()),
                metadata=dict(session["metadata"]),
                status=intent_status or ("succeeded" if payment_status == "paid" else "processing"),
                amount_received=session["amount_total"] if payment_status == "paid" else 0,
            )
            self.intents[intent_id] = intent
            session.update(
                status="complete", payment_status=payment_status, payment_intent=intent_id
            )
            return copy.deepcopy(session)

    def expire(self, session_id: str) -> dict:
        with self._lock:
            self.sessions[session_id]["status"] = "expired"
            return copy.deepcopy(self.sessions[session_id])

    def charge(self, session_id: str, *, amount_refunded: int) -> dict:
        """The charge behind a paid session, as a ``charge.refunded`` event carries it."""
        session = self.sessions[session_id]
        charge = copy.deepcopy(CHARGE_SHAPE)
        charge.update(
            id="ch_" + session["payment_intent"].removeprefix("pi_"),
            amount=session["amount_total"],
            amount_captured=session["amount_total"],
            amount_refunded=amount_refunded,
            currency=session["currency"],
            payment_intent=session["payment_intent"],
            refunded=amount_refunded >= session["amount_total"],
        )
        return charge

    def event(
        self, event_type: str, obj: dict, *, created: int | None = None, log: bool = True
    ) -> dict:
        """An event in Stripe's envelope; logged for ``GET /v1/events`` unless told not to."""
        event = copy.deepcopy(EVENT_SHAPE)
        event.update(
            id=self._new_id("evt"),
            type=event_type,
            created=created or int(time.time()),
            data={"object": copy.deepcopy(obj)},
        )
        if log:
            with self._lock:
                self.events.append(event)
        return event

    # --- the API ---------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        params: dict,
        idempotency_key: str | None,
        authorization: str | None,
    ) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(Recorded(method, path, params, idempotency_key, authorization))
            if authorization != f"Bearer {API_KEY}":
                return 401, _error("authentication_error", "Invalid API Key provided")
            if idempotency_key and method == "POST":
                replay_key = f"{path} {idempotency_key}"
                if replay_key in self._replies:
                    return self._replies[replay_key]
            reply = self._route(method, path, params)
            if idempotency_key and method == "POST":
                self._replies[replay_key] = reply
            return reply

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            if self.refuse_sessions:
                return 400, _error("invalid_request_error", self.refuse_sessions)
            return 200, self._create_session(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([A-Za-z0-9_]+)", path)
        if method == "GET" and match:
            session = self.sessions.get(match.group(1))
            if session is None:
                return 404, _error("invalid_request_error", "No such checkout.session")
            session = copy.deepcopy(session)
            if "payment_intent" in (params.get("expand") or []) and session["payment_intent"]:
                session["payment_intent"] = copy.deepcopy(self.intents[session["payment_intent"]])
            return 200, session
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        if method == "GET" and path == "/v1/events":
            return 200, self._list_events(params)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({path})")

    def _create_session(self, params: dict) -> dict:
        session_id = self._new_id("cs")
        lines = params.get("line_items") or []
        total = sum(
            int(line["price_data"]["unit_amount"]) * int(line["quantity"]) for line in lines
        )
        now = int(time.time())
        session = copy.deepcopy(SESSION_SHAPE)
        session.update(
            id=session_id,
            amount_subtotal=total,
            amount_total=total,
            cancel_url=params.get("cancel_url"),
            success_url=params.get("success_url"),
            client_reference_id=params.get("client_reference_id"),
            created=now,
            currency=params.get("currency"),
            customer_email=params.get("customer_email"),
            expires_at=int(params.get("expires_at") or now + 24 * 3600),
            locale=params.get("locale"),
            metadata=dict(params.get("metadata") or {}),
            mode=params.get("mode"),
            url=f"https://checkout.stripe.com/c/pay/{session_id}",
        )
        self.sessions[session_id] = session
        return copy.deepcopy(session)

    def _create_refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return 400, _error("invalid_request_error", "This PaymentIntent has no charge")
        refund = copy.deepcopy(REFUND_SHAPE)
        refund.update(
            id=self._new_id("re"),
            amount=int(params["amount"]),
            currency=intent["currency"],
            charge="ch_" + intent["id"].removeprefix("pi_"),
            created=int(time.time()),
            metadata=dict(params.get("metadata") or {}),
            payment_intent=intent["id"],
        )
        self.refunds.append(refund)
        return 200, copy.deepcopy(refund)

    def _list_events(self, params: dict) -> dict:
        gte = int((params.get("created") or {}).get("gte") or 0)
        types = params.get("types") or []
        found = [
            e for e in self.events if e["created"] >= gte and (not types or e["type"] in types)
        ]
        found.sort(key=lambda e: e["created"], reverse=True)  # newest first, as Stripe lists
        return {
            "object": "list",
            "data": copy.deepcopy(found),
            "has_more": False,
            "url": "/v1/events",
        }


def _error(kind: str, message: str) -> dict:
    return {"error": {"type": kind, "message": message}}


def _current_error() -> BaseException:
    import sys

    return sys.exc_info()[1] or RuntimeError("unknown handler error")


class _Handler(BaseHTTPRequestHandler):
    stripe: FakeStripe
    protocol_version = "HTTP/1.0"  # one request per connection: nothing left open in a pool

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass  # keep test output clean; requests are recorded on the fake instead

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self):  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
        else:
            body = parts.query
        params = decode_form(parse_qsl(body, keep_blank_values=True))
        status, payload = self.stripe.handle(
            method,
            parts.path,
            params,
            self.headers.get("Idempotency-Key"),
            self.headers.get("Authorization"),
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_fake_{len(self.stripe.requests)}")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
