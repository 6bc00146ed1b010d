"""Verification documents: the photos of a seller's KTP and returnee document.

An identity card shows a national ID number, a birth date and a home address, so these photos
are the most sensitive files the marketplace holds. They are

* checked and re-encoded like every upload (``process_document``: real image, sane size, upright,
  every byte of metadata — above all the GPS position of the seller's home — dropped);
* stored only in the private storage (``PRIVATE_ROOT`` or the private bucket prefix), which
  is never served by ``/media`` (the app refuses to start with it inside the public media);
* read back only through ``document_bytes`` for the admin route, never linked for anyone else:
  the seller sees "uploaded" and a date, not the image.

One JPEG is kept per kind, at the photo's own resolution up to 2,000 px on the long side: the
small print of a card must stay readable for the officer who checks it. A new upload of a kind
replaces the row and deletes the old file once the new one is committed.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalog.images import process_document
from marketplace.auth.models import utcnow
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.storage import Storage, private_storage
from sellers.models import DocumentKind, Seller, SellerDocument

PREFIX = "verification"

# What each kind is called, with the hint shown next to its upload field.
KINDS: dict[str, tuple] = {
    DocumentKind.KTP.value: (
        _l("Your KTP (identity card)"),
        _l("The front of the card, flat on a table, all four corners and every letter visible."),
    ),
    DocumentKind.RETURNEE.value: (
        _l("Your returnee document"),
        _l(
            "Your BP2MI / KP2MI card, or the page of your passport with the stamp of your "
            "return to Indonesia."
        ),
    ),
}


def kind_label(kind: str):
    return KINDS[kind][0]


def documents_for(seller: Seller | None) -> dict[str, SellerDocument]:
    """The seller's documents by kind (empty for no seller)."""
    if seller is None or seller.id is None:
        return {}
    rows = db.session.scalars(select(SellerDocument).where(SellerDocument.seller_id == seller.id))
    return {row.kind: row for row in rows}


def document_for(seller: Seller, kind: str) -> SellerDocument | None:
    return db.session.scalar(
        select(SellerDocument).where(
            SellerDocument.seller_id == seller.id, SellerDocument.kind == kind
        )
    )


def upload_document(seller: Seller, kind: str, data: bytes) -> SellerDocument:
    """Store a verification photo of ``kind`` for ``seller``, replacing an earlier one.

    ``ImageRejected`` (not an image, too large, a pixel bomb, …) reaches the caller before
    anything is written. If the database refuses the row, the new file is removed again; the
    old file is deleted only after the new row is committed, so a failure never leaves the
    seller with neither.
    """
    if kind not in KINDS:
        raise NotFound(f"document kind {kind!r}")
    processed = process_document(data, max_bytes=current_app.config["MAX_IMAGE_BYTES"])
    name = f"{PREFIX}/{seller.id}/{kind}-{processed.key[:32]}.jpg"
    storage = private_storage()
    existed = storage.exists(name)
    storage.save(name, processed.jpeg)
    row = document_for(seller, kind)
    old_name = row.storage_key if row is not None else None
    try:
        if row is None:
            row = SellerDocument(seller_id=seller.id, kind=kind)
            db.session.add(row)
        row.storage_key = name
        row.width, row.height = processed.width, processed.height
        row.uploaded_at = utcnow()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if not existed:
            storage.delete(name)
        raise
    if old_name and old_name != name:
        _delete_quietly(storage, old_name)
    return row


def _delete_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except (OSError, ValueError):
        current_app.logger.exception("could not delete replaced document %s", name)


def document_bytes(document: SellerDocument) -> bytes:
    """The stored JPEG; ``NotFound`` if the file is gone or the key is not a safe name."""
    storage = private_storage()
    try:
        if not storage.exists(document.storage_key):
            raise NotFound(f"document {document.id} file is missing")
        return storage.open(document.storage_key)
    except ValueError as exc:
        raise NotFound(f"document {document.id}") from exc
