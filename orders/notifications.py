"""E-mail to buyers and sellers, WhatsApp links, and running them only after a commit.

Mail is a side effect of an order, never a condition for it: a mail server that is down is
logged and the order stands. Side effects also wait for the transaction (DESIGN §4.5): a
notification scheduled with ``after_commit`` runs once the database has the order, and is
dropped if the transaction rolls back, so nobody is told about an order that does not exist.

Without ``MAIL_SERVER`` (development, workshops, tests) messages are appended to the
``MAIL_OUTBOX`` file instead, where a developer or trainer can read them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from marketplace import phones
from marketplace.mail import OUTBOX_SEPARATOR, send_mail  # noqa: F401  (kept importable here)

log = logging.getLogger(__name__)

_PENDING = "orders_after_commit"
_watching = False


def whatsapp_link(number: str, text: str) -> str:
    """A wa.me link to ``number`` with ``text`` prefilled; see ``marketplace.phones``.

    Kept here for the order views that import it; the parsing of "0812…", "+62 812-…",
    "62812…", "812…" and "0062…" lives in one place. An invalid number raises ``ValueError``:
    a link to nobody is a bug in the caller.
    """
    return phones.whatsapp_link(number, text)


def after_commit(fn: Callable[..., object], *args, **kwargs) -> None:
    """Call ``fn(*args, **kwargs)`` once the current ``db.session`` transaction commits.

    Forgotten if the transaction, or the savepoint it was scheduled in, rolls back. The call
    happens inside the commit, when the session can no longer load anything: pass plain values
    (addresses, rendered text), not ORM objects. A failing call is logged, not raised, since
    the data it reports on is already committed.
    """
    from marketplace.extensions import db

    _watch()
    session = db.session()
    scope = session.get_nested_transaction()  # None: the outer transaction, present or next
    session.info.setdefault(_PENDING, []).append((scope, fn, args, kwargs))


def _run_pending(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the outer transaction can still roll back
    for _scope, fn, args, kwargs in session.info.pop(_PENDING, []):
        try:
            fn(*args, **kwargs)
        except Exception:
            logger = current_app.logger if has_app_context() else log
            logger.exception("after-commit call %s failed", getattr(fn, "__qualname__", fn))


def _forget_all(session: Session) -> None:
    session.info.pop(_PENDING, None)


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
    """Drop what was scheduled inside the transaction or savepoint that just rolled back."""
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
    event.listen(Session, "after_commit", _run_pending)
    event.listen(Session, "after_rollback", _forget_on_rollback)
    event.listen(Session, "after_soft_rollback", _forget_rolled_back)
    event.listen(Session, "after_transaction_end", _forget_uncommitted)
    _watching = True
