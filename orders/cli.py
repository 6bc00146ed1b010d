"""Periodic jobs for cron or a systemd timer; each is safe to run twice or concurrently."""

from __future__ import annotations

import click
from flask.cli import AppGroup

orders_cli = AppGroup("orders", help="Order housekeeping (run from cron).")
payments_cli = AppGroup("payments", help="Payment housekeeping.")


@orders_cli.command("expire")
def expire_command() -> None:
    """Expire unpaid orders past their payment time and give their stock back."""
    from orders import settlement

    click.echo(f"expired {settlement.expire_unpaid()} order(s)")


@orders_cli.command("complete")
def complete_command() -> None:
    """Mark parts shipped more than AUTO_COMPLETE_DAYS ago as delivered."""
    from orders import settlement

    click.echo(f"completed {settlement.complete_shipped()} shipment(s)")
