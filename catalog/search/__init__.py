"""Product search: one backend per app (Whoosh on local disk by default, PostgreSQL for several
app servers), kept in step with the database after every commit.

Views call ``search``/``suggest``; everything else (the CLI, the sync hooks) goes through
``backend()``. The database is the source of truth: ``reindex`` rebuilds the index from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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


def reindex(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database's public products."""
    from sqlalchemy.orm import Session

    from catalog.search.documents import public_documents
    from marketplace.extensions import db

    with Session(db.engine) as session:  # its own session: batches are expunged
        return backend().rebuild(public_documents(session), progress)


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
