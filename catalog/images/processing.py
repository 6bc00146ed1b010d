"""Product photo processing: the only place (with ``drawing``) that imports Pillow.

Sellers upload straight from phone cameras, so every upload is distrusted: the bytes must be a
real JPEG/PNG/WebP(/HEIC) image of sane size, it is turned upright from its EXIF orientation,
and it is re-encoded from pixels only, so no metadata — above all the GPS position of a
seller's home — ever reaches a buyer. All work happens in memory; nothing is stored until
``store_processed``, which stores a complete set of variants or nothing.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC from iPhones and some Android cameras, when the wheel is available
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_FORMATS = {"HEIF", "HEIC"}
except ImportError:  # pragma: no cover - depends on the platform's wheels
    HEIF_FORMATS = set()

VARIANT_WIDTHS = (320, 640, 1280)
#: Where product photos' variants are stored (``products/<key>-<width>.<ext>``).
IMAGE_PREFIX = "products"
VARIANT_FORMATS = ("webp", "jpg")
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", *HEIF_FORMATS}
MIN_SIDE = 200


class ImageRejected(ValueError):
    """An upload refused with a stable ``code`` and a message for the seller."""

    def __init__(self, code: str, message) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ProcessedImage:
    key: str
    width: int
    height: int
    variants: dict[str, bytes]
    widths: tuple[int, ...]


def variant_name(prefix: str, key: str, width: int, fmt: str) -> str:
    return f"{prefix}/{key[:2]}/{key}-{width}.{fmt}"


def variant_names(prefix: str, key: str, widths) -> list[str]:
    """Every stored file of one photo (each width in each format)."""
    return [variant_name(prefix, key, w, fmt) for w in widths for fmt in VARIANT_FORMATS]


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Identify and size-check before decoding any pixels, so a bomb is never expanded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as exc:
            if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
                raise ImageRejected("too_many_pixels", _too_many_pixels()) from exc
            raise ImageRejected("not_an_image", _not_an_image()) from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageRejected("not_an_image", _not_an_image()) from exc
        if probe.format not in ALLOWED_FORMATS:
            raise ImageRejected(
                "unsupported_format",
                _l("This image type is not supported. Please use a JPEG, PNG or WebP photo."),
            )
        width, height = probe.size
        if width * height > max_pixels:
            raise ImageRejected("too_many_pixels", _too_many_pixels())
        if min(width, height) < MIN_SIDE:
            raise ImageRejected(
                "too_small",
                _l(
                    "The photo is too small (%(w)s×%(h)s px). "
                    "Use a photo at least %(min)s px wide and high.",
                    w=width,
                    h=height,
                    min=MIN_SIDE,
                ),
            )
        try:
            probe.verify()  # structural check; the probe is unusable afterwards
            image = Image.open(io.BytesIO(data))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("too_many_pixels", _too_many_pixels()) from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageRejected(
                "corrupt",
                _l("The photo file is damaged or incomplete. Please take or send it again."),
            ) from exc
    return image


def _not_an_image():
    return _l("This file is not an image. Please choose a JPEG, PNG or WebP photo.")


def _too_many_pixels():
    return _l("The image is far too large in pixels. Please send a normal photo from your phone.")


def _upright_rgb(image: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "webp":
        image.save(buffer, "WEBP", quality=78, method=4)
    else:
        image.save(buffer, "JPEG", quality=80, optimize=True, progressive=True)
    return buffer.getvalue()


def _checked_upload(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    """The upload as an upright RGB image, or ``ImageRejected`` with the reason."""
    if not data:
        raise ImageRejected("empty", _l("The file is empty. Please choose a photo."))
    if len(data) > max_bytes:
        mb = max(1, max_bytes // (1024 * 1024))
        raise ImageRejected(
            "too_large",
            _l("The photo is larger than %(mb)s MB. Please choose a smaller photo.", mb=mb),
        )
    return _upright_rgb(_open_checked(data, max_pixels))


def process_image(
    data: bytes, *, max_bytes: int, max_pixels: int = 40_000_000, prefix: str = IMAGE_PREFIX
) -> ProcessedImage:
    image = _checked_upload(data, max_bytes, max_pixels)
    width, height = image.size
    key = hashlib.sha256(f"{width}x{height}:".encode() + image.tobytes()).hexdigest()
    widths = tuple(w for w in VARIANT_WIDTHS if w <= width) or (width,)
    variants: dict[str, bytes] = {}
    for target in widths:
        resized = (
            image
            if target == width
            else image.resize(
                (target, max(1, round(height * target / width))), Image.Resampling.LANCZOS
            )
        )
        for fmt in VARIANT_FORMATS:
            variants[variant_name(prefix, key, target, fmt)] = _encode(resized, fmt)
    return ProcessedImage(key=key, width=width, height=height, variants=variants, widths=widths)


#: Longest side kept for private documents: small print on an identity card or a transfer
#: receipt must stay readable for the officer who checks it.
DOCUMENT_MAX_SIDE = 2000


@dataclass(frozen=True)
class ProcessedDocument:
    key: str
    width: int
    height: int
    jpeg: bytes


def process_document(
    data: bytes, *, max_bytes: int, max_side: int = DOCUMENT_MAX_SIDE, max_pixels: int = 40_000_000
) -> ProcessedDocument:
    """A private document photo: checked like any upload, re-encoded from its pixels alone (so no
    metadata survives), and kept at its own resolution up to ``max_side`` on the long side.

    Product photos are cut to display widths; a receipt or KTP shrunk to 640 px loses the very
    digits it is uploaded to prove.
    """
    image = _checked_upload(data, max_bytes, max_pixels)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    width, height = image.size
    key = hashlib.sha256(f"{width}x{height}:".encode() + image.tobytes()).hexdigest()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, optimize=True)
    return ProcessedDocument(key=key, width=width, height=height, jpeg=buffer.getvalue())


def store_processed(storage, processed: ProcessedImage) -> None:
    """Store every variant or none: a half-stored photo would show as a broken image.

    Names are content addresses, so a variant already present is identical and kept as is;
    on failure only the files written here are removed (others may belong to other products).
    """
    saved: list[str] = []
    try:
        for name, blob in processed.variants.items():
            if storage.exists(name):
                continue
            storage.save(name, blob)
            saved.append(name)
    except BaseException:
        for name in saved:
            storage.delete(name)
        raise
