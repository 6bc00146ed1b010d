"""Where each participant of a workshop stands: the steps of the day, read for the whole room.

The live board polls this every few seconds from the projector, so it costs the same handful of
queries whether four or twenty-five people are in the room: every step is read for all members
at once (grouped by shop), never per participant. The same steps, frozen when the workshop
closes, are what the follow-up report compares with where a participant stands later
(``participant_steps`` and ``as_dicts``).

A participant's practice shop is their ordinary ``Seller`` row, so the shop profile, products
and shares read here are the ones they keep after the day.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select

from catalog.models import Product, ProductImage
from marketplace.auth.models import User
from marketplace.extensions import db
from orders.models import Order, Review, SellerOrder
from orders.states import FulfilmentStatus, OrderStatus
from sellers.models import Seller, ShareEvent
from sellers.training.content_loader import get_module
from sellers.training.models import ModuleProgress
from sellers.training.progress import shop_profile_complete
from sellers.workshops.models import Workshop, WorkshopMember

__all__ = [
    "STEPS",
    "Board",
    "ModuleColumn",
    "ModuleStep",
    "ParticipantSteps",
    "as_dicts",
    "board",
    "fingerprint",
    "participant_steps",
]

PHOTOS_FOR_STEP = 3
# The yes/no steps after "joined", in the order of the day (the modules sit after the profile).
STEPS = (
    "shop_profile",
    "product_drafted",
    "product_with_photos",
    "shared",
    "practice_sale",
    "parcel_shipped",
    "review_received",
)
_PAID = (OrderStatus.PAID.value, OrderStatus.COMPLETED.value)
_SHIPPED = (FulfilmentStatus.SHIPPED.value, FulfilmentStatus.DELIVERED.value)


@dataclass(frozen=True)
class ModuleColumn:
    """A module the workshop covers, as the board's column heading (``number`` from 1)."""

    number: int
    slug: str
    title: str
    questions: int


@dataclass(frozen=True)
class ModuleStep:
    slug: str
    completed: bool
    best_score: int | None  # None: the quiz was never tried
    questions: int


@dataclass(frozen=True)
class ParticipantSteps:
    user_id: int
    name: str
    joined_at: datetime
    shop_profile: bool
    modules: tuple[ModuleStep, ...]
    product_drafted: bool
    product_with_photos: bool
    shared: bool
    practice_sale: bool
    parcel_shipped: bool
    review_received: bool
    # The review came from this workshop's practice sale (else it is a real buyer's review).
    practice_review: bool

    @property
    def done(self) -> int:
        """Steps done, joining and each completed module included (the board's tally)."""
        return (
            1
            + sum(1 for step in STEPS if getattr(self, step))
            + sum(1 for m in self.modules if m.completed)
        )

    @property
    def total(self) -> int:
        return 1 + len(STEPS) + len(self.modules)

    def as_dict(self) -> dict:
        """Plain JSON types (the end-of-workshop snapshot is stored as JSON)."""
        data: dict = {
            "user_id": self.user_id,
            "name": self.name,
            "joined_at": self.joined_at.isoformat(),
            "modules": [
                {
                    "slug": m.slug,
                    "completed": m.completed,
                    "best_score": m.best_score,
                    "questions": m.questions,
                }
                for m in self.modules
            ],
        }
        data.update((step, getattr(self, step)) for step in STEPS)
        data["practice_review"] = self.practice_review
        data["done"] = self.done
        data["total"] = self.total
        return data


@dataclass(frozen=True)
class Board:
    workshop_id: int
    columns: tuple[ModuleColumn, ...]
    participants: tuple[ParticipantSteps, ...]
    version: str  # changes whenever anything the board shows changes (the polling ETag)


def module_columns(workshop: Workshop, locale: str | None = None) -> tuple[ModuleColumn, ...]:
    """The workshop's modules that exist in the course (a removed module drops out quietly)."""
    columns: list[ModuleColumn] = []
    for slug in workshop.modules or []:
        module = get_module(slug, locale)
        if module is not None:
            columns.append(ModuleColumn(len(columns) + 1, slug, module.title, len(module.quiz)))
    return tuple(columns)


def _member_sellers(workshop_id: int):
    return (
        select(Seller.id)
        .join(WorkshopMember, WorkshopMember.user_id == Seller.owner_id)
        .where(WorkshopMember.workshop_id == workshop_id)
    )


def _member_users(workshop_id: int):
    return select(WorkshopMember.user_id).where(WorkshopMember.workshop_id == workshop_id)


