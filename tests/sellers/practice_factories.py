"""Workshops, members and practice products for the practice-mode tests (built directly with
the models: joining pages are not what these tests are about)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from catalog.models import ProductStatus
from marketplace.auth.models import Role, utcnow
from marketplace.extensions import db
from orders import cart as carts
from orders.checkout import Address, place_order
from orders.models import PaymentMethod
from sellers.workshops.models import JOIN_CODE_ALPHABET, Workshop, WorkshopMember, WorkshopStatus
from tests.factories import make_category, make_product, make_seller, make_user
from tests.orders.factories import BUYER_VILLAGE

_seq = itertools.count(1)


def join_code(n: int) -> str:
    base = len(JOIN_CODE_ALPHABET)
    chars = []
    for _ in range(6):
        n, r = divmod(n, base)
        chars.append(JOIN_CODE_ALPHABET[r])
    return "".join(chars)


def make_workshop(trainer=None, *, status=WorkshopStatus.OPEN, closed_days_ago=None) -> Workshop:
    n = next(_seq)
    trainer = trainer or make_user(roles=(Role.BUYER, Role.TRAINER), name=f"Pelatih {n}")
    workshop = Workshop(
        trainer_id=trainer.id,
        title=f"Pelatihan Jualan Online {n}",
        village_code="52.03.12.2002",
        starts_at=utcnow(),
        join_code=join_code(1000 + n * 7919),
        status=status.value,
    )
    if status == WorkshopStatus.CLOSED:
        workshop.closed_at = utcnow() - timedelta(days=closed_days_ago or 0)
    db.session.add(workshop)
    db.session.commit()
    return workshop


def make_member(workshop: Workshop, user=None, name: str = "Peserta"):
    user = user or make_user(name=name)
    db.session.add(WorkshopMember(workshop_id=workshop.id, user_id=user.id))
    db.session.commit()
    return user


def make_practice_product(workshop: Workshop, seller=None, *, listed: bool = True, **fields):
    """A practice product in ``workshop``'s market (or a practice draft: ``listed=False``)."""
    from sellers.models import SellerStatus

    seller = seller or make_seller(status=SellerStatus.DRAFT, trained=False)
    return make_product(
        seller,
        fields.pop("category", None) or make_category(),
        status=ProductStatus.PRACTICE if listed else ProductStatus.DRAFT,
        practice_workshop_id=workshop.id,
        **fields,
    )


def practice_address() -> Address:
    return Address(
        contact_name="Siti Aminah",
        email="siti@example.id",
        phone="081234567890",
        village_code=BUYER_VILLAGE,
        street="Jl. Merdeka No. 5",
        rt_rw="003/007",
        postal_code="40152",
    )


def cheapest_service(product) -> str:
    from orders.cart import Line, SellerGroup
    from orders.checkout import shipping_options

    group = SellerGroup(product.seller, [Line(product, 1)])
    return shipping_options(group, "32")[0].service


def buy(buyer, product, quantity: int = 1, method: str = PaymentMethod.PRACTICE):
    """Place an order for one product the way checkout does, through the buyer's cart."""
    store = carts.DatabaseStore(buyer.id) if buyer is not None else None
    return place_order(
        buyer=buyer,
        quantities={product.id: quantity},
        address=practice_address(),
        services={product.seller_id: cheapest_service(product)},
        payment_method=method,
        cart=store,
    )
