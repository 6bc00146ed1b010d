"""Whatever a workshop does in practice mode, nothing public or financial changes.

Hypothesis runs random sequences of practice actions (create and list products with photos,
add to carts, check out with the practice payment, pack and ship, confirm delivery, review,
reset) inside one open workshop, next to a real shop with real sales, and compares what the
world sees before and after: public listings, search and autocomplete, the JSON API, rating
averages, balances, payouts, statements and the admin's headline figures.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from catalog import search as search_engine
from catalog import services as catalog
from catalog.models import Product, ProductStatus
from catalog.search import misses
from catalog.search.params import parse_query
from marketplace.admin import _STATS
from marketplace.auth.models import Role, utcnow
from marketplace.extensions import db, limiter
from orders import cart as carts
from orders import fulfilment, ledger, payouts, reviews, settlement
from orders import practice as order_practice
from orders.checkout import CheckoutError, place_order
from orders.models import Order, PaymentMethod
from orders.states import FulfilmentStatus
from sellers import services as seller_services
from sellers import statements
from sellers.models import SellerStatus
from sellers.workshops import practice
from tests.factories import jpeg_bytes, make_category, make_product, make_seller, make_user
from tests.orders.factories import make_order
from tests.sellers.practice_factories import (
    cheapest_service,
    make_member,
    make_workshop,
    practice_address,
)

MEMBERS = 3  # two participants without a verified shop, one verified seller


@pytest.fixture()
def world(app_ctx):
    """A real shop with a delivered, reviewed and part-paid-out sale; an open workshop."""
    category = make_category(parent=make_category())
    real_seller = make_seller(
        bank_name="BRI", bank_account_number="1234567890", bank_account_holder="Made Sari"
    )
    gula = make_product(
        real_seller, category, title="Gula Semut Aren Lombok", featured=True, stock=50
    )
    make_product(real_seller, category, title="Kopi Robusta Sembalun", stock=50)
    buyer = make_user(name="Dewi Lestari")
    order = make_order([(gula, 2)], buyer=buyer)
    settlement.settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()
    part = order.seller_orders[0]
    fulfilment.mark_packed(part, real_seller.owner)
    fulfilment.mark_shipped(part, real_seller.owner, "JNE", "JNE99887766")
    fulfilment.confirm_received(order, buyer)
    reviews.add_review(buyer, part.items[0].id, 4, "Manis")
    payouts.create_batch(make_user(roles=(Role.ADMIN,)))
    make_order([(gula, 1)], buyer=buyer)  # a second, unpaid sale
    search_engine.reindex()

    workshop = make_workshop()
    members = [make_member(workshop, name=f"Peserta {i}") for i in range(MEMBERS - 1)]
    verified = make_seller(shop_name="Toko Terverifikasi Peserta")
    members.append(make_member(workshop, verified.owner))
    for member in members:  # their shops exist before the day, as after the first product
        practice.practice_shop(member)
    return {
        "workshop": workshop,
        "members": members,
        "category": category,
        "sellers": [real_seller, verified, *(practice.practice_shop(m) for m in members[:2])],
        "client": app_ctx.test_client(),
        "app": app_ctx,
    }


def observe(world) -> dict:
    """Everything public or financial, as plain values."""
    limiter.reset()  # the API's own rate limit must not count this test's many looks
    client = world["client"]
    sellers = world["sellers"]
    category = world["category"]
    public = [p.id for p in catalog.newest_products(100)]
    stats = [
        (stat.count(), stat.part[0]() if stat.part else None)
        for stat in world["app"].extensions.get(_STATS, [])
    ]
    month = utcnow().date().replace(day=1)
    return {
        "newest": public,
        "featured": [p.id for p in catalog.featured_products(100)],
        "category": [p.id for p in catalog.list_category(category.parent, "newest", 1).items],
        "shops": [
            [p.id for p in catalog.list_seller_products(s, 1).items]
            for s in sellers
            if s.status == SellerStatus.VERIFIED
        ],
        "villages": catalog.seller_villages(),
        "search": [
            (r.ids, r.total)
            for r in (
                search_engine.search(parse_query({"q": word}, 50))
                for word in ("gula", "kopi", "latihan", "")
            )
        ],
        "suggest": [
            [(s.title, s.slug) for s in search_engine.suggest(prefix)]
            for prefix in ("gu", "ko", "la")
        ],
        "api": client.get("/api/v1/products?per_page=50").get_json(),
        "api_search": client.get("/api/v1/products?q=gula").get_json(),
        "ratings": [tuple(reviews.seller_rating(s.id)) for s in sellers],
        "product_ratings": [
            (pid, tuple(r)) for pid, r in reviews.ratings_for_products(public).items()
        ],
        "shown_reviews": [len(reviews.recent_shop_reviews(s.id)) for s in sellers],
        "balances": [ledger.balance(s.id) for s in sellers],
        "payable": [payouts.payable_balance(s.id) for s in sellers],
        "payout_list": [(b.seller.id, b.payable, b.balance) for b in payouts.balances()],
        "statements": [
            statements.compute_figures(s, statements.Period(month, month))["totals"]
            for s in sellers
        ],
        "admin_orders": [o.number for o in fulfilment.recent_orders()],
        "stats": stats,
        "misses": [(m.phrase, m.count) for m in misses.top_misses()],
    }


# --- the actions ----------------------------------------------------------------------------


def _create(world, member_index: int, price: int, listed: bool) -> None:
    workshop, member = world["workshop"], world["members"][member_index]
    data = catalog.ProductData(
        title=f"Produk Latihan Gula {price}",
        category_id=world["category"].id,
        description="Gula aren latihan",
        price=price,
        stock=5,
        weight_grams=250,
    )
    product = practice.create_practice_product(workshop, member, data)
    if listed:
        catalog.add_product_images(product, [(jpeg_bytes(320, 240, (price % 255, 80, 40)), "")])
        seller_services.change_product_status(product.seller, product, ProductStatus.PUBLISHED)


def _practice_products(world) -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.practice_workshop_id == world["workshop"].id)
            .order_by(Product.id)
        ).unique()
    )


def _add(world, member_index: int, pick: int) -> None:
    products = [p for p in _practice_products(world) if p.status == ProductStatus.PRACTICE]
    if not products:
        return
    store = carts.DatabaseStore(world["members"][member_index].id)
    with contextlib.suppress(carts.CartError):  # sold out, or a real item already there
        carts.add(store, products[pick % len(products)].id, 1)


def _add_real(world, member_index: int) -> None:
    """A real product next to practice ones: refused, or alone in an empty cart."""
    real = db.session.scalar(select(Product).where(Product.practice_workshop_id.is_(None)))
    store = carts.DatabaseStore(world["members"][member_index].id)
    holds_practice = bool(store.items()) and None not in order_practice.workshops_of(
        store.items().keys()
    )
    try:
        carts.add(store, real.id, 1)
    except carts.CartError as error:
        assert holds_practice and str(error) == "practice_mixed"
    else:
        assert not holds_practice


def _checkout(world, pick: int, method: str) -> None:
    """The ``pick``-th member with something in their cart checks out."""
    shoppers = [m for m in world["members"] if carts.DatabaseStore(m.id).items()]
    if not shoppers:
        return
    member = shoppers[pick % len(shoppers)]
    store = carts.DatabaseStore(member.id)
    view = carts.view(store)
    if view.is_empty:
        return
    real_items = any(not line.product.practice_workshop_id for g in view.groups for line in g.lines)
    if real_items:
        method = PaymentMethod.PRACTICE  # a real sale is no practice action: only try to cheat
    must_refuse = real_items or method != PaymentMethod.PRACTICE
    try:
        place_order(
            buyer=member,
            quantities=view.quantities(),
            address=practice_address(),
            services={g.seller.id: cheapest_service(g.lines[0].product) for g in view.groups},
            payment_method=method,
            cart=store,
        )
    except CheckoutError:
        assert must_refuse
        store.clear()  # a refused cart (real items, or real payment): start again
    else:
        assert not must_refuse
        event("practice order placed")


def _practice_parts(world, status: FulfilmentStatus):
    orders = db.session.scalars(
        select(Order).where(Order.practice_workshop_id == world["workshop"].id).order_by(Order.id)
    )
    return [p for o in orders for p in o.seller_orders if p.status == status]


def _owner(part):
    return part.seller.owner


def _ship(world, pick: int) -> None:
    parts = _practice_parts(world, FulfilmentStatus.NEW)
    if parts:
        part = parts[pick % len(parts)]
        fulfilment.mark_packed(part, _owner(part))
        fulfilment.mark_shipped(part, _owner(part), "JNE", f"JNE{part.id:08d}")
        event("practice parcel shipped")


def _deliver(world, pick: int) -> None:
    parts = _practice_parts(world, FulfilmentStatus.SHIPPED)
    if parts:
        part = parts[pick % len(parts)]
        fulfilment.confirm_received(part.order, part.order.buyer, part.id)


def _review(world, pick: int, rating: int) -> None:
    parts = _practice_parts(world, FulfilmentStatus.DELIVERED)
    if parts:
        part = parts[pick % len(parts)]
        order = part.order
        for item in reviews.reviewable_items(order, order.buyer):
            reviews.add_review(order.buyer, item.id, rating, "Latihan")
            event("practice item reviewed")


def _reset(world) -> None:
    practice.reset(world["workshop"], world["workshop"].trainer)


member = st.integers(0, MEMBERS - 1)
pick = st.integers(0, 20)
ACTIONS = st.one_of(
    st.tuples(st.just("create"), member, st.integers(1000, 900000), st.booleans()),
    st.tuples(st.just("add"), member, pick),
    st.tuples(st.just("add_real"), member),
    st.tuples(
        st.just("checkout"),
        pick,
        st.sampled_from(
            [PaymentMethod.PRACTICE, PaymentMethod.PRACTICE, PaymentMethod.BANK_TRANSFER]
        ),
    ),
    st.tuples(st.just("ship"), pick),
    st.tuples(st.just("deliver"), pick),
    st.tuples(st.just("review"), pick, st.integers(1, 5)),
    st.tuples(st.just("reset")),
)
RUN = {
    "create": _create,
    "add": _add,
    "add_real": _add_real,
    "checkout": _checkout,
    "ship": _ship,
    "deliver": _deliver,
    "review": _review,
    "reset": _reset,
}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(ACTIONS, min_size=1, max_size=15))
@example(  # the whole sale at least once, then the room starts again
    actions=[
        ("create", 0, 25000, True),
        ("create", 2, 40000, True),
        ("add", 1, 0),
        ("add", 1, 1),
        ("add_real", 1),
        ("checkout", 0, PaymentMethod.BANK_TRANSFER),
        ("add", 1, 0),
        ("checkout", 0, PaymentMethod.PRACTICE),
        ("ship", 0),
        ("ship", 0),
        ("deliver", 0),
        ("deliver", 0),
        ("review", 0, 5),
        ("review", 1, 2),
        ("reset",),
        ("create", 1, 30000, True),
    ]
)
def test_practice_never_changes_what_the_public_or_the_money_sees(world, actions):
    before = observe(world)
    try:
        for step, (name, *args) in enumerate(actions):
            RUN[name](world, *args)
            db.session.expire_all()
            assert observe(world) == before, f"changed after step {step}: {name}"
    finally:
        # The next example starts from the same world: a clean workshop and empty carts.
        practice.reset(world["workshop"], world["workshop"].trainer)
        for m in world["members"]:
            carts.DatabaseStore(m.id).clear()
