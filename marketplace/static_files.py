"""Static files cached for a year by phones and proxies, yet never stale after a release.

Every ``url_for("static", …)`` gets ``?v=`` and the first 12 hex digits of the file's SHA-256.
A request whose ``v`` matches the file being served is answered with a one-year ``immutable``
cache: a changed stylesheet gets another URL, so a phone on a slow connection never asks again
for what it has, and never keeps an old file after a release. A request without it (or with an
old one) keeps the short default cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, request

from marketplace.storage import PUBLIC_CACHE_CONTROL

_DIGITS = 12


class _Versions:
    """File digests, kept per process.

    Every page links a few static files, so the digest is looked up on each render: in
    production a file's digest is read once (files change only with a release, which restarts
    the workers); with ``watch`` (debug or template reloading) a changed size or modification
    time is noticed at the next lookup.
    """

    def __init__(self, folder: str, *, watch: bool = True) -> None:
        self.folder = Path(folder).resolve()
        self.watch = watch
        self._known: dict[str, tuple[tuple[int, int], str | None]] = {}

    def of(self, filename: str) -> str | None:
        known = self._known.get(filename)
        if known is not None and not self.watch:
            return known[1]
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            return None  # not remembered: a name from a URL must not grow the table
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        if known is not None and known[0] == key:
            return known[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:_DIGITS]
        self._known[filename] = (key, digest)
        return digest


def init_app(app: Flask) -> None:
    if not app.static_folder or not os.path.isdir(app.static_folder):
        return
    versions = _Versions(
        app.static_folder, watch=app.debug or bool(app.config.get("TEMPLATES_AUTO_RELOAD"))
    )

    @app.url_defaults
    def _add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and values.get("filename"):
            version = versions.of(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _cache_versioned(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        asked = request.args.get("v")
        if asked and asked == versions.of(filename):
            response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
        return response
