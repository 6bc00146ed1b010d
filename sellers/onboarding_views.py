"""``/sell`` and the onboarding wizard for new sellers.

The wizard is a row of small screens, one topic each, made for a phone on a slow connection.
Which screen a seller may open is decided by ``sellers.onboarding`` from their data, never from
a stored pointer: ``/sell/start`` resumes at the first unfinished step, any earlier step can be
reopened to change something, and a later step opened by URL while an earlier one is missing
sends the seller back to that one with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from catalog import services as catalog
from catalog.images import ImageRejected
from catalog.models import ProductStatus
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role
from marketplace.auth.views import limited_per_address_and_account, sign_up_answer
from marketplace.forms import EmptyForm
from marketplace.i18n import current_locale
from marketplace.page_cache import cached_page
from sellers import onboarding, services
from sellers.documents import KINDS, documents_for, upload_document
from sellers.forms import (
    BankForm,
    DocumentForm,
    ProfileForm,
    SellerAccountForm,
)
from sellers.models import Seller
from sellers.training import progress
from sellers.views import PUBLISH_PROBLEMS

bp = Blueprint("onboarding", __name__)

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif"


def commission_percent() -> str:
    """The commission as the visitor reads a percentage: "5" or "2,5" (from basis points)."""
    basis_points = current_app.config["COMMISSION_BASIS_POINTS"]
    return format_decimal(Decimal(basis_points) / 100, format="#,##0.##", locale=current_locale())


@bp.get("/sell")
@cached_page
def landing():
    seller = services.seller_for(current_user)
    return render_template(
        "onboarding/landing.html",
        commission=commission_percent(),
        step_titles=[onboarding.TITLES[key] for key in onboarding.STEP_KEYS],
        seller=seller,
        is_seller=onboarding.account_done(current_user),
    )


@bp.get("/sell/start")
def start():
    """The start button: resume at the first unfinished step (a newcomer: the account)."""
    return redirect(onboarding.next_step(current_user).url)


# --- shared by every step ----------------------------------------------------------------------


@dataclass
class Wizard:
    """What every step's page shows: where it is in the row (Back, Next, "Step n of 7")."""

    steps: list[onboarding.Step]
    current: onboarding.Step
    seller: Seller | None

    @property
    def previous(self) -> onboarding.Step | None:
        index = self.current.number - 1
        return self.steps[index - 1] if index > 0 else None

    @property
    def following(self) -> onboarding.Step | None:
        index = self.current.number - 1
        return self.steps[index + 1] if index + 1 < len(self.steps) else None


def _enter(key: str):
    """``(wizard, None)`` when the seller may open step ``key``, else ``(None, redirect)``."""
    steps = onboarding.steps(current_user)
    missing = onboarding.first_missing_before(key, steps)
    if missing is not None:
        flash(
            _(
                "Please finish “%(step)s” first. Your shop set-up continues here.",
                step=missing.title,
            ),
            "info",
        )
        return None, redirect(missing.url)
    current = next(step for step in steps if step.key == key)
    return Wizard(steps, current, services.seller_for(current_user)), None


def _render(template: str, wizard: Wizard, status: int = 200, **context):
    return (
        render_template(
            template,
            wizard=wizard,
            seller=wizard.seller,
            total=len(wizard.steps),
            **context,
        ),
        status,
    )


def _continue():
    """After saving a step: on to the first unfinished step (the review once all are done)."""
    return redirect(onboarding.next_step(current_user).url)


# --- 1. account --------------------------------------------------------------------------------


@bp.route("/sell/account", methods=["GET", "POST"])
@limited_per_address_and_account("email", "sign-up:")
def account():
    wizard, _unused = _enter("account")
    if current_user.is_authenticated:
        return _render("onboarding/account.html", wizard, form=None, action_form=EmptyForm())
    form = SellerAccountForm()
    if form.validate_on_submit():
        # The same answer for a new and a taken address (see ``auth.services.sign_up``).
        auth_services.sign_up(
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
            phone=form.phone.data,
            roles=[Role.BUYER, Role.SELLER],
            locale=current_locale(),
        )
        return sign_up_answer(form.email.data, url_for("onboarding.start"))
    return _render(
        "onboarding/account.html",
        wizard,
        400 if form.errors else 200,
        form=form,
        action_form=None,
    )


@bp.post("/sell/account/become-seller")
def become_seller():
    """A logged-in buyer opens a shop with the same account."""
    if not current_user.is_authenticated:
        return redirect(url_for("onboarding.account"))
    if not EmptyForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("onboarding.account"))
    if not current_user.has_role(Role.SELLER):
        auth_services.grant_role(current_user, Role.SELLER)
        flash(_("Your account can now sell. Let's set up your shop."), "success")
    return _continue()


# --- 2. shop profile ---------------------------------------------------------------------------


@bp.route("/sell/profile", methods=["GET", "POST"])
def profile():
    wizard, refused = _enter("profile")
    if refused:
        return refused
    seller = wizard.seller
    form = ProfileForm(obj=seller if request.method == "GET" else None)
    if request.method == "GET" and seller is None:
        form.whatsapp.data = current_user.phone  # given at sign-up; most sellers use the same
    form.fill_region_choices()
    refreshing = "refresh_regions" in request.form
    if not refreshing and form.validate_on_submit():
        try:
            services.save_profile(
                current_user,
                services.ProfileData(
                    shop_name=form.shop_name.data,
                    village_code=form.village_code.data,
                    whatsapp=form.whatsapp.data,
                    country_abroad=form.country_abroad.data,
                    years_abroad=form.years_abroad.data,
                    story=form.story.data,
                    story_en=form.story_en.data or "",
                ),
            )
        except services.ShopError:
            form.village_code.errors.append(_("Choose the village (desa / kelurahan)."))
        else:
            flash(_("Your shop profile is saved."), "success")
            return _continue()
    return _render("onboarding/profile.html", wizard, 400 if form.errors else 200, form=form)


