"""Manual bank transfers: the buyer uploads a receipt, an admin checks the bank and decides.

A transfer receipt shows the buyer's name, bank and account number, so it is stored in the
*private* storage (``PRIVATE_ROOT`` or the private bucket prefix) — never with the public media,
which anyone may fetch — and is only ever served to admins through ``orders.admin_views``.

Like every money use case each function commits once, and the status moves go through
``orders.settlement`` (compare-and-set), so confirming twice pays once.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from catalog.images import process_document
from marketplace.auth.models import as_utc, utcnow
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.i18n import format_rupiah
from marketplace.storage import private_storage
from orders import emails, event_notes, settlement
from orders.fulfilment import mail_after_commit
from orders.models import Order, Payment, PaymentMethod
from orders.states import InvalidTransition, OrderStatus, PaymentStatus

RECEIPT_PREFIX = "receipts"
NOTE_MAX = 300


class TransferError(InvalidTransition):
    """A refused transfer action. It is an ``InvalidTransition`` (the order is not in a state
    that allows it), so callers that only know the state machine still handle it."""

    def __init__(self, code: str, message) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def transfer_payment(order: Order) -> Payment:
    payment = settlement.payment_for(order, PaymentMethod.BANK_TRANSFER)
    if payment is None:
        raise TransferError("not_transfer", _l("This order is not paid by bank transfer."))
    return payment


def upload_receipt(order: Order, data: bytes, filename: str) -> Payment:
    """Keep the receipt photo and put the payment "being checked", so the order won't expire.

    ``ImageRejected`` (not an image, too big, …) reaches the caller with nothing changed. A
    second upload before the check replaces the first (buyers do pick the wrong photo).
    """
    payment = transfer_payment(order)
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise TransferError("closed", _l("This order no longer needs a receipt."))
    if payment.status not in (PaymentStatus.UNPAID, PaymentStatus.FAILED, PaymentStatus.PROCESSING):
        raise TransferError("already_paid", _l("This order is already paid."))
    processed = process_document(data, max_bytes=current_app.config["MAX_IMAGE_BYTES"])
    name = f"{RECEIPT_PREFIX}/{order.id}/{processed.key}.jpg"
    storage = private_storage()
    existed = storage.exists(name)
    storage.save(name, processed.jpeg)
    try:
        payment.receipt_key = name
        settlement.mark_processing(
            order,
            payment,
            note=event_notes.coded("receipt_uploaded", filename=(filename or "")[:100]),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if not existed:
            storage.delete(name)
        raise
    return payment


def get_payment(payment_id: int) -> Payment | None:
    return db.session.get(Payment, payment_id)


def receipt_bytes(payment: Payment) -> bytes:
    if not payment.receipt_key:
        raise NotFound(f"payment {payment.id} has no receipt")
    storage = private_storage()
    try:
        if not storage.exists(payment.receipt_key):
            raise NotFound(f"receipt of payment {payment.id} is missing")
        return storage.open(payment.receipt_key)
    except ValueError as exc:  # a stored name that is not a safe storage name
        raise NotFound(f"receipt of payment {payment.id}") from exc


def _clean_note(text: str | None) -> str:
    return " ".join((text or "").split())[:NOTE_MAX]


def confirm_transfer(order: Order, admin, note: str = "") -> bool:
    """The money is on the platform's account: pay the order (once) and tell everyone.

    Returns whether the order is now being fulfilled; False means the transfer came after the
    order had expired or been cancelled — the payment is recorded and an audit row asks for a
    refund (``settlement.settle_paid``).
    """
    payment = transfer_payment(order)
    note = _clean_note(note)
    if payment.status == PaymentStatus.PAID:
        raise TransferError("already_paid", _l("This transfer was already confirmed."))
    try:
        settled = settlement.settle_paid(
            order,
            payment,
            amount=order.total,
            actor_id=admin.id,
            note=note or event_notes.coded("transfer_confirmed"),
        )
        if not settled:
            raise TransferError("already_paid", _l("This transfer was already confirmed."))
        settlement.audit(
            admin.id,
            "transfer.confirmed",
            order.number,
            f"Rp {order.total} ref {order.payment_reference}" + (f": {note}" if note else ""),
        )
        revived = order.status == OrderStatus.PAID  # settle_paid has told buyer and sellers
        db.session.commit()
    except InvalidTransition as exc:
        db.session.rollback()
        if isinstance(exc, TransferError):
            raise
        raise TransferError("already_paid", _l("This transfer was already confirmed.")) from None
    except BaseException:
        db.session.rollback()
        raise
    return revived


def reject_transfer(order: Order, admin, reason: str) -> None:
    """No matching money arrived: the payment fails, the buyer is told why and may try again.

    The buyer gets at least a fresh payment window from now: the check may have taken longer
    than the order's own deadline, and the stock stays held meanwhile.
    """
    payment = transfer_payment(order)
    reason = _clean_note(reason)
    if not reason:
        raise TransferError("reason", _l("Tell the buyer why the transfer is not accepted."))
    if payment.status not in (PaymentStatus.UNPAID, PaymentStatus.PROCESSING):
        raise TransferError("not_pending", _l("This transfer is not waiting for a check."))
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise TransferError("closed", _l("This order is no longer waiting for payment."))
    try:
        settlement.mark_failed(order, payment, note=reason, actor_id=admin.id)
        settlement.audit(admin.id, "transfer.rejected", order.number, reason)
        window = utcnow() + timedelta(hours=current_app.config["ORDER_PAYMENT_HOURS"])
        if as_utc(order.expires_at) < window:
            order.expires_at = window
        link = emails.order_url(order)
        number, total, ref = order.number, order.total, order.payment_reference
        mail_after_commit(
            order.email,
            order.locale,
            lambda: (
                _("We could not confirm your transfer for %(number)s", number=number),
                "\n".join(
                    [
                        _("We checked our bank account but could not accept your transfer."),
                        _("Reason: %(reason)s", reason=reason),
                        "",
                        _(
                            "Please transfer %(total)s with the reference %(ref)s, then upload the "
                            "receipt again on your order page:",
                            total=format_rupiah(total),
                            ref=ref,
                        ),
                        link,
                    ]
                ),
            ),
        )
        db.session.commit()
    except InvalidTransition:
        db.session.rollback()
        raise TransferError(
            "not_pending", _l("This transfer is not waiting for a check.")
        ) from None
    except BaseException:
        db.session.rollback()
        raise


def pending_transfers(limit: int = 200) -> list[Order]:
    """Bank-transfer orders still awaiting payment; those with a receipt to check come first."""
    checking_first = case((Order.payment_status == PaymentStatus.PROCESSING.value, 0), else_=1)
    return list(
        db.session.scalars(
            select(Order)
            .where(
                Order.payment_method == PaymentMethod.BANK_TRANSFER,
                Order.status == OrderStatus.AWAITING_PAYMENT.value,
            )
            .options(selectinload(Order.payments))
            .order_by(checking_first, Order.created_at.asc(), Order.id.asc())
            .limit(limit)
        )
    )
