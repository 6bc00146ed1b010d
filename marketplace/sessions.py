"""Signed-cookie sessions and CSRF tokens without per-request set-up cost.

Flask builds a new itsdangerous serializer to open and to save every session, and Flask-WTF one
more to sign each request's CSRF token; building one costs more than using it (itsdangerous
test-serialises an empty dict to learn whether the serializer is text or bytes). On a page
served from the page cache that set-up was a large part of the request. Here each serializer
is built once per secret key and reused; cookies and tokens are byte-for-byte what Flask and
Flask-WTF make, so either side reads the other's (``flask_wtf.csrf.validate_csrf`` checks the
tokens signed here).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

T = TypeVar("T")
CSRF_FIELD = "csrf_token"
CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's, so its validation accepts these tokens


def _kept(store: dict, key: object, make: Callable[[], T], limit: int = 8) -> T:
    """``store[key]``, made by ``make`` when missing. A full store is emptied rather than
    tracked for age: serializers change only with the secrets, and a signed token is cheap to
    make again."""
    if key in store:
        return store[key]
    if len(store) >= limit:
        store.clear()
    value = store[key] = make()
    return value


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's own cookie sessions, with the signing serializer built once per key set."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Keyed by the keys themselves: a test or a rotation that changes them gets a new one.
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        build = super().get_signing_serializer
        return _kept(self._serializers, key, lambda: build(app))


_csrf_serializers: dict[object, URLSafeTimedSerializer] = {}
# Signed tokens handed out lately, by secret and raw token: signing (timestamp, zlib, HMAC) was
# the largest cost left on a logged-in visitor's cached page. A token reused for at most
# ``REUSE_SECONDS`` expires that much sooner than a new one (the limit is hours).
REUSE_SECONDS = 60
_MAX_SIGNED = 4096
_signed: dict[tuple[object, str], tuple[str, float]] = {}


def csrf_token() -> str:
    """This request's signed CSRF token, as ``flask_wtf.csrf.generate_csrf`` makes it.

    It is put where Flask-WTF looks first (``g.csrf_token``), so forms rendered later in the
    request reuse it; the raw token is created in the session only when there is none.
    """
    token = g.get(CSRF_FIELD)
    if token is not None:
        return token
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if not secret:
        raise RuntimeError("A secret key is required to use CSRF.")  # as Flask-WTF says
    raw = session.get(CSRF_FIELD)
    if not isinstance(raw, str):
        raw = session[CSRF_FIELD] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - as Flask-WTF
    now = time.monotonic()
    kept = _signed.get((secret, raw))
    if kept is not None and now - kept[1] < REUSE_SECONDS:
        token = kept[0]
    else:
        serializer = _kept(
            _csrf_serializers, secret, lambda: URLSafeTimedSerializer(secret, salt=CSRF_SALT)
        )
        token = serializer.dumps(raw)
        _signed.pop((secret, raw), None)
        _kept(_signed, (secret, raw), lambda: (token, now), _MAX_SIGNED)
    setattr(g, CSRF_FIELD, token)
    return token


def init_app(app: Flask) -> None:
    app.session_interface = SignedCookieSessions()
    # Templates call ``csrf_token()``; Flask-WTF registered its own under that name.
    app.jinja_env.globals["csrf_token"] = csrf_token
