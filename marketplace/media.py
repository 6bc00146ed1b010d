"""Uploaded media: which storage holds it and how it is served.

Uploads never live under ``static/``. Names are content-addressed, so a file never changes
once written and can be cached by browsers for a year.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, send_from_directory

from marketplace.storage import LocalStorage

bp = Blueprint("media", __name__)
ONE_YEAR = 365 * 24 * 3600


def get_storage() -> LocalStorage:
    return current_app.extensions["media_storage"]


@bp.get("/media/<path:name>")
def serve(name: str):
    storage = get_storage()
    try:
        path = storage.path(name)
        found = path is not None and path.is_file()
    except (ValueError, OSError):  # a malformed or over-long name (ENAMETOOLONG)
        found = False
    if not found:
        abort(404)
    response = send_from_directory(storage.root, name, max_age=ONE_YEAR)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


def init_app(app: Flask) -> None:
    app.extensions["media_storage"] = LocalStorage(app.config["MEDIA_ROOT"])
    app.register_blueprint(bp)


def private_image_response(data: bytes, filename: str):
    """A private JPEG (receipt, identity document) for an admin: never cached or sniffed."""
    from flask import Response

    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def private_storage() -> LocalStorage:
    """Storage for files only staff may see (transfer receipts, identity documents).

    Refuses a root inside ``MEDIA_ROOT``: everything there is served publicly by ``/media/``.
    """
    from pathlib import Path

    private = Path(current_app.config["PRIVATE_ROOT"]).resolve()
    public = Path(current_app.config["MEDIA_ROOT"]).resolve()
    if private == public or private.is_relative_to(public):
        raise RuntimeError(
            "PRIVATE_ROOT must not be inside MEDIA_ROOT: private files would be public"
        )
    return LocalStorage(private)
