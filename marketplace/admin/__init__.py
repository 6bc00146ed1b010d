"""Programme admin pages under ``/admin``. The blueprint guards itself (DESIGN §4.10)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from catalog.models import Product, ProductStatus
from marketplace.auth.models import User
from marketplace.extensions import db, login_manager
from sellers import services as seller_services
from sellers.forms import EmptyForm
from sellers.models import Seller, SellerStatus

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None


@bp.get("/")
def dashboard():
    counts = {
        "users": db.session.scalar(select(func.count(User.id))),
        "sellers": db.session.scalar(select(func.count(Seller.id))),
        "verified": db.session.scalar(
            select(func.count(Seller.id)).where(Seller.status == SellerStatus.VERIFIED.value)
        ),
        "products": db.session.scalar(
            select(func.count(Product.id)).where(Product.status == ProductStatus.PUBLISHED.value)
        ),
    }
    return render_template("admin/dashboard.html", counts=counts)


@bp.get("/sellers")
def sellers():
    return render_template(
        "admin/sellers.html", sellers=seller_services.list_sellers(), action_form=EmptyForm()
    )


@bp.post("/sellers/<int:seller_id>/status")
def seller_status(seller_id: int):
    seller = db.session.get(Seller, seller_id)
    if seller is None:
        abort(404)
    try:
        status = SellerStatus(request.form.get("status", ""))
    except ValueError:
        abort(400)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        seller_services.set_status(seller, status)
        flash(
            _("Shop %(name)s is now: %(status)s", name=seller.shop_name, status=status.value),
            "success",
        )
    except seller_services.ShopError:
        flash(_("That change is not allowed for this shop."), "error")
    return redirect(url_for("admin.sellers"))
