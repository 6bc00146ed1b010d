"""``flask --app marketplace workshops …``: the periodic follow-up job (run daily from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

workshops_cli = AppGroup("workshops", help="Workshops for trainers (run from cron).")


@workshops_cli.command("follow-up")
def follow_up_command() -> None:
    """E-mail trainers 7, 30 and 90 days after a workshop who has stalled; safe to run twice."""
    from sellers.workshops import followup

    click.echo(f"sent {followup.send_follow_ups()} follow-up mail(s)")
