"""Seller shop use cases: the profile, verification by the programme team, publishing.

Each use case commits once; the e-mail that tells a seller about a decision is sent only after
that commit (``orders.notifications.after_commit``), so nobody is told about a decision that
was rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from catalog import services as catalog
from catalog.models import Product, ProductStatus
from marketplace import audit, regions
from marketplace.auth.models import Role, User, utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.states import ChangedMeanwhile, InvalidTransition
from marketplace.text import unique_slug
from orders import notifications
from sellers import states
from sellers.models import Seller, SellerEvent, SellerStatus
from sellers.training.progress import missing_required

REASON_MAX = 1000


class ShopError(DomainError):
    pass


class StatusChangedMeanwhile(ShopError):
    """Someone else (another admin, or the seller) moved the shop's status first."""


class TrainingRequired(ShopError):
    """Publishing refused: required training modules are not complete (``missing``)."""

    def __init__(self, missing: list) -> None:
        super().__init__("training required: " + ", ".join(m.slug for m in missing))
        self.missing = missing


@dataclass
class ShopData:
    shop_name: str
    village_code: str
    whatsapp: str = ""
    country_abroad: str = ""
    years_abroad: int | None = None
    story: str = ""
    story_en: str = ""
    bank_name: str = ""
    bank_account_number: str = ""
    bank_account_holder: str = ""
    nib: str = ""


seller_for = catalog.seller_for  # the seller-side code asks here


def unique_shop_slug(name: str, exclude_id: int | None = None) -> str:
    return unique_slug(Seller, name, exclude_id, max_length=80)


def _profile_saved(user: User, data) -> Seller:
    """Create the user's draft shop if needed and copy the profile fields both forms share."""
    if not regions.is_valid_village(data.village_code):
        raise ShopError("invalid village")
    seller = seller_for(user)
    if seller is None:
        seller = Seller(owner_id=user.id, status=SellerStatus.DRAFT.value)
        seller.slug = unique_shop_slug(data.shop_name)
        db.session.add(seller)
        user.add_role(Role.SELLER)
    seller.shop_name = data.shop_name.strip()
    seller.whatsapp = data.whatsapp
    seller.country_abroad = data.country_abroad.strip()
    seller.years_abroad = data.years_abroad
    seller.story = data.story.strip()
    seller.story_en = data.story_en.strip()
    for name, value in regions.chain(data.village_code).items():
        setattr(seller, name, value)
    return seller


def save_shop(user: User, data: ShopData) -> Seller:
    """Create the user's shop on first save, update it afterwards (one shop per account)."""
    seller = _profile_saved(user, data)
    seller.bank_name = data.bank_name
    seller.bank_account_number = data.bank_account_number
    seller.bank_account_holder = data.bank_account_holder.strip()
    seller.nib = data.nib
    db.session.commit()
    return seller


@dataclass
class ProfileData:
    """The onboarding wizard's shop profile screen (no bank details: those have their own)."""

    shop_name: str
    village_code: str
    whatsapp: str
    country_abroad: str
    years_abroad: int | None
    story: str
    story_en: str = ""


def save_profile(user: User, data: ProfileData) -> Seller:
    """Create the user's shop (as a draft) or update its profile; bank details are untouched."""
    seller = _profile_saved(user, data)
    db.session.commit()
    return seller


def save_bank_account(seller: Seller, bank_name: str, number: str, holder: str) -> Seller:
    """The account payouts go to. The form has checked the digits for this bank."""
    seller.bank_name = bank_name
    seller.bank_account_number = number
    seller.bank_account_holder = holder.strip()
    db.session.commit()
    return seller


def _move(seller: Seller, status: SellerStatus, actor: User | None = None, note: str = "") -> None:
    """The shop's status machine, with its refusals as this module's errors.

    A refused move ends the transaction before raising: the refused UPDATE may hold a lock
    (SQLite's write lock, a PostgreSQL row lock), and the caller then needs no clean-up of its
    own before rendering its message.
    """
    try:
        states.transition(
            seller, status, actor_id=actor.id if actor is not None else None, note=note
        )
    except ChangedMeanwhile as exc:
        db.session.rollback()
        raise StatusChangedMeanwhile(str(exc)) from exc
    except InvalidTransition as exc:
        db.session.rollback()
        raise ShopError(str(exc)) from exc


def can_submit(seller: Seller | None) -> bool:
    """Whether the shop may be sent for checking now (a draft, or a rejected shop fixed)."""
    return seller is not None and states.can_move(seller, SellerStatus.SUBMITTED)


def submit_for_verification(seller: Seller) -> Seller:
    _move(seller, SellerStatus.SUBMITTED, seller.owner)
    seller.submitted_at = utcnow()
    db.session.commit()
    return seller


def set_status(seller: Seller, status: SellerStatus, actor: User | None = None) -> Seller:
    _move(seller, status, actor)
    db.session.commit()
    return seller


