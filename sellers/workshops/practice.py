"""Practice mode: a workshop's participants sell to each other with pretend money.

Practice rows are the ordinary catalogue and order rows with ``practice_workshop_id`` set, so a
practice sale runs through the real product editor, image pipeline, cart, checkout, fulfilment,
review and ledger code. What keeps them out of everything public or financial lives in those
lower layers' central queries; this module holds the workshop's side: who may practise (the
hook the orders layer asks), the practice shop and products, the market's listing, and the
reset, freeze and purge of a workshop's practice data.

Practice happens only while the workshop is open: access to its pages requires that, and the
services below check it again, so a closed workshop is frozen even for a form opened before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import delete, func, select

from catalog import services as catalog
from catalog.models import Product, ProductStatus
from marketplace import audit
from marketplace.auth.models import Role, User, utcnow
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from orders import practice as order_practice
from orders.models import (
    CartItem,
    LedgerEntry,
    Order,
    OrderEvent,
    OrderItem,
    Payment,
    Review,
    SellerOrder,
)
from sellers.models import Seller, SellerStatus
from sellers.workshops.models import Workshop, WorkshopMember, WorkshopStatus

__all__ = [
    "PracticeError",
    "check_open",
    "create_practice_product",
    "market_product",
    "market_products",
    "may_practise",
    "practice_shop",
    "purge_closed",
    "reset",
]


class PracticeError(DomainError):
    """``closed``: the workshop is closed (practice is frozen); ``not_member``: the user does
    not belong to it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _workshop(workshop_id: int) -> Workshop | None:
    return db.session.get(Workshop, workshop_id)


def check_open(workshop_id: int) -> Workshop:
    workshop = _workshop(workshop_id)
    if workshop is None or workshop.status != WorkshopStatus.OPEN:
        raise PracticeError("closed")
    return workshop


def may_practise(user_id: int, workshop_id: int) -> bool:
    """The open workshop's members, its trainer and admins: the hook ``orders`` asks."""
    workshop = _workshop(workshop_id)
    if workshop is None or workshop.status != WorkshopStatus.OPEN:
        return False
    if workshop.trainer_id == user_id:
        return True
    member = db.session.scalar(
        select(func.count())
        .select_from(WorkshopMember)
        .where(WorkshopMember.workshop_id == workshop_id, WorkshopMember.user_id == user_id)
    )
    if member:
        return True
    user = db.session.get(User, user_id)
    return bool(user is not None and user.is_admin)


order_practice.register_practice_access(may_practise)


def _check_access(workshop: Workshop, user: User) -> None:
    if workshop.status != WorkshopStatus.OPEN:
        raise PracticeError("closed")
    if not may_practise(user.id, workshop.id):
        raise PracticeError("not_member")


# --- the practice shop and its products ------------------------------------------------------


def practice_shop(user: User) -> Seller:
    """The participant's shop: their ordinary ``Seller`` row, created as a draft if needed.

    The profile they fill in during the workshop is the one they later send for verification,
    so nothing is thrown away when practice ends.
    """
    seller = catalog.seller_for(user)
    if seller is not None:
        return seller
    from sellers.services import unique_shop_slug

    name = (user.name or "").strip() or "Toko"
    shop_name = f"Toko {name}"[:80]
    seller = Seller(
        owner_id=user.id,
        status=SellerStatus.DRAFT.value,
        shop_name=shop_name,
        slug=unique_shop_slug(shop_name),
    )
    db.session.add(seller)
    user.add_role(Role.SELLER)
    db.session.commit()
    return seller


def create_practice_product(workshop: Workshop, user: User, data: catalog.ProductData) -> Product:
    """A draft practice product in the user's shop, through the catalogue's own use case."""
    _check_access(workshop, user)
    seller = practice_shop(user)
    return catalog.create_product(seller, data, practice_workshop_id=workshop.id)


def _join_code_of(product: Product) -> str | None:
    if product.practice_workshop_id is None:
        return None
    workshop = db.session.get(Workshop, product.practice_workshop_id)
    return workshop.join_code if workshop is not None else None


def product_url(product: Product, external: bool = False) -> str:
    """A product's page: a practice product's is in its workshop's market (for cart, order and
    share links), any other product's is its public page."""
    code = _join_code_of(product)
    if code is None:
        return url_for("catalog.product", slug=product.slug, _external=external)
    return url_for("practice.product", code=code, slug=product.slug, _external=external)


def market_url(product: Product) -> str:
    """The market a practice product is listed in (the seller's products for any other)."""
    code = _join_code_of(product)
    return url_for("practice.market", code=code) if code else url_for("sellers.products")


def _listed(workshop: Workshop):
    return (
        select(Product)
        .join(Product.seller)
        .where(
            Product.practice_workshop_id == workshop.id,
            Product.status == ProductStatus.PRACTICE.value,
            Seller.status != SellerStatus.SUSPENDED.value,
        )
    )


