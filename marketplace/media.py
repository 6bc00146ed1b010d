"""Uploaded media: how the stores of ``marketplace.storage`` are served and linked.

Uploads never live under ``static/``. Names are content-addressed, so a file never changes
once written and can be cached by browsers for a year.
"""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Flask, Response, abort, send_file, url_for

from marketplace import storage
from marketplace.storage import PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL

bp = Blueprint("media", __name__)


def media_url(name: str, external: bool = False) -> str:
    """Where a browser fetches a public file: the store's own public address when it has one
    (a CDN or bucket), else ``/media/`` on this site."""
    return storage.public_storage().url(name) or url_for(
        "media.serve", name=name, _external=external
    )


@bp.get("/media/<path:name>")
def serve(name: str):
    store = storage.public_storage()
    try:
        path = store.path(name)
        if path is not None:
            if not path.is_file():
                abort(404)
            response = send_file(path.absolute())
        else:  # object storage without a public address: stream it through the app
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            response = Response(store.open(name), mimetype=mimetype)
    except (ValueError, OSError):  # a malformed or over-long name (ENAMETOOLONG), or missing
        abort(404)
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response


def init_app(app: Flask) -> None:
    storage.init_app(app)
    app.register_blueprint(bp)


def private_image_response(data: bytes, filename: str):
    """A private JPEG (receipt, identity document) for an admin: never cached or sniffed."""
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
