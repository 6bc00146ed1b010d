"""The seller ledger: signed rupiah per seller; the balance is the sum (DESIGN §5).

A paid part credits the sale (goods + shipping) and debits the platform commission; a refunded
part debits what had been credited. The unique ``(seller_order_id, kind)`` constraint means a
repeated payment signal or cancellation cannot post twice.
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
            ),
            LedgerEntry(
                seller_id=part.seller_id,
                seller_order_id=part.id,
                kind=LedgerKind.COMMISSION,
                amount=-part.commission,
                reference=order_number,
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
        )
    )


def balance(seller_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.seller_id == seller_id
            )
        )
        or 0
    )


def entries(seller_id: int, limit: int = 200) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.seller_id == seller_id)
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
            .limit(limit)
        )
    )