def market_products(workshop: Workshop) -> list[Product]:
    """The workshop's practice products listed in its market, newest first."""
    query = _listed(workshop).order_by(Product.created_at.desc(), Product.id.desc())
    return list(db.session.scalars(query).unique())


def market_product(workshop: Workshop, slug: str) -> Product:
    product = db.session.scalar(_listed(workshop).where(Product.slug == slug))
    if product is None:
        raise NotFound(slug)
    return product


def own_practice_products(workshop: Workshop, user: User) -> list[Product]:
    seller = catalog.seller_for(user)
    if seller is None:
        return []
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.seller_id == seller.id, Product.practice_workshop_id == workshop.id)
            .order_by(Product.id.desc())
        ).unique()
    )


# --- reset and purge ------------------------------------------------------------------------


@dataclass
class Removed:
    orders: int = 0
    ledger_lines: int = 0
    reviews: int = 0
    products: int = 0
    files: int = 0


def _delete_practice_data(workshop_id: int) -> tuple[Removed, list]:
    """Delete the workshop's practice rows in the caller's transaction, children first (the
    order tables' foreign keys do not all cascade). Returns counts and the photos to remove."""
    removed = Removed()
    product_ids = list(
        db.session.scalars(select(Product.id).where(Product.practice_workshop_id == workshop_id))
    )
    order_ids = list(
        db.session.scalars(select(Order.id).where(Order.practice_workshop_id == workshop_id))
    )
    part_ids = select(SellerOrder.id).where(SellerOrder.order_id.in_(order_ids)).scalar_subquery()
    item_ids = select(OrderItem.id).where(OrderItem.seller_order_id.in_(part_ids))

    def run(statement) -> int:
        result = db.session.execute(statement.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    removed.reviews = run(
        delete(Review).where(
            (Review.practice_workshop_id == workshop_id) | Review.order_item_id.in_(item_ids)
        )
    )
    removed.ledger_lines = run(
        delete(LedgerEntry).where(
            (LedgerEntry.practice_workshop_id == workshop_id)
            | LedgerEntry.seller_order_id.in_(part_ids)
        )
    )
    if order_ids:
        run(delete(OrderEvent).where(OrderEvent.order_id.in_(order_ids)))
        run(delete(Payment).where(Payment.order_id.in_(order_ids)))
        run(delete(OrderItem).where(OrderItem.seller_order_id.in_(part_ids)))
        run(delete(SellerOrder).where(SellerOrder.order_id.in_(order_ids)))
        removed.orders = run(delete(Order).where(Order.id.in_(order_ids)))
    photos: list = []
    if product_ids:
        run(delete(CartItem).where(CartItem.product_id.in_(product_ids)))
        photos = catalog.delete_products_without_commit(product_ids)
        removed.products = len(product_ids)
    return removed, photos


def reset(workshop: Workshop, actor: User) -> Removed:
    """The trainer's reset: the workshop's practice orders, ledger lines, reviews, products and
    their photos go, so the room can practise again from a clean market. Audited."""
    return _wipe(workshop, actor.id, "workshop.practice_reset")


def _wipe(
    workshop: Workshop, actor_id: int | None, action: str, purged_at: datetime | None = None
) -> Removed:
    """Delete a workshop's practice data and audit it in one transaction (noting ``purged_at``
    when given); the photo files go once it is committed (a rolled-back delete must not lose
    them)."""
    try:
        removed, photos = _delete_practice_data(workshop.id)
        if purged_at is not None:
            workshop.practice_purged_at = purged_at
        audit.record(
            actor_id,
            action,
            f"workshop #{workshop.id}",
            f"{removed.orders} orders, {removed.ledger_lines} ledger lines, "
            f"{removed.reviews} reviews, {removed.products} products",
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    db.session.expire_all()
    removed.files = catalog.remove_unused_photo_files(photos)
    return removed


def purge_closed(now: datetime | None = None) -> list[tuple[Workshop, Removed]]:
    """Delete the frozen practice data of workshops closed longer than the retention time
    (``PRACTICE_RETENTION_DAYS``) and note when. Each workshop is its own transaction; running
    it twice changes nothing the second time."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["PRACTICE_RETENTION_DAYS"])
    ids = list(
        db.session.scalars(
            select(Workshop.id)
            .where(
                Workshop.status == WorkshopStatus.CLOSED.value,
                Workshop.closed_at.is_not(None),
                Workshop.closed_at < cutoff,
                Workshop.practice_purged_at.is_(None),
            )
            .order_by(Workshop.id)
        )
    )
    done = []
    for workshop_id in ids:
        workshop = db.session.get(Workshop, workshop_id, with_for_update=True)
        if workshop is None or workshop.practice_purged_at is not None:
            db.session.rollback()
            continue
        done.append((workshop, _wipe(workshop, None, "workshop.practice_purged", now)))
    return done
