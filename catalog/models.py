"""Categories, products and their photos.

Prices are integer rupiah (DESIGN §4.7); conversion happens only at the display edge.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.ratings import NO_RATING, Rating
from catalog.shops import Seller
from marketplace.auth.models import utcnow
from marketplace.extensions import db


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    PRACTICE = "practice"


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True, index=True)
    name_id: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.position"
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_id


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        Index("ix_products_status_created", "status", "created_at"),
        Index("ix_products_category_status", "category_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column()
    stock: Mapped[int] = mapped_column(default=0)
    weight_grams: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default=ProductStatus.DRAFT.value)
    net_weight: Mapped[str] = mapped_column(String(40), default="")
    pirt_number: Mapped[str] = mapped_column(String(40), default="")
    bpom_number: Mapped[str] = mapped_column(String(40), default="")
    halal_number: Mapped[str] = mapped_column(String(40), default="")
    ingredients: Mapped[str] = mapped_column(Text, default="")
    best_before: Mapped[str] = mapped_column(String(120), default="")
    origin_village_code: Mapped[str] = mapped_column(String(13), default="")
    featured: Mapped[bool] = mapped_column(default=False)
    # Set on practice rows made inside a workshop (never public, never paid out; see
    # sellers.workshops.models).
    practice_workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops.id"), index=True, default=None
    )
    # Kept by the reviews service when a review is written (like django-oscar's
    # ``Product.rating``), so catalogue pages show ratings without reading the orders package.
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    seller: Mapped[Seller] = relationship(lazy="joined")
    category: Mapped[Category] = relationship(lazy="joined")
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product",
        order_by="ProductImage.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def rating(self) -> Rating:
        if not self.rating_count:
            return NO_RATING
        return Rating(self.rating_sum / self.rating_count, self.rating_count)

    @property
    def is_public(self) -> bool:
        return (
            self.status == ProductStatus.PUBLISHED
            and self.practice_workshop_id is None
            and self.seller.is_public
        )

    @property
    def is_practice(self) -> bool:
        return self.practice_workshop_id is not None

    @property
    def cover(self) -> ProductImage | None:
        return self.images[0] if self.images else None

    @property
    def village_code(self) -> str:
        return self.origin_village_code or self.seller.village_code

    def can_manage(self, user) -> bool:
        return self.seller.can_manage(user)


class ProductImage(db.Model):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    widths: Mapped[str] = mapped_column(String(40))  # "320,640,1280": the variants stored
    alt_text: Mapped[str] = mapped_column(String(200), default="")

    product: Mapped[Product] = relationship(back_populates="images")

    @property
    def variant_widths(self) -> list[int]:
        return [int(w) for w in self.widths.split(",") if w]


class ProductViewDay(db.Model):
    """How many times a product page was opened on one day (in its shop's time zone).

    Nothing about the visitor is kept: no address, no cookie, not even the time of day; the
    counts come in batches from ``catalog.view_counts``, one upsert per product and day.
    """

    __tablename__ = "product_view_days"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(default=0)
