"""Keeps the search index in step with the database after each commit.

``catalog.changes`` says which products, sellers and categories a committed transaction
touched; their current state is read in a fresh session and each product is written to or
removed from the index (a seller's or a category's change reaches all of its products). If the
index cannot be written, ``flask search reindex`` repairs it from the database.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from catalog import changes


def apply(touched: changes.Changes) -> None:
    if "search" not in current_app.extensions:
        return
    if not (touched.products or touched.sellers or touched.categories):
        return  # photos alone do not change a search document
    from catalog.search import backend
    from catalog.search.documents import documents_for_ids, product_ids_of
    from marketplace.extensions import db

    with Session(db.engine) as fresh:
        ids = set(touched.products) | product_ids_of(
            fresh, seller_ids=touched.sellers, category_ids=touched.categories
        )
        docs, gone = documents_for_ids(fresh, ids)
    search = backend()
    search.upsert(docs)
    search.delete(gone)


def watch() -> None:
    changes.subscribe(apply)
