"""Site-wide pages: language switch, region lookups, health check (the home page is the
catalogue's: ``catalog.views.home``)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from marketplace import regions
from marketplace.extensions import db
from marketplace.request_hygiene import safe_redirect_target

bp = Blueprint("core", __name__)


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
