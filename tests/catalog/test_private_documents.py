"""Private documents (receipts, identity cards) keep a resolution an officer can read."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from catalog.images import ImageRejected, process_document
from tests.factories import jpeg_bytes

LIMIT = 10 * 1024 * 1024


@pytest.mark.parametrize(
    "size, kept",
    [((1200, 800), (1200, 800)), ((3000, 2000), (2000, 1333)), ((900, 2400), (750, 2000))],
)
def test_kept_at_own_size_up_to_2000_px(size, kept):
    processed = process_document(jpeg_bytes(*size), max_bytes=LIMIT)
    with Image.open(io.BytesIO(processed.jpeg)) as image:
        assert image.format == "JPEG"
        assert image.size == kept == (processed.width, processed.height)


def test_metadata_is_dropped():
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    Image.new("RGB", (1200, 800), (10, 20, 30)).save(buffer, "JPEG", exif=exif)
    processed = process_document(buffer.getvalue(), max_bytes=LIMIT)
    with Image.open(io.BytesIO(processed.jpeg)) as image:
        assert not image.getexif()
        assert b"PhoneMaker" not in processed.jpeg


def test_not_an_image_is_refused_with_the_reason():
    with pytest.raises(ImageRejected):
        process_document(b"%PDF-1.4 not a photo", max_bytes=LIMIT)
