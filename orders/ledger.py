"""The seller ledger: signed rupiah per seller; the balance is the sum (DESIGN §5).

A paid part credits the sale (goods + shipping) and debits the platform commission; a refunded
part debits what had been credited. The unique ``(seller_order_id, kind)`` constraint means a
repeated payment signal or cancellation cannot post twice.

Lines of a workshop's practice sale carry the order's ``practice_workshop_id``: they make the
seller's practice balance, shown apart, and never count in the real balance or a payout.
"""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.extensions import db
from orders.models import LedgerEntry, LedgerKind, SellerOrder


def _has(part: SellerOrder, kind: str) -> bool:
    return (
        db.session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.seller_order_id == part.id, LedgerEntry.kind == kind
            )
        )
        is not None
    )


def _practice(part: SellerOrder) -> int | None:
    return part.order.practice_workshop_id


def credit_sale(part: SellerOrder, order_number: str) -> None:
    if _has(part, LedgerKind.SALE):
        return
    db.session.add_all(
        [
            LedgerEntry(
                seller_id=part.seller_id,
                seller_order_id=part.id,
                kind=LedgerKind.SALE,
                amount=part.total,
                reference=order_number,
                practice_workshop_id=_practice(part),
            ),
            LedgerEntry(
                seller_id=part.seller_id,
                seller_order_id=part.id,
                kind=LedgerKind.COMMISSION,
                amount=-part.commission,
                reference=order_number,
                practice_workshop_id=_practice(part),
            ),
        ]
    )


def _adjusted(part: SellerOrder) -> int:
    """Rupiah already taken back from this part by a recorded partial refund."""
    return -int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.seller_order_id == part.id, LedgerEntry.kind == LedgerKind.ADJUSTMENT
            )
        )
        or 0
    )


def debit_refund(part: SellerOrder, order_number: str) -> None:
    """Take back what this part had earned (less any partial refund already taken back);
    nothing if it was never credited."""
    if not _has(part, LedgerKind.SALE) or _has(part, LedgerKind.REFUND):
        return
    db.session.add(
        LedgerEntry(
            seller_id=part.seller_id,
            seller_order_id=part.id,
            kind=LedgerKind.REFUND,
            amount=-max(0, part.payout_amount - _adjusted(part)),
            reference=order_number,
            practice_workshop_id=_practice(part),
        )
    )


def has_adjustment(part: SellerOrder) -> bool:
    return _has(part, LedgerKind.ADJUSTMENT)


def debit_partial_refund(part: SellerOrder, amount: int, reference: str) -> None:
    """Take back part of a credited sale: money the buyer got back for this part.

    One adjustment per part (the ledger's unique constraint): a second partial refund of the
    same part is settled by cancelling it instead.
    """
    db.session.add(
        LedgerEntry(
            seller_id=part.seller_id,
            seller_order_id=part.id,
            kind=LedgerKind.ADJUSTMENT,
            amount=-amount,
            reference=reference[:120],
            practice_workshop_id=_practice(part),
        )
    )


REAL = LedgerEntry.practice_workshop_id.is_(None)


def balance(seller_id: int) -> int:
    """Real money owed to the seller: practice lines never count."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.seller_id == seller_id, REAL
            )
        )
        or 0
    )


def practice_balance(seller_id: int) -> int:
    """What the seller's practice sales in workshops would have earned (pretend money)."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.seller_id == seller_id, LedgerEntry.practice_workshop_id.is_not(None)
            )
        )
        or 0
    )


def entries(seller_id: int, limit: int = 200, *, practice: bool = False) -> list[LedgerEntry]:
    """The seller's real lines, or with ``practice`` their practice lines."""
    which = LedgerEntry.practice_workshop_id.is_not(None) if practice else REAL
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.seller_id == seller_id, which)
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
            .limit(limit)
        )
    )
