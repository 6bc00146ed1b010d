"""Paying sellers from the ledger by bank transfer (Stripe Connect does not serve Indonesia).

A seller's *balance* is every ledger entry; the *payable* balance counts a sale only once its
part is delivered, because until then the buyer may still be refunded and the platform would
have paid out money it must give back. Entries that belong to no order (payouts, manual
adjustments) always count. A payout is itself a negative ledger entry, so paying a balance
brings it to zero and a second batch right after finds nothing to pay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from catalog.shops import Seller
from marketplace.auth.models import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from orders import settlement
from orders.models import LedgerEntry, LedgerKind, Payout, PayoutBatch, SellerOrder
from orders.states import FulfilmentStatus

REFERENCE_MAX = 120


class PayoutError(DomainError):
    def __init__(self, code: str, message) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass
class SellerBalance:
    seller: Seller
    payable: int
    balance: int

    @property
    def has_bank_account(self) -> bool:
        return has_bank_account(self.seller)


@dataclass
class BatchResult:
    batch: PayoutBatch | None
    skipped: list[Seller] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.batch.payouts) if self.batch else 0


def has_bank_account(seller: Seller) -> bool:
    return bool(
        seller.bank_name.strip()
        and seller.bank_account_number.strip()
        and seller.bank_account_holder.strip()
    )


def _payable_condition():
    """Delivered real sales and order-less lines; a workshop's practice lines never."""
    return and_(
        LedgerEntry.practice_workshop_id.is_(None),
        or_(
            LedgerEntry.seller_order_id.is_(None),
            SellerOrder.status == FulfilmentStatus.DELIVERED.value,
        ),
    )


def _payable_query():
    return (
        select(LedgerEntry.seller_id, func.coalesce(func.sum(LedgerEntry.amount), 0))
        .select_from(LedgerEntry)
        .outerjoin(SellerOrder, LedgerEntry.seller_order_id == SellerOrder.id)
        .where(_payable_condition())
        .group_by(LedgerEntry.seller_id)
    )


def payable_balance(seller_id: int) -> int:
    """What may be transferred to the seller now: delivered sales, less payouts already made."""
    value = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .select_from(LedgerEntry)
        .outerjoin(SellerOrder, LedgerEntry.seller_order_id == SellerOrder.id)
        .where(LedgerEntry.seller_id == seller_id, _payable_condition())
    )
    return int(value or 0)


def _payables(seller_ids=None) -> dict[int, int]:
    query = _payable_query()
    if seller_ids is not None:
        query = query.where(LedgerEntry.seller_id.in_(list(seller_ids)))
    return {seller_id: int(total) for seller_id, total in db.session.execute(query)}


def balances() -> list[SellerBalance]:
    """Every seller with something to pay out, largest first."""
    payable = {sid: amount for sid, amount in _payables().items() if amount > 0}
    if not payable:
        return []
    totals = dict(
        db.session.execute(
            select(LedgerEntry.seller_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.seller_id.in_(payable), LedgerEntry.practice_workshop_id.is_(None))
            .group_by(LedgerEntry.seller_id)
        ).all()
    )
    sellers = db.session.scalars(select(Seller).where(Seller.id.in_(payable)))
    rows = [SellerBalance(s, payable[s.id], int(totals.get(s.id, 0))) for s in sellers]
    return sorted(rows, key=lambda row: (-row.payable, row.seller.shop_name))


def create_batch(admin, seller_ids=None) -> BatchResult:
    """One payout per seller with a positive payable balance and a bank account; one commit.

    The sellers' rows are locked first (``FOR UPDATE`` on PostgreSQL; SQLite lets one writer
    in at a time anyway), and the balances read after the lock, so two admins pressing the
    button together cannot pay the same money twice: the second sees the first's payouts.
    Returns ``batch=None`` when there was nothing to pay.
    """
    try:
        candidates = select(LedgerEntry.seller_id).distinct()
        if seller_ids is not None:
            candidates = candidates.where(LedgerEntry.seller_id.in_(list(seller_ids)))
        sellers = list(
            db.session.scalars(
                select(Seller)
                .where(Seller.id.in_(candidates))
                .order_by(Seller.id)
                .with_for_update(of=Seller)
            )
        )
        payable = _payables([s.id for s in sellers])
        to_pay: list = []
        skipped: list = []
        for seller in sellers:
            amount = payable.get(seller.id, 0)
            if amount <= 0:
                continue
            (to_pay if has_bank_account(seller) else skipped).append((seller, amount))
        if not to_pay:
            db.session.rollback()
            return BatchResult(None, [s for s, _ in skipped])
        batch = PayoutBatch(created_by_id=admin.id)
        db.session.add(batch)
        db.session.flush()
        reference = f"payout batch #{batch.id}"
        for seller, amount in to_pay:
            payout = Payout(
                batch=batch,
                seller_id=seller.id,
                amount=amount,
                bank_name=seller.bank_name,
                bank_account_number=seller.bank_account_number,
                bank_account_holder=seller.bank_account_holder,
            )
            db.session.add(payout)
            db.session.flush()
            db.session.add(
                LedgerEntry(
                    seller_id=seller.id,
                    payout_id=payout.id,
                    kind=LedgerKind.PAYOUT,
                    amount=-amount,
                    reference=reference,
                )
            )
        total = sum(amount for _, amount in to_pay)
        detail = f"{len(to_pay)} payouts, Rp {total}"
        if skipped:
            detail += "; no bank account: " + ", ".join(str(s.id) for s, _ in skipped)
        settlement.audit(admin.id, "payout.batch", reference, detail[:500])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return BatchResult(batch, [s for s, _ in skipped])


def get_batch(batch_id: int) -> PayoutBatch | None:
    return db.session.get(PayoutBatch, batch_id)


def recent_batches(limit: int = 50) -> list[PayoutBatch]:
    return list(
        db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(limit))
    )


def record_bank_reference(batch: PayoutBatch, admin, reference: str) -> PayoutBatch:
    """Note the bank's reference for the transfers; the first recording dates the payment.

    A mistyped reference may be corrected later; ``paid_at`` keeps the first date and the
    audit trail keeps every value.
    """
    reference = " ".join((reference or "").split())
    if not reference:
        raise PayoutError("reference", _l("Enter the bank's reference for this transfer."))
    if len(reference) > REFERENCE_MAX:
        raise PayoutError(
            "reference", _l("The reference can be at most %(n)s characters.", n=REFERENCE_MAX)
        )
    try:
        previous = batch.bank_reference
        batch.bank_reference = reference
        if batch.paid_at is None:
            batch.paid_at = utcnow()
        detail = reference if not previous else f"{reference} (was {previous})"
        settlement.audit(admin.id, "payout.paid", f"payout batch #{batch.id}", detail[:500])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return batch


def payouts_for_seller(seller_id: int, limit: int = 100) -> list[Payout]:
    return list(
        db.session.scalars(
            select(Payout)
            .where(Payout.seller_id == seller_id)
            .order_by(Payout.id.desc())
            .limit(limit)
        )
    )
