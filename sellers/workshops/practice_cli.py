"""``flask practice purge``: the periodic deletion of closed workshops' practice data."""

from __future__ import annotations

import click
from flask.cli import AppGroup

practice_cli = AppGroup("practice", help="Workshop practice data housekeeping (run from cron).")


@practice_cli.command("purge")
def purge_command() -> None:
    """Delete practice data of workshops closed more than PRACTICE_RETENTION_DAYS ago."""
    from sellers.workshops import practice

    done = practice.purge_closed()
    for workshop, removed in done:
        click.echo(
            f"workshop #{workshop.id}: {removed.orders} orders, {removed.products} products, "
            f"{removed.reviews} reviews, {removed.ledger_lines} ledger lines deleted"
        )
    click.echo(f"purged {len(done)} workshop(s)")
