"""The seller-side records of a shop: identity documents for verification.

The shop itself (``Seller``) is part of the catalogue, which buyers see; it is re-exported here
for the seller-side code and its tests.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.shops import Seller, SellerStatus
from marketplace.auth.models import User, utcnow
from marketplace.extensions import db

__all__ = [
    "STORY_MIN_LENGTH",
    "DocumentKind",
    "Seller",
    "SellerDocument",
    "SellerEvent",
    "SalesStatement",
    "SellerStatus",
    "ShareChannel",
    "ShareEvent",
]

# A story buyers can relate to needs a few sentences; the "Opening your shop" training task
# (``check_shop_profile_complete``) asks for the same, so finishing the profile also does it.
STORY_MIN_LENGTH = 50


class SellerEvent(db.Model):
    """One step in a shop's status history: from what, to what, who moved it and why.

    Written by ``sellers.states.transition`` with every move, so the programme team can see how
    a shop came to its status (a rejection's reason stays readable after the shop is verified).
    """

    __tablename__ = "seller_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor: Mapped[User | None] = relationship()


class DocumentKind(enum.StrEnum):
    KTP = "ktp"  # Indonesian identity card
    RETURNEE = "returnee"  # BP2MI/KP2MI card, or the passport page showing the return


class SellerDocument(db.Model):
    """A photo the programme team needs to verify a seller: identity and returnee status.

    The file lives only in private storage (``PRIVATE_ROOT``) under ``storage_key``; there is no
    public URL for it. One row per kind: a new upload replaces the old row and its file.
    """

    __tablename__ = "seller_documents"
    __table_args__ = (UniqueConstraint("seller_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    storage_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SalesStatement(db.Model):
    """A sales statement as issued: its figures are a snapshot, so a bank officer who verifies
    it later sees exactly what was printed, whatever happens to the orders afterwards."""

    __tablename__ = "sales_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    seller: Mapped[Seller] = relationship()


class ShareChannel(enum.StrEnum):
    WHATSAPP = "whatsapp"  # the share kit's "Send on WhatsApp" button (product or shop)
    POSTER = "poster"  # the printable QR poster opened


class ShareEvent(db.Model):
    """A seller sent a buyer-facing link out of the share kit.

    Kept so a workshop's live board can show who has shared for the first time: the moment a
    returnee tells their own contacts about the shop is the step that most often never happens
    after a workshop. ``product_id`` is empty when the whole shop was shared.
    """

    __tablename__ = "share_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), default=None
    )
    channel: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
