"""Buyer reviews of what they received, and the ratings shown to the next buyer.

A review hangs on one order item, so only someone who really bought and received the product can
write one, once (the unique ``order_item_id`` is the final word when two submissions race).
Each product keeps its rating's count and sum (``Product.rating``), updated in the same
transaction as the review is written, so catalogue pages show ratings without reading orders;
the functions below compute ratings from the reviews table itself (shops, and checks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from catalog.models import Product
from catalog.ratings import NO_RATING, Rating
from marketplace import page_cache
from marketplace.auth.models import User, utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from orders.models import Order, OrderItem, Review, SellerOrder
from orders.states import FulfilmentStatus

MIN_RATING = 1
MAX_RATING = 5
MAX_TEXT = 2000
MAX_REPLY = 1000


class ReviewError(DomainError):
    """Why a review was refused; ``code`` is one of:

    ``not_found`` (no such item, or it belongs to someone else's order: the two look the same so
    item ids cannot be probed), ``not_delivered``, ``already_reviewed``, ``rating``, ``too_long``;
    for a shop's reply ``not_found`` (another shop's review), ``empty``, ``too_long``.
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ShownReview:
    """What a public page may show of a review: the buyer's first name only, never more."""

    rating: int
    text: str
    first_name: str
    created_at: datetime
    item_title: str
    reply: str = ""


# --- writing ------------------------------------------------------------------------------


def _is_buyer(order: Order, buyer) -> bool:
    return bool(
        buyer is not None
        and getattr(buyer, "is_authenticated", False)
        and order.buyer_id is not None
        and order.buyer_id == buyer.id
    )


def _may_review(order: Order, buyer, guest_order: Order | None) -> bool:
    """The account order's buyer, or the holder of a guest order's link for that very order.

    ``guest_order`` is the order the view let a guest into (its signed link was checked
    there); an item of any other order is refused, so one link never reviews another order.
    """
    if guest_order is not None:
        return guest_order.buyer_id is None and order.id == guest_order.id
    return _is_buyer(order, buyer)


def reviewable_items(order: Order, buyer, *, guest: bool = False) -> list[OrderItem]:
    """Items the buyer may still review: in delivered parts, not reviewed yet.

    Anyone but the order's buyer gets an empty list; ``guest=True`` says the view let a guest
    in through the order's signed link (only a guest order qualifies).
    """
    if not _may_review(order, buyer, order if guest else None):
        return []
    return list(
        db.session.scalars(
            select(OrderItem)
            .join(SellerOrder, OrderItem.seller_order_id == SellerOrder.id)
            .outerjoin(Review, Review.order_item_id == OrderItem.id)
            .where(
                SellerOrder.order_id == order.id,
                SellerOrder.status == FulfilmentStatus.DELIVERED.value,
                Review.id.is_(None),
            )
            .order_by(SellerOrder.id, OrderItem.id)
        )
    )


def _check_rating(rating) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise ReviewError("rating")
    if not MIN_RATING <= rating <= MAX_RATING:
        raise ReviewError("rating")
    return rating


def _clean_text(text: str | None) -> str:
    cleaned = (text or "").replace("\r\n", "\n").strip()
    if len(cleaned) > MAX_TEXT:
        raise ReviewError("too_long")
    return cleaned


def _already_reviewed(order_item_id: int) -> bool:
    return (
        db.session.scalar(select(Review.id).where(Review.order_item_id == order_item_id))
        is not None
    )


