"""Seller shops: the purna-PMI person or village group behind every product."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.auth.models import User, utcnow
from marketplace.extensions import db

# A story buyers can relate to needs a few sentences; the "Opening your shop" training task
# (``check_shop_profile_complete``) asks for the same, so finishing the profile also does it.
STORY_MIN_LENGTH = 50


class SellerStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Seller(db.Model):
    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    shop_name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(90), unique=True, index=True)
    country_abroad: Mapped[str] = mapped_column(String(60), default="")
    years_abroad: Mapped[int | None] = mapped_column(default=None)
    story: Mapped[str] = mapped_column(Text, default="")
    story_en: Mapped[str] = mapped_column(Text, default="")
    province_code: Mapped[str] = mapped_column(String(2), default="", index=True)
    regency_code: Mapped[str] = mapped_column(String(5), default="")
    district_code: Mapped[str] = mapped_column(String(8), default="")
    village_code: Mapped[str] = mapped_column(String(13), default="")
    whatsapp: Mapped[str] = mapped_column(String(20), default="")
    bank_name: Mapped[str] = mapped_column(String(60), default="")
    bank_account_number: Mapped[str] = mapped_column(String(30), default="")
    bank_account_holder: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(12), default=SellerStatus.DRAFT.value, index=True)
    # Why the programme team last refused the shop, shown to the seller until it is verified
    # (and to the team when the shop comes back, so the second check looks at the same thing).
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the shop was (last) sent for checking: the queue is served oldest first.
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    owner: Mapped[User] = relationship()  # loaded only where needed (back office, admin)

    @property
    def is_public(self) -> bool:
        """Only verified shops are shown to buyers; the programme vouches for them."""
        return self.status == SellerStatus.VERIFIED

    def can_manage(self, user) -> bool:
        return bool(user and user.is_authenticated and user.id == self.owner_id)


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
