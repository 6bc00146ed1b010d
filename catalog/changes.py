"""What a committed transaction changed in the catalogue, told to whoever needs to follow it.

Public pages and the search index are both derived from the catalogue and must follow it after
a commit, never before and never after a rollback. The core's event bus
(``marketplace.events``) notes the ids of touched products, photos, sellers and categories during
flushes and, once the transaction has committed, this module hands them to every subscriber
(the search index; the core's page cache follows every tracked change on its own). A
subscriber's failure is logged, not raised: the user's change is already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from marketplace import events

log = logging.getLogger(__name__)
_subscribers: list[Callable[[Changes], None]] = []


@dataclass
class Changes:
    products: set[int] = field(default_factory=set)  # a column of the product changed
    images: set[int] = field(default_factory=set)
    sellers: set[int] = field(default_factory=set)
    categories: set[int] = field(default_factory=set)


def track() -> None:
    """Name the catalogue's models to the event bus (idempotent)."""
    from catalog.models import Category, Product, ProductImage
    from catalog.shops import Seller

    events.track(
        {Product: "products", ProductImage: "images", Seller: "sellers", Category: "categories"}
    )


def subscribe(callback: Callable[[Changes], None]) -> None:
    """Call ``callback(changes)`` in the app context after each commit that changed any."""
    if callback not in _subscribers:
        _subscribers.append(callback)
    track()
    events.subscribe_changes(_dispatch)


def _dispatch(changed: dict[str, set[int]]) -> None:
    changes = Changes(
        products=set(changed.get("products", ())),
        images=set(changed.get("images", ())),
        sellers=set(changed.get("sellers", ())),
        categories=set(changed.get("categories", ())),
    )
    if not (changes.products or changes.images or changes.sellers or changes.categories):
        return
    for callback in _subscribers:
        try:
            callback(changes)
        except Exception:
            log.exception("following a catalogue change failed in %s", callback.__qualname__)
