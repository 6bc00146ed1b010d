"""Command-line tools of the catalogue: ``flask --app marketplace search reindex|optimize``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from catalog import search
from catalog.models import Product
from catalog.search import misses
from marketplace.extensions import db

search_cli = AppGroup("search", help="The product search index.")


@search_cli.command("reindex")
def reindex_search() -> None:
    """Rebuild the search index from the database (safe while the site serves)."""
    total = db.session.scalar(select(func.count(Product.id))) or 0
    with click.progressbar(length=total, label="indexing products") as bar:
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            bar.update(count - done)
            done = count

        count = search.reindex(progress)
    click.echo(f"search index rebuilt: {count} public products")


@search_cli.command("optimize")
def optimize_search() -> None:
    """Compact the search index (nightly; safe while the site serves)."""
    click.echo(f"search index optimised: {search.backend().optimize()}")
    click.echo(
        f"searches that found nothing: {misses.forget_old()} counts older than "
        f"{misses.KEPT_DAYS} days dropped"
    )
