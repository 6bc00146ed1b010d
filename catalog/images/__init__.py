"""Product images: processing of uploads and drawn demo photos (the only Pillow users)."""

from catalog.images.drawing import PHOTO_KINDS, draw_product_photo
from catalog.images.processing import (
    IMAGE_PREFIX,
    VARIANT_WIDTHS,
    ImageRejected,
    ProcessedDocument,
    ProcessedImage,
    process_document,
    process_image,
    store_processed,
    variant_name,
    variant_names,
)

__all__ = [
    "PHOTO_KINDS",
    "IMAGE_PREFIX",
    "VARIANT_WIDTHS",
    "draw_product_photo",
    "ImageRejected",
    "ProcessedDocument",
    "ProcessedImage",
    "process_document",
    "process_image",
    "store_processed",
    "variant_name",
    "variant_names",
]
