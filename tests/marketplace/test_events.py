"""The core's after-commit event bus: scheduled calls and change notices run only after the
transaction commits, once, and are dropped with a rollback; failures are logged, not raised."""

from __future__ import annotations

import logging

import pytest

from catalog.models import Category, Product
from marketplace import events
from marketplace.events import after_commit
from marketplace.extensions import db
from tests.factories import make_product


def test_after_commit_runs_after_the_commit(app_ctx):
    calls = []
    db.session.execute(db.text("SELECT 1"))
    after_commit(calls.append, "sent")
    assert calls == []
    db.session.commit()
    assert calls == ["sent"]
    db.session.commit()
    assert calls == ["sent"]  # once, not on every later commit


def test_after_commit_is_forgotten_on_rollback(app_ctx):
    calls = []
    db.session.execute(db.text("SELECT 1"))
    after_commit(calls.append, "sent")
    db.session.rollback()
    db.session.commit()
    assert calls == []


def test_after_commit_waits_for_the_outer_transaction_not_a_savepoint(app_ctx):
    calls = []
    db.session.execute(db.text("SELECT 1"))
    after_commit(calls.append, "outer")
    with db.session.begin_nested():
        after_commit(calls.append, "kept savepoint")
    assert calls == []  # releasing the savepoint commits nothing yet
    savepoint = db.session.begin_nested()
    after_commit(calls.append, "rolled back savepoint")
    savepoint.rollback()
    db.session.commit()
    assert calls == ["outer", "kept savepoint"]


def test_after_commit_failure_is_logged_and_others_still_run(app_ctx, caplog):
    calls = []

    def broken(_to):
        raise RuntimeError("mail down")

    db.session.execute(db.text("SELECT 1"))
    after_commit(broken, "ani@example.test")
    after_commit(calls.append, "next")
    with caplog.at_level(logging.ERROR):
        db.session.commit()
    assert calls == ["next"]
    assert any("broken" in r.getMessage() and r.exc_info for r in caplog.records)


def test_after_commit_is_forgotten_when_the_session_closes_uncommitted(app_ctx):
    calls = []
    db.session.execute(db.text("SELECT 1"))
    after_commit(calls.append, "sent")
    db.session.close()
    db.session.execute(db.text("SELECT 1"))
    db.session.commit()
    assert calls == []


@pytest.fixture
def changes_seen(app_ctx):
    """Every change notice the bus hands out during the test."""
    seen = []
    events.subscribe_changes(seen.append)
    yield seen
    events._change_subscribers.remove(seen.append)


def test_tracked_changes_are_told_after_the_commit(changes_seen):
    product = make_product()
    changes_seen.clear()
    product.title = "Gula semut baru"
    db.session.flush()
    assert changes_seen == []
    db.session.commit()
    assert changes_seen == [{"products": {product.id}}]
    db.session.commit()
    assert len(changes_seen) == 1  # once, not on every later commit


def test_new_rows_are_told_with_their_ids(changes_seen):
    product = make_product()
    assert any(product.id in seen.get("products", ()) for seen in changes_seen)


def test_tracked_changes_are_dropped_on_rollback(changes_seen):
    product = make_product()
    changes_seen.clear()
    product.title = "Tidak jadi"
    db.session.flush()
    db.session.rollback()
    db.session.execute(db.text("SELECT 1"))
    db.session.commit()
    assert changes_seen == []


def test_the_catalogue_tracks_its_models(app_ctx):
    assert events._tracked[Product] == "products"
    assert events._tracked[Category] == "categories"


def test_a_failing_subscriber_is_logged_and_the_others_still_hear(changes_seen, caplog):
    def broken(_changed):
        raise RuntimeError("index down")

    events.subscribe_changes(broken)
    try:
        product = make_product()
        changes_seen.clear()
        product.title = "Terasi"
        with caplog.at_level(logging.ERROR):
            db.session.commit()
    finally:
        events._change_subscribers.remove(broken)
    assert changes_seen == [{"products": {product.id}}]
    assert any("broken" in r.getMessage() and r.exc_info for r in caplog.records)
