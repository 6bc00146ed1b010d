"""A short-lived cache of rendered public pages, with the visitor's own parts filled in per request.

Most traffic is buyers opening the same home, category, product, shop and search pages from
shared WhatsApp links; rendering them from the database every time costs far more than serving
a stored copy. The stored copy is the same for every visitor: it is rendered as an anonymous
visitor sees it, with *holes* (marker strings) where the header's account links and cart count,
the flash messages and any form's CSRF token go. Each request fills those holes from small
templates and the visitor's own session, so a logged-in buyer with a cart is served from the
cache too, and nothing of one visitor can end up in a page kept for others. Only the query
arguments a page understands are part of the key (random query strings cannot fill the cache).
Keys carry the language and a catalogue version.

Any committed change to products, photos, sellers or categories (the models the catalogue
tracks on the event bus, ``marketplace.events``) bumps the version, so the worker that made the
change (and every worker, when the cache backend is shared such as Redis) serves fresh pages at
once; with the in-process default other workers may lag by at most ``PAGE_CACHE_SECONDS``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, cast

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_app_context,
    make_response,
    render_template,
    request,
    session,
)
from flask_login import current_user
from markupsafe import Markup, escape

from marketplace.auth import signed_in
from marketplace.extensions import cache
from marketplace.sessions import csrf_token

VERSION_KEY = "page-cache-version"
CACHEABLE_ARGS = frozenset({"page", "sort", "lang"})
_RENDERING = "_page_cache_rendering"  # on ``g`` while a shared copy is being rendered
_LOGIN_USER = "_login_user"  # where Flask-Login keeps the request's user on ``g``
_GENERATION = "page_cache_generation"  # per app: catalogue changes this process has seen

# The fragments filled in per request. A marker begins with "<", which every printed value is
# escaped away from, and carries a tag derived from the secret key, so nothing a seller or buyer
# types can ever look like one (not even where the CSRF marker is printed escaped).
FRAGMENTS: dict[str, str] = {
    "account": "partials/account_nav.html",  # cart link with its count, account links
    "flashes": "partials/flashes.html",
    "soft_csrf": "",  # a form token for a visitor with a session, else nothing (no template)
}
CSRF = "csrf"  # the hole a CSRF token goes in (``csrf_token()`` while a shared copy renders)
_HOLES = "page_cache_holes"  # per app: the marker tag and the pattern that finds markers


@dataclass(frozen=True)
class Kept:
    """A rendered page to keep, with what its view needs back on a cache hit."""

    body: str
    extra: Any = None


def _holes() -> tuple[str, re.Pattern[str]]:
    holes = current_app.extensions.get(_HOLES)
    if holes is None:
        key = str(current_app.secret_key).encode()
        tag = hmac.new(key, b"page-cache holes", hashlib.sha256).hexdigest()[:16]
        names = "|".join(map(re.escape, [*FRAGMENTS, CSRF]))
        pattern = re.compile(rf"<!--mm-hole:{tag}:({names})-->|&lt;!--mm-hole:{tag}:({CSRF})--&gt;")
        holes = current_app.extensions[_HOLES] = (tag, pattern)
    return holes


def marker(name: str) -> str:
    """The marker a shared copy holds where the hole ``name`` is filled in per request."""
    return f"<!--mm-hole:{_holes()[0]}:{name}-->"


def _enabled() -> bool:
    return current_app.config.get("PAGE_CACHE_SECONDS", 0) > 0


def cacheable(allowed_args: frozenset[str] = CACHEABLE_ARGS) -> bool:
    return _enabled() and request.method == "GET" and set(request.args) <= allowed_args


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = str(time.time_ns())
        cache.add(VERSION_KEY, version, timeout=0)
    return version


def catalogue_version() -> str:
    """What anything derived from the catalogue is keyed with (pages, product cards).

    The shared version when the page cache is on, and always this process's own count of the
    catalogue changes it committed, so derived copies follow changes with the cache off too.
    Read once per request.
    """
    if "_catalogue_version" not in g:
        generation = current_app.extensions.get(_GENERATION, 0)
        g._catalogue_version = f"{_version() if _enabled() else ''}.{generation}"
    return g._catalogue_version


def bump() -> None:
    """Forget every cached page (called after catalogue changes are committed)."""
    if not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.extensions[_GENERATION] = app.extensions.get(_GENERATION, 0) + 1
    g.pop("_catalogue_version", None)
    if _enabled():
        cache.set(VERSION_KEY, str(time.time_ns()), timeout=0)


# --- holes -----------------------------------------------------------------------------------


def hole(name: str) -> Markup:
    """``{{ page_hole('account') }}`` in a template: the visitor's fragment, or its marker while
    a copy for everyone is being rendered."""
    if g.get(_RENDERING):
        return Markup(marker(name))  # noqa: S704 - a fixed marker of ours
    return Markup(_render_fragment(name))  # noqa: S704 - rendered by an autoescaping template


def _render_fragment(name: str) -> str:
    if name == "soft_csrf":
        # Forms whose view also takes same-origin posts without a token (add to cart): the
        # token only for a visitor who has a session already, so a first visit starts none.
        if not session:
            return ""
        return f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">'
    if name == "flashes":
        if "_flashes" not in session:
            return ""  # nothing pending: no template work, and the session is left alone
        return render_template(FRAGMENTS[name])
    return _account_nav()


@dataclass(frozen=True)
class HeaderVisitor:
    """All the header's account links may know of a visitor: whether they are logged in, their
    roles and how many items their cart holds (never a name, address or token)."""

    is_authenticated: bool
    roles: frozenset[str]
    in_cart: int

    def has_role(self, role) -> bool:
        return str(getattr(role, "value", role)) in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


MAX_HEADERS = 512  # languages x role sets x cart sizes seen recently


def _account_nav() -> str:
    """The header's account links, rendered once per language, kind of visitor and cart size.

    Every logged-in page needs them, so they are rendered from ``HeaderVisitor`` alone (the
    template sees it as ``current_user``) and kept: nothing else of the visitor can get into a
    copy another visitor is given. The logout form's token is put in per request.
    """
    from marketplace.i18n import current_locale

    visitor = header_visitor()
    key = (current_locale(), request.script_root, visitor)
    kept: dict = current_app.extensions.setdefault("page_cache_headers", {})
    html = kept.get(key)
    if html is None:
        html = _render_as(visitor)
        if len(kept) >= MAX_HEADERS:
            kept.clear()
        kept[key] = html
    in_attribute = str(escape(marker(CSRF)))
    if in_attribute in html:
        html = html.replace(in_attribute, str(escape(csrf_token())))
    return html


def header_visitor() -> HeaderVisitor:
    """This request's visitor as the header knows them: from the one-query lookup when the
    user has not been loaded, else from ``current_user`` and the cart's own count."""
    known = signed_in.lookup()
    if known is not None:
        return HeaderVisitor(known.is_authenticated, known.roles, known.in_cart)
    user = current_user
    return HeaderVisitor(
        is_authenticated=bool(user.is_authenticated),
        roles=frozenset(str(r.value) for r in user.roles) if user.is_authenticated else frozenset(),
        in_cart=_count_in_cart(),
    )


