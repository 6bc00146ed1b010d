"""Who is logged in, for the parts of a page every request fills in: one small query, no ORM.

A page from the page cache needs only this of a logged-in visitor: that they are logged in,
their roles (for the header's links), their language and how many items their cart holds.
Loading the ``User`` object with its roles through the ORM and counting the cart in a second
query cost more than the rest of such a request. ``lookup`` answers all of it with one small
statement on the same rule Flask-Login applies (the session's token names an active account);
the cart's count comes from the module that owns carts (``provide_cart_size``), so this core
module needs no knowledge of orders.

Whenever the request has loaded the real user (any view that uses ``current_user``), that user
is the answer and ``lookup`` returns ``None``: the caller then asks ``current_user``. Language
selection, which runs early in every request, uses the lookup only on requests the page cache
serves (``for_cached_pages``): any other view loads the user anyway, and a lookup first would
be a second query. So does
every case Flask-Login would resolve differently (a remember-me cookie, strict session
protection).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask import current_app, g, request, session
from flask_login import user_logged_in, user_logged_out
from flask_login.config import COOKIE_NAME
from sqlalchemy import ColumnElement, Engine, ScalarSelect, Select, bindparam, select

from marketplace.extensions import db

_LOGIN_USER = "_login_user"  # where Flask-Login keeps the request's user on ``g``
_ON_G = "_signed_in"  # the account's rows, kept for the rest of the request
_CACHED_PAGE = "_signed_in_cached_page"  # set while the page cache serves the request


@dataclass(frozen=True)
class SignedIn:
    """A visitor as the per-request parts of a page see them (never a name or an address)."""

    is_authenticated: bool
    locale: str | None
    roles: frozenset[str]
    in_cart: int


_cart_size: list[Callable[[ColumnElement[int]], ScalarSelect]] = []
_session_cart_size: list[Callable[[MutableMapping], int]] = []
_statement: list[Select] = []


def provide_cart_size(
    in_database: Callable[[ColumnElement[int]], ScalarSelect],
    in_session: Callable[[MutableMapping], int],
) -> None:
    """Register how many items a cart holds: a logged-in user's as a scalar subquery on the
    user id column, a visitor's from their session (the module that owns carts calls this)."""
    _cart_size[:] = [in_database]
    _session_cart_size[:] = [in_session]
    _statement.clear()
    _compiled_for.clear()


def _anonymous() -> SignedIn:
    in_cart = _session_cart_size[0](session) if _session_cart_size else 0
    return SignedIn(is_authenticated=False, locale=None, roles=frozenset(), in_cart=in_cart)


def _lookup_statement() -> Select:
    if not _statement:
        from marketplace.auth.models import User, UserRole

        users, roles = User.__table__, UserRole.__table__
        cart = (
            [_cart_size[0](users.c.id).label("in_cart")]
            if _cart_size
            else [bindparam("no_cart", 0).label("in_cart")]
        )
        _statement.append(
            select(users.c.locale, users.c.is_active_account, roles.c.role, *cart)
            .select_from(users.outerjoin(roles, roles.c.user_id == users.c.id))
            .where(users.c.session_token == bindparam("token"))
        )
    return _statement[0]


def lookup() -> SignedIn | None:
    """The visitor from the session in at most one query per request, or ``None`` when
    ``current_user`` must answer (it is loaded already, or only Flask-Login's rules can tell)."""
    if _LOGIN_USER in g:
        return None
    config = current_app.config
    if config.get("SESSION_PROTECTION", "basic") == "strong":
        return None
    token = session.get("_user_id")
    remembered = (
        config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
        and session.get("_remember") != "clear"
    )
    if not isinstance(token, str) or not token:
        return None if remembered else _anonymous()
    rows = g.get(_ON_G)
    if rows is None:  # the account's rows are read once a request; a guest's cart is no read
        rows = _run({"token": token})
        setattr(g, _ON_G, rows)
    if not rows:
        return None if remembered else _anonymous()
    first = rows[0]
    if not first.is_active_account:
        return _anonymous()  # as ``UserMixin.is_authenticated`` says of a deactivated account
    return SignedIn(
        is_authenticated=True,
        locale=first.locale,
        roles=frozenset(str(row.role) for row in rows if row.role is not None),
        in_cart=int(first.in_cart or 0),
    )


def for_cached_pages() -> None:
    """Mark this request as served from the page cache, where the lookup is all it needs."""
    setattr(g, _CACHED_PAGE, True)


def lookup_on_cached_pages() -> SignedIn | None:
    """``lookup`` on a request the page cache serves; ``None`` (ask ``current_user``) else."""
    return lookup() if g.get(_CACHED_PAGE) else None


def looked_up_logged_in() -> bool:
    """Whether this request's lookup, if it ran, found a logged-in account (never queries)."""
    rows = g.get(_ON_G)
    return bool(rows) and bool(rows[0].is_active_account)


def _run(params: dict) -> list:
    """On the request's open transaction if it has one. Otherwise straight on a pooled DBAPI
    connection with the statement compiled once per database: on a page from the cache this is
    the request's only read, and SQLAlchemy's connection and result machinery (or starting the
    ORM session's transaction) cost several times the query itself."""
    if db.session.registry.has() and db.session().in_transaction():
        return list(db.session.connection().execute(_lookup_statement(), params).all())
    sql, order, compiled = _compiled(db.engine)
    values = compiled.construct_params(params)
    raw = db.engine.raw_connection()  # checked out of the pool (and pinged) like any connection
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, tuple(values[name] for name in order) if order else values)
            return [_Row(*row) for row in cursor.fetchall()]
        finally:
            cursor.close()
    finally:
        raw.close()  # back to the pool, rolled back


class _Row(NamedTuple):
    locale: str | None
    is_active_account: bool
    role: str | None
    in_cart: int | None


_compiled_for: dict[str, tuple[str, tuple[str, ...] | None, Any]] = {}  # by database kind


def _compiled(engine: Engine) -> tuple[str, tuple[str, ...] | None, Any]:
    """The lookup's SQL for this kind of database, the order of its parameters when they are
    positional, and the compiled form that fills in their values."""
    found = _compiled_for.get(engine.dialect.name)
    if found is None:
        compiled = _lookup_statement().compile(dialect=engine.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = _compiled_for[engine.dialect.name] = (str(compiled), order, compiled)
    return found


def _forget(*_args, **_kwargs) -> None:
    g.pop(_ON_G, None)


# Logging in or out in a request changes who the rest of it is for.
user_logged_in.connect(_forget)
user_logged_out.connect(_forget)
