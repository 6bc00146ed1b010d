"""What a committed transaction changed in the catalogue, told to whoever needs to follow it.

Public pages and the search index are both derived from the catalogue and must follow it after
a commit, never before and never after a rollback. One set of session hooks notes the ids of
touched products, photos, sellers and categories during flushes and, once the transaction has
committed, hands them to every subscriber (the page cache, the search index). A subscriber's
failure is logged, not raised: the user's change is already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_PENDING = "catalogue_changes"
_NEW = "catalogue_changes_new"
_subscribers: list[Callable[[Changes], None]] = []
_watching = False


@dataclass
class Changes:
    products: set[int] = field(default_factory=set)  # a column of the product changed
    images: set[int] = field(default_factory=set)
    sellers: set[int] = field(default_factory=set)
    categories: set[int] = field(default_factory=set)


def subscribe(callback: Callable[[Changes], None]) -> None:
    """Call ``callback(changes)`` in the app context after each commit that changed any."""
    if callback not in _subscribers:
        _subscribers.append(callback)
    _watch()


def _kind(obj) -> str | None:
    from catalog.models import Category, Product, ProductImage
    from sellers.models import Seller

    for model, kind in (
        (Product, "products"),
        (ProductImage, "images"),
        (Seller, "sellers"),
        (Category, "categories"),
    ):
        if isinstance(obj, model):
            return kind
    return None


def _note(session, _flush_context, _instances) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = _kind(obj)
        if kind is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue  # e.g. a product whose photo list changed: the photo itself is noted
        changes = session.info.setdefault(_PENDING, Changes())
        if obj.id is not None:
            getattr(changes, kind).add(obj.id)
        else:  # new rows get their ids during this flush
            session.info.setdefault(_NEW, []).append((kind, obj))


def _collect_new(session, _flush_context) -> None:
    for kind, obj in session.info.pop(_NEW, []):
        if obj.id is not None:
            getattr(session.info.setdefault(_PENDING, Changes()), kind).add(obj.id)


def _after_commit(session) -> None:
    changes = session.info.pop(_PENDING, None)
    if changes is None or not has_app_context():
        return
    for callback in _subscribers:
        try:
            callback(changes)
        except Exception:
            log.exception("following a catalogue change failed in %s", callback.__qualname__)


def _forget(session, _transaction=None) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_NEW, None)


def _watch() -> None:
    """Register the session hooks once per process (they serve every app)."""
    global _watching
    if _watching:
        return
    event.listen(Session, "before_flush", _note)
    event.listen(Session, "after_flush", _collect_new)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _forget)
    _watching = True
