"""Seller verification, the programme team's side of onboarding, under ``/admin/sellers``.

Here is the only route that serves a seller's identity documents: anonymous visitors are sent
to log in, every other non-admin — the seller who uploaded them included — gets 403 (the core's
admin guard), and the response may not be stored by any cache.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from catalog import services as catalog_services
from marketplace.admin import Stat, admin_blueprint, register_section, register_stat
from marketplace.extensions import db
from marketplace.forms import EmptyForm
from marketplace.media import private_image_response
from sellers import documents as seller_documents
from sellers import services as seller_services
from sellers.forms import RejectForm
from sellers.models import Seller, SellerDocument, SellerStatus

bp = admin_blueprint("admin_sellers", __name__)


def _count_shops() -> int | None:
    return db.session.scalar(select(func.count(Seller.id)))


def _count_verified() -> int | None:
    return db.session.scalar(
        select(func.count(Seller.id)).where(Seller.status == SellerStatus.VERIFIED.value)
    )


def _changed_meanwhile() -> str:
    """Two admins decided one shop at the same moment: the other decision stands."""
    return _("Someone else changed this shop's status just now. Check it and decide again.")


register_section(bp, _l("Shops and verification"), "admin_sellers.sellers", order=10, primary=True)
register_stat(bp, Stat(20, _count_shops, _l("shops"), (_count_verified, _l("verified"))))


def _seller_or_404(seller_id: int) -> Seller:
    seller = seller_services.get_seller(seller_id)
    if seller is None:
        abort(404)
    return seller


def _documents_by_seller(sellers: list[Seller]) -> dict[int, dict[str, SellerDocument]]:
    ids = [s.id for s in sellers]
    found: dict[int, dict[str, SellerDocument]] = {i: {} for i in ids}
    if ids:
        for row in db.session.scalars(
            select(SellerDocument).where(SellerDocument.seller_id.in_(ids))
        ):
            found[row.seller_id][row.kind] = row
    return found


@bp.get("/sellers")
def sellers():
    shops = seller_services.list_sellers()
    waiting = [s for s in shops if s.status == SellerStatus.SUBMITTED]
    return render_template(
        "admin/sellers.html",
        sellers=shops,
        waiting=waiting,
        documents=_documents_by_seller(waiting),
        kinds=seller_documents.KINDS,
        action_form=EmptyForm(),
        reject_form=RejectForm(formdata=None),
    )


def _render_detail(seller: Seller, reject_form: RejectForm, status: int = 200):
    return (
        render_template(
            "admin/seller_detail.html",
            seller=seller,
            documents=seller_documents.documents_for(seller),
            kinds=seller_documents.KINDS,
            products=catalog_services.seller_products(seller),
            history=seller_services.status_history(seller),
            action_form=EmptyForm(),
            reject_form=reject_form,
        ),
        status,
    )


@bp.get("/sellers/<int:seller_id>")
def seller_detail(seller_id: int):
    return _render_detail(_seller_or_404(seller_id), RejectForm(formdata=None))


@bp.post("/sellers/<int:seller_id>/approve")
def approve_seller(seller_id: int):
    seller = _seller_or_404(seller_id)
    if not EmptyForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("admin_sellers.seller_detail", seller_id=seller.id))
    try:
        seller_services.approve_seller(seller, current_user)
    except seller_services.StatusChangedMeanwhile:
        flash(_changed_meanwhile(), "error")
    except seller_services.ShopError:
        flash(_("That change is not allowed for this shop."), "error")
    else:
        flash(
            _("Shop %(name)s is verified. The seller has been told.", name=seller.shop_name),
            "success",
        )
    return redirect(url_for("admin_sellers.sellers"))


@bp.post("/sellers/<int:seller_id>/reject")
def reject_seller(seller_id: int):
    """A rejection must say why: the seller reads the reason and fixes exactly that."""
    seller = _seller_or_404(seller_id)
    form = RejectForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash(_("The form had expired. Please try again."), "error")
        return _render_detail(seller, form, 400)
    try:
        seller_services.reject_seller(seller, current_user, form.reason.data)
    except seller_services.StatusChangedMeanwhile:
        flash(_changed_meanwhile(), "error")
        return redirect(url_for("admin_sellers.seller_detail", seller_id=seller.id))
    except seller_services.ShopError:
        flash(_("That change is not allowed for this shop."), "error")
        return redirect(url_for("admin_sellers.seller_detail", seller_id=seller.id))
    flash(
        _("Shop %(name)s is rejected. The seller has been told why.", name=seller.shop_name),
        "success",
    )
    return redirect(url_for("admin_sellers.sellers"))


@bp.post("/sellers/<int:seller_id>/status")
def seller_status(seller_id: int):
    seller = _seller_or_404(seller_id)
    try:
        status = SellerStatus(request.form.get("status", ""))
    except ValueError:
        abort(400)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if status == SellerStatus.REJECTED:
        flash(_("Write the reason for the rejection."), "info")
        return redirect(
            url_for("admin_sellers.seller_detail", seller_id=seller.id, _anchor="reject")
        )
    try:
        seller_services.change_status_by_admin(seller, current_user, status)
        flash(
            _("Shop %(name)s is now: %(status)s", name=seller.shop_name, status=status.value),
            "success",
        )
    except seller_services.StatusChangedMeanwhile:
        flash(_changed_meanwhile(), "error")
    except seller_services.ShopError:
        flash(_("That change is not allowed for this shop."), "error")
    return redirect(url_for("admin_sellers.sellers"))


def _serve_document(seller_id: int, kind: str):
    seller = _seller_or_404(seller_id)
    document = seller_documents.document_for(seller, kind)
    if document is None:
        abort(404)
    data = seller_documents.document_bytes(document)
    return private_image_response(data, f"{seller.slug}-{kind}.jpg")


def _document_view(kind: str):
    def view(seller_id: int):
        return _serve_document(seller_id, kind)

    view.__name__ = f"seller_document_{kind}"
    view.__doc__ = f"The seller's {kind} photo, for admins only."
    return view


# One rule per kind (the kinds are fixed) rather than a ``<kind>`` argument: an unknown kind is
# then simply no route, and every URL here names exactly one document.
for _kind in seller_documents.KINDS:
    bp.add_url_rule(
        f"/sellers/<int:seller_id>/documents/{_kind}",
        endpoint=f"seller_document_{_kind}",
        view_func=_document_view(_kind),
        methods=["GET"],
    )


@bp.app_template_global()
def seller_document_url(seller_id: int, kind: str) -> str:
    """Admin-only link to a seller's verification photo."""
    return url_for(f"admin_sellers.seller_document_{kind}", seller_id=seller_id)
