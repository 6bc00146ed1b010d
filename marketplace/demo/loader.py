"""Loads the demo marketplace. Idempotent: everything is looked up by its natural key first.

Demo accounts share one password (``DEMO_PASSWORD``, default ``demo-pass-2026``) so a
trainer can log in as any seller on a projector; the command refuses to run in production.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import current_app
from sqlalchemy import func, select

from catalog import services as catalog
from catalog.images import draw_product_photo
from catalog.models import Category, Product, ProductImage, ProductStatus
from marketplace import phones, regions
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role
from marketplace.demo import sales
from marketplace.demo.data import CATEGORIES, PRODUCTS, SELLERS
from marketplace.extensions import db
from marketplace.text import slugify
from sellers.models import Seller, SellerStatus
from sellers.training.content_loader import get_module
from sellers.training.progress import mark_completed_for_demo

DEFAULT_DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo logins, dev only
DEMO_ADMIN = ("admin@demo.migrantmart.id", "Admin Program")
DEMO_BUYER = ("pembeli@demo.migrantmart.id", "Rina Pembeli")


class DemoRefused(RuntimeError):
    pass


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)


def _ensure_user(email: str, name: str, roles: list[Role]):
    user = auth_services.find_by_email(email)
    if user is None:
        user = auth_services.register_user(
            name=name, email=email, password=demo_password(), roles=roles
        )
    return user


def _ensure_categories() -> dict[str, Category]:
    by_slug = {c.slug: c for c in db.session.scalars(select(Category))}
    for position, (slug, name_id, name_en, parent_slug) in enumerate(CATEGORIES):
        category = by_slug.get(slug)
        if category is None:
            category = Category(slug=slug)
            db.session.add(category)
            by_slug[slug] = category
        category.name_id, category.name_en, category.position = name_id, name_en, position
        category.parent = by_slug[parent_slug] if parent_slug else None
    db.session.commit()
    return by_slug


def _demo_bank_account(seller: Seller, data) -> None:
    """A made-up BRI account (payouts need one); the digits come from the shop's slug."""
    digits = f"{sum(map(ord, data.slug)) * 7919:015d}"[-15:]
    seller.bank_name = "BRI"
    seller.bank_account_number = digits
    seller.bank_account_holder = data.owner_name


def _ensure_trained(seller: Seller) -> None:
    """Demo shops have done the required training, so they can publish (and be shown doing so).

    Idempotent; a configured module that does not exist is skipped, as the publishing gate
    itself skips it.
    """
    required = [
        slug
        for slug in current_app.config.get("REQUIRED_TRAINING_MODULES") or []
        if get_module(slug) is not None
    ]
    if required:
        mark_completed_for_demo(seller.owner, required)


def _ensure_seller(data) -> Seller:
    seller = db.session.scalar(select(Seller).where(Seller.slug == data.slug))
    if seller is not None:
        if not seller.bank_account_number:
            _demo_bank_account(seller, data)
            db.session.commit()
        _ensure_trained(seller)
        return seller
    user = _ensure_user(data.email, data.owner_name, [Role.BUYER, Role.SELLER])
    seller = Seller(
        owner_id=user.id,
        slug=data.slug,
        shop_name=data.shop_name,
        country_abroad=data.country_abroad,
        years_abroad=data.years_abroad,
        story=data.story_id,
        story_en=data.story_en,
        whatsapp=phones.to_e164(data.whatsapp) or data.whatsapp,
        status=SellerStatus.VERIFIED.value,
        **regions.chain(data.village_code),
    )
    _demo_bank_account(seller, data)
    db.session.add(seller)
    db.session.commit()
    _ensure_trained(seller)
    return seller


def _photo_count(index: int) -> int:
    return 2 + index % 3  # 2–4 photos: enough for a gallery without a long first load


def _ensure_product(
    index: int, data, seller: Seller, category: Category, photo_size: int
) -> tuple[Product, bool]:
    slug = slugify(data.title, max_length=120)
    product = db.session.scalar(select(Product).where(Product.slug == slug))
    created = product is None
    if product is None:
        product = catalog.create_product(
            seller,
            catalog.ProductData(
                title=data.title,
                category_id=category.id,
                description=data.description,
                price=data.price,
                stock=data.stock,
                weight_grams=data.weight_grams,
                net_weight=data.net_weight,
                pirt_number=data.pirt,
                bpom_number=data.bpom,
                halal_number=data.halal,
                ingredients=data.ingredients,
                best_before=data.best_before,
            ),
        )
        product.featured = data.featured
        db.session.commit()
    if not product.images:
        photos = [
            (draw_product_photo(data.photo_kind, variant, size=photo_size, seed=slug), data.title)
            for variant in range(_photo_count(index))
        ]
        catalog.add_product_images(product, photos)
    if product.status != ProductStatus.PUBLISHED.value:
        catalog.set_product_status(product, ProductStatus.PUBLISHED)
    return product, created


def _spread(products, limit: int):
    """Take products round-robin across categories so a small set still fills every page."""
    by_category: dict[str, list] = {}
    for p in products:
        by_category.setdefault(p.category_slug, []).append(p)
    picked: list = []
    queues = list(by_category.values())
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked


def load(
    echo: Callable[[str], None] = lambda _msg: None,
    product_limit: int | None = None,
    photo_size: int = 1000,
) -> dict[str, int]:
    """Load everything. Fast test set-ups pass ``product_limit`` (only N products, spread over
    the categories) or a small ``photo_size`` (fewer, smaller variants to make)."""
    if current_app.config.get("ENV_NAME") == "production":
        raise DemoRefused("demo data is never loaded into production")
    categories = _ensure_categories()
    admin = _ensure_user(*DEMO_ADMIN, [Role.BUYER, Role.ADMIN])
    buyer = _ensure_user(*DEMO_BUYER, [Role.BUYER])
    sellers = {data.slug: _ensure_seller(data) for data in SELLERS}
    created = 0
    chosen = PRODUCTS if product_limit is None else _spread(PRODUCTS, product_limit)
    for index, data in enumerate(chosen):
        _product, was_created = _ensure_product(
            index, data, sellers[data.seller_slug], categories[data.category_slug], photo_size
        )
        created += was_created
        if (index + 1) % 10 == 0:
            echo(f"  {index + 1}/{len(chosen)} products")
    orders = sales.ensure_sales(list(sellers.values()), buyer, admin)
    if orders:
        echo(f"  {orders} orders over the last {sales.MONTHS} months")

    from marketplace.demo import workshops

    workshops.load(categories, echo)
    return {
        "categories": len(categories),
        "sellers": len(sellers),
        "products": db.session.scalar(select(func.count(Product.id))) or 0,
        "images": db.session.scalar(select(func.count(ProductImage.id))) or 0,
        "created": created,
        "orders": orders,
    }
