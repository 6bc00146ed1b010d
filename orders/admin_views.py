"""Admin money screens under ``/admin``: transfers to confirm, orders, payouts.

The blueprint guards itself (DESIGN §4.10), like ``marketplace.admin``: anonymous visitors are
sent to log in, everyone else who is not an admin gets 403 — including for transfer receipts,
which show a buyer's bank details and are served only from here, never from ``/media``.
"""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.admin import admin_blueprint, register_section
from marketplace.forms import EmptyForm
from marketplace.i18n import format_rupiah
from marketplace.media import private_image_response
from orders import bank_transfer, fulfilment, payouts
from orders.access import find_order
from orders.labels import FULFILMENT_STATUS, ORDER_STATUS, PAYMENT_STATUS
from orders.models import PaymentMethod
from orders.payments import review
from orders.states import OrderStatus

bp = admin_blueprint("admin_orders", __name__)
register_section(bp, _l("Transfers to check"), "admin_orders.payments", order=20)
register_section(bp, _l("Orders"), "admin_orders.orders", order=30)
register_section(bp, _l("Seller payouts"), "admin_orders.payouts_page", order=40)


class ConfirmTransferForm(FlaskForm):
    note = StringField(
        _l("Note (optional, e.g. the bank statement line)"),
        validators=[Optional(), Length(max=bank_transfer.NOTE_MAX)],
    )


class RejectTransferForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason, sent to the buyer"),
        validators=[
            DataRequired(message=_l("Tell the buyer why the transfer is not accepted.")),
            Length(max=bank_transfer.NOTE_MAX),
        ],
    )


class BankReferenceForm(FlaskForm):
    reference = StringField(
        _l("Bank reference of the transfers"),
        validators=[
            DataRequired(message=_l("Enter the bank's reference for this transfer.")),
            Length(max=payouts.REFERENCE_MAX),
        ],
    )


def _for_row(form: FlaskForm, key: int) -> FlaskForm:
    """Give a form repeated on every row unique element ids, so each label finds its field."""
    for item in form:
        if item.name != "csrf_token":
            item.id = f"{item.name}-{key}"
            item.label.field_id = item.id
    return form


def _csrf_failed(form: FlaskForm) -> bool:
    token = getattr(form, "csrf_token", None)
    return bool(token is not None and token.errors)


def _order_or_404(number: str):
    order = find_order(number)
    if order is None:
        abort(404)
    return order


# --- transfers -------------------------------------------------------------------------------


def _render_payments(failed=None, status: int = 200):
    """The transfer list; ``failed`` = (order id, kind, form) re-shows one row's bad input."""
    rows = []
    for order in bank_transfer.pending_transfers():
        confirm = ConfirmTransferForm(formdata=None)
        reject = RejectTransferForm(formdata=None)
        if failed and failed[0] == order.id:
            if failed[1] == "confirm":
                confirm = failed[2]
            else:
                reject = failed[2]
        payment = bank_transfer.transfer_payment(order)
        rows.append((order, payment, _for_row(confirm, order.id), _for_row(reject, order.id)))
    return (
        render_template(
            "admin/payments.html",
            rows=rows,
            refunds=review.pending(),
            parked=review.parked_events(),
            review_form=EmptyForm(formdata=None),
            order_labels=ORDER_STATUS,
            payment_labels=PAYMENT_STATUS,
            part_labels=FULFILMENT_STATUS,
        ),
        status,
    )


@bp.get("/payments")
def payments():
    return _render_payments()


@bp.get("/payments/<int:payment_id>/receipt")
def receipt(payment_id: int):
    payment = bank_transfer.get_payment(payment_id)
    if payment is None:
        abort(404)
    data = bank_transfer.receipt_bytes(payment)
    return private_image_response(data, f"receipt-{payment.id}.jpg")


@bp.post("/orders/<number>/confirm-transfer")
def confirm_transfer(number: str):
    order = _order_or_404(number)
    form = ConfirmTransferForm()
    if not form.validate_on_submit():
        if _csrf_failed(form):
            flash(_("The form expired. Please try again."), "error")
        return _render_payments((order.id, "confirm", form), 400)
    try:
        paid = bank_transfer.confirm_transfer(order, current_user, form.note.data or "")
    except bank_transfer.TransferError as exc:
        flash(str(exc.message), "error")
    else:
        if paid:
            flash(
                _(
                    "Order %(number)s is paid. The sellers have been told to ship.",
                    number=order.number,
                ),
                "success",
            )
        else:
            flash(
                _(
                    "The transfer is recorded, but order %(number)s had already closed: "
                    "transfer the money back to the buyer.",
                    number=order.number,
                ),
                "error",
            )
    return redirect(url_for(".payments"), 303)


