"""Site-wide pages: home, language switch, region lookups, health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text

from catalog import services as catalog_services
from marketplace import regions
from marketplace.extensions import db
from marketplace.page_cache import cached_page
from marketplace.request_hygiene import safe_redirect_target

bp = Blueprint("core", __name__)


@bp.get("/")
@cached_page
def home():
    return render_template(
        "home.html",
        categories=catalog_services.top_categories(),
        featured=catalog_services.featured_products(limit=8),
        newest=catalog_services.newest_products(limit=8),
        villages=catalog_services.seller_villages(),
    )


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help phishing (see ``safe_redirect_target``)."""
    return safe_redirect_target(target)


@bp.get("/regions")
@bp.get("/regions/<code>")
def region_children(code: str | None = None):
    """JSON children of a region for the progressive-enhancement pickers."""
    if code and regions.get(code) is None:
        return jsonify(error="unknown region"), 404
    return jsonify(
        [
            {"code": r.code, "name": r.name, "postal_code": r.postal_code}
            for r in regions.children(code)
        ]
    )


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means "not healthy"
        current_app.logger.error("health check failed: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/robots.txt")
def robots():
    body = "User-agent: *\nDisallow: /seller/\nDisallow: /admin/\nDisallow: /account/\n"
    return current_app.response_class(body, mimetype="text/plain")
