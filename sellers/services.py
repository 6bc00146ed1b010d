"""Seller shop use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import regions
from marketplace.auth.models import Role, User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.text import unique_slug
from sellers.models import Seller, SellerStatus


class ShopError(DomainError):
    pass


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


def seller_for(user: User | None) -> Seller | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(Seller).where(Seller.owner_id == user.id))


def unique_shop_slug(name: str, exclude_id: int | None = None) -> str:
    return unique_slug(Seller, name, exclude_id, max_length=80)


def save_shop(user: User, data: ShopData) -> Seller:
    """Create the user's shop on first save, update it afterwards (one shop per account)."""
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
    seller.bank_name = data.bank_name
    seller.bank_account_number = data.bank_account_number
    seller.bank_account_holder = data.bank_account_holder.strip()
    for name, value in regions.chain(data.village_code).items():
        setattr(seller, name, value)
    db.session.commit()
    return seller


def submit_for_verification(seller: Seller) -> Seller:
    if seller.status not in (SellerStatus.DRAFT, SellerStatus.REJECTED):
        raise ShopError("not a draft")
    seller.status = SellerStatus.SUBMITTED.value
    db.session.commit()
    return seller


def set_status(seller: Seller, status: SellerStatus) -> Seller:
    allowed = {
        SellerStatus.DRAFT: {SellerStatus.SUBMITTED, SellerStatus.VERIFIED},
        SellerStatus.SUBMITTED: {SellerStatus.VERIFIED, SellerStatus.REJECTED},
        SellerStatus.REJECTED: {SellerStatus.SUBMITTED, SellerStatus.VERIFIED},
        SellerStatus.VERIFIED: {SellerStatus.SUSPENDED},
        SellerStatus.SUSPENDED: {SellerStatus.VERIFIED},
    }
    if status not in allowed[SellerStatus(seller.status)]:
        raise ShopError(f"{seller.status} → {status}")
    seller.status = status.value
    db.session.commit()
    return seller


def list_sellers() -> list[Seller]:
    return list(
        db.session.scalars(
            select(Seller).options(selectinload(Seller.owner)).order_by(Seller.created_at.desc())
        )
    )
