"""The seller's side of orders under ``/seller``: parts to pack and ship, ledger and payouts.

Thin views (DESIGN §4.4): parts are loaded through ``fulfilment.get_part_for_seller``, which
treats another seller's part as not found (404), and every change is one call to a
``fulfilment`` use case whose refusals become a message next to the form, never a 500.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from catalog import services as catalog_services
from marketplace import regions
from marketplace.auth.models import Role
from marketplace.auth.permissions import role_required
from marketplace.forms import EmptyForm
from orders import fulfilment, ledger, payouts, reviews
from orders.labels import COURIERS, FULFILMENT_STATUS, LEDGER_KIND, courier_for_service
from orders.payments import PaymentError
from orders.states import FulfilmentStatus

bp = Blueprint("seller_orders", __name__, url_prefix="/seller")

# Tab name in the URL → the statuses it lists, and its label.
TABS = {
    "new": ([FulfilmentStatus.NEW, FulfilmentStatus.ON_HOLD], _l("To pack")),
    "packed": ([FulfilmentStatus.PACKED], _l("Packed")),
    "shipped": ([FulfilmentStatus.SHIPPED], _l("Shipped")),
    "done": ([FulfilmentStatus.DELIVERED], _l("Done")),
    "cancelled": ([FulfilmentStatus.CANCELLED], _l("Cancelled")),
}


class ShipForm(FlaskForm):
    courier = SelectField(
        _l("Courier"),
        choices=[SelectChoice("", "—")] + [SelectChoice(c, c) for c in COURIERS],
        validators=[DataRequired(message=_l("Choose the courier from the list."))],
        validate_choice=False,  # checked by the service, with the same message
    )
    tracking_number = StringField(
        _l("Tracking number (resi)"),
        filters=[fulfilment.clean_tracking_number],
        validators=[
            DataRequired(message=_l("Enter the tracking number from the courier's receipt.")),
            Regexp(
                r"^[A-Za-z0-9-]{6,40}\Z",
                message=_l(
                    "A tracking number has 6 to 40 letters, digits or dashes, without spaces."
                ),
            ),
        ],
    )


class ReplyForm(FlaskForm):
    reply = TextAreaField(
        _l("Your answer (buyers see it under the review)"),
        validators=[
            DataRequired(message=_l("Write your answer first.")),
            Length(max=reviews.MAX_REPLY),
        ],
    )


class SellerCancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you cancel? The buyer will read this."),
        validators=[
            DataRequired(message=_l("Tell the buyer why you cancel.")),
            Length(max=fulfilment.REASON_MAX),
        ],
    )


def _csrf_failed(form: FlaskForm) -> bool:
    token = getattr(form, "csrf_token", None)
    return bool(token is not None and token.errors)


def _no_shop_yet():
    """Shop pages before the shop exists: say what comes first and go there."""
    flash(_("First tell buyers about your shop."), "info")
    return redirect(url_for("sellers.shop_profile"))


def _own_part(part_id: int):
    return fulfilment.get_part_for_seller(catalog_services.seller_for(current_user), part_id)


@bp.get("/orders")
@role_required(Role.SELLER)
def orders():
    seller = catalog_services.seller_for(current_user)
    if seller is None:
        return _no_shop_yet()
    tab = request.args.get("status", "new")
    if tab not in TABS:
        tab = "new"
    counts = fulfilment.part_counts(seller)
    tab_counts = {name: sum(counts.get(s, 0) for s in TABS[name][0]) for name in TABS}
    return render_template(
        "seller/orders.html",
        seller=seller,
        tab=tab,
        tabs=TABS,
        tab_counts=tab_counts,
        parts=fulfilment.parts_for_seller(seller, TABS[tab][0]),
        labels=FULFILMENT_STATUS,
        address=_address,
    )


def _address(order) -> list[str]:
    """The shipping address as the lines a courier's form asks for."""
    codes = regions.chain(order.village_code)
    street = order.street + (f", RT/RW {order.rt_rw}" if order.rt_rw else "")
    area = ", ".join(
        n for n in (regions.name(codes["village_code"]), regions.name(codes["district_code"])) if n
    )
    region = ", ".join(
        n for n in (regions.name(codes["regency_code"]), regions.name(codes["province_code"])) if n
    )
    return [line for line in (street, area, f"{region} {order.postal_code}".strip()) if line]


def _render_part(part, *, ship_form=None, cancel_form=None, status: int = 200):
    if ship_form is None:
        ship_form = ShipForm()
        if not ship_form.courier.data:
            ship_form.courier.data = part.courier or courier_for_service(part.shipping_service)
    return (
        render_template(
            "seller/order_part.html",
            part=part,
            order=part.order,
            address=_address(part.order),
            labels=FULFILMENT_STATUS,
            pack_form=EmptyForm(),
            ship_form=ship_form,
            cancel_form=cancel_form or SellerCancelForm(formdata=None),
            can_pack=part.status == FulfilmentStatus.NEW,
            can_ship=part.status in (FulfilmentStatus.NEW, FulfilmentStatus.PACKED),
            can_cancel=part.status in fulfilment.SELLER_CANCELLABLE,
        ),
        status,
    )


