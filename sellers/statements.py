"""Sales statements (Laporan Penjualan) a seller hands to a bank, and their verification.

The figures come from the ledger and the orders only, never from anything the seller typed:
a bank officer must be able to trust them without trusting the seller. Each statement keeps a
snapshot of what it said, so ``/verify/<code>`` shows exactly what was printed even after later
refunds change the ledger.

A period without a single sale is still issued, as a statement that says "no sales in this
period" (rather than refused): a seller who has just started, or who paused during the rainy
season, may need to show exactly that, and an honest zero is something a bank can verify too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lokal import terbilang
from sqlalchemy import exists, select

from catalog.models import Product, ProductStatus
from catalog.shops import Seller
from marketplace import regions
from marketplace.auth.models import as_utc, utcnow
from marketplace.extensions import db
from marketplace.i18n import TIME_ZONES, zone_label
from orders.models import LedgerEntry, LedgerKind, Order, OrderItem, SellerOrder
from sellers.models import SalesStatement

MAX_MONTHS = 12
# 16 random bytes (128 bits) are beyond guessing; the URL-safe text of them is 22 characters.
CODE_BYTES = 16
_CODE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class PeriodError(ValueError):
    """A period the statement cannot cover; ``reason`` is one of ``reversed``, ``future``,
    ``too_long``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Period:
    start: date  # first day of the first month
    end: date  # first day of the last month

    @property
    def months(self) -> list[date]:
        out, month = [], self.start
        while month <= self.end:
            out.append(month)
            month = _next_month(month)
        return out


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _local_today(seller: Seller, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(TIME_ZONES[zone_label(seller.province_code)]).date()


def check_period(seller: Seller, start: date, end: date, now: datetime | None = None) -> Period:
    """The period from month ``start`` to month ``end`` (both included), or ``PeriodError``.

    The current month may be included (a bank wants the latest figures); a later month may not,
    since a statement must not look as if it covered sales that have not happened.
    """
    start, end = start.replace(day=1), end.replace(day=1)
    if end < start:
        raise PeriodError("reversed")
    if end > _local_today(seller, now).replace(day=1):
        raise PeriodError("future")
    if (end.year - start.year) * 12 + end.month - start.month + 1 > MAX_MONTHS:
        raise PeriodError("too_long")
    return Period(start, end)


def _utc_bounds(seller: Seller, period: Period) -> tuple[datetime, datetime]:
    zone = TIME_ZONES[zone_label(seller.province_code)]

    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)

    return at(period.start), at(_next_month(period.end))