def _count_in_cart() -> int:
    count = current_app.jinja_env.globals.get("cart_count")
    return int(count()) if callable(count) else 0


def _render_as(visitor: HeaderVisitor) -> str:
    missing = object()
    saved_user = g.get(_LOGIN_USER, missing)
    saved_token = g.get("csrf_token", missing)
    setattr(g, _LOGIN_USER, visitor)
    g.csrf_token = marker(CSRF)
    try:
        return render_template(FRAGMENTS["account"], in_cart=visitor.in_cart)
    finally:
        _restore(_LOGIN_USER, saved_user, missing)
        _restore("csrf_token", saved_token, missing)


def _restore(name: str, saved: object, missing: object) -> None:
    if saved is missing:
        g.pop(name, None)
    else:
        setattr(g, name, saved)


def render_shared(view: Callable, *args, **kwargs):
    """Run ``view`` as an anonymous visitor with holes for everything personal.

    The user is swapped for an anonymous one and the CSRF token for its marker while the view
    renders, so even a template that reaches for ``current_user`` or ``csrf_token()`` directly
    puts nothing of this visitor into the copy kept for others. The request's language is
    settled first (it may come from the account).
    """
    from marketplace.extensions import login_manager
    from marketplace.i18n import current_locale

    current_locale()
    missing = object()
    saved_user = g.get(_LOGIN_USER, missing)
    saved_token = g.get("csrf_token", missing)
    g.setdefault(_RENDERING, 0)
    g._page_cache_rendering += 1
    setattr(g, _LOGIN_USER, login_manager.anonymous_user())
    g.csrf_token = marker(CSRF)
    try:
        return view(*args, **kwargs)
    finally:
        g._page_cache_rendering -= 1
        _restore(_LOGIN_USER, saved_user, missing)
        _restore("csrf_token", saved_token, missing)