@bp.get("/orders/<int:part_id>")
@role_required(Role.SELLER)
def order_part(part_id: int):
    return _render_part(_own_part(part_id))


@bp.post("/orders/<int:part_id>/pack")
@role_required(Role.SELLER)
def pack(part_id: int):
    part = _own_part(part_id)
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for(".order_part", part_id=part.id), 303)
    try:
        fulfilment.mark_packed(part, current_user)
    except fulfilment.FulfilmentError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Marked as packed. Ship it and enter the tracking number."), "success")
    return redirect(url_for(".order_part", part_id=part.id), 303)


@bp.post("/orders/<int:part_id>/ship")
@role_required(Role.SELLER)
def ship(part_id: int):
    part = _own_part(part_id)
    form = ShipForm()
    if form.validate_on_submit():
        try:
            fulfilment.mark_shipped(
                part, current_user, form.courier.data, form.tracking_number.data
            )
        except fulfilment.FulfilmentError as exc:
            if exc.code == "courier":
                form.courier.errors.append(str(exc.message))
            elif exc.code == "tracking":
                form.tracking_number.errors.append(str(exc.message))
            else:
                flash(str(exc.message), "error")
                return redirect(url_for(".order_part", part_id=part.id), 303)
        else:
            flash(_("Shipped! The buyer has been sent the tracking number."), "success")
            return redirect(url_for(".order_part", part_id=part.id), 303)
    elif _csrf_failed(form):
        flash(_("The form expired. Please try again."), "error")
    return _render_part(part, ship_form=form, status=400)


@bp.post("/orders/<int:part_id>/cancel")
@role_required(Role.SELLER)
def cancel(part_id: int):
    part = _own_part(part_id)
    form = SellerCancelForm()
    if form.validate_on_submit():
        try:
            fulfilment.seller_cancel(part, current_user, form.reason.data)
        except fulfilment.FulfilmentError as exc:
            if exc.code == "reason":
                form.reason.errors.append(str(exc.message))
            else:
                flash(str(exc.message), "error")
                return redirect(url_for(".order_part", part_id=part.id), 303)
        except PaymentError:
            flash(
                _(
                    "The refund could not be made right now. Nothing was changed; "
                    "please try again later."
                ),
                "error",
            )
            return redirect(url_for(".order_part", part_id=part.id), 303)
        else:
            flash(
                _("The order is cancelled, the items are back in stock and the buyer is told."),
                "success",
            )
            return redirect(url_for(".order_part", part_id=part.id), 303)
    elif _csrf_failed(form):
        flash(_("The form expired. Please try again."), "error")
    return _render_part(part, cancel_form=form, status=400)


@bp.get("/money")
@role_required(Role.SELLER)
def money():
    seller = catalog_services.seller_for(current_user)
    if seller is None:
        return _no_shop_yet()
    return render_template(
        "seller/money.html",
        seller=seller,
        balance=ledger.balance(seller.id),
        payable=payouts.payable_balance(seller.id),
        entries=ledger.entries(seller.id),
        practice_balance=ledger.practice_balance(seller.id),
        practice_entries=ledger.entries(seller.id, practice=True),
        payout_list=payouts.payouts_for_seller(seller.id),
        has_bank_account=payouts.has_bank_account(seller),
        kinds=LEDGER_KIND,
    )


REPLY_PROBLEMS = {
    "empty": lambda: _("Write your answer first."),
    "too_long": lambda: _("An answer can be at most %(n)s characters.", n=reviews.MAX_REPLY),
}


def _reply_form(review_id: int, **kwargs) -> ReplyForm:
    """One form per review, its fields prefixed with the review, so ids stay unique."""
    return ReplyForm(prefix=f"review-{review_id}", **kwargs)


def _render_reviews(seller, *, failed: ReplyForm | None = None, failed_id=None, status=200):
    shown = reviews.shop_reviews(seller.id)
    forms = {r.id: _reply_form(r.id, formdata=None) for r in shown if not r.reply}
    if failed is not None:
        forms[failed_id] = failed
    return (
        render_template("seller/reviews.html", seller=seller, reviews=shown, forms=forms),
        status,
    )


@bp.get("/reviews")
@role_required(Role.SELLER)
def shop_reviews():
    seller = catalog_services.seller_for(current_user)
    if seller is None:
        return _no_shop_yet()
    return _render_reviews(seller)


@bp.post("/reviews/<int:review_id>/reply")
@role_required(Role.SELLER)
def reply(review_id: int):
    seller = catalog_services.seller_for(current_user)
    review = reviews.own_review(seller.id if seller else None, review_id)
    if review is None:
        abort(404)
    form = _reply_form(review.id)
    if form.validate_on_submit():
        try:
            reviews.reply(review, form.reply.data)
        except reviews.ReviewError as exc:
            form.reply.errors = [*form.reply.errors, REPLY_PROBLEMS[exc.code]()]
        else:
            flash(_("Your answer is published under the review."), "success")
            return redirect(url_for(".shop_reviews") + f"#review-{review.id}", 303)
    elif _csrf_failed(form):
        flash(_("The form expired. Please try again."), "error")
    return _render_reviews(seller, failed=form, failed_id=review.id, status=400)