# --- 3. bank account ---------------------------------------------------------------------------


@bp.route("/sell/bank", methods=["GET", "POST"])
def bank():
    wizard, refused = _enter("bank")
    if refused:
        return refused
    seller = wizard.seller
    form = BankForm(obj=seller if request.method == "GET" else None)
    if request.method == "GET" and not seller.bank_account_holder:
        form.bank_account_holder.data = current_user.name
    if form.validate_on_submit():
        services.save_bank_account(
            seller,
            form.bank_name.data,
            form.bank_account_number.data,
            form.bank_account_holder.data,
        )
        flash(_("Your bank account is saved."), "success")
        return _continue()
    return _render(
        "onboarding/bank.html",
        wizard,
        400 if form.errors else 200,
        form=form,
        commission=commission_percent(),
    )


# --- 4. verification documents -----------------------------------------------------------------


def _document_forms(**bound) -> dict[str, DocumentForm]:
    forms = {}
    for kind, (label, _hint) in KINDS.items():
        form = bound.get(kind) or DocumentForm(prefix=kind, formdata=None)
        form.photo.label.text = label
        forms[kind] = form
    return forms


def _documents_page(wizard: Wizard, status: int = 200, **bound):
    return _render(
        "onboarding/documents.html",
        wizard,
        status,
        forms=_document_forms(**bound),
        documents=documents_for(wizard.seller),
        kinds=KINDS,
        accept=PHOTO_ACCEPT,
    )


@bp.get("/sell/documents")
def documents():
    wizard, refused = _enter("documents")
    if refused:
        return refused
    return _documents_page(wizard)


@bp.post("/sell/documents/<kind>")
def upload(kind: str):
    if kind not in KINDS:
        abort(404)
    wizard, refused = _enter("documents")
    if refused:
        return refused
    form = DocumentForm(prefix=kind)
    if form.validate_on_submit():
        try:
            upload_document(wizard.seller, kind, form.photo.data.read())
        except ImageRejected as exc:
            form.photo.errors = [str(exc.message)]
        else:
            flash(_("Uploaded: %(document)s.", document=KINDS[kind][0]), "success")
            if onboarding.documents_done(wizard.seller):
                return _continue()
            return redirect(url_for("onboarding.documents"))
    return _documents_page(wizard, 400, **{kind: form})


# --- 5. training -------------------------------------------------------------------------------


def _task_link(task: str, seller: Seller, products: list) -> tuple[str, str] | None:
    """Where the seller does a module's practical task that the shop checks from its data."""
    if task == "shop_profile_complete":
        return url_for("onboarding.profile"), _("Open my shop profile")
    if task in (
        "product_with_3_photos",
        "product_title_and_description",
        "product_priced_with_weight",
    ):
        if products:
            return (
                url_for("sellers.edit_product", product_id=products[0].id),
                _("Open my product"),
            )
        return url_for("sellers.new_product"), _("Add my first product")
    if task == progress.FOOD_TASK:
        return url_for("sellers.products"), _("Open my products")
    return None


@bp.get("/sell/training")
def training():
    wizard, refused = _enter("training")
    if refused:
        return refused
    products = catalog.seller_products(wizard.seller)
    required = [s for s in progress.status(current_user) if s.required]
    return _render(
        "onboarding/training.html",
        wizard,
        modules=[(s, _task_link(s.module.task, wizard.seller, products)) for s in required],
    )


# --- 6. first product --------------------------------------------------------------------------


@bp.get("/sell/product")
def product():
    wizard, refused = _enter("product")
    if refused:
        return refused
    # The shop's first real product: workshop practice products have their own market.
    products = [p for p in catalog.seller_products(wizard.seller) if p.practice_workshop_id is None]
    return _render(
        "onboarding/product.html",
        wizard,
        products=[
            (p, [PUBLISH_PROBLEMS[code]() for code in catalog.publish_problems(p)])
            for p in products
        ],
        action_form=EmptyForm(),
    )


# --- 7. check and send -------------------------------------------------------------------------


@bp.get("/sell/review")
def review():
    wizard, refused = _enter("review")
    if refused:
        return refused
    return _render(
        "onboarding/review.html",
        wizard,
        documents=documents_for(wizard.seller),
        kinds=KINDS,
        published=[
            p for p in catalog.seller_products(wizard.seller) if p.status == ProductStatus.PUBLISHED
        ],
        action_form=EmptyForm(),
        can_send=services.can_submit(wizard.seller),
    )


@bp.post("/sell/submit")
def submit():
    wizard, refused = _enter("review")
    if refused:
        return refused
    if not EmptyForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("onboarding.review"))
    try:
        onboarding.submit(current_user)
    except onboarding.NotReady as exc:
        flash(_("Please finish “%(step)s” first.", step=exc.missing[0].title), "error")
        return redirect(exc.missing[0].url)
    except services.ShopError:
        flash(_("Your shop has already been sent for checking."), "info")
    else:
        flash(
            _("Thank you! Our team will check your shop soon and tell you by e-mail."),
            "success",
        )
    return redirect(url_for("onboarding.review"))
