"""Product photo processing with real image files: orientation, metadata, bombs, fakes, variants,
and how stored photos are served and referenced in pages."""

from __future__ import annotations

import io
import pathlib
import re

import pytest
from PIL import Image

from catalog import services as catalog
from catalog.images import (
    PHOTO_KINDS,
    ImageRejected,
    draw_product_photo,
    process_image,
    variant_name,
)
from catalog.images.processing import HEIF_FORMATS
from catalog.models import ProductStatus
from tests.factories import jpeg_bytes, make_product, make_seller

MB = 1024 * 1024
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _two_tone_jpeg(orientation: int | None = None, gps: bool = False) -> bytes:
    """400×200: left half red, right half blue; optional EXIF orientation and GPS position."""
    image = Image.new("RGB", (400, 200), (220, 20, 20))
    image.paste((20, 20, 220), (200, 0, 400, 200))
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[0x010F] = "PhoneMaker"  # camera make
        exif.get_ifd(GPS_IFD).update(
            {1: "S", 2: (8.0, 34.0, 12.5), 3: "E", 4: (116.0, 31.0, 40.2)}  # Pringgasela
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def _open_variant(processed, width: int, fmt: str) -> Image.Image:
    blob = processed.variants[variant_name("products", processed.key, width, fmt)]
    return Image.open(io.BytesIO(blob))


def test_exif_orientation_is_applied():
    processed = process_image(_two_tone_jpeg(orientation=6), max_bytes=5 * MB)
    # Orientation 6 = "rotate 90° clockwise to view": the landscape photo becomes portrait,
    # and the left (red) half ends up on top.
    assert (processed.width, processed.height) == (200, 400)
    image = _open_variant(processed, 200, "jpg").convert("RGB")
    top, bottom = image.getpixel((100, 50)), image.getpixel((100, 350))
    assert top[0] > 150 and top[2] < 100, top
    assert bottom[2] > 150 and bottom[0] < 100, bottom


def test_gps_and_all_metadata_are_stripped():
    original = _two_tone_jpeg(orientation=1, gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture has GPS
    processed = process_image(original, max_bytes=5 * MB)
    for name, blob in processed.variants.items():
        image = Image.open(io.BytesIO(blob))
        assert not image.getexif(), name
        assert not image.info.get("exif"), name
        assert b"PhoneMaker" not in blob and b"Exif\x00\x00" not in blob, name


def test_variants_are_webp_and_jpeg_at_each_width_with_content_addressed_names():
    processed = process_image(jpeg_bytes(1600, 1200), max_bytes=5 * MB)
    assert processed.widths == (320, 640, 1280)
    assert len(processed.variants) == 6
    for width in processed.widths:
        webp = _open_variant(processed, width, "webp")
        jpeg = _open_variant(processed, width, "jpg")
        assert (webp.format, jpeg.format) == ("WEBP", "JPEG")
        assert webp.size == (width, width * 3 // 4)
    assert re.fullmatch(r"[0-9a-f]{64}", processed.key)
    assert process_image(jpeg_bytes(1600, 1200), max_bytes=5 * MB).key == processed.key
    assert process_image(jpeg_bytes(1600, 1200, (1, 2, 3)), max_bytes=5 * MB).key != processed.key


def test_small_photo_keeps_its_own_width_only():
    processed = process_image(jpeg_bytes(500, 400), max_bytes=5 * MB)
    assert processed.widths == (320,)  # never upscaled past the original


def test_transparent_png_gets_a_white_background():
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    processed = process_image(buffer.getvalue(), max_bytes=5 * MB)
    assert _open_variant(processed, 300, "jpg").convert("RGB").getpixel((150, 150)) == (
        255,
        255,
        255,
    )


def test_decompression_bomb_is_refused_without_decoding():
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # 144 Mpx, a few kilobytes on disk
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(ImageRejected) as refused:
        process_image(bomb.getvalue(), max_bytes=5 * MB)
    assert refused.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"Nama: Siti\nHarga: 25000\n", "not_an_image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not_an_image"),
        (jpeg_bytes(100, 100), "too_small"),
        (jpeg_bytes(900, 900)[:1500], "corrupt"),
    ],
    ids=["empty", "text-named-jpg", "pdf", "tiny", "truncated"],
)
def test_bad_files_are_refused_with_a_reason(data, code):
    with pytest.raises(ImageRejected) as refused:
        process_image(data, max_bytes=5 * MB)
    assert refused.value.code == code
    assert str(refused.value.message)


