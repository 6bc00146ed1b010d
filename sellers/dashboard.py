"""The seller's dashboard: the business at a glance on a phone, and how close it is to KUR.

Figures come from ``orders.sales_figures`` (grouped queries, practice rows left out) and the
product views from ``catalog.view_counts``; this module only decides what the page shows:
which periods, which products, and the "Siap KUR" checklist a bank's first questions follow
(KUR Mikro is for businesses running at least six months, with identity and a business
licence on file, and the bank will want proof of sales).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from catalog import services as catalog
from catalog import view_counts
from catalog.models import ProductStatus
from catalog.shops import Seller
from marketplace.auth.models import as_utc, utcnow
from marketplace.extensions import db
from marketplace.i18n import TIME_ZONES, zone_label
from orders import sales_figures
from sellers.models import SalesStatement, SellerStatus

KUR_MONTHS = 6  # KUR Mikro asks that the business has been running at least six months
KUR_MODULE = "siap-kur"
TOP_PRODUCTS = 5
VIEW_DAYS = 30


def shop_zone(seller: Seller) -> ZoneInfo:
    return TIME_ZONES[zone_label(seller.province_code)]


def local_today(seller: Seller, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(shop_zone(seller)).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - some day of every month exists


# --- the "Siap KUR" checklist ---------------------------------------------------------------


@dataclass(frozen=True)
class KurCheck:
    key: str  # running | identity | nib | statement
    done: bool
    since: date | None = None  # running: the first paid order's day
    ready_on: date | None = None  # running: the day six months are reached


def kur_checklist(seller: Seller, today: date | None = None) -> list[KurCheck]:
    """What a KUR Mikro application needs that Migrant Mart can show, done or still missing."""
    today = today or local_today(seller)
    first = sales_figures.first_paid_sale(seller.id)
    since = as_utc(first).astimezone(shop_zone(seller)).date() if first else None
    ready_on = add_months(since, KUR_MONTHS) if since else None
    statements = db.session.scalar(
        select(func.count(SalesStatement.id)).where(
            SalesStatement.seller_id == seller.id, SalesStatement.revoked_at.is_(None)
        )
    )
    return [
        KurCheck("running", ready_on is not None and ready_on <= today, since, ready_on),
        # The programme team verifies a shop against the owner's KTP photo.
        KurCheck("identity", seller.status == SellerStatus.VERIFIED.value),
        KurCheck("nib", bool((seller.nib or "").strip())),
        KurCheck("statement", bool(statements)),
    ]


# --- the dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFunnel:
    product_id: int
    title: str
    slug: str
    views: int
    orders: int

    @property
    def rate(self) -> float | None:
        """Orders per view, when there were views."""
        return self.orders / self.views if self.views else None


@dataclass
class Dashboard:
    seller: Seller
    today: date
    todo: sales_figures.ToDo
    money: sales_figures.Money
    weeks: list[sales_figures.Bucket]
    months: list[sales_figures.Bucket]
    top_products: list[sales_figures.ProductSales]
    provinces: list[tuple[str, int]]
    funnel: list[ProductFunnel]
    kur: list[KurCheck] = field(default_factory=list)

    @property
    def kur_ready(self) -> bool:
        return all(check.done for check in self.kur)

    @property
    def year_gross(self) -> int:
        return sum(b.gross for b in self.months)

    @property
    def year_orders(self) -> int:
        return sum(b.orders for b in self.months)


def _funnel(seller: Seller, today: date) -> list[ProductFunnel]:
    """Views and orders of the last ``VIEW_DAYS`` days for every product on sale or sold."""
    since_day = today - timedelta(days=VIEW_DAYS - 1)
    since = sales_figures.utc_start(since_day, shop_zone(seller))
    products = [
        p
        for p in catalog.seller_products(seller)
        if p.status in (ProductStatus.PUBLISHED.value, ProductStatus.ARCHIVED.value)
        and p.practice_workshop_id is None
    ]
    views = view_counts.views_since([p.id for p in products], since_day)
    orders = {row.product_id: row.orders for row in sales_figures.product_sales(seller.id, since)}
    rows = [
        ProductFunnel(p.id, p.title, p.slug, views.get(p.id, 0), orders.get(p.id, 0))
        for p in products
        if p.status == ProductStatus.PUBLISHED.value or views.get(p.id) or orders.get(p.id)
    ]
    return sorted(rows, key=lambda r: (-r.views, -r.orders, r.title))


def build(seller: Seller, now: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries."""
    zone = shop_zone(seller)
    today = local_today(seller, now)
    weeks, months = sales_figures.weeks_and_months(seller.id, zone, today)
    year_start = sales_figures.utc_start(months[0].start, zone)
    return Dashboard(
        seller=seller,
        today=today,
        todo=sales_figures.todo(seller.id),
        money=sales_figures.money(seller.id),
        weeks=weeks,
        months=months,
        top_products=sales_figures.product_sales(seller.id, year_start)[:TOP_PRODUCTS],
        provinces=sales_figures.buyer_provinces(seller.id, year_start),
        funnel=_funnel(seller, today),
        kur=kur_checklist(seller, today),
    )
