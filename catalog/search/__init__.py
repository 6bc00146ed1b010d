"""Product search: one backend per app (Whoosh on local disk by default, PostgreSQL for several
app servers), kept in step with the database after every commit.

Views call ``search``/``suggest``; everything else (the CLI, the sync hooks) goes through
``backend()``. The database is the source of truth: ``reindex`` rebuilds the index from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app

from catalog.search.base import (
    FACETS,
    MAX_PAGE,
    MAX_QUERY_CHARS,
    PRICE_BANDS,
    SORTS,
    SearchBackend,
    SearchQuery,
    SearchResults,
    Suggestion,
)

__all__ = [
    "FACETS",
    "MAX_PAGE",
    "MAX_QUERY_CHARS",
    "PRICE_BANDS",
    "SORTS",
    "SearchBackend",
    "SearchQuery",
    "SearchResults",
    "Suggestion",
    "backend",
    "init_app",
    "reindex",
    "search",
    "suggest",
]

log = logging.getLogger(__name__)


def backend() -> SearchBackend:
    return current_app.extensions["search"]


def search(query: SearchQuery) -> SearchResults:
    return backend().search(query)


def suggest(prefix: str, limit: int = 8) -> list[Suggestion]:
    return backend().suggest(prefix[:MAX_QUERY_CHARS], limit)


# How far before a rebuild's start edits are written again after it (clocks of several servers).
REINDEX_OVERLAP = timedelta(minutes=1)


def reindex(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database's public products.

    A product saved while the new index is being built is written to the index about to be
    replaced (or read before its change): every product changed since just before the start is
    written again once the new index is in place.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from catalog import changes
    from catalog.models import Product
    from catalog.search import sync
    from catalog.search.documents import public_documents
    from marketplace.auth.models import utcnow
    from marketplace.extensions import db

    since = utcnow() - REINDEX_OVERLAP
    with Session(db.engine) as session:  # its own session: batches are expunged
        count = backend().rebuild(public_documents(session), progress)
        changed = set(session.scalars(select(Product.id).where(Product.updated_at >= since)))
    sync.apply(changes.Changes(products=changed))  # as if each had just been saved again
    return count


def _make_backend(app: Flask) -> SearchBackend:
    kind = app.config["SEARCH_BACKEND"]
    if kind == "postgres":
        from catalog.search.postgres_backend import PostgresBackend

        return PostgresBackend(app)
    if kind != "whoosh":
        raise ValueError(f"SEARCH_BACKEND must be 'whoosh' or 'postgres', not {kind!r}")
    from catalog.search.whoosh_backend import WhooshBackend

    def rebuild_from_database() -> None:
        with app.app_context():
            count = reindex()
        log.info("search index rebuilt from the database: %d products", count)

    return WhooshBackend(Path(app.config["SEARCH_INDEX_DIR"]), rebuild=rebuild_from_database)


def init_app(app: Flask) -> None:
    from catalog.search import sync

    app.extensions["search"] = _make_backend(app)
    sync.watch()
