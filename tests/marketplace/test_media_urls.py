"""Photo URLs come from a prefix built once per request, and are exactly what url_for gives."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import url_for

from catalog.images import IMAGE_PREFIX, variant_name
from catalog.images.urls import image_src, image_srcset
from marketplace.media import media_url

NAMES = [
    f"{IMAGE_PREFIX}/ab/{'ab' * 32}-640.webp",
    f"{IMAGE_PREFIX}/00/{'0' * 64}-320.jpg",
    "logo.svg",
    "a/b/c.d.e",
    "with space.jpg",
    "tilde~name.jpg",
    "ümlaut.jpg",
    "percent%20.jpg",
    "-dash-first.jpg",
    "_under.jpg",
]


@pytest.mark.parametrize("script_root", ["", "/toko"])
def test_media_urls_match_url_for(app_ctx, script_root):
    with app_ctx.test_request_context("/", base_url=f"http://localhost{script_root}"):
        for name in NAMES:
            assert media_url(name) == url_for("media.serve", name=name), name
            assert media_url(name, external=True) == url_for(
                "media.serve", name=name, _external=True
            )


def test_photo_helpers_match_url_for(app_ctx):
    image = SimpleNamespace(key="cd" * 32, widths="320,640,1280", width=800, height=600)
    image.variant_widths = [320, 640, 1280]

    def expected(width: int, fmt: str) -> str:
        name = variant_name(IMAGE_PREFIX, image.key, width, fmt)
        return url_for("media.serve", name=name)

    with app_ctx.test_request_context("/"):
        assert image_src(image, 640) == expected(640, "jpg")
        assert image_src(image, 100, "webp") == expected(320, "webp")
        assert image_srcset(image, "webp") == ", ".join(
            f"{expected(w, 'webp')} {w}w" for w in (320, 640, 1280)
        )
