"""Command-line tools of the core: ``flask --app marketplace users|demo …``.

The domains bring their own groups (``catalog.cli``, ``orders.cli``); the factory adds them.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace.auth import services as auth_services
from marketplace.auth.models import Role

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data.")


@users_cli.command("create")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=("buyer",),
    show_default=True,
)
@click.password_option("--password", help="Prompted (hidden) when not given.")
def create_user(email: str, name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a user, e.g. ``flask --app marketplace users create --role admin``."""
    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="--password")
    try:
        user = auth_services.register_user(
            name=name, email=email, password=password, roles=[Role(r) for r in roles]
        )
    except auth_services.EmailTaken as exc:
        raise click.ClickException(f"an account with {email} already exists") from exc
    click.echo(f"created user {user.id} <{user.email}> roles={','.join(sorted(roles))}")


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo marketplace (sellers, products, photos). Safe to run again."""
    from marketplace.demo.loader import load

    summary = load(echo=click.echo)
    click.echo(
        "demo data: {categories} categories, {sellers} sellers, {products} products, "
        "{images} images ({created} new products)".format(**summary)
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
