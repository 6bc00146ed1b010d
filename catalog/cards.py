"""Product cards rendered once and reused by every grid that shows the product.

The same card appears on the home page, its category, its shop, search results and under
related products, and rendering it (price, rating, place name, photo variants) was most of a
listing page's time. A card depends only on the product, the language and whether its photo
loads eagerly, so it is kept per process under those and the catalogue version
(``marketplace.page_cache.catalogue_version``): any committed catalogue change, stock taken by
an order included, gives new keys at once in the worker that made it. Other workers follow
within ``PAGE_CACHE_SECONDS`` (30 s when the page cache is off), the same lag the page cache
allows; the cache holds a bounded number of cards and drops the least recently used.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app
from markupsafe import Markup

from marketplace.i18n import current_locale
from marketplace.page_cache import catalogue_version

MAX_CARDS = 4096
SECONDS_WITHOUT_PAGE_CACHE = 30
_EXTENSION = "catalog_cards"


class BoundedCache:
    """A small thread-safe LRU whose entries also expire."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._items: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, ttl: float, make: Callable[[], object]) -> object:
        now = time.monotonic()
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] > now:
                self._items.move_to_end(key)
                return found[1]
        value = make()  # outside the lock: rendering may take a while
        with self._lock:
            self._items[key] = (now + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def _cache(app: Flask) -> BoundedCache:
    return app.extensions.setdefault(_EXTENSION, BoundedCache(MAX_CARDS))


def card_body(product, eager: bool = False) -> Markup:
    """The inside of a product's card (link, photo, title, price, rating, place, stock)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ttl = app.config.get("PAGE_CACHE_SECONDS", 0) or SECONDS_WITHOUT_PAGE_CACHE
    key = (catalogue_version(), current_locale(), product.id, bool(eager))

    def render() -> Markup:
        macros = app.jinja_env.get_template("macros/catalog.html").module
        return Markup(macros.card_body(product, eager))  # noqa: S704 - an autoescaping macro's output

    return _cache(app).get_or_make(key, ttl, render)  # type: ignore[return-value]


def clear(app: Flask) -> None:
    _cache(app).clear()


def register_template_globals(app: Flask) -> None:
    # A global, not a context processor: the card macros are imported by other templates.
    app.jinja_env.globals["product_card_body"] = card_body
