"""The one after-commit event bus: side effects run once the transaction that caused them commits.

Side effects wait for the transaction (DESIGN §4.5): an e-mail, a search-index write or a page
cache bump scheduled during a use case runs once the database has its data, and is dropped if
the transaction (or the savepoint it was scheduled in) rolls back, so nobody is told about
something that does not exist. The core knows no domain: the packages above it schedule calls
(``after_commit``), name the models whose committed changes others follow (``track``) and
subscribe to them (``subscribe_changes``).

Calls happen inside the commit, when the session can no longer load anything: pass plain
values (addresses, rendered text, ids), not ORM objects. A failing call is logged, not raised,
since the data it reports on is already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING = "after_commit_calls"
_CHANGED = "after_commit_changed_rows"
_NEW = "after_commit_new_rows"
_watching = False

# Model class -> the name its changed ids are reported under, e.g. ``Product -> "products"``.
_tracked: dict[type, str] = {}
_change_subscribers: list[Callable[[dict[str, set[int]]], None]] = []


def after_commit(fn: Callable[..., object], *args, **kwargs) -> None:
    """Call ``fn(*args, **kwargs)`` once the current ``db.session`` transaction commits."""
    from marketplace.extensions import db

    _watch()
    session = db.session()
    scope = session.get_nested_transaction()  # None: the outer transaction, present or next
    session.info.setdefault(_PENDING, []).append((scope, fn, args, kwargs))


def track(models: dict[type, str]) -> None:
    """Report committed inserts, updates and deletes of these models to change subscribers."""
    _tracked.update(models)
    _watch()


def subscribe_changes(callback: Callable[[dict[str, set[int]]], None]) -> None:
    """Call ``callback({name: ids})`` in the app context after each commit that changed any
    tracked row (``name`` as given to ``track``)."""
    if callback not in _change_subscribers:
        _change_subscribers.append(callback)
    _watch()


def note_changed(obj) -> None:
    """Report ``obj`` as changed by this transaction although no flush saw it change.

    A compare-and-set ``UPDATE`` (``marketplace.states``) bypasses the session's unit of work, so
    without this a shop verified or suspended that way would stay as it was in the search index
    and the cached pages.
    """
    from marketplace.extensions import db

    kind = _kind(obj)
    if kind is not None and obj.id is not None:
        _watch()
        db.session().info.setdefault(_CHANGED, {}).setdefault(kind, set()).add(obj.id)


def _log_failure(what: object) -> None:
    logger = current_app.logger if has_app_context() else log
    logger.exception("after-commit call %s failed", getattr(what, "__qualname__", what))


def _kind(obj) -> str | None:
    for model, kind in _tracked.items():
        if isinstance(obj, model):
            return kind
    return None


def _note(session: Session, _flush_context, _instances) -> None:
    if not _tracked:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = _kind(obj)
        if kind is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue  # e.g. a product whose photo list changed: the photo itself is noted
        if obj.id is not None:
            session.info.setdefault(_CHANGED, {}).setdefault(kind, set()).add(obj.id)
        else:  # new rows get their ids during this flush
            session.info.setdefault(_NEW, []).append((kind, obj))


def _collect_new(session: Session, _flush_context) -> None:
    for kind, obj in session.info.pop(_NEW, []):
        if obj.id is not None:
            session.info.setdefault(_CHANGED, {}).setdefault(kind, set()).add(obj.id)


def _run_pending(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the outer transaction can still roll back
    for _scope, fn, args, kwargs in session.info.pop(_PENDING, []):
        try:
            fn(*args, **kwargs)
        except Exception:
            _log_failure(fn)
    changed = session.info.pop(_CHANGED, None)
    if not changed or not has_app_context():
        return
    for callback in _change_subscribers:
        try:
            callback(changed)
        except Exception:
            _log_failure(callback)


def _forget_all(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CHANGED, None)
    session.info.pop(_NEW, None)


def _forget_on_rollback(session: Session) -> None:
    """A real rollback of the outer transaction; savepoints are handled precisely below."""
    if session.get_nested_transaction() is None:
        _forget_all(session)


def _within(scope: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while scope is not None:
        if scope is ended:
            return True
        scope = scope.parent
    return False


def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Drop what was scheduled inside the transaction or savepoint that just rolled back.

    Changed rows are not tied to a savepoint: any rollback forgets them, and the worst case is
    a page or index entry refreshed later (by the next change or ``flask search reindex``).
    """
    session.info.pop(_CHANGED, None)
    session.info.pop(_NEW, None)
    if previous_transaction.parent is None:
        _forget_all(session)
        return
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [p for p in pending if not _within(p[0], previous_transaction)]


def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """An outer transaction that ends without committing (``session.close()``) drops its work."""
    if transaction.parent is None:
        _forget_all(session)


def _watch() -> None:
    """Register the session hooks once per process (they serve every app and session)."""
    global _watching
    if _watching:
        return
    event.listen(Session, "before_flush", _note)
    event.listen(Session, "after_flush", _collect_new)
    event.listen(Session, "after_commit", _run_pending)
    event.listen(Session, "after_rollback", _forget_on_rollback)
    event.listen(Session, "after_soft_rollback", _forget_rolled_back)
    event.listen(Session, "after_transaction_end", _forget_uncommitted)
    _watching = True