def _logged_in() -> bool:
    known = signed_in.lookup()
    return bool(known.is_authenticated if known is not None else current_user.is_authenticated)


def split(body: str) -> tuple[bytes | str, ...]:
    """A rendered shared copy as kept: its UTF-8 text between the holes, and the holes' names
    (``(text, name, text, …, text)``), so a hit is one join with no search or re-encoding."""
    pattern = _holes()[1]
    parts: list[bytes | str] = []
    start = 0
    for found in pattern.finditer(body):
        parts.append(body[start : found.start()].encode())
        parts.append(found.group(1) or found.group(2))
        start = found.end()
    parts.append(body[start:].encode())
    return tuple(parts)


def _fill_hole(name: str) -> tuple[str, bool]:
    """What goes in a hole for this visitor, and whether it is theirs alone."""
    if name == CSRF:
        return str(escape(csrf_token())), True
    personal = (name == "flashes" and "_flashes" in session) or (
        name == "soft_csrf" and bool(session)
    )
    return _render_fragment(name), personal


def fill(kept: tuple[bytes | str, ...]) -> Response:
    """The shared copy (as ``split`` keeps it) with this visitor's parts in its holes.

    Pages with anything of the visitor in them (a login, a cart, a message, a form token) are
    marked private so no shared cache on the way keeps them; every copy varies by cookie.
    """
    personal = _logged_in() or bool(session.get("cart"))
    parts = list(kept)
    filled: dict[str, bytes] = {}
    for at in range(1, len(parts), 2):
        name = cast(str, parts[at])
        text = filled.get(name)
        if text is None:
            value, theirs = _fill_hole(name)
            personal = personal or theirs
            text = filled[name] = value.encode()
        parts[at] = text
    response = make_response(b"".join(cast(list[bytes], parts)))
    response.vary.add("Cookie")
    if personal:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def serve(key_parts: tuple[Hashable, ...], render: Callable[[], object]) -> object:
    """The page under ``key_parts`` (with the language and catalogue version added) from the
    cache, or rendered by ``render`` as a shared copy and kept; holes filled either way.

    ``render`` returns the page body (a ``str``), or ``Kept(body, extra)`` whose ``extra`` is
    stored beside the body and handed back as ``g.page_cache_extra`` (what a view needs to
    know on a cache hit, e.g. a search's result count). Anything else (a redirect, an error
    response) is passed through and not kept.
    """
    from marketplace.i18n import current_locale

    signed_in.for_cached_pages()
    # The shared version alone: with a shared backend every worker finds the same copies.
    key = "page2:" + repr((_version(), current_locale(), *key_parts))  # 2: kept as ``split``
    stored = cache.get(key)
    if stored is None:
        result = render_shared(render)
        if isinstance(result, str):
            result = Kept(result)
        if not isinstance(result, Kept):
            return result
        stored = (split(result.body), result.extra)
        cache.set(key, stored, timeout=current_app.config["PAGE_CACHE_SECONDS"])
    g.page_cache_extra = stored[1]
    return fill(stored[0])


def cached_page(view: Callable) -> Callable:
    """Serve the view's rendered HTML from the cache (for every visitor, holes filled)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not cacheable():
            return view(*args, **kwargs)
        return serve(
            (request.path, tuple(sorted(request.args.items(multi=True)))),
            functools.partial(view, *args, **kwargs),
        )

    return wrapper


def _catalogue_changed(_changes) -> None:
    bump()


def init_app(app: Flask) -> None:
    from marketplace import events

    cache.init_app(app)
    events.subscribe_changes(_catalogue_changed)  # the catalogue tracks its models there
    app.jinja_env.globals["page_hole"] = hole

    @app.after_request
    def _private_when_logged_in(response: Response) -> Response:
        # Any page shown to a logged-in visitor (from the cache or not) is theirs alone; a
        # user never looked up for this request is not loaded just to say so.
        user = g.get(_LOGIN_USER)
        if user.is_authenticated if user is not None else signed_in.looked_up_logged_in():
            response.headers.setdefault("Cache-Control", "private, no-cache")
        return response
