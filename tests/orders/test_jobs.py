"""The periodic jobs that cron runs: each safe to run twice, each releasing exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from catalog.models import Product
from marketplace.auth.models import utcnow
from marketplace.extensions import db
from orders import settlement
from orders.models import Order, SellerOrder
from orders.states import FulfilmentStatus, OrderStatus
from tests.factories import make_product, make_user
from tests.orders.factories import make_order


def stock_of(product) -> int:
    return db.session.scalar(select(Product.stock).where(Product.id == product.id))


def test_expire_releases_stock_once_and_spares_orders_in_time(app_ctx):
    a, b = make_product(stock=5), make_product(stock=5)
    late = make_order([(a, 2), (b, 1)], expires_in_hours=-1)
    on_time = make_order([(a, 1)])
    assert (stock_of(a), stock_of(b)) == (2, 4)
    runner = app_ctx.test_cli_runner()
    first = runner.invoke(args=["orders", "expire"])
    second = runner.invoke(args=["orders", "expire"])
    assert first.exit_code == 0 and "expired 1 order" in first.output
    assert "expired 0 order" in second.output
    assert (stock_of(a), stock_of(b)) == (4, 5)
    assert db.session.get(Order, late.id).status == OrderStatus.EXPIRED
    assert db.session.get(Order, on_time.id).status == OrderStatus.AWAITING_PAYMENT


def test_a_receipt_under_review_keeps_the_order_alive(app_ctx):
    a = make_product(stock=5)
    order = make_order([(a, 1)], expires_in_hours=-1)
    settlement.mark_processing(order, order.payments[0], note="receipt")
    db.session.commit()
    assert settlement.expire_unpaid() == 0
    assert stock_of(a) == 4


def test_complete_marks_long_shipped_parts_delivered(app_ctx):
    buyer = make_user()
    order = make_order([(make_product(), 1)], buyer=buyer)
    payment = order.payments[0]
    settlement.settle_paid(order, payment, amount=order.total)
    part = order.seller_orders[0]
    part.status = FulfilmentStatus.SHIPPED.value
    part.shipped_at = utcnow() - timedelta(days=app_ctx.config["AUTO_COMPLETE_DAYS"] + 1)
    db.session.commit()
    runner = app_ctx.test_cli_runner()
    assert "completed 1 shipment" in runner.invoke(args=["orders", "complete"]).output
    assert "completed 0 shipment" in runner.invoke(args=["orders", "complete"]).output
    assert db.session.get(SellerOrder, part.id).status == FulfilmentStatus.DELIVERED
    assert db.session.get(Order, order.id).status == OrderStatus.COMPLETED


def test_reconcile_without_stripe_is_a_quiet_no_op(app_ctx):
    result = app_ctx.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0
    assert "not configured" in result.output
