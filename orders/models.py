"""Carts, orders, payments, the seller ledger and reviews (DESIGN §5).

Money is integer rupiah everywhere (§4.7). An ``Order`` is what the buyer pays once; it holds one
``SellerOrder`` per shop, because each seller packs and ships on their own; ``OrderItem`` keeps a
snapshot of title and unit price so later edits to a product never rewrite history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Product
from catalog.shops import Seller
from marketplace.auth.models import User, utcnow
from marketplace.extensions import db
from orders import event_notes
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus


class PaymentMethod:
    BANK_TRANSFER = "bank_transfer"
    STRIPE = "stripe"
    PRACTICE = "practice"  # a workshop's practice sale: "Latihan (tanpa uang)", no money


class Cart(db.Model):
    """A logged-in buyer's cart. Guests keep theirs in the signed session cookie instead."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="CartItem.id",
    )


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column()

    cart: Mapped[Cart] = relationship(back_populates="items")


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_status_expires", "status", "expires_at"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    # Contact and Indonesian address, copied at checkout (the buyer's profile may change later).
    contact_name: Mapped[str] = mapped_column(String(120))
    # Indexed: at login, guest orders placed with the account's address are looked up by it.
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str] = mapped_column(String(5))
    district_code: Mapped[str] = mapped_column(String(8))
    village_code: Mapped[str] = mapped_column(String(13))
    street: Mapped[str] = mapped_column(String(200))
    rt_rw: Mapped[str] = mapped_column(String(10), default="")
    postal_code: Mapped[str] = mapped_column(String(5))
    items_total: Mapped[int] = mapped_column()
    shipping_total: Mapped[int] = mapped_column()
    total: Mapped[int] = mapped_column()
    payment_method: Mapped[str] = mapped_column(String(20))
    # A short unique code the buyer writes in the transfer's description ("berita").
    payment_reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.AWAITING_PAYMENT.value)
    payment_status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.UNPAID.value)
    locale: Mapped[str] = mapped_column(String(5), default="id")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set on practice rows made inside a workshop (never public, never paid out; see
    # sellers.workshops.models).
    practice_workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops.id"), index=True, default=None
    )

    buyer: Mapped[User | None] = relationship()
    seller_orders: Mapped[list[SellerOrder]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="SellerOrder.id",
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Payment.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    def can_view(self, user) -> bool:
        return bool(user and user.is_authenticated and self.buyer_id == user.id)


class SellerOrder(db.Model):
    """One shop's part of an order: what it packs, how it ships, what it is owed."""

    __tablename__ = "seller_orders"
    __table_args__ = (Index("ix_seller_orders_seller_status", "seller_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    items_total: Mapped[int] = mapped_column()
    weight_grams: Mapped[int] = mapped_column()
    shipping_service: Mapped[str] = mapped_column(String(30))
    shipping_label: Mapped[str] = mapped_column(String(60))
    shipping_cost: Mapped[int] = mapped_column()
    commission: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=FulfilmentStatus.AWAITING_PAYMENT.value)
    courier: Mapped[str] = mapped_column(String(40), default="")
    tracking_number: Mapped[str] = mapped_column(String(60), default="")
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    order: Mapped[Order] = relationship(back_populates="seller_orders")
    seller: Mapped[Seller] = relationship(lazy="joined")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="seller_order",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="OrderItem.id",
    )

    @property
    def total(self) -> int:
        return self.items_total + self.shipping_cost

    @property
    def payout_amount(self) -> int:
        """What the seller is owed for this part once paid: goods and shipping less commission."""
        return self.total - self.commission


class OrderItem(db.Model):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(
        ForeignKey("seller_orders.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    unit_price: Mapped[int] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    weight_grams: Mapped[int] = mapped_column()

    seller_order: Mapped[SellerOrder] = relationship(back_populates="items")
    product: Mapped[Product | None] = relationship()
    review: Mapped[Review | None] = relationship(back_populates="order_item", uselist=False)

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


class OrderEvent(db.Model):
    """Every status change of an order, its payment or a seller's part: the order's timeline."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    seller_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("seller_orders.id", ondelete="CASCADE"), default=None
    )
    machine: Mapped[str] = mapped_column(String(12))  # order | payment | fulfilment
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
    # The shop's part this step belongs to (None for the order and its payment).
    seller_order: Mapped[SellerOrder | None] = relationship(lazy="joined")

    @property
    def note_text(self) -> str:
        """The note in the reader's language (see ``orders.event_notes``)."""
        return event_notes.describe(self.note)


class Payment(db.Model):
    """One attempt to pay an order through one provider."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_reference: Mapped[str | None] = mapped_column(
        String(255), unique=True, default=None
    )  # Stripe Checkout Session id
    provider_payment_id: Mapped[str] = mapped_column(String(255), default="")  # PaymentIntent
    amount: Mapped[int] = mapped_column()
    refunded_amount: Mapped[int] = mapped_column(default=0)
    # Rupiah refunded at the provider that the platform did not initiate (a refund in Stripe's
    # dashboard) and that no admin has yet settled against the orders and the seller ledger.
    refund_to_review: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.UNPAID.value)
    receipt_key: Mapped[str] = mapped_column(String(120), default="")  # private storage name
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    order: Mapped[Order] = relationship(back_populates="payments")


class PaymentEvent(db.Model):
    """A provider event, recorded once by its id: the idempotency key for webhooks (§4.9)."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(255), default="")
    payload: Mapped[str] = mapped_column(Text)
    # The provider's own Unix time: 64 bits, so times after 2038 fit.
    created: Mapped[int] = mapped_column(BigInteger, default=0)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    result: Mapped[str] = mapped_column(String(120), default="")


class LedgerKind:
    SALE = "sale"
    COMMISSION = "commission"
    REFUND = "refund"
    PAYOUT = "payout"
    ADJUSTMENT = "adjustment"


class LedgerEntry(db.Model):
    """Signed rupiah owed to a seller; the balance is the sum (DESIGN §5).

    One sale, one commission and one refund per seller order at most (the unique constraint makes
    a replayed payment or cancellation unable to credit or debit twice).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("seller_order_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    seller_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("seller_orders.id"), default=None
    )
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), default=None)
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column()
    reference: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set on practice rows made inside a workshop (never public, never paid out; see
    # sellers.workshops.models).
    practice_workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops.id"), index=True, default=None
    )


class PayoutBatch(db.Model):
    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    bank_reference: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    payouts: Mapped[list[Payout]] = relationship(back_populates="batch", lazy="selectin")


class Payout(db.Model):
    """One bank transfer to one seller, with the account it went to (copied, as on a slip)."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    amount: Mapped[int] = mapped_column()
    bank_name: Mapped[str] = mapped_column(String(60))
    bank_account_number: Mapped[str] = mapped_column(String(30))
    bank_account_holder: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    batch: Mapped[PayoutBatch] = relationship(back_populates="payouts")
    seller: Mapped[Seller] = relationship(lazy="joined")


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"), unique=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    # None for a guest's review (written through the order's signed link): public pages then
    # name the order's contact; it gets the account once the guest's orders join one.
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    rating: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set on practice rows made inside a workshop (never public, never paid out; see
    # sellers.workshops.models).
    practice_workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops.id"), index=True, default=None
    )

    # The shop's public answer ("" until it answers); the dashboard counts reviews without one.
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    order_item: Mapped[OrderItem] = relationship(back_populates="review")
    buyer: Mapped[User | None] = relationship()
