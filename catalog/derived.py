"""Values derived from the catalogue, kept per process until the catalogue changes.

Listing pages keep asking the same questions: how a product's card looks, how many products a
category or shop has. The answers change only when the catalogue does, so they are kept here
under the catalogue version (``marketplace.page_cache.catalogue_version``): any committed
catalogue change, stock taken by an order included, gives new keys at once in the worker that
made it. Other workers follow within ``PAGE_CACHE_SECONDS`` (30 s when the page cache is off),
the same lag the page cache allows. The store holds a bounded number of values and drops the
least recently used.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app

from marketplace.page_cache import catalogue_version

MAX_VALUES = 8192
SECONDS_WITHOUT_PAGE_CACHE = 30
_EXTENSION = "catalog_derived"
T = TypeVar("T")


class BoundedCache:
    """A small thread-safe LRU whose entries also expire."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._items: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, ttl: float, make: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] > now:
                self._items.move_to_end(key)
                return found[1]  # type: ignore[return-value]
        value = make()  # outside the lock: rendering may take a while
        with self._lock:
            self._items[key] = (now + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> object | None:
        with self._lock:
            found = self._items.get(key)
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def peek_many(self, keys: list[Hashable]) -> list[object | None]:
        """The live values under ``keys`` (None where there is none), each marked as used."""
        now = time.monotonic()
        values: list[object | None] = []
        with self._lock:
            for key in keys:
                found = self._items.get(key)
                if found is not None and found[0] > now:
                    self._items.move_to_end(key)
                    values.append(found[1])
                else:
                    values.append(None)
        return values

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def store(app: Flask) -> BoundedCache:
    return app.extensions.setdefault(_EXTENSION, BoundedCache(MAX_VALUES))


def remember(key: tuple[Hashable, ...], make: Callable[[], T]) -> T:
    """``make()``, or what it gave for ``key`` since the catalogue last changed."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ttl = app.config.get("PAGE_CACHE_SECONDS", 0) or SECONDS_WITHOUT_PAGE_CACHE
    return store(app).get_or_make((catalogue_version(), *key), ttl, make)


def peek(key: tuple[Hashable, ...]) -> Any:
    """What ``remember`` keeps for ``key`` now, or None."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return store(app).peek((catalogue_version(), *key))


def peek_many(keys: list[tuple[Hashable, ...]]) -> list[Any]:
    """``peek`` for several keys at once (one version read, one lock)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    version = catalogue_version()
    return store(app).peek_many([(version, *key) for key in keys])


def clear(app: Flask) -> None:
    store(app).clear()
