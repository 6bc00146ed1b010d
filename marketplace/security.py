"""HTTP security headers sent with every response.

The content-security policy allows only our own scripts, styles and images: no inline script,
no third-party origins (except, for images, the public address of the media bucket when photos
live in object storage). JSON-LD data blocks are not executed, so they need no exception.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace.storage import public_origin


def content_security_policy(media_origin: str | None = None) -> str:
    """The policy, with the media bucket's public origin among the image sources when set."""
    images = "img-src 'self' data:" + (f" {media_origin}" if media_origin else "")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            images,
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Flask's documented way to wrap its WSGI app; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    always = [
        ("Content-Security-Policy", content_security_policy(public_origin(app.config))),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    hsts = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # Added unless a view set its own: one pass over the headers there are, because a
        # ``setdefault`` per header costs a raised and caught KeyError each (every page pays it).
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers, not dict
        wanted = always
        if app.config.get("SESSION_COOKIE_SECURE") and request.is_secure:
            wanted = [*always, hsts]
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response