def test_gif_is_refused_as_unsupported():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(buffer, "GIF")
    with pytest.raises(ImageRejected) as refused:
        process_image(buffer.getvalue(), max_bytes=5 * MB)
    assert refused.value.code == "unsupported_format"


def test_file_over_the_size_limit_is_refused():
    with pytest.raises(ImageRejected) as refused:
        process_image(jpeg_bytes(900, 900), max_bytes=1000)
    assert refused.value.code == "too_large"


@pytest.mark.skipif(not HEIF_FORMATS, reason="pillow-heif has no wheel for this platform")
def test_heic_from_an_iphone_is_accepted():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 80, 40)).save(buffer, "HEIF", quality=80)
    processed = process_image(buffer.getvalue(), max_bytes=5 * MB)
    assert (processed.width, processed.height) == (640, 480)
    assert _open_variant(processed, 640, "webp").format == "WEBP"


def test_drawn_demo_photos_pass_the_upload_pipeline():
    for kind in PHOTO_KINDS:
        photo = draw_product_photo(kind, 1, size=700, seed="uji")
        assert photo == draw_product_photo(kind, 1, size=700, seed="uji")  # deterministic
        assert process_image(photo, max_bytes=5 * MB).widths == (320, 640)
    assert draw_product_photo("gula", 0, size=700) != draw_product_photo("gula", 1, size=700)
    with pytest.raises(ValueError, match="unknown photo kind"):
        draw_product_photo("durian")


def _media_files(app) -> set[pathlib.Path]:
    return {p for p in pathlib.Path(app.config["MEDIA_ROOT"]).rglob("*") if p.is_file()}


def test_stored_photo_is_served_with_long_cache_and_referenced_responsively(client, app_ctx):
    seller = make_seller()
    product = make_product(seller=seller, status=ProductStatus.PUBLISHED)
    (image,) = catalog.add_product_images(product, [(jpeg_bytes(1400, 1400), "Gula semut")])
    name = variant_name("products", image.key, 640, "webp")
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert len(response.data) <= 60 * 1024
    response.close()

    page = client.get(f"/p/{product.slug}").get_data(as_text=True)
    assert f"/media/products/{image.key[:2]}/{image.key}-320.webp 320w" in page
    assert 'sizes="' in page and 'type="image/webp"' in page
    img_tag = re.search(r"<img[^>]+" + image.key + r"[^>]*>", page).group(0)
    assert 'width="' in img_tag and 'height="' in img_tag and 'alt="Gula semut"' in img_tag

    # On a card the title stands beside the photo inside one link: the photo is not read twice.
    grid = client.get(f"/c/{product.category.slug}").get_data(as_text=True)
    card_img = re.search(r"<img[^>]+" + image.key + r"[^>]*>", grid).group(0)
    assert 'alt=""' in card_img and product.title in grid


@pytest.mark.parametrize(
    "path",
    [
        "../instance/secret",
        "..%2F..%2Fetc%2Fpasswd",
        "products/zz/missing-640.webp",
        "%2Fetc%2Fpasswd",
    ],
)
def test_media_refuses_traversal_and_missing_files(client, path):
    response = client.get(f"/media/{path}", follow_redirects=True)
    assert response.status_code == 404
    response.close()


def test_failed_batch_leaves_no_files_behind(app_ctx):
    product = make_product(seller=make_seller())
    before = _media_files(app_ctx)
    with pytest.raises(ImageRejected):
        catalog.add_product_images(
            product,
            [(jpeg_bytes(900, 900, (9, 9, 9)), "ok"), (b"GIF89a not really", "bad")],
        )
    assert _media_files(app_ctx) == before
    assert product.images == []
