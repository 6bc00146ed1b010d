"""A shop's figures for its dashboard: work to do, money, sales over time, products and buyers.

Every figure is one grouped query, so the dashboard costs the same dozen queries for a shop
with five orders or five thousand; Python only folds at most a year of daily totals into
weeks and months. Days are the shop's own calendar days (WIB, WITA or WIT): a sale at 23.30
in Lombok belongs to that day in Lombok, not to the next day in UTC.

Practice rows never count: anything made inside a workshop carries ``practice_workshop_id``
on its order, ledger line or review, and every query here requires it to be empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from catalog.models import Product, ProductStatus
from marketplace.extensions import db
from orders.models import LedgerEntry, LedgerKind, Order, OrderItem, Review, SellerOrder
from orders.states import FulfilmentStatus

LOW_STOCK = 3  # a product with this many or fewer left should be restocked soon
SALE_KINDS = (LedgerKind.SALE, LedgerKind.REFUND, LedgerKind.ADJUSTMENT)


def local_date(column, zone: ZoneInfo) -> ColumnElement:
    """``column`` (a stored UTC time) as a calendar day in ``zone``, computed by the database.

    PostgreSQL converts with the zone's name; SQLite, which has no zone data, adds the
    zone's offset (Indonesia keeps no summer time, so the offset never changes).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(zone.key, column), Date)
    offset = datetime.now(UTC).astimezone(zone).utcoffset() or timedelta(0)
    hours = int(offset.total_seconds() // 3600)
    return func.date(column, f"{hours:+d} hours")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def utc_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment the shop's calendar ``day`` begins."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _real_part():
    """Parts of paid orders that are not practice."""
    return (Order.paid_at.is_not(None), Order.practice_workshop_id.is_(None))


# --- to do ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToDo:
    to_pack: int
    to_ship: int
    awaiting_buyer: int
    low_stock: int
    unanswered_reviews: int

    @property
    def total(self) -> int:
        return (
            self.to_pack
            + self.to_ship
            + self.awaiting_buyer
            + self.low_stock
            + self.unanswered_reviews
        )


def todo(seller_id: int) -> ToDo:
    """Parts to pack (new, on hold), to ship (packed), shipped and not yet received; products
    on sale that are nearly sold out; reviews the shop has not answered."""
    counts = dict(
        db.session.execute(
            select(SellerOrder.status, func.count(SellerOrder.id))
            .join(Order, Order.id == SellerOrder.order_id)
            .where(SellerOrder.seller_id == seller_id, *_real_part())
            .group_by(SellerOrder.status)
        ).all()
    )
    low = db.session.scalar(
        select(func.count(Product.id)).where(
            Product.seller_id == seller_id,
            Product.status == ProductStatus.PUBLISHED.value,
            Product.practice_workshop_id.is_(None),
            Product.stock <= LOW_STOCK,
        )
    )
    unanswered = db.session.scalar(
        select(func.count(Review.id)).where(
            Review.seller_id == seller_id,
            Review.practice_workshop_id.is_(None),
            Review.reply == "",
        )
    )
    return ToDo(
        to_pack=counts.get(FulfilmentStatus.NEW.value, 0)
        + counts.get(FulfilmentStatus.ON_HOLD.value, 0),
        to_ship=counts.get(FulfilmentStatus.PACKED.value, 0),
        awaiting_buyer=counts.get(FulfilmentStatus.SHIPPED.value, 0),
        low_stock=int(low or 0),
        unanswered_reviews=int(unanswered or 0),
    )


# --- money ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    balance: int  # everything the ledger owes the shop
    payable: int  # what the next payout would transfer: delivered sales, less payouts made
    last_payout_at: datetime | None
    last_payout_amount: int

    @property
    def on_the_way(self) -> int:
        """Money from parcels the buyer has not received yet (not payable until they do)."""
        return self.balance - self.payable


def money(seller_id: int) -> Money:
    """The balance and the payable part of it, by the payout rule of ``orders.payouts``
    (a sale is payable once its part is delivered; entries of no order always count)."""
    payable = case(
        (
            (LedgerEntry.seller_order_id.is_(None))
            | (SellerOrder.status == FulfilmentStatus.DELIVERED.value),
            LedgerEntry.amount,
        ),
        else_=0,
    )
    total, ready, last_at = db.session.execute(
        select(
            func.coalesce(func.sum(LedgerEntry.amount), 0),
            func.coalesce(func.sum(payable), 0),
            func.max(case((LedgerEntry.kind == LedgerKind.PAYOUT, LedgerEntry.created_at))),
        )
        .select_from(LedgerEntry)
        .outerjoin(SellerOrder, SellerOrder.id == LedgerEntry.seller_order_id)
        .where(LedgerEntry.seller_id == seller_id, LedgerEntry.practice_workshop_id.is_(None))
    ).one()
    last_amount = 0
    if last_at is not None:
        last_amount = -int(
            db.session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                    LedgerEntry.seller_id == seller_id,
                    LedgerEntry.kind == LedgerKind.PAYOUT,
                    LedgerEntry.created_at == last_at,
                )
            )
            or 0
        )
    return Money(int(total), int(ready), last_at, last_amount)


