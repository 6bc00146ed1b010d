"""Migrant Mart: the application factory.

``create_app`` is a list of named ``register_*`` steps so each concern can be read (and tested)
on its own, and nothing depends on a global app object.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from marketplace import config as config_module

ROOT = config_module.ROOT


def create_app(config: dict | None = None) -> Flask:
    instance_path = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    register_config(app, config)
    register_extensions(app)
    register_search(app)
    register_i18n(app)
    register_security(app)
    register_blueprints(app)
    register_errors(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def register_config(app: Flask, overrides: dict | None) -> None:
    app.config.from_object(config_module.Defaults)
    app.config.update(config_module.from_environment(Path(app.instance_path)))
    if overrides:
        app.config.update(overrides)
    config_module.check_production_safety(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from marketplace import media, page_cache, rate_limits, sessions  # noqa: F401 (database://)
    from marketplace.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    sessions.init_app(app)  # after Flask-WTF: its template helper is replaced by a cheaper one
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to open that page.")
    login_manager.login_message_category = "info"
    media.init_app(app)
    _import_models()
    page_cache.init_app(app)


def _import_models() -> None:
    """Every model module must be imported before Alembic or the mapper looks at metadata."""
    import catalog.models  # noqa: F401
    import catalog.search.models  # noqa: F401
    import marketplace.audit  # noqa: F401
    import marketplace.auth.models  # noqa: F401
    import orders.models  # noqa: F401
    import sellers.models  # noqa: F401
    import sellers.training.models  # noqa: F401
    import sellers.workshops.models  # noqa: F401
    import sellers.workshops.records  # noqa: F401


def register_search(app: Flask) -> None:
    from catalog import search

    search.init_app(app)


def register_i18n(app: Flask) -> None:
    from marketplace import i18n

    i18n.init_app(app)


def register_security(app: Flask) -> None:
    from marketplace import request_hygiene, security

    security.init_app(app)
    # Before the blueprints: URL converters are bound when each route is added.
    request_hygiene.init_app(app)


def register_blueprints(app: Flask) -> None:
    from catalog.admin_views import bp as admin_catalog_bp
    from catalog.api import bp as api_bp
    from catalog.views import bp as catalog_bp
    from marketplace.admin import bp as admin_bp
    from marketplace.admin.users import bp as admin_users_bp
    from marketplace.auth.views import bp as auth_bp
    from marketplace.core_views import bp as core_bp
    from orders.admin_views import bp as admin_orders_bp
    from orders.seller_views import bp as seller_orders_bp
    from orders.views import bp as orders_bp
    from orders.webhooks import bp as webhooks_bp
    from sellers.admin_views import bp as admin_sellers_bp
    from sellers.onboarding_views import bp as onboarding_bp
    from sellers.share_views import bp as share_bp
    from sellers.statement_views import bp as statements_bp
    from sellers.statement_views import verify_bp
    from sellers.training.views import bp as learn_bp
    from sellers.views import bp as sellers_bp
    from sellers.workshops.board_views import bp as workshop_board_bp
    from sellers.workshops.practice_views import bp as practice_bp
    from sellers.workshops.views import bp as workshops_bp

    for bp in (
        core_bp,
        auth_bp,
        catalog_bp,
        sellers_bp,
        admin_bp,
        admin_users_bp,
        admin_sellers_bp,
        admin_catalog_bp,
        orders_bp,
        seller_orders_bp,
        admin_orders_bp,
        webhooks_bp,
        onboarding_bp,
        learn_bp,
        share_bp,
        statements_bp,
        verify_bp,
        workshops_bp,
        api_bp,
        workshop_board_bp,
        practice_bp,
    ):
        app.register_blueprint(bp)
    from catalog import view_counts

    view_counts.init_app(app)  # counts product page views, page-cache hits included


def register_errors(app: Flask) -> None:
    from marketplace import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from marketplace import static_files, templating

    templating.init_app(app)
    static_files.init_app(app)  # versioned static URLs, cached for a year


def register_cli(app: Flask) -> None:
    from catalog.cli import search_cli
    from marketplace import cli
    from orders.cli import orders_cli, payments_cli
    from sellers.workshops.cli import workshops_cli
    from sellers.workshops.practice_cli import practice_cli

    cli.init_app(app)
    for group in (search_cli, orders_cli, payments_cli, workshops_cli, practice_cli):
        app.cli.add_command(group)
