"""Error pages that speak the visitor's language and never leak a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug import exceptions
from werkzeug.exceptions import HTTPException

from marketplace.extensions import db


class DomainError(Exception):
    """Base for rule violations a view turns into a message (never a 500)."""


class NotFound(DomainError):
    """The object does not exist *for this user* (another user's data is also "not found")."""


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        # Keep the exception's own headers (a 405's ``Allow``, a 429's ``Retry-After``); the
        # body, and so its type, is ours.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            return jsonify(error=error.name, status=error.code), error.code, headers
        template = f"errors/{error.code}.html"
        if error.code not in (400, 403, 404, 405, 413, 429):
            template = "errors/generic.html"
        return render_template(template, error=error), error.code, headers

    @app.errorhandler(NotFound)
    def _domain_not_found(error: NotFound):
        # Services raise the domain's NotFound; views let it through so the page (or the API's
        # JSON) is the same 404 a missing URL gets, without each view translating it.
        return _http_error(exceptions.NotFound())

    @app.errorhandler(500)
    def _server_error(error):
        db.session.rollback()
        if _wants_json():
            return jsonify(error="Internal Server Error", status=500), 500
        return render_template("errors/500.html"), 500