# --- sales over time -----------------------------------------------------------------------


@dataclass
class DaySales:
    gross: int = 0  # sale credits: goods and shipping, before commission
    refunds: int = 0  # what refunds and partial refunds took back
    orders: int = 0  # parts credited that day


def daily_sales(seller_id: int, zone: ZoneInfo, since: date) -> dict[date, DaySales]:
    """Ledger sales, refunds and orders per shop-local day from ``since`` on (one query)."""
    day = local_date(LedgerEntry.created_at, zone)
    rows = db.session.execute(
        select(
            day,
            LedgerEntry.kind,
            func.sum(LedgerEntry.amount),
            func.count(LedgerEntry.id),
        )
        .where(
            LedgerEntry.seller_id == seller_id,
            LedgerEntry.practice_workshop_id.is_(None),
            LedgerEntry.kind.in_(SALE_KINDS),
            LedgerEntry.created_at >= utc_start(since, zone),
        )
        .group_by(day, LedgerEntry.kind)
    )
    out: dict[date, DaySales] = {}
    for raw_day, kind, amount, count in rows:
        row = out.setdefault(_as_date(raw_day), DaySales())
        if kind == LedgerKind.SALE:
            row.gross += int(amount)
            row.orders += int(count)
        else:
            row.refunds += -int(amount)
    return out


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())  # Monday, as Indonesian calendars start


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Bucket:
    start: date
    gross: int
    refunds: int
    orders: int


def buckets(days: dict[date, DaySales], starts: list[date], start_of) -> list[Bucket]:
    """Fold daily sales into the periods beginning at ``starts`` (``start_of`` maps a day to
    its period's first day)."""
    sums = {s: DaySales() for s in starts}
    for day, sale in days.items():
        row = sums.get(start_of(day))
        if row is not None:
            row.gross += sale.gross
            row.refunds += sale.refunds
            row.orders += sale.orders
    return [Bucket(s, sums[s].gross, sums[s].refunds, sums[s].orders) for s in starts]


def weeks_and_months(
    seller_id: int, zone: ZoneInfo, today: date, count: int = 12
) -> tuple[list[Bucket], list[Bucket]]:
    """Sales of the last ``count`` weeks and the last ``count`` months, the current ones
    included (oldest first)."""
    this_week, this_month = week_start(today), month_start(today)
    week_starts = [this_week - timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    month_starts = [months_back(this_month, n) for n in range(count - 1, -1, -1)]
    days = daily_sales(seller_id, zone, min(week_starts[0], month_starts[0]))
    return buckets(days, week_starts, week_start), buckets(days, month_starts, month_start)


# --- products and buyers -------------------------------------------------------------------


@dataclass(frozen=True)
class ProductSales:
    product_id: int | None
    title: str
    quantity: int
    revenue: int
    orders: int


def _sold_items(seller_id: int, since: datetime):
    """Lines of the shop's paid, real, not cancelled parts whose order was paid since."""
    return (
        select(OrderItem)
        .join(SellerOrder, SellerOrder.id == OrderItem.seller_order_id)
        .join(Order, Order.id == SellerOrder.order_id)
        .where(
            SellerOrder.seller_id == seller_id,
            SellerOrder.status != FulfilmentStatus.CANCELLED.value,
            Order.paid_at >= since,
            *_real_part(),
        )
    )


def product_sales(seller_id: int, since: datetime) -> list[ProductSales]:
    """Every product sold since ``since``: pieces, rupiah of goods and orders, best first."""
    revenue = func.sum(OrderItem.unit_price * OrderItem.quantity)
    rows = db.session.execute(
        _sold_items(seller_id, since)
        .with_only_columns(
            OrderItem.product_id,
            func.max(OrderItem.title),
            func.sum(OrderItem.quantity),
            revenue,
            func.count(func.distinct(SellerOrder.id)),
        )
        .group_by(OrderItem.product_id)
        .order_by(revenue.desc(), OrderItem.product_id)
    )
    return [
        ProductSales(pid, title, int(qty), int(rev), int(n)) for pid, title, qty, rev, n in rows
    ]


def buyer_provinces(seller_id: int, since: datetime) -> list[tuple[str, int]]:
    """``(province code, orders)`` of the shop's real paid parts since ``since``, most first."""
    orders = func.count(SellerOrder.id)
    return [
        (code, int(n))
        for code, n in db.session.execute(
            select(Order.province_code, orders)
            .join(SellerOrder, SellerOrder.order_id == Order.id)
            .where(
                SellerOrder.seller_id == seller_id,
                SellerOrder.status != FulfilmentStatus.CANCELLED.value,
                Order.paid_at >= since,
                *_real_part(),
            )
            .group_by(Order.province_code)
            .order_by(orders.desc(), Order.province_code)
        )
    ]


def first_paid_sale(seller_id: int) -> datetime | None:
    """When the shop's first real order was paid (its business "running since")."""
    return db.session.scalar(
        select(func.min(Order.paid_at))
        .join(SellerOrder, SellerOrder.order_id == Order.id)
        .where(SellerOrder.seller_id == seller_id, *_real_part())
    )
