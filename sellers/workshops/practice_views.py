"""The practice market of a workshop (``/join/<code>/market``) and the trainer's reset.

Only the open workshop's members, its trainer and admins get in (``member_workshop_or_404``);
anyone else, and everyone once it is closed, gets 404. Buying goes through the real cart and
checkout (the market's "add to cart" posts to ``orders.add_item``); the product editor is the
seller back office's own, opened in its practice mode.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog import services as catalog
from marketplace.errors import NotFound
from marketplace.forms import EmptyForm
from marketplace.request_hygiene import safe_redirect_target
from sellers.views import _product_data, _product_form
from sellers.workshops import practice
from sellers.workshops.access import (
    can_run,
    member_workshop_or_404,
    trainer_required,
    trainer_workshop_or_404,
)

bp = Blueprint("practice", __name__)


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals["practice_product_url"] = practice.product_url
    state.app.jinja_env.globals["practice_market_url"] = practice.market_url


@bp.get("/join/<code>/market")
@login_required
def market(code: str):
    workshop = member_workshop_or_404(code)
    return render_template(
        "practice/market.html",
        workshop=workshop,
        products=practice.market_products(workshop),
        mine=practice.own_practice_products(workshop, current_user),
        runs_it=can_run(workshop, current_user),
        reset_form=EmptyForm(),
    )


@bp.get("/join/<code>/market/p/<slug>")
@login_required
def product(code: str, slug: str):
    workshop = member_workshop_or_404(code)
    try:
        item = practice.market_product(workshop, slug)
    except NotFound:
        abort(404)
    return render_template("practice/product.html", workshop=workshop, product=item)


@bp.route("/join/<code>/market/products/new", methods=["GET", "POST"])
@login_required
def new_product(code: str):
    """The seller back office's product form in practice mode: saving makes a practice draft
    and opens the ordinary editor for photos and listing."""
    workshop = member_workshop_or_404(code)
    form = _product_form()
    if form.validate_on_submit():
        try:
            item = practice.create_practice_product(workshop, current_user, _product_data(form))
        except practice.PracticeError:
            abort(404)
        except catalog.CatalogError:
            form.category_id.errors.append(_("Choose a category."))
        else:
            flash(_("Saved. Now add photos of your product."), "success")
            return redirect(url_for("sellers.edit_product", product_id=item.id))
    status = 400 if form.errors else 200
    return (
        render_template(
            "seller/product_form.html",
            form=form,
            product=None,
            practice_code=workshop.join_code,
            workshop=workshop,
        ),
        status,
    )


@bp.post("/trainer/workshops/<int:workshop_id>/practice/reset")
@trainer_required
def reset(workshop_id: int):
    workshop = trainer_workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    else:
        removed = practice.reset(workshop, current_user)
        flash(
            _(
                "Practice data cleared: %(orders)s orders and %(products)s products removed.",
                orders=removed.orders,
                products=removed.products,
            ),
            "success",
        )
    if workshop.is_open:
        return redirect(url_for("practice.market", code=workshop.join_code), 303)
    return redirect(safe_redirect_target(request.referrer, "/"), 303)
