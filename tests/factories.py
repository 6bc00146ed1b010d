"""Plain factory functions for tests (DESIGN §4.11): explicit, no magic."""

from __future__ import annotations

import io
import itertools

from flask import current_app
from PIL import Image

from catalog.models import Category, Product, ProductImage, ProductStatus
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from sellers.models import Seller, SellerStatus

_seq = itertools.count(1)
PASSWORD = "password123"
VILLAGE = "52.03.12.2002"  # Desa Pringgasela, Lombok Timur (a real Kemendagri code)


def make_user(email: str | None = None, roles=(Role.BUYER,), name: str = "Test User") -> User:
    user = User(email=email or f"user{next(_seq)}@example.id", name=name)
    user.set_password(PASSWORD)
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    db.session.commit()
    return user


def make_seller(
    user: User | None = None,
    status: SellerStatus = SellerStatus.VERIFIED,
    trained: bool | None = None,
    **fields,
) -> Seller:
    """A shop; by default its owner has finished the required training, so it can publish.

    ``trained=False`` gives an owner who has not (the publishing-gate tests). Left unset, a test
    that swaps in its own course (``TRAINING_CONTENT_DIR``, the training tests) gets an untrained
    owner: those tests are about progress itself and start from none.
    """
    if trained is None:
        trained = not current_app.config.get("TRAINING_CONTENT_DIR")
    user = user or make_user(roles=(Role.BUYER, Role.SELLER))
    n = next(_seq)
    parts = VILLAGE.split(".")
    seller = Seller(
        owner_id=user.id,
        shop_name=fields.pop("shop_name", f"Toko Uji {n}"),
        slug=fields.pop("slug", f"toko-uji-{n}"),
        status=status.value,
        province_code=parts[0],
        regency_code=".".join(parts[:2]),
        district_code=".".join(parts[:3]),
        village_code=VILLAGE,
        whatsapp="+6281234567890",
        **fields,
    )
    db.session.add(seller)
    db.session.commit()
    if trained:
        from sellers.training.progress import mark_completed_for_demo

        mark_completed_for_demo(user, current_app.config["REQUIRED_TRAINING_MODULES"])
    return seller


def make_category(slug: str | None = None, parent: Category | None = None) -> Category:
    n = next(_seq)
    category = Category(
        slug=slug or f"kategori-{n}",
        name_id=f"Kategori {n}",
        name_en=f"Category {n}",
        parent=parent,
    )
    db.session.add(category)
    db.session.commit()
    return category


def make_product(
    seller: Seller | None = None,
    category: Category | None = None,
    status: ProductStatus = ProductStatus.PUBLISHED,
    **fields,
) -> Product:
    n = next(_seq)
    product = Product(
        seller=seller or make_seller(),
        category=category or make_category(),
        title=fields.pop("title", f"Gula Semut Uji {n}"),
        slug=fields.pop("slug", f"gula-semut-uji-{n}"),
        price=fields.pop("price", 25000),
        stock=fields.pop("stock", 10),
        weight_grams=fields.pop("weight_grams", 300),
        status=status.value,
        **fields,
    )
    db.session.add(product)
    db.session.commit()
    return product


def jpeg_bytes(width: int = 800, height: int = 600, color=(160, 90, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def add_photos(product: Product, count: int) -> None:
    """Photo rows for a product (no files: for counts and checks that look at rows only)."""
    for position in range(count):
        db.session.add(
            ProductImage(
                product_id=product.id,
                position=position,
                key=f"k{product.id}-{position}",
                width=800,
                height=600,
                widths="320,640",
            )
        )
    db.session.commit()