def add_review(
    buyer,
    order_item_id: int,
    rating: int,
    text: str | None = "",
    *,
    guest_order: Order | None = None,
) -> Review:
    """Record the buyer's review of one delivered item; one commit, then fresh public pages.

    Input is checked before anything is read, so a bad rating never tells a stranger whether an
    item exists. A second review of the same item is refused with ``already_reviewed``, also when
    both arrive at once (the unique constraint decides, and the loser is told the same thing).
    A guest reviews with ``guest_order``, the order whose link the view checked; the review has
    no account until the guest's orders join one.
    """
    rating = _check_rating(rating)
    text = _clean_text(text)
    item = db.session.get(OrderItem, order_item_id) if isinstance(order_item_id, int) else None
    if item is None:
        raise ReviewError("not_found")
    part = item.seller_order
    if not _may_review(part.order, buyer, guest_order):
        raise ReviewError("not_found")
    if part.status != FulfilmentStatus.DELIVERED:
        raise ReviewError("not_delivered")
    if _already_reviewed(item.id):
        raise ReviewError("already_reviewed")
    review = Review(
        order_item_id=item.id,
        product_id=item.product_id,
        seller_id=part.seller_id,
        buyer_id=None if guest_order is not None else buyer.id,
        rating=rating,
        text=text,
        practice_workshop_id=part.order.practice_workshop_id,
    )
    db.session.add(review)
    try:
        db.session.flush()  # the unique item decides a race before the product's totals move
        db.session.execute(
            update(Product)
            .where(Product.id == item.product_id)
            .values(
                rating_count=Product.rating_count + 1,
                rating_sum=Product.rating_sum + rating,
                updated_at=Product.updated_at,  # a review is not an edit of the product
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if _already_reviewed(order_item_id):
            raise ReviewError("already_reviewed") from None
        raise
    # Product and shop pages are cached for anonymous visitors and show ratings: a review is
    # not a catalogue change, so the catalogue's own invalidation does not see it.
    page_cache.bump()
    return review


# --- reading ------------------------------------------------------------------------------

# Reviews of a workshop's practice sales stay with the practice product (its own counters, seen
# only in the workshop's market): no average or list below ever includes them.
REAL = Review.practice_workshop_id.is_(None)


def _rating(row) -> Rating:
    if row is None or not row[1]:
        return NO_RATING
    average, count = row
    return Rating(float(average), int(count))


def product_rating(product_id: int) -> Rating:
    row = db.session.execute(
        select(func.avg(Review.rating), func.count(Review.id)).where(
            Review.product_id == product_id, REAL
        )
    ).one()
    return _rating(row)


def seller_rating(seller_id: int) -> Rating:
    """Across every product the shop sold, including ones it no longer lists."""
    row = db.session.execute(
        select(func.avg(Review.rating), func.count(Review.id)).where(
            Review.seller_id == seller_id, REAL
        )
    ).one()
    return _rating(row)


def ratings_for_products(product_ids: Iterable[int]) -> dict[int, Rating]:
    """Ratings of many products in one grouped query (a grid of cards must not cost a query
    per card). Every asked id is a key; products without reviews map to ``NO_RATING``."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    found = {pid: NO_RATING for pid in ids}
    rows = db.session.execute(
        select(Review.product_id, func.avg(Review.rating), func.count(Review.id))
        .where(Review.product_id.in_(ids), REAL)
        .group_by(Review.product_id)
    )
    for product_id, average, count in rows:
        found[product_id] = _rating((average, count))
    return found


def _first_name(name: str) -> str:
    parts = (name or "").split()
    return parts[0] if parts else ""


def _shown(where, limit: int) -> list[ShownReview]:
    """A guest's review (no account) is signed with the name given at checkout."""
    rows = db.session.execute(
        select(
            Review.rating,
            Review.text,
            Review.created_at,
            func.coalesce(User.name, Order.contact_name),
            OrderItem.title,
            Review.reply,
        )
        .outerjoin(User, Review.buyer_id == User.id)
        .join(OrderItem, Review.order_item_id == OrderItem.id)
        .join(SellerOrder, OrderItem.seller_order_id == SellerOrder.id)
        .join(Order, SellerOrder.order_id == Order.id)
        .where(where, REAL)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(max(0, limit))
    )
    return [
        ShownReview(rating, text, _first_name(name), created_at, title, answer)
        for rating, text, created_at, name, title, answer in rows
    ]


def recent_reviews(product_id: int, limit: int = 5) -> list[ShownReview]:
    return _shown(Review.product_id == product_id, limit)


def recent_shop_reviews(seller_id: int, limit: int = 5) -> list[ShownReview]:
    """Newest first across the shop; ``item_title`` says which product each one is about."""
    return _shown(Review.seller_id == seller_id, limit)


# --- the shop's replies --------------------------------------------------------------------


def shop_reviews(seller_id: int, limit: int = 100) -> list[Review]:
    """The shop's real reviews, those still waiting for an answer first, newest first."""
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.seller_id == seller_id, Review.practice_workshop_id.is_(None))
            .order_by((Review.reply == "").desc(), Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
    )


def own_review(seller_id: int | None, review_id: int) -> Review | None:
    """The shop's own review, or None: another shop's id reads as not found."""
    review = db.session.get(Review, review_id) if seller_id is not None else None
    if review is None or review.seller_id != seller_id:
        return None
    return review


def reply(review: Review, text: str | None) -> Review:
    """Publish (or correct) the shop's answer under a review; one commit, then fresh pages.

    Buyers read a shop's answers before they buy, and an answered complaint builds trust
    (the training's "layanan-ulasan" module teaches it), so the answer shows on the product
    page under the review.
    """
    cleaned = (text or "").replace("\r\n", "\n").strip()
    if not cleaned:
        raise ReviewError("empty")
    if len(cleaned) > MAX_REPLY:
        raise ReviewError("too_long")
    try:
        review.reply = cleaned
        review.replied_at = utcnow()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    page_cache.bump()  # product and shop pages show the answer; reviews are not tracked there
    return review