def compute_figures(seller: Seller, period: Period) -> dict:
    """The statement's figures, month by month in the shop's own time zone.

    Gross sales are the ledger's sale credits (goods and shipping), commission its commission
    debits, refunds what the ledger took back for cancelled or partly refunded parts, in the
    month it was taken back; net is what the seller earned. Orders and buyers are counted from
    the parts credited in the period (a buyer is the account, or the e-mail of a guest).
    A workshop's practice sale never counts: neither its marked ledger lines and orders nor
    a part holding any practice product.
    """
    practice = exists().where(
        OrderItem.seller_order_id == SellerOrder.id,
        OrderItem.product_id == Product.id,
        Product.status == ProductStatus.PRACTICE.value,
    )
    zone = TIME_ZONES[zone_label(seller.province_code)]
    since, until = _utc_bounds(seller, period)
    rows = db.session.execute(
        select(
            LedgerEntry.kind,
            LedgerEntry.amount,
            LedgerEntry.created_at,
            Order.buyer_id,
            Order.email,
        )
        .join(SellerOrder, SellerOrder.id == LedgerEntry.seller_order_id)
        .join(Order, Order.id == SellerOrder.order_id)
        .where(
            LedgerEntry.seller_id == seller.id,
            LedgerEntry.created_at >= since,
            LedgerEntry.created_at < until,
            ~practice,
            LedgerEntry.practice_workshop_id.is_(None),
            Order.practice_workshop_id.is_(None),
            LedgerEntry.kind.in_(
                [
                    LedgerKind.SALE,
                    LedgerKind.COMMISSION,
                    LedgerKind.REFUND,
                    LedgerKind.ADJUSTMENT,
                ]
            ),
        )
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    ).all()
    months = {
        m.strftime("%Y-%m"): {"gross": 0, "refunds": 0, "commission": 0, "orders": 0}
        for m in period.months
    }
    buyers: set[str] = set()
    sale_times: list[datetime] = []
    for kind, amount, created_at, buyer_id, email in rows:
        when = as_utc(created_at)
        row = months.get(when.astimezone(zone).strftime("%Y-%m"))
        if row is None:  # cannot happen with the bounds above; never count outside the period
            continue
        if kind == LedgerKind.SALE:
            row["gross"] += amount
            row["orders"] += 1
            buyers.add(f"u{buyer_id}" if buyer_id else f"e{(email or '').lower()}")
            sale_times.append(when)
        elif kind == LedgerKind.COMMISSION:
            row["commission"] += -amount
        else:
            row["refunds"] += -amount
    for row in months.values():
        row["net"] = row["gross"] - row["refunds"] - row["commission"]
    totals = {
        key: sum(row[key] for row in months.values())
        for key in ("gross", "refunds", "commission", "net", "orders")
    }
    totals["buyers"] = len(buyers)
    net = totals["net"]
    return {
        "seller": {
            "name": seller.owner.name,
            "shop": seller.shop_name,
            "village": regions.place_label(seller.village_code) if seller.village_code else "",
            "nib": seller.nib or "",
            "province_code": seller.province_code,
        },
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "months": [{"month": key, **row} for key, row in months.items()],
        "totals": totals,
        "first_sale": sale_times[0].isoformat() if sale_times else None,
        "last_sale": sale_times[-1].isoformat() if sale_times else None,
        "net_in_words": terbilang(net, currency=True, case="sentence"),
        "no_sales": not sale_times,
    }


def issue(seller: Seller, start: date, end: date) -> SalesStatement:
    """Issue a statement for the period (``PeriodError`` if it cannot be covered)."""
    period = check_period(seller, start, end)
    code = secrets.token_urlsafe(CODE_BYTES)
    statement = SalesStatement(
        seller_id=seller.id,
        number=f"tmp-{code[:24]}",
        code=code,
        period_start=period.start,
        period_end=period.end,
        figures=compute_figures(seller, period),
        issued_at=utcnow(),
    )
    db.session.add(statement)
    db.session.flush()
    # The id makes the number unique without a counter to lock; the year helps people read it.
    statement.number = f"LP-{statement.issued_at.year}-{statement.id:06d}"
    db.session.commit()
    return statement


def revoke(statement: SalesStatement) -> None:
    """Withdraw a statement: the verification page keeps showing it, marked revoked, so a bank
    that holds the paper learns it no longer stands."""
    if statement.revoked_at is None:
        statement.revoked_at = utcnow()
    db.session.commit()


def list_for(seller: Seller) -> list[SalesStatement]:
    return list(
        db.session.scalars(
            select(SalesStatement)
            .where(SalesStatement.seller_id == seller.id)
            .order_by(SalesStatement.issued_at.desc(), SalesStatement.id.desc())
        )
    )


def get_own(seller: Seller | None, statement_id: int) -> SalesStatement | None:
    """The seller's own statement, or None (another seller's id reads as not found)."""
    if seller is None:
        return None
    statement = db.session.get(SalesStatement, statement_id)
    if statement is None or statement.seller_id != seller.id:
        return None
    return statement


def by_code(code: str) -> SalesStatement | None:
    """The statement a verification code belongs to; a malformed code is not looked up."""
    if not 16 <= len(code) <= 64 or not set(code) <= _CODE_ALPHABET:
        return None
    return db.session.scalar(select(SalesStatement).where(SalesStatement.code == code))


def sale_time(value: str | None) -> datetime | None:
    """A snapshot's stored ISO time back as a datetime, for the date filters."""
    return datetime.fromisoformat(value) if value else None