def status_history(seller: Seller) -> list[SellerEvent]:
    return states.history(seller)


def _audit(admin: User | None, action: str, seller: Seller, detail: str = "") -> None:
    audit.record(admin.id if admin is not None else None, action, seller.slug, detail)


def _link(endpoint: str, **values) -> str:
    """An absolute link for an e-mail; empty where no URL can be built (a CLI without a host)."""
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        return ""


def _tell_owner(seller: Seller, compose) -> None:
    """Write the message in the owner's language now; send it once the decision is committed."""
    owner = seller.owner
    if owner is None or not owner.email:
        return
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, body = compose()
    notifications.after_commit(notifications.send_mail, owner.email, str(subject), str(body))


def approve_seller(seller: Seller, admin: User | None) -> Seller:
    """Verify the shop: its published products become public, and the seller is told."""
    _move(seller, SellerStatus.VERIFIED, admin)
    seller.rejection_reason = ""
    _audit(admin, "seller.verify", seller)

    def compose():
        subject = _("Your shop %(name)s is verified", name=seller.shop_name)
        lines = [
            _("Hello %(name)s,", name=seller.owner.name),
            "",
            _(
                "Good news: the Migrant Mart team has checked your shop %(shop)s and verified "
                "it. Your published products are now visible to buyers.",
                shop=seller.shop_name,
            ),
        ]
        shop_url = _link("catalog.shop", slug=seller.slug)
        if shop_url:
            lines += ["", _("Your shop: %(url)s", url=shop_url)]
        return subject, "\n".join(lines)

    _tell_owner(seller, compose)
    db.session.commit()
    return seller


def reject_seller(seller: Seller, admin: User | None, reason: str) -> Seller:
    """Refuse the shop for now, with a reason the seller can act on; they may send it again."""
    reason = " ".join((reason or "").split())[:REASON_MAX]
    if not reason:
        raise ShopError("a rejection needs a reason")
    _move(seller, SellerStatus.REJECTED, admin, reason)
    seller.rejection_reason = reason
    _audit(admin, "seller.reject", seller, reason)

    def compose():
        subject = _("Your shop %(name)s needs changes", name=seller.shop_name)
        lines = [
            _("Hello %(name)s,", name=seller.owner.name),
            "",
            _(
                "The Migrant Mart team has checked your shop %(shop)s and cannot verify it yet.",
                shop=seller.shop_name,
            ),
            "",
            _("Reason: %(reason)s", reason=reason),
            "",
            _("Please fix this, then send your shop for checking again."),
        ]
        review_url = _link("onboarding.review")
        if review_url:
            lines.append(review_url)
        return subject, "\n".join(lines)

    _tell_owner(seller, compose)
    db.session.commit()
    return seller


def change_status_by_admin(seller: Seller, admin: User | None, status: SellerStatus) -> Seller:
    """The admin's status buttons. Verifying goes through ``approve_seller`` (the seller is
    told); rejecting needs a reason and goes through ``reject_seller``."""
    if status == SellerStatus.VERIFIED:
        return approve_seller(seller, admin)
    if status == SellerStatus.REJECTED:
        raise ShopError("a rejection needs a reason")
    _move(seller, status, admin)
    _audit(admin, f"seller.{status.value}", seller)
    db.session.commit()
    return seller


def list_sellers() -> list[Seller]:
    """Shops waiting for a decision first (the longest waiting on top), then the newest."""
    waiting = Seller.status == SellerStatus.SUBMITTED.value
    return list(
        db.session.scalars(
            select(Seller)
            .options(selectinload(Seller.owner))
            .order_by(
                case((waiting, 0), else_=1),
                case((waiting, Seller.submitted_at), else_=None).asc(),
                Seller.created_at.desc(),
                Seller.id.desc(),
            )
        )
    )


def get_seller(seller_id: int) -> Seller | None:
    return db.session.get(Seller, seller_id)


# --- publishing gate -------------------------------------------------------------------------


def change_product_status(seller: Seller, product: Product, status: ProductStatus) -> Product:
    """Publishing needs the required training done (``TrainingRequired``), then the product's
    own checks (``catalog.CatalogError``). Unpublishing and archiving are always allowed.

    A workshop's practice product "publishes" into its workshop's market only (status
    ``PRACTICE``): no training or verification needed, but the workshop must still be open.
    """
    if product.practice_workshop_id is not None:
        from sellers.workshops import practice

        if status == ProductStatus.PUBLISHED:
            status = ProductStatus.PRACTICE
        if status == ProductStatus.PRACTICE:
            practice.check_open(product.practice_workshop_id)
        return catalog.set_product_status(product, status)
    if status == ProductStatus.PUBLISHED and product.status != ProductStatus.PUBLISHED:
        missing = missing_required(seller.owner)
        if missing:
            raise TrainingRequired(missing)
    return catalog.set_product_status(product, status)
