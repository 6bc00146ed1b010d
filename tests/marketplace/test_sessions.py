"""Sessions and CSRF tokens made without per-request set-up are exactly Flask's and
Flask-WTF's: each side reads what the other wrote, and a reused token is never another
visitor's."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from marketplace import sessions


@contextmanager
def _request(app, **kwargs):
    """A request in an app context of its own (its own ``g``), as a server gives each one."""
    with app.app_context(), app.test_request_context("/", **kwargs):
        yield


def test_tokens_pass_flask_wtf_validation_and_stay_with_their_session(app_ctx):
    with _request(app_ctx):
        token = sessions.csrf_token()
        assert sessions.csrf_token() is token  # one per request
        validate_csrf(token)  # raises if Flask-WTF does not accept it
        raw = session["csrf_token"]
    with _request(app_ctx):
        session["csrf_token"] = "another-visitors-secret"
        with pytest.raises(ValidationError):
            validate_csrf(token)
        theirs = sessions.csrf_token()
        assert theirs != token
    with _request(app_ctx):
        session["csrf_token"] = raw
        assert sessions.csrf_token() == token  # reused for the same session, within a minute


def test_a_reused_token_is_signed_again_after_a_minute(app_ctx, monkeypatch):
    clock = [1_900_000_000.0]  # seconds: the monotonic clock and the signing timestamp alike
    monkeypatch.setattr(sessions.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: clock[0])
    with _request(app_ctx):
        first = sessions.csrf_token()
        raw = session["csrf_token"]
    clock[0] += sessions.REUSE_SECONDS - 1
    with _request(app_ctx):
        session["csrf_token"] = raw
        assert sessions.csrf_token() == first  # signed now, it would carry another time
    clock[0] += 2
    with _request(app_ctx):
        session["csrf_token"] = raw
        again = sessions.csrf_token()
        validate_csrf(again)
    assert again != first


def test_session_cookies_read_both_ways_and_the_serializer_is_built_once(app_ctx):
    ours = app_ctx.session_interface
    assert isinstance(ours, sessions.SignedCookieSessions)
    stock = SecureCookieSessionInterface()
    data = {"cart": {"7": 2}, "locale": "en", "_flashes": [("info", "Halo")]}
    assert ours.get_signing_serializer(app_ctx) is ours.get_signing_serializer(app_ctx)
    for writer, reader in ((ours, stock), (stock, ours)):
        cookie = writer.get_signing_serializer(app_ctx).dumps(data)
        with _request(app_ctx, headers={"Cookie": f"session={cookie}"}):
            from flask import request

            assert dict(reader.open_session(app_ctx, request)) == data
    old_key = app_ctx.secret_key
    old = ours.get_signing_serializer(app_ctx)
    try:
        app_ctx.secret_key = "rotated-secret"
        assert ours.get_signing_serializer(app_ctx) is not old  # a new key, a new serializer
    finally:
        app_ctx.secret_key = old_key