def participant_steps(
    workshop: Workshop, columns: tuple[ModuleColumn, ...] | None = None
) -> list[ParticipantSteps]:
    """Every member's steps, in the order they joined. Six queries, however many members."""
    columns = module_columns(workshop) if columns is None else columns
    wid = workshop.id
    sellers = _member_sellers(wid)

    members = db.session.execute(
        select(
            WorkshopMember.user_id,
            WorkshopMember.joined_at,
            User.name,
            Seller.id.label("seller_id"),
            Seller.shop_name,
            Seller.story,
            Seller.village_code,
            Seller.whatsapp,
        )
        .join(User, User.id == WorkshopMember.user_id)
        .outerjoin(Seller, Seller.owner_id == WorkshopMember.user_id)
        .where(WorkshopMember.workshop_id == wid)
        .order_by(WorkshopMember.joined_at, WorkshopMember.id)
    ).all()

    progress = {
        (row.user_id, row.module_slug): row
        for row in db.session.execute(
            select(
                ModuleProgress.user_id,
                ModuleProgress.module_slug,
                ModuleProgress.best_quiz_score,
                ModuleProgress.attempts,
                ModuleProgress.completed_at,
            ).where(
                ModuleProgress.user_id.in_(_member_users(wid)),
                ModuleProgress.module_slug.in_([c.slug for c in columns]),
            )
        )
    }

    per_product = (
        select(
            Product.seller_id,
            Product.id,
            func.count(ProductImage.id).label("photos"),
        )
        .outerjoin(ProductImage, ProductImage.product_id == Product.id)
        .where(Product.seller_id.in_(sellers))
        .group_by(Product.seller_id, Product.id)
        .subquery()
    )
    most_photos: dict[int, int] = {
        key: value
        for key, value in db.session.execute(
            select(per_product.c.seller_id, func.max(per_product.c.photos)).group_by(
                per_product.c.seller_id
            )
        )
    }

    shared = set(
        db.session.scalars(
            select(ShareEvent.seller_id)
            .where(ShareEvent.seller_id.in_(sellers))
            .group_by(ShareEvent.seller_id)
        )
    )

    sales: dict[int, int] = {
        key: value
        for key, value in db.session.execute(
            select(
                SellerOrder.seller_id,
                func.max(
                    case(
                        (
                            or_(
                                SellerOrder.status.in_(_SHIPPED),
                                SellerOrder.shipped_at.is_not(None),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
            )
            .join(Order, Order.id == SellerOrder.order_id)
            .where(
                Order.practice_workshop_id == wid,
                or_(Order.paid_at.is_not(None), Order.status.in_(_PAID)),
                SellerOrder.seller_id.in_(sellers),
            )
            .group_by(SellerOrder.seller_id)
        )
    }

    reviews: dict[int, int] = {
        key: value
        for key, value in db.session.execute(
            select(
                Review.seller_id,
                func.max(case((Review.practice_workshop_id == wid, 1), else_=0)),
            )
            .where(Review.seller_id.in_(sellers))
            .group_by(Review.seller_id)
        )
    }

    result = []
    for m in members:
        sid = m.seller_id
        modules = []
        for column in columns:
            row = progress.get((m.user_id, column.slug))
            modules.append(
                ModuleStep(
                    slug=column.slug,
                    completed=bool(row and row.completed_at),
                    best_score=row.best_quiz_score if row and row.attempts else None,
                    questions=column.questions,
                )
            )
        result.append(
            ParticipantSteps(
                user_id=m.user_id,
                name=m.name or "",
                joined_at=m.joined_at,
                shop_profile=sid is not None and shop_profile_complete(m),
                modules=tuple(modules),
                product_drafted=sid in most_photos,
                product_with_photos=(most_photos.get(sid) or 0) >= PHOTOS_FOR_STEP,
                shared=sid in shared,
                practice_sale=sid in sales,
                parcel_shipped=bool(sales.get(sid)),
                review_received=sid in reviews,
                practice_review=bool(reviews.get(sid)),
            )
        )
    return result


def as_dicts(steps: list[ParticipantSteps]) -> list[dict]:
    return [p.as_dict() for p in steps]


def fingerprint(
    workshop: Workshop, steps: list[ParticipantSteps], columns: tuple[ModuleColumn, ...] = ()
) -> str:
    """A short digest of everything the board shows: equal digests, nothing to redraw.

    Made from the frozen dataclasses' ``repr`` (every field, in order): it is computed on
    every poll, and building dictionaries for JSON would cost more than the queries.
    """
    data = (workshop.id, workshop.title, workshop.join_code, workshop.status, columns, steps)
    return hashlib.sha256(repr(data).encode()).hexdigest()[:20]


def board(workshop: Workshop, locale: str | None = None) -> Board:
    columns = module_columns(workshop, locale)
    steps = participant_steps(workshop, columns)
    return Board(workshop.id, columns, tuple(steps), fingerprint(workshop, steps, columns))
