"""Bank transfers: a private receipt, an admin who confirms once or rejects with a reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from catalog.images import ImageRejected
from marketplace.audit import AuditEvent
from marketplace.auth.models import Role, utcnow
from marketplace.errors import NotFound
from marketplace.extensions import db
from orders import bank_transfer, ledger, notifications, settlement
from orders.models import LedgerEntry, Order, PaymentMethod
from orders.states import FulfilmentStatus, InvalidTransition, OrderStatus, PaymentStatus
from tests.conftest import use_private_root
from tests.factories import jpeg_bytes, make_product, make_seller, make_user
from tests.orders.factories import make_order


@pytest.fixture()
def private_root(app_ctx, monkeypatch, tmp_path) -> Path:
    root = tmp_path / "private"
    use_private_root(app_ctx, monkeypatch, root)
    return root


@pytest.fixture()
def mails(app_ctx, monkeypatch, tmp_path):
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(tmp_path / "outbox.log"))
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: sent.append((to, s, b)))
    return sent


@pytest.fixture()
def admin(app_ctx):
    return make_user(email="admin@example.id", roles=(Role.ADMIN,))


def transfer_order(seller=None, buyer=None, **kwargs) -> Order:
    buyer = buyer or make_user()
    return make_order([(make_product(seller or make_seller()), 2)], buyer=buyer, **kwargs)


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- receipts --------------------------------------------------------------------------------


def test_receipt_is_stored_privately_as_one_jpeg_and_stops_the_clock(app_ctx, private_root, client):
    order = transfer_order()
    payment = bank_transfer.upload_receipt(order, jpeg_bytes(1600, 1200), "IMG_2041.jpg")

    db.session.expire_all()
    assert payment.status == PaymentStatus.PROCESSING
    assert order.payment_status == PaymentStatus.PROCESSING
    assert payment.receipt_key.startswith(f"receipts/{order.id}/")
    [stored] = files_under(private_root)
    assert stored == private_root / payment.receipt_key
    media_root = Path(app_ctx.config["MEDIA_ROOT"]).resolve()
    assert not stored.resolve().is_relative_to(media_root)
    assert files_under(media_root / "receipts") == []
    with Image.open(stored) as image:  # its own size (readable), re-encoded (no EXIF, no GPS)
        assert (image.format, image.size) == ("JPEG", (1600, 1200))
    assert bank_transfer.receipt_bytes(payment) == stored.read_bytes()
    # The public media route cannot reach it, by its name or by climbing out of MEDIA_ROOT.
    assert client.get(f"/media/{payment.receipt_key}").status_code == 404
    assert client.get(f"/media/../private/{payment.receipt_key}").status_code == 404

    # Past its deadline, an order whose receipt waits for a check does not expire.
    assert settlement.expire_unpaid(now=utcnow() + timedelta(days=3)) == 0
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT


def test_a_second_receipt_before_the_check_replaces_the_first(app_ctx, private_root):
    order = transfer_order()
    first = bank_transfer.upload_receipt(order, jpeg_bytes(color=(10, 20, 30)), "a.jpg")
    first_key = first.receipt_key
    second = bank_transfer.upload_receipt(order, jpeg_bytes(color=(200, 20, 30)), "b.jpg")
    assert second.id == first.id and second.receipt_key != first_key
    assert second.status == PaymentStatus.PROCESSING


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7 this is a bank statement, not a photo", "not_an_image"),
        (b"", "empty"),
        (jpeg_bytes(120, 90), "too_small"),
    ],
)
def test_a_bad_receipt_is_refused_with_its_reason_and_nothing_changes(
    app_ctx, private_root, data, code
):
    order = transfer_order()
    with pytest.raises(ImageRejected) as rejected:
        bank_transfer.upload_receipt(order, data, "statement.pdf")
    assert rejected.value.code == code
    with force_locale("en"):
        assert str(rejected.value.message)
    db.session.expire_all()
    assert order.payment_status == PaymentStatus.UNPAID
    assert order.payments[0].receipt_key == ""
    assert files_under(private_root) == []


def test_a_receipt_larger_than_allowed_is_refused(app_ctx, private_root, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "MAX_IMAGE_BYTES", 1000)
    order = transfer_order()
    with pytest.raises(ImageRejected, match="too_large"):
        bank_transfer.upload_receipt(order, jpeg_bytes(), "big.jpg")
    assert files_under(private_root) == []


def test_a_closed_or_card_order_takes_no_receipt(app_ctx, private_root):
    expired = transfer_order(expires_in_hours=-1)
    settlement.expire_unpaid()
    with pytest.raises(InvalidTransition):
        bank_transfer.upload_receipt(db.session.get(Order, expired.id), jpeg_bytes(), "r.jpg")
    card = transfer_order(payment_method=PaymentMethod.STRIPE)
    with pytest.raises(bank_transfer.TransferError, match="not_transfer"):
        bank_transfer.upload_receipt(card, jpeg_bytes(), "r.jpg")
    assert files_under(private_root) == []


def test_receipt_bytes_without_a_receipt_is_not_found(app_ctx, private_root):
    order = transfer_order()
    with pytest.raises(NotFound):
        bank_transfer.receipt_bytes(order.payments[0])


# --- confirming --------------------------------------------------------------------------------


def ledger_rows(seller) -> int:
    return db.session.scalar(
        select(func.count(LedgerEntry.id)).where(LedgerEntry.seller_id == seller.id)
    )


def test_confirm_pays_the_order_once(app_ctx, private_root, admin, mails):
    seller = make_seller()
    order = transfer_order(seller)
    bank_transfer.upload_receipt(order, jpeg_bytes(), "r.jpg")

    assert bank_transfer.confirm_transfer(order, admin, "BRI mutasi 12/05") is True

    db.session.expire_all()
    assert order.status == OrderStatus.PAID
    assert order.payment_status == PaymentStatus.PAID and order.paid_at is not None
    assert [p.status for p in order.seller_orders] == [FulfilmentStatus.NEW]
    part = order.seller_orders[0]
    assert ledger.balance(seller.id) == part.payout_amount
    assert ledger_rows(seller) == 2  # sale and commission
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transfer.confirmed"))
    assert audit.actor_id == admin.id and "BRI mutasi 12/05" in audit.detail
    recipients = {to for to, _, _ in mails}
    assert recipients == {order.email, seller.owner.email}

    with pytest.raises(bank_transfer.TransferError) as again:
        bank_transfer.confirm_transfer(order, admin, "double click")
    assert again.value.code == "already_paid"
    assert ledger_rows(seller) == 2
    assert ledger.balance(seller.id) == part.payout_amount
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "transfer.confirmed")
        )
        == 1
    )


def test_confirm_without_a_receipt_is_allowed(app_ctx, admin, mails):
    """The admin may see the money by its reference before the buyer sends a photo."""
    order = transfer_order()
    assert bank_transfer.confirm_transfer(order, admin) is True
    assert db.session.get(Order, order.id).status == OrderStatus.PAID


def test_money_for_an_expired_order_is_recorded_for_a_refund(app_ctx, admin, mails):
    order = transfer_order(expires_in_hours=-1)
    settlement.expire_unpaid()
    order = db.session.get(Order, order.id)

    assert bank_transfer.confirm_transfer(order, admin) is False

    db.session.expire_all()
    assert order.status == OrderStatus.EXPIRED
    assert order.payment_status == PaymentStatus.PAID
    flagged = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "payment.after_close")
    )
    assert flagged.subject == order.number
    assert ledger_rows(order.seller_orders[0].seller) == 0


# --- rejecting ---------------------------------------------------------------------------------


def test_reject_fails_the_payment_tells_the_buyer_and_allows_a_new_receipt(
    app_ctx, private_root, admin, mails
):
    order = transfer_order(expires_in_hours=1)
    bank_transfer.upload_receipt(order, jpeg_bytes(), "r.jpg")

    bank_transfer.reject_transfer(order, admin, "Jumlah tidak sesuai: masuk Rp 50.000")

    db.session.expire_all()
    payment = order.payments[0]
    assert payment.status == PaymentStatus.FAILED
    assert order.payment_status == PaymentStatus.FAILED
    assert order.status == OrderStatus.AWAITING_PAYMENT
    # A fresh payment window: the check may have outlasted the original one.
    window = timedelta(hours=app_ctx.config["ORDER_PAYMENT_HOURS"])
    expires = order.expires_at.replace(tzinfo=None)
    assert expires >= (utcnow() + window - timedelta(minutes=1)).replace(tzinfo=None)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transfer.rejected"))
    assert audit.actor_id == admin.id
    [(to, subject, body)] = mails
    assert to == order.email and order.number in subject
    assert "Jumlah tidak sesuai: masuk Rp 50.000" in body and order.payment_reference in body

    bank_transfer.upload_receipt(order, jpeg_bytes(color=(1, 2, 3)), "again.jpg")
    db.session.expire_all()
    assert payment.status == PaymentStatus.PROCESSING


def test_reject_needs_a_reason_and_a_pending_transfer(app_ctx, admin, mails):
    order = transfer_order()
    with pytest.raises(bank_transfer.TransferError, match="reason"):
        bank_transfer.reject_transfer(order, admin, "  ")
    assert db.session.get(Order, order.id).payment_status == PaymentStatus.UNPAID

    bank_transfer.confirm_transfer(order, admin)
    mails.clear()
    with pytest.raises(bank_transfer.TransferError, match="not_pending"):
        bank_transfer.reject_transfer(order, admin, "salah klik")
    db.session.expire_all()
    assert order.payment_status == PaymentStatus.PAID
    assert mails == []


def test_pending_transfers_puts_receipts_to_check_first(app_ctx, private_root, admin):
    older = transfer_order()
    with_receipt = transfer_order()
    bank_transfer.upload_receipt(with_receipt, jpeg_bytes(), "r.jpg")
    transfer_order(payment_method=PaymentMethod.STRIPE)
    paid = transfer_order()
    bank_transfer.confirm_transfer(paid, admin)

    assert [o.id for o in bank_transfer.pending_transfers()] == [with_receipt.id, older.id]


def test_receipt_file_survives_nothing_when_the_commit_fails(app_ctx, private_root, monkeypatch):
    order = transfer_order()

    def broken(*args, **kwargs):
        raise InvalidTransition("someone else moved it")

    monkeypatch.setattr(settlement, "mark_processing", broken)
    with pytest.raises(InvalidTransition):
        bank_transfer.upload_receipt(order, jpeg_bytes(), "r.jpg")
    assert files_under(private_root) == []
    assert db.session.get(Order, order.id).payments[0].receipt_key == ""
