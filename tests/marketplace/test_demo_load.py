"""``flask demo load`` builds a believable store and changes nothing when run again."""

from datetime import timedelta

from sqlalchemy import func, select

from catalog.models import Product, ProductImage, ProductViewDay
from marketplace.auth.models import User, as_utc, utcnow
from marketplace.demo.loader import load
from marketplace.extensions import db
from orders.models import LedgerEntry, LedgerKind, Order, OrderEvent, Payout, Review, SellerOrder
from orders.states import FulfilmentStatus
from sellers import dashboard
from sellers.models import Seller

SALES_MODELS = (Order, SellerOrder, OrderEvent, LedgerEntry, Review, Payout)


def _counts():
    return tuple(
        db.session.scalar(select(func.count(model.id)))
        for model in (User, Seller, Product, ProductImage, *SALES_MODELS)
    ) + (db.session.scalar(select(func.sum(ProductViewDay.views))),)


def test_demo_load_is_idempotent(app_ctx):
    first = load(product_limit=6)
    assert first["created"] == 6 and first["sellers"] >= 8
    counts = _counts()
    second = load(product_limit=6)
    assert second["created"] == 0
    assert _counts() == counts
    products = list(db.session.scalars(select(Product)).unique())
    # Drafts belong to the demo workshop's participants, still setting up their shops.
    shop_products = [p for p in products if p.seller.status == "verified"]
    assert len(shop_products) == 6
    assert all(p.is_public and len(p.images) >= 2 for p in shop_products)
    assert all(not p.is_public for p in products if p.seller.status != "verified")
    assert first["orders"] > 100 and second["orders"] == 0


def test_demo_shop_has_a_year_of_consistent_sales(app_ctx):
    load(product_limit=6, photo_size=320)
    siti = db.session.scalar(select(Seller).where(Seller.slug == "gula-semut-sesaot"))
    parts = list(db.session.scalars(select(SellerOrder).where(SellerOrder.seller_id == siti.id)))
    assert len(parts) > 100
    paid = sorted(as_utc(p.order.paid_at) for p in parts)
    assert paid[-1] - paid[0] > timedelta(days=300) and paid[-1] <= utcnow()
    statuses = {p.status for p in parts}
    assert {FulfilmentStatus.DELIVERED, FulfilmentStatus.CANCELLED} <= statuses
    # The ledger says what the order services would have written for each part.
    entries: dict[int, dict[str, int]] = {}
    for e in db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.seller_order_id.is_not(None))
    ):
        entries.setdefault(e.seller_order_id, {})[e.kind] = e.amount
    for part in parts:
        assert (
            part.total
            == part.order.total
            == sum(i.line_total for i in part.items) + (part.shipping_cost)
        )
        expected = {LedgerKind.SALE: part.total, LedgerKind.COMMISSION: -part.commission}
        if part.status == FulfilmentStatus.CANCELLED:
            expected[LedgerKind.REFUND] = -(part.total - part.commission)
        assert entries[part.id] == expected
    # Payouts never pay more than what was delivered.
    delivered = sum(p.payout_amount for p in parts if p.status == FulfilmentStatus.DELIVERED)
    paid_out = db.session.scalar(select(func.sum(Payout.amount)).where(Payout.seller_id == siti.id))
    assert 0 < paid_out <= delivered
    # Rating counters match the reviews written.
    for product in db.session.scalars(select(Product)).unique():
        reviews = list(db.session.scalars(select(Review).where(Review.product_id == product.id)))
        assert product.rating_count == len(reviews)
        assert product.rating_sum == sum(r.rating for r in reviews)
    board = dashboard.build(siti)
    assert all(month.orders > 0 for month in board.months)
    assert sum(row.views for row in board.funnel) > sum(row.orders for row in board.funnel) > 0
    assert next(c for c in board.kur if c.key == "running").done


def test_demo_load_command_refuses_production(app_ctx):
    app_ctx.config["ENV_NAME"] = "production"
    try:
        result = app_ctx.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code != 0
        assert db.session.scalar(select(func.count(Product.id))) == 0
    finally:
        app_ctx.config["ENV_NAME"] = "development"
