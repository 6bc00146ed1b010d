"""Hostile requests get a clear 4xx before they reach a view; an absent database gets a 503.

These are classes of input no view should have to think about one by one: a NUL byte (no
database column or file name can hold it, so every place that passed it on answered 500), a
record id beyond the database's integer range (PostgreSQL refuses to compare it, SQLite
overflows), or a database that is down for a moment (a visitor should be told to try again,
not shown a crash). Handling them once, here, keeps the rule true for routes added later.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from marketplace.extensions import db

#: The largest id any table holds: ids are 32-bit signed integers on PostgreSQL.
MAX_ID = 2**31 - 1
#: Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` URL parts beyond a database id's range match no route (a 404)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def has_nul(text: str) -> bool:
    return "\x00" in text


def _request_has_nul() -> bool:
    if has_nul(request.path) or has_nul(request.query_string.decode("latin-1")):
        return True
    if "%00" in request.query_string.decode("latin-1").lower():
        return True
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for key, value in request.form.items(multi=True):
            if has_nul(key) or has_nul(value):
                return True
    return False


def safe_redirect_target(target: str | None, fallback: str = "/") -> str:
    """Only this site's own paths may be redirect targets: an open redirect helps phishing.

    Accepts a relative path or a full URL on this host (a ``Referer``); refuses other hosts,
    scheme-relative ``//host`` and anything with control characters (a CR/LF would split the
    ``Location`` header) or backslashes (browsers read ``/\\host`` as another host).
    """
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return fallback
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def _database_unavailable(error: Exception):
    db.session.rollback()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error="Service Unavailable", status=503), 503, headers
    return render_template("errors/503.html"), 503, headers


def _out_of_range(error: Exception):
    """A number the database cannot store reached a query: the request was at fault."""
    db.session.rollback()
    return current_app.handle_http_exception(BadRequest())


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.before_request
    def _refuse_nul_bytes():
        if _request_has_nul():
            abort(400)

    # Connection failures (server down, too many clients, SQLite busy past its timeout).
    app.register_error_handler(sa_exc.OperationalError, _database_unavailable)
    app.register_error_handler(sa_exc.InterfaceError, _database_unavailable)
    # A value outside a column's range (PostgreSQL's DataError, SQLite's OverflowError).
    app.register_error_handler(sa_exc.DataError, _out_of_range)
    app.register_error_handler(OverflowError, _out_of_range)
