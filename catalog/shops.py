"""The shop as buyers see it: the purna-PMI person or village group behind every product.

It lives with the catalogue because products and their pages reference it; the seller-side
application (onboarding, documents, back office) in ``sellers`` builds on it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.auth.models import User, utcnow
from marketplace.extensions import db


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
    # Nomor Induk Berusaha from OSS: optional, printed on sales statements a bank asks for.
    nib: Mapped[str] = mapped_column(String(13), default="", server_default="")
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
