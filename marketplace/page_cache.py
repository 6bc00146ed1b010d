"""A short-lived cache of rendered public pages for visitors who are not logged in.

Most traffic is anonymous buyers opening the same home, category, product and shop pages from
shared WhatsApp links; rendering them from the database every time costs far more than serving
a stored copy. A page is cached only when nothing in it belongs to the visitor: no login, no
pending flash message, and only the query arguments the page understands (so random query
strings cannot fill the cache). Keys carry the language and a catalogue version.

Any committed change to products, photos, sellers or categories (the models the catalogue
tracks on the event bus, ``marketplace.events``) bumps the version, so the
worker that made the change (and every worker, when the cache backend is shared such as Redis)
serves fresh pages at once; with the in-process default other workers may lag by at most
``PAGE_CACHE_SECONDS``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import Flask, current_app, has_app_context, request, session

from marketplace.extensions import cache

VERSION_KEY = "page-cache-version"
CACHEABLE_ARGS = frozenset({"page", "sort", "lang"})


def _enabled() -> bool:
    return current_app.config.get("PAGE_CACHE_SECONDS", 0) > 0


def _cacheable() -> bool:
    return (
        _enabled()
        and request.method == "GET"
        and "_user_id" not in session
        and "_flashes" not in session
        and not session.get("cart")  # the header shows this visitor's cart
        and set(request.args) <= CACHEABLE_ARGS
    )


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = str(time.time_ns())
        cache.add(VERSION_KEY, version, timeout=0)
    return version


def bump() -> None:
    """Forget every cached page (called after catalogue changes are committed)."""
    if has_app_context() and _enabled():
        cache.set(VERSION_KEY, str(time.time_ns()), timeout=0)


def cached_page(view: Callable) -> Callable:
    """Serve the view's rendered HTML from the cache when the visitor is anonymous."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        from marketplace.i18n import current_locale

        key = f"page:{_version()}:{current_locale()}:{request.full_path}"
        body = cache.get(key)
        if body is not None:
            return body
        result = view(*args, **kwargs)
        if isinstance(result, str):  # a plain rendered page; errors and redirects are not kept
            cache.set(key, result, timeout=current_app.config["PAGE_CACHE_SECONDS"])
        return result

    return wrapper


def _catalogue_changed(_changes) -> None:
    bump()


def init_app(app: Flask) -> None:
    from marketplace import events

    cache.init_app(app)
    events.subscribe_changes(_catalogue_changed)  # the catalogue tracks its models there
