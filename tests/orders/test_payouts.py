"""Payouts: sellers are paid for delivered goods only, once, to the account they gave."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.audit import AuditEvent
from marketplace.auth.models import Role
from marketplace.extensions import db
from orders import fulfilment, ledger, notifications, payouts, settlement
from orders.models import (
    LedgerEntry,
    LedgerKind,
    Order,
    PaymentMethod,
    Payout,
    PayoutBatch,
)
from tests.factories import make_product, make_seller, make_user
from tests.orders.factories import make_order

BANK = {
    "bank_name": "BRI",
    "bank_account_number": "0123-01-000123-50-1",
    "bank_account_holder": "Aminah",
}


@pytest.fixture(autouse=True)
def quiet_mail(app_ctx, monkeypatch, tmp_path):
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(tmp_path / "outbox.log"))
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: None)


@pytest.fixture()
def admin(app_ctx):
    return make_user(roles=(Role.ADMIN,))


def paid_order(*lines) -> Order:
    buyer = make_user()
    order = make_order(list(lines), buyer=buyer, payment_method=PaymentMethod.BANK_TRANSFER)
    settlement.settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()
    return order


def delivered(seller, price: int = 50000):
    """A part of ``seller`` that was paid, shipped and received."""
    order = paid_order((make_product(seller, price=price), 1))
    part = order.seller_orders[0]
    fulfilment.mark_shipped(part, seller.owner, "JNE", "JP1234567890")
    fulfilment.confirm_received(order, order.buyer)
    return part


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_only_delivered_parts_are_payable(app_ctx):
    seller = make_seller(**BANK)
    waiting = paid_order((make_product(seller, price=30000), 1)).seller_orders[0]
    assert ledger.balance(seller.id) == waiting.payout_amount
    assert payouts.payable_balance(seller.id) == 0

    fulfilment.mark_shipped(waiting, seller.owner, "JNE", "JP1234567890")
    assert payouts.payable_balance(seller.id) == 0  # on its way: could still go wrong

    part = delivered(seller, price=80000)
    assert payouts.payable_balance(seller.id) == part.payout_amount
    assert ledger.balance(seller.id) == part.payout_amount + waiting.payout_amount


def test_cancelled_parts_are_not_payable_and_adjustments_are(app_ctx):
    seller = make_seller(**BANK)
    part = paid_order((make_product(seller), 1)).seller_orders[0]
    fulfilment.seller_cancel(part, seller.owner, "Stok habis")
    assert payouts.payable_balance(seller.id) == 0
    db.session.add(
        LedgerEntry(
            seller_id=seller.id,
            kind=LedgerKind.ADJUSTMENT,
            amount=7500,
            reference="ongkir dikembalikan",
        )
    )
    db.session.commit()
    assert payouts.payable_balance(seller.id) == 7500


def test_batch_pays_each_seller_once_with_a_negative_ledger_entry(app_ctx, admin):
    aminah = make_seller(**BANK)
    budi = make_seller(
        bank_name="BNI", bank_account_number="99887766", bank_account_holder="Budi Santoso"
    )
    a1, a2 = delivered(aminah, 50000), delivered(aminah, 20000)
    b1 = delivered(budi, 40000)
    paid_order((make_product(budi), 1))  # paid, not delivered: stays for a later batch
    budi_balance = ledger.balance(budi.id)

    result = payouts.create_batch(admin)

    assert result.skipped == []
    batch = result.batch
    by_seller = {p.seller_id: p for p in batch.payouts}
    assert by_seller[aminah.id].amount == a1.payout_amount + a2.payout_amount
    assert by_seller[budi.id].amount == b1.payout_amount
    assert result.total == a1.payout_amount + a2.payout_amount + b1.payout_amount
    assert (
        by_seller[budi.id].bank_name,
        by_seller[budi.id].bank_account_number,
        by_seller[budi.id].bank_account_holder,
    ) == ("BNI", "99887766", "Budi Santoso")
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.PAYOUT)
    ).all()
    assert sorted((e.seller_id, e.amount, e.payout_id) for e in entries) == sorted(
        (p.seller_id, -p.amount, p.id) for p in batch.payouts
    )
    assert all(e.reference == f"payout batch #{batch.id}" for e in entries)
    assert payouts.payable_balance(aminah.id) == 0
    assert payouts.payable_balance(budi.id) == 0
    assert ledger.balance(aminah.id) == 0
    assert ledger.balance(budi.id) == budi_balance - b1.payout_amount
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payout.batch"))
    assert audit.actor_id == admin.id and audit.subject == f"payout batch #{batch.id}"

    again = payouts.create_batch(admin)
    assert again.batch is None and again.skipped == []
    assert count(PayoutBatch) == 1 and count(Payout) == 2
    assert (
        db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == LedgerKind.PAYOUT)
        )
        == 2
    )


def test_sellers_without_a_bank_account_are_skipped_and_reported(app_ctx, admin):
    with_bank = make_seller(**BANK)
    without = make_seller()
    delivered(with_bank)
    owed = delivered(without).payout_amount

    result = payouts.create_batch(admin)

    assert [p.seller_id for p in result.batch.payouts] == [with_bank.id]
    assert [s.id for s in result.skipped] == [without.id]
    assert payouts.payable_balance(without.id) == owed  # still owed, nothing lost

    only_skipped = payouts.create_batch(admin)
    assert only_skipped.batch is None
    assert [s.id for s in only_skipped.skipped] == [without.id]
    assert count(PayoutBatch) == 1


def test_batch_for_chosen_sellers_only(app_ctx, admin):
    first, second = make_seller(**BANK), make_seller(**BANK)
    delivered(first)
    delivered(second)
    result = payouts.create_batch(admin, seller_ids=[second.id])
    assert [p.seller_id for p in result.batch.payouts] == [second.id]
    assert payouts.payable_balance(first.id) > 0


def test_balances_lists_sellers_with_something_to_pay(app_ctx, admin):
    small, big, nothing = make_seller(**BANK), make_seller(), make_seller(**BANK)
    delivered(small, 10000)
    delivered(big, 90000)
    paid_order((make_product(nothing), 1))
    rows = payouts.balances()
    assert [r.seller.id for r in rows] == [big.id, small.id]
    assert [r.has_bank_account for r in rows] == [False, True]
    assert rows[1].payable == rows[1].balance == payouts.payable_balance(small.id)


def test_bank_reference_marks_the_batch_paid(app_ctx, admin):
    seller = make_seller(**BANK)
    delivered(seller)
    batch = payouts.create_batch(admin).batch
    with pytest.raises(payouts.PayoutError):
        payouts.record_bank_reference(batch, admin, "   ")
    assert db.session.get(PayoutBatch, batch.id).paid_at is None

    payouts.record_bank_reference(batch, admin, "BRI-TRX-20260512-001")
    batch = db.session.get(PayoutBatch, batch.id)
    first_paid_at = batch.paid_at
    assert batch.bank_reference == "BRI-TRX-20260512-001" and first_paid_at is not None

    payouts.record_bank_reference(batch, admin, "BRI-TRX-20260512-002")
    db.session.expire_all()
    assert batch.bank_reference == "BRI-TRX-20260512-002"
    assert batch.paid_at == first_paid_at
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "payout.paid")
        )
        == 2
    )

    [payout] = payouts.payouts_for_seller(seller.id)
    assert payout.batch.bank_reference == "BRI-TRX-20260512-002"
    assert payouts.payouts_for_seller(make_seller().id) == []
