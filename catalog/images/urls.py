"""Where a product photo's stored variants are served from, for templates and the API."""

from __future__ import annotations

from flask import Flask

from catalog.images import IMAGE_PREFIX, variant_name
from marketplace.media import media_url


def image_src(image, width: int = 640, fmt: str = "jpg", external: bool = False) -> str:
    """URL of the nearest stored variant not wider than asked (the smallest if none is)."""
    widths = image.variant_widths
    fitting = [w for w in widths if w <= width] or widths[:1]
    return media_url(variant_name(IMAGE_PREFIX, image.key, max(fitting), fmt), external)


def image_srcset(image, fmt: str = "jpg") -> str:
    return ", ".join(
        f"{media_url(variant_name(IMAGE_PREFIX, image.key, w, fmt))} {w}w"
        for w in image.variant_widths
    )


def display_height(image, width: int) -> int:
    return max(1, round(image.height * width / image.width)) if image.width else width


def register_template_globals(app: Flask) -> None:
    # Globals, not a context processor: imported macros see globals but not the context.
    app.jinja_env.globals.update(
        image_src=image_src, image_srcset=image_srcset, display_height=display_height
    )