@bp.post("/orders/<number>/reject-transfer")
def reject_transfer(number: str):
    order = _order_or_404(number)
    form = RejectTransferForm()
    if form.validate_on_submit():
        try:
            bank_transfer.reject_transfer(order, current_user, form.reason.data)
        except bank_transfer.TransferError as exc:
            if exc.code != "reason":
                flash(str(exc.message), "error")
                return redirect(url_for(".payments"), 303)
            form.reason.errors.append(str(exc.message))
        else:
            flash(
                _(
                    "Transfer for %(number)s rejected; the buyer has been told why.",
                    number=order.number,
                ),
                "success",
            )
            return redirect(url_for(".payments"), 303)
    elif _csrf_failed(form):
        flash(_("The form expired. Please try again."), "error")
    return _render_payments((order.id, "reject", form), 400)


# --- refunds made outside the platform ----------------------------------------------------


def _settle_refund(payment_id: int, decide, done_message):
    payment = review.get_payment(payment_id)
    if payment is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for(".payments"), 303)
    number = payment.order.number
    try:
        outcome = decide(payment, current_user)
    except review.ReviewError as exc:
        flash(str(exc.message), "error")
    else:
        parts, owed = outcome
        flash(done_message(number, parts), "success")
        if owed:
            flash(
                _(
                    "The buyer paid %(amount)s more for the cancelled parts than was refunded: "
                    "refund it in Stripe.",
                    amount=format_rupiah(owed),
                ),
                "error",
            )
    return redirect(url_for(".payments"), 303)


@bp.post("/payments/<int:payment_id>/refund/cancel")
def refund_cancel(payment_id: int):
    return _settle_refund(
        payment_id,
        review.cancel_and_debit,
        lambda number, n: _(
            "Order %(number)s: %(n)s part(s) cancelled, stock returned and sellers debited.",
            number=number,
            n=n,
        ),
    )


@bp.post("/payments/<int:payment_id>/refund/partial")
def refund_partial(payment_id: int):
    return _settle_refund(
        payment_id,
        review.record_partial,
        lambda number, n: _(
            "Order %(number)s: partial refund recorded and debited from the sellers; "
            "%(n)s part(s) released from hold.",
            number=number,
            n=n,
        ),
    )


# --- orders ----------------------------------------------------------------------------------


@bp.get("/orders")
def orders():
    status = request.args.get("status", "")
    if status not in {s.value for s in OrderStatus}:
        status = ""
    practice = request.args.get("practice") == "1"
    return render_template(
        "admin/orders.html",
        orders=fulfilment.recent_orders(status or None, practice=practice),
        status=status,
        practice=practice,
        statuses=list(OrderStatus),
        order_labels=ORDER_STATUS,
        payment_labels=PAYMENT_STATUS,
        part_labels=FULFILMENT_STATUS,
        transfer=PaymentMethod.BANK_TRANSFER,
    )


# --- payouts ---------------------------------------------------------------------------------


def _render_payouts(failed=None, status: int = 200):
    batches = []
    for batch in payouts.recent_batches():
        form = BankReferenceForm(formdata=None, reference=batch.bank_reference)
        if failed and failed[0] == batch.id:
            form = failed[1]
        batches.append((batch, _for_row(form, batch.id)))
    return (
        render_template(
            "admin/payouts.html",
            balances=payouts.balances(),
            batches=batches,
            batch_form=EmptyForm(formdata=None),
        ),
        status,
    )


@bp.get("/payouts")
def payouts_page():
    return _render_payouts()


@bp.post("/payouts")
def create_payouts():
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for(".payouts_page"), 303)
    result = payouts.create_batch(current_user)
    if result.batch is None:
        flash(_("Nothing to pay out right now."), "info")
    else:
        flash(
            _(
                "Payout batch #%(id)s created: %(n)s sellers, %(total)s in total. Make the "
                "transfers, then record the bank's reference.",
                id=result.batch.id,
                n=len(result.batch.payouts),
                total=format_rupiah(result.total),
            ),
            "success",
        )
    if result.skipped:
        flash(
            _(
                "Not paid, no bank account on file: %(shops)s.",
                shops=", ".join(s.shop_name for s in result.skipped),
            ),
            "error",
        )
    return redirect(url_for(".payouts_page"), 303)


@bp.post("/payouts/<int:batch_id>/reference")
def batch_reference(batch_id: int):
    batch = payouts.get_batch(batch_id)
    if batch is None:
        abort(404)
    form = BankReferenceForm()
    if form.validate_on_submit():
        try:
            payouts.record_bank_reference(batch, current_user, form.reference.data)
        except payouts.PayoutError as exc:
            form.reference.errors.append(str(exc.message))
        else:
            flash(_("Reference saved for payout batch #%(id)s.", id=batch.id), "success")
            return redirect(url_for(".payouts_page"), 303)
    elif _csrf_failed(form):
        flash(_("The form expired. Please try again."), "error")
    return _render_payouts((batch.id, form), 400)
