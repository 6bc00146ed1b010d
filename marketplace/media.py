"""Uploaded media: how the stores of ``marketplace.storage`` are served and linked.

Uploads never live under ``static/``. Names are content-addressed, so a file never changes
once written and can be cached by browsers for a year.
"""

from __future__ import annotations

import mimetypes
import re

from flask import Blueprint, Flask, Response, abort, g, has_request_context, send_file, url_for

from marketplace import storage
from marketplace.storage import PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL

bp = Blueprint("media", __name__)


# Names url_for would print unchanged (it quotes anything else): ours are content addresses.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._/-]*")


def media_url(name: str, external: bool = False) -> str:
    """Where a browser fetches a public file: the store's own public address when it has one
    (a CDN or bucket), else ``/media/`` on this site.

    A product grid links about a hundred photo variants; building each with ``url_for`` was a
    measurable part of the page, so the site's ``/media/`` prefix is built once per request and
    plain names are appended to it (the same URL ``url_for`` gives).
    """
    public = storage.public_storage().url(name)
    if public:
        return public
    if external or not has_request_context() or not _PLAIN_NAME.fullmatch(name):
        return url_for("media.serve", name=name, _external=external)
    prefix = g.get("_media_prefix")
    if prefix is None:
        prefix = g._media_prefix = url_for("media.serve", name="x")[:-1]
    return prefix + name


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
