"""The one-query lookup of a logged-in visitor (``marketplace.auth.signed_in``) says what
Flask-Login and the cart would say: logged in or not, roles, language and cart size, in every
state an account and a session can be in."""

from __future__ import annotations

import pytest
from flask import g, session
from flask_login import current_user
from sqlalchemy import event

from marketplace.auth import signed_in
from marketplace.auth.models import Role
from marketplace.extensions import db
from orders import cart as carts
from tests.factories import make_product, make_user


class _Request:
    """A request of its own, in an app context of its own (its own ``g`` and database
    session), as a server gives every request."""

    def __init__(self, app, cookie: str) -> None:
        self.app_context = app.app_context()
        self.context = app.test_request_context("/", headers={"Cookie": cookie} if cookie else {})

    def push(self) -> None:
        self.app_context.push()
        self.context.push()

    def pop(self) -> None:
        self.context.pop()
        self.app_context.pop()


def _in_request(app, session_values: dict, cookie: str = "") -> _Request:
    request = _Request(app, cookie)
    request.push()
    session.update(session_values)
    return request


def _as_flask_login_says(app, session_values: dict) -> signed_in.SignedIn:
    """The same visitor answered the slow way: the ORM user and the cart's own count."""
    context = _in_request(app, session_values)
    try:
        user = current_user._get_current_object()
        return signed_in.SignedIn(
            is_authenticated=bool(user.is_authenticated),
            locale=user.locale if user.is_authenticated else None,
            roles=frozenset(str(r.value) for r in user.roles)
            if user.is_authenticated
            else frozenset(),
            in_cart=carts.count(user, session),
        )
    finally:
        context.pop()


def _looked_up(app, session_values: dict) -> signed_in.SignedIn | None:
    context = _in_request(app, session_values)
    try:
        return signed_in.lookup()
    finally:
        context.pop()


def _states(app_ctx):
    product = make_product(stock=50)
    other = make_product(stock=50)
    buyer = make_user(email="rina@example.id")
    buyer.locale = "en"
    seller_admin = make_user(roles=(Role.BUYER, Role.SELLER, Role.ADMIN))
    no_roles = make_user(roles=())
    closed = make_user()
    closed.is_active_account = False
    ended = make_user()
    ended_token = ended.get_id()
    ended.end_all_sessions()  # "log out everywhere": the old token names nobody
    db.session.commit()
    carts.DatabaseStore(buyer.id).replace({product.id: 2, other.id: 3})
    carts.DatabaseStore(closed.id).replace({product.id: 1})
    db.session.commit()
    guest_cart = {"cart": {str(product.id): 4}}
    return {
        "nobody": {},
        "guest with a cart": guest_cart,
        "buyer with a cart": {"_user_id": buyer.get_id(), "_fresh": True},
        "seller and admin": {"_user_id": seller_admin.get_id()},
        "no roles": {"_user_id": no_roles.get_id()},
        "deactivated account": {"_user_id": closed.get_id(), **guest_cart},
        "ended session": {"_user_id": ended_token, **guest_cart},
        "odd session value": {"_user_id": 12345},
    }


def test_the_lookup_agrees_with_flask_login_in_every_state(app_ctx):
    states = _states(app_ctx)
    for name, values in states.items():
        fast = _looked_up(app_ctx, values)
        assert fast == _as_flask_login_says(app_ctx, values), name
    buyer = _looked_up(app_ctx, states["buyer with a cart"])
    assert buyer == signed_in.SignedIn(True, "en", frozenset({"buyer"}), in_cart=5)
    admin = _looked_up(app_ctx, states["seller and admin"])
    assert admin is not None and admin.roles == {"buyer", "seller", "admin"}
    for name in ("nobody", "deactivated account", "ended session", "odd session value"):
        looked = _looked_up(app_ctx, states[name])
        assert looked is not None and not looked.is_authenticated, name
    assert _looked_up(app_ctx, states["ended session"]).in_cart == 4  # the session's cart


def test_a_request_that_loaded_the_user_is_answered_by_current_user(app_ctx):
    user = make_user()
    context = _in_request(app_ctx, {"_user_id": user.get_id()})
    try:
        assert current_user.is_authenticated
        assert signed_in.lookup() is None
    finally:
        context.pop()


def test_a_remember_cookie_without_a_session_is_left_to_flask_login(app_ctx):
    context = _in_request(app_ctx, {}, cookie="remember_token=anything")
    try:
        assert signed_in.lookup() is None
    finally:
        context.pop()


def test_one_query_per_request_however_often_asked(app_ctx, monkeypatch):
    token = make_user().get_id()
    lookups: list[dict] = []
    through_sqlalchemy: list[str] = []
    real_run = signed_in._run

    def counted(params: dict) -> list:
        lookups.append(params)
        return real_run(params)

    def seen(_conn, _cursor, statement, *_args) -> None:
        through_sqlalchemy.append(statement)

    monkeypatch.setattr(signed_in, "_run", counted)
    event.listen(db.engine, "before_cursor_execute", seen)
    request = _in_request(app_ctx, {"_user_id": token})
    try:
        for _ in range(5):
            assert signed_in.lookup().is_authenticated
        assert "_login_user" not in g  # the ORM user was never loaded
    finally:
        request.pop()
        event.remove(db.engine, "before_cursor_execute", seen)
    assert lookups == [{"token": token}]
    assert through_sqlalchemy == []  # straight on the pooled connection, no ORM load


@pytest.mark.parametrize("signal", ["login", "logout"])
def test_logging_in_or_out_in_a_request_forgets_the_answer(app_ctx, signal):
    from flask_login import login_user, logout_user

    user = make_user()
    context = _in_request(app_ctx, {} if signal == "login" else {"_user_id": user.get_id()})
    try:
        before = signed_in.lookup()
        assert before is not None and before.is_authenticated is (signal == "logout")
        if signal == "login":
            login_user(user)
        else:
            logout_user()
        assert signed_in.lookup() is None  # the request now has its user: current_user answers
        assert current_user.is_authenticated is (signal == "login")
    finally:
        context.pop()
