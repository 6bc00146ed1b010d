"""Where workshop participants stand: at the end of the day (the snapshot) and today.

The follow-up report puts "then" beside "now" because one-off workshops fade: what a trainer
needs a month later is who kept going and who stalled. Every figure here is *real* business:
rows marked with ``practice_workshop_id`` (the day's practice sales) never count. Figures for a
whole room come from a handful of grouped queries, never one query per participant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from catalog.models import Product, ProductStatus
from marketplace.auth.models import as_utc, utcnow
from marketplace.extensions import db
from orders.models import Order, SellerOrder
from sellers.models import Seller, SellerStatus
from sellers.training.models import ModuleProgress
from sellers.workshops.models import Workshop, WorkshopMember

STALLED_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class Standing:
    """One participant's real figures at one moment."""

    user_id: int
    has_shop: bool
    shop_status: str  # "" without a shop
    shop_whatsapp: str  # the shop's WhatsApp number, for accounts that gave no phone
    products: int  # real products that are not archived (drafts included)
    published: int
    paid_orders: int
    modules_completed: tuple[str, ...]
    last_activity: datetime | None

    @property
    def verified(self) -> bool:
        return self.shop_status == SellerStatus.VERIFIED.value

    def stalled(self, now: datetime | None = None) -> bool:
        if self.last_activity is None:
            return True
        return as_utc(self.last_activity) < (now or utcnow()) - STALLED_AFTER

    def snapshot(self, at: datetime) -> dict:
        """The JSON kept in ``WorkshopMember.end_snapshot`` (plain values only)."""
        return {
            "taken_at": as_utc(at).isoformat(timespec="seconds"),
            "shop": self.has_shop,
            "shop_status": self.shop_status,
            "products": self.products,
            "published": self.published,
            "verified": self.verified,
            "paid_orders": self.paid_orders,
            "modules_completed": list(self.modules_completed),
        }


def _latest(*moments: datetime | None) -> datetime | None:
    present = [as_utc(m) for m in moments if m is not None]
    return max(present) if present else None


def standings(user_ids: list[int]) -> dict[int, Standing]:
    """Today's real figures for these accounts: five grouped queries whatever their number."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    shops = {
        row.owner_id: row
        for row in db.session.execute(
            select(
                Seller.id, Seller.owner_id, Seller.status, Seller.submitted_at, Seller.whatsapp
            ).where(Seller.owner_id.in_(ids))
        )
    }
    seller_ids = [row.id for row in shops.values()]
    products: dict[int, tuple[int, int, datetime | None]] = {}
    orders: dict[int, tuple[int, datetime | None]] = {}
    if seller_ids:
        for row in db.session.execute(
            select(
                Product.seller_id,
                func.count(Product.id),
                func.sum(case((Product.status == ProductStatus.PUBLISHED.value, 1), else_=0)),
                func.max(Product.updated_at),
            )
            .where(
                Product.seller_id.in_(seller_ids),
                Product.practice_workshop_id.is_(None),
                Product.status != ProductStatus.ARCHIVED.value,
            )
            .group_by(Product.seller_id)
        ):
            products[row[0]] = (int(row[1] or 0), int(row[2] or 0), row[3])
        for row in db.session.execute(
            select(SellerOrder.seller_id, func.count(SellerOrder.id), func.max(Order.paid_at))
            .join(Order, Order.id == SellerOrder.order_id)
            .where(
                SellerOrder.seller_id.in_(seller_ids),
                Order.paid_at.is_not(None),
                Order.practice_workshop_id.is_(None),
            )
            .group_by(SellerOrder.seller_id)
        ):
            orders[row[0]] = (int(row[1] or 0), row[2])
    completed: dict[int, list[str]] = {}
    learned: dict[int, datetime | None] = {}
    for row in db.session.execute(
        select(
            ModuleProgress.user_id,
            ModuleProgress.module_slug,
            ModuleProgress.completed_at,
            ModuleProgress.updated_at,
        ).where(ModuleProgress.user_id.in_(ids))
    ):
        if row.completed_at is not None:
            completed.setdefault(row.user_id, []).append(row.module_slug)
        learned[row.user_id] = _latest(learned.get(row.user_id), row.updated_at)
    result = {}
    for user_id in ids:
        shop = shops.get(user_id)
        listed, published, product_time = (
            products.get(shop.id, (0, 0, None)) if shop else (0, 0, None)
        )
        paid, paid_time = orders.get(shop.id, (0, None)) if shop else (0, None)
        result[user_id] = Standing(
            user_id=user_id,
            has_shop=shop is not None,
            shop_status=shop.status if shop else "",
            shop_whatsapp=(shop.whatsapp or "") if shop else "",
            products=listed,
            published=published,
            paid_orders=paid,
            modules_completed=tuple(sorted(completed.get(user_id, []))),
            last_activity=_latest(
                product_time,
                paid_time,
                learned.get(user_id),
                shop.submitted_at if shop else None,
            ),
        )
    return result


def snapshots(workshop: Workshop, user_ids: list[int], *, at: datetime) -> dict[int, dict]:
    """End-of-workshop snapshots for ``WorkshopMember.end_snapshot``, keyed by user id.

    Kept simple and plain JSON so other views of the same workshop (the live board's steps) can
    read and extend it without a migration.
    """
    return {uid: s.snapshot(at) for uid, s in standings(user_ids).items()}


@dataclass(frozen=True)
class ReportRow:
    member: WorkshopMember
    then: dict | None
    now: Standing
    stalled: bool

    @property
    def last_activity(self) -> datetime | None:
        """Joining counts as activity: a participant who joined yesterday has not stalled."""
        return _latest(self.now.last_activity, self.member.joined_at)


def report(workshop: Workshop, *, now: datetime | None = None) -> list[ReportRow]:
    """Then and now for every member, in joining order."""
    now = now or utcnow()
    members = list(
        db.session.scalars(
            select(WorkshopMember)
            .where(WorkshopMember.workshop_id == workshop.id)
            .order_by(WorkshopMember.joined_at, WorkshopMember.id)
        )
    )
    figures = standings([m.user_id for m in members])
    rows = []
    for member in members:
        standing = figures[member.user_id]
        last = _latest(standing.last_activity, member.joined_at)
        rows.append(
            ReportRow(
                member=member,
                then=member.end_snapshot,
                now=standing,
                stalled=last is None or last < now - STALLED_AFTER,
            )
        )
    return rows


def next_step(standing: Standing) -> str:
    """The one thing to do next, as a short key the report and the WhatsApp text turn to words."""
    if not standing.has_shop:
        return "profile"
    if standing.shop_status in (SellerStatus.DRAFT.value, SellerStatus.REJECTED.value):
        return "submit" if standing.products else "product"
    if standing.shop_status == SellerStatus.SUBMITTED.value:
        return "wait"
    if not standing.published:
        return "publish"
    if not standing.paid_orders:
        return "share"
    return "grow"
