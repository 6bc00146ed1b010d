"""The seller back office under ``/seller``: shop profile and product management.

Every route loads objects through services that return "not found" for anything the current
seller does not own, so another seller's product id gives 404, never a peek.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from catalog import services as catalog
from catalog.images import ImageRejected
from catalog.models import ProductStatus
from marketplace.auth.models import Role
from marketplace.auth.permissions import role_required
from marketplace.forms import EmptyForm
from sellers import dashboard as dashboard_service
from sellers import dashboard_charts, onboarding, services
from sellers.forms import PhotoForm, ProductForm, ShopForm
from sellers.training.content_loader import get_module
from sellers.training.progress import missing_required
from sellers.workshops.practice import PracticeError

bp = Blueprint("sellers", __name__, url_prefix="/seller")

PUBLISH_PROBLEMS = {
    "no_photo": lambda: _("Add at least one photo."),
    "no_price": lambda: _("Set a price."),
    "no_weight": lambda: _("Set the shipping weight."),
}


def _current_seller():
    seller = services.seller_for(current_user)
    if seller is None:
        abort(404)
    return seller


def _publish_gate(seller) -> dict:
    """What the editor and the product list say about publishing and the shop's set-up.

    ``missing_training``: required modules not yet complete (publishing waits for them);
    ``in_setup``: the shop is not verified yet, so the page links back to the set-up wizard.
    """
    return {
        "missing_training": missing_required(current_user),
        "in_setup": seller is not None and not seller.is_public,
        "gate_seller": seller,
    }


def _own_product(product_id: int):
    return catalog.get_own_product(services.seller_for(current_user), product_id)


@bp.get("/")
@role_required(Role.SELLER)
def dashboard():
    seller = services.seller_for(current_user)
    if seller is None:
        return redirect(url_for("sellers.shop_profile"))
    board = dashboard_service.build(seller)
    return render_template(
        "seller/dashboard.html",
        seller=seller,
        board=board,
        week_bars=dashboard_charts.week_bars(board.weeks),
        month_bars=dashboard_charts.month_bars(board.months),
        kur_module=get_module(dashboard_service.KUR_MODULE),
        low_stock=dashboard_service.sales_figures.LOW_STOCK,
    )


@bp.route("/shop", methods=["GET", "POST"])
@role_required(Role.SELLER)
def shop_profile():
    seller = services.seller_for(current_user)
    form = ShopForm(obj=seller if request.method == "GET" else None)
    form.fill_region_choices()
    refreshing = "refresh_regions" in request.form
    if not refreshing and form.validate_on_submit():
        services.save_shop(
            current_user,
            services.ShopData(
                shop_name=form.shop_name.data,
                village_code=form.village_code.data,
                whatsapp=form.whatsapp.data,
                country_abroad=form.country_abroad.data or "",
                years_abroad=form.years_abroad.data,
                story=form.story.data or "",
                story_en=form.story_en.data or "",
                bank_name=form.bank_name.data or "",
                bank_account_number=form.bank_account_number.data or "",
                bank_account_holder=form.bank_account_holder.data or "",
                nib=form.nib.data or "",
            ),
        )
        flash(_("Your shop profile is saved."), "success")
        return redirect(url_for("sellers.products"))
    status = 400 if form.errors else 200
    return render_template("seller/shop_form.html", form=form, seller=seller), status


@bp.post("/shop/submit")
@role_required(Role.SELLER)
def submit_shop():
    """The back office's "send for checking" button: the same rule as the wizard's last step."""
    _current_seller()
    if EmptyForm().validate_on_submit():
        try:
            onboarding.submit(current_user)
            flash(_("Thank you! Our team will check your shop soon."), "success")
        except onboarding.NotReady as exc:
            flash(
                _("Before your shop can be checked, finish “%(step)s”.", step=exc.missing[0].title),
                "error",
            )
            return redirect(exc.missing[0].url)
        except services.ShopError:
            flash(_("Your shop has already been sent for checking."), "info")
    return redirect(url_for("sellers.products"))


@bp.get("/products")
@role_required(Role.SELLER)
def products():
    seller = services.seller_for(current_user)
    if seller is None:
        flash(_("First tell buyers about your shop."), "info")
        return redirect(url_for("sellers.shop_profile"))
    return render_template(
        "seller/products.html",
        seller=seller,
        products=catalog.seller_products(seller),
        action_form=EmptyForm(),
        **_publish_gate(seller),
    )


def _product_form(product=None) -> ProductForm:
    form = ProductForm(obj=product if request.method == "GET" else None)
    lang = _lang()
    form.category_id.choices = [SelectChoice("", _("Choose a category…"))] + [
        SelectChoice(c.id, c.name(lang), optgroup=c.parent.name(lang))  # type: ignore[union-attr]
        for c in catalog.all_categories()
    ]
    if request.method == "GET" and product is None:
        form.category_id.data = None
    return form


def _lang() -> str:
    from marketplace.i18n import current_locale

    return current_locale()


def _product_data(form: ProductForm) -> catalog.ProductData:
    return catalog.ProductData(
        title=form.title.data.strip(),
        category_id=form.category_id.data,
        description=(form.description.data or "").strip(),
        price=form.price.data,
        stock=form.stock.data,
        weight_grams=form.weight_grams.data,
        net_weight=(form.net_weight.data or "").strip(),
        pirt_number=(form.pirt_number.data or "").strip(),
        bpom_number=(form.bpom_number.data or "").strip().upper(),
        halal_number=(form.halal_number.data or "").strip().upper(),
        ingredients=(form.ingredients.data or "").strip(),
        best_before=(form.best_before.data or "").strip(),
    )


@bp.route("/products/new", methods=["GET", "POST"])
@role_required(Role.SELLER)
def new_product():
    seller = services.seller_for(current_user)
    if seller is None:
        return redirect(url_for("sellers.shop_profile"))
    form = _product_form()
    if form.validate_on_submit():
        try:
            product = catalog.create_product(seller, _product_data(form))
        except catalog.CatalogError:
            form.category_id.errors.append(_("Choose a category."))
        else:
            flash(_("Saved. Now add photos of your product."), "success")
            return redirect(url_for("sellers.edit_product", product_id=product.id))
    status = 400 if form.errors else 200
    return (
        render_template(
            "seller/product_form.html", form=form, product=None, **_publish_gate(seller)
        ),
        status,
    )


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@role_required(Role.SELLER)
def edit_product(product_id: int):
    product = _own_product(product_id)
    form = _product_form(product)
    if form.validate_on_submit():
        try:
            catalog.update_product(product, _product_data(form))
        except catalog.CatalogError:
            form.category_id.errors.append(_("Choose a category."))
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("sellers.edit_product", product_id=product.id))
    status = 400 if form.errors else 200
    return (
        render_template(
            "seller/product_form.html",
            form=form,
            product=product,
            photo_form=PhotoForm(),
            action_form=EmptyForm(),
            problems=[PUBLISH_PROBLEMS[p]() for p in catalog.publish_problems(product)],
            **_publish_gate(product.seller),
        ),
        status,
    )


@bp.post("/products/<int:product_id>/photos")
@role_required(Role.SELLER)
def add_photos(product_id: int):
    product = _own_product(product_id)
    form = PhotoForm()
    uploads = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
    error = None
    if not form.validate_on_submit():
        error = _("The form expired. Please try again.")
    elif not uploads:
        error = _("Choose at least one photo.")
    else:
        try:
            files = [(f.read(), form.alt_text.data or "") for f in uploads]
            catalog.add_product_images(product, files)
        except ImageRejected as exc:
            error = str(exc.message)
        except catalog.CatalogError as exc:
            limit = str(exc.message).split(":")[-1]
            error = _("A product can have at most %(n)s photos.", n=limit)
    if error is None:
        flash(_("Photos added."), "success")
        return redirect(url_for("sellers.edit_product", product_id=product.id))
    form.photos.errors = [error]
    product_form = _product_form(product)
    product_form.process(obj=product)
    return (
        render_template(
            "seller/product_form.html",
            form=product_form,
            product=product,
            photo_form=form,
            action_form=EmptyForm(),
            problems=[PUBLISH_PROBLEMS[p]() for p in catalog.publish_problems(product)],
            **_publish_gate(product.seller),
        ),
        400,
    )


@bp.post("/products/<int:product_id>/photos/<int:image_id>/delete")
@role_required(Role.SELLER)
def delete_photo(product_id: int, image_id: int):
    product = _own_product(product_id)
    if EmptyForm().validate_on_submit():
        catalog.remove_product_image(product, image_id)
        flash(_("Photo removed."), "info")
    return redirect(url_for("sellers.edit_product", product_id=product.id))


@bp.post("/products/<int:product_id>/photos/<int:image_id>/cover")
@role_required(Role.SELLER)
def cover_photo(product_id: int, image_id: int):
    product = _own_product(product_id)
    if EmptyForm().validate_on_submit():
        catalog.move_product_image(product, image_id, to_front=True)
        flash(_("This photo is now the main photo."), "info")
    return redirect(url_for("sellers.edit_product", product_id=product.id))


STATUS_ACTIONS = {
    "publish": ProductStatus.PUBLISHED,
    "archive": ProductStatus.ARCHIVED,
    "draft": ProductStatus.DRAFT,
}


@bp.post("/products/<int:product_id>/status")
@role_required(Role.SELLER)
def change_status(product_id: int):
    product = _own_product(product_id)
    action = request.form.get("action", "")
    if not EmptyForm().validate_on_submit() or action not in STATUS_ACTIONS:
        abort(400)
    try:
        services.change_product_status(product.seller, product, STATUS_ACTIONS[action])
    except PracticeError:
        flash(_("The workshop is closed: practice products can no longer be listed."), "error")
    except services.TrainingRequired as exc:
        flash(
            _(
                "This product cannot be published yet: first finish the required training "
                "(%(modules)s).",
                modules=", ".join(str(m.title) for m in exc.missing),
            ),
            "error",
        )
    except catalog.CatalogError:
        flash(
            _(
                "This product cannot be published yet: %(why)s",
                why=" ".join(PUBLISH_PROBLEMS[p]() for p in catalog.publish_problems(product)),
            ),
            "error",
        )
    else:
        messages = {
            "publish": (
                _("The product is listed in the practice market.")
                if product.practice_workshop_id
                else _("The product is published.")
            ),
            "archive": _("The product is archived and hidden from buyers."),
            "draft": _("The product is back to draft and hidden from buyers."),
        }
        flash(messages[action], "success")
    back = {
        "list": url_for("sellers.products"),
        "onboarding": url_for("onboarding.product"),
    }
    return redirect(
        back.get(request.form.get("back", ""))
        or url_for("sellers.edit_product", product_id=product.id)
    )
