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


@payments_cli.command("reconcile")
@click.option(
    "--since-hours",
    default=72,
    show_default=True,
    type=click.IntRange(1, 720),
    help="How far back to list Stripe events (Stripe keeps 30 days).",
)
def reconcile_command(since_hours: int) -> None:
    """Re-apply Stripe events and sessions that webhooks missed; safe to run twice."""
    from flask import current_app

    from orders.payments import PaymentError
    from orders.payments.stripe_events import reconcile

    if not current_app.config.get("STRIPE_SECRET_KEY"):
        # Bank transfer only: nothing to reconcile, and cron should not report a failure.
        click.echo("Stripe is not configured (STRIPE_SECRET_KEY unset): nothing to reconcile.")
        return
    try:
        report = reconcile(since_hours=since_hours)
    except PaymentError as exc:  # no STRIPE_SECRET_KEY: nothing to reconcile against
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"events: {report.events_seen} seen, {report.events_applied} applied, "
        f"{report.events_duplicate} already recorded, "
        f"{report.events_waiting} waiting for their payment"
    )
    click.echo(f"sessions: {report.sessions_checked} checked, {report.sessions_changed} changed")
    if report.errors:
        raise click.ClickException(f"{report.errors} Stripe request(s) failed; run again later")
