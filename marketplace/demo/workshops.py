"""Demo workshops: a trainer with one open workshop in Lombok and one that ended two months ago.

The open workshop has a fixed join code (``OPEN_CODE``) so the README can name it and a
presenter can type it on a phone; its participants stand at different steps of the day. The
closed one shows the follow-up report: end-of-day snapshots beside today's figures, a stalled
participant, a mentoring note and the reminder mails already sent. Idempotent like the rest
of the demo: everything is looked up by its natural key (e-mail, join code) first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from catalog import services as catalog
from catalog.images import draw_product_photo
from catalog.models import Category, Product, ProductStatus
from marketplace import phones, regions
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role, User, utcnow
from marketplace.extensions import db
from marketplace.i18n import TIME_ZONES, zone_label
from orders import fulfilment
from orders.cart import Line, SellerGroup
from orders.checkout import Address, place_order, shipping_options
from orders.models import Order, PaymentMethod
from sellers.models import Seller, SellerStatus
from sellers.services import change_product_status
from sellers.training.content_loader import get_module
from sellers.training.progress import mark_completed_for_demo
from sellers.workshops import practice, services
from sellers.workshops.models import Workshop, WorkshopMember, WorkshopStatus
from sellers.workshops.records import FollowUpMail, MentoringNote

DEMO_TRAINER = ("pelatih@demo.migrantmart.id", "Dewi Pelatih")
OPEN_CODE = "TENUN4"  # Pringgasela is known for its tenun (woven cloth); all from the alphabet
CLOSED_CODE = "JRWR47"
OPEN_VILLAGE = "52.03.12.2002"  # Desa Pringgasela, Lombok Timur
CLOSED_VILLAGE = "52.03.20.2003"  # Desa Jerowaru, Lombok Timur


@dataclass(frozen=True)
class Participant:
    email: str
    name: str
    phone: str
    shop: str = ""  # a draft shop with this name
    modules: tuple[str, ...] = ()
    products: tuple[str, ...] = ()  # draft product titles


OPEN_PARTICIPANTS = (
    Participant("baiq.nurul@demo.migrantmart.id", "Baiq Nurul Hidayah", "081234560201"),
    Participant(
        "lalu.wira@demo.migrantmart.id", "Lalu Wira Pratama", "081234560202", shop="Tenun Wira"
    ),
    Participant(
        "inaq.sumiati@demo.migrantmart.id",
        "Inaq Sumiati",
        "081234560203",
        shop="Songket Inaq Sumi",
        modules=("buka-toko", "foto-produk"),
        products=("Kain songket Pringgasela motif subahnale",),
    ),
    Participant(
        "amaq.rusdi@demo.migrantmart.id",
        "Amaq Rusdi",
        "081234560204",
        shop="Anyaman Amaq Rusdi",
        modules=("buka-toko",),
        products=("Tas anyaman ketak kecil", "Tikar pandan 1 x 2 m"),
    ),
)
# Demo shops that took part in the closed workshop: today verified and selling.
CLOSED_SELLER_EMAILS = ("nurhayati@demo.migrantmart.id", "kub.segaraputih@demo.migrantmart.id")
# In the open workshop Lalu Wira has listed a practice product, Inaq Sumiati bought it with the
# practice payment and he has shipped it: the board shows a whole practice sale.
PRACTICE_SELLER = "lalu.wira@demo.migrantmart.id"
PRACTICE_BUYER = "inaq.sumiati@demo.migrantmart.id"
PRACTICE_TITLE = "Selendang tenun Pringgasela (latihan)"
STALLED = Participant("inaq.misrah@demo.migrantmart.id", "Inaq Misrah", "081234560211")


def _user(email: str, name: str, phone: str = "", roles=(Role.BUYER, Role.SELLER)) -> User:
    user = auth_services.find_by_email(email)
    if user is None:
        from marketplace.demo.loader import demo_password

        user = auth_services.register_user(
            name=name, email=email, password=demo_password(), phone=phone, roles=roles
        )
    return user


def _local(village: str, day_offset: int, hour: int) -> datetime:
    zone = TIME_ZONES[zone_label(village)]
    today = utcnow().astimezone(zone).date() + timedelta(days=day_offset)
    return datetime(today.year, today.month, today.day, hour, 0, tzinfo=zone)


def _workshop(trainer: User, code: str, title: str, village: str, starts: datetime) -> Workshop:
    found = db.session.scalar(select(Workshop).where(Workshop.join_code == code))
    if found is not None:
        return found
    modules = [slug for slug in ("buka-toko", "foto-produk", "judul-deskripsi") if get_module(slug)]
    data = services.WorkshopData(
        title=title, village_code=village, starts_at=starts, modules=modules, capacity=25
    )
    return services.create_workshop(trainer, data, join_code=code)


def _member(workshop: Workshop, user: User, joined: datetime | None = None) -> WorkshopMember:
    member = services.membership(workshop, user.id)
    if member is None:
        member = WorkshopMember(workshop_id=workshop.id, user_id=user.id, source="join")
        if joined is not None:
            member.joined_at = joined
        db.session.add(member)
        db.session.commit()
    return member


def _draft_shop(user: User, name: str, village: str) -> Seller:
    shop = db.session.scalar(select(Seller).where(Seller.owner_id == user.id))
    if shop is None:
        shop = Seller(
            owner_id=user.id,
            shop_name=name,
            slug=auth_services.normalise_email(user.email).split("@")[0].replace(".", "-"),
            status=SellerStatus.DRAFT.value,
            whatsapp=phones.to_e164(user.phone) or "",
            story="Purna PMI dari Lombok Timur, belajar berjualan online di pelatihan desa.",
            **regions.chain(village),
        )
        db.session.add(shop)
        db.session.commit()
    return shop


def _draft_products(shop: Seller, titles: tuple[str, ...], category: Category) -> None:
    have = set(db.session.scalars(select(Product.title).where(Product.seller_id == shop.id)))
    for title in titles:
        if title not in have:
            catalog.create_product(
                shop,
                catalog.ProductData(
                    title=title,
                    category_id=category.id,
                    description="Buatan tangan di Pringgasela.",
                    price=150000,
                    stock=3,
                    weight_grams=500,
                ),
            )


def _participant(
    workshop: Workshop, data: Participant, category: Category, joined: datetime | None = None
):
    user = _user(data.email, data.name, data.phone)
    _member(workshop, user, joined)
    if data.shop:
        shop = _draft_shop(user, data.shop, workshop.village_code)
        _draft_products(shop, data.products, category)
    modules = [slug for slug in data.modules if get_module(slug)]
    if modules:
        mark_completed_for_demo(user, modules)
    return user


def load(categories: dict[str, Category], echo: Callable[[str], None] = lambda _m: None) -> str:
    """Add the demo trainer and both workshops; returns the open workshop's join code."""
    trainer = _user(*DEMO_TRAINER, roles=(Role.BUYER, Role.TRAINER))
    category = categories.get("kain-tenun") or next(iter(categories.values()))

    open_workshop = _workshop(
        trainer,
        OPEN_CODE,
        "Jualan online untuk purna PMI, Pringgasela",
        OPEN_VILLAGE,
        _local(OPEN_VILLAGE, 0, 9),
    )
    people_in_room = {
        data.email: _participant(open_workshop, data, category) for data in OPEN_PARTICIPANTS
    }
    _practice_sale(
        open_workshop,
        people_in_room[PRACTICE_SELLER],
        people_in_room[PRACTICE_BUYER],
        category,
    )

    two_months_ago = _local(CLOSED_VILLAGE, -60, 9)
    closed = _workshop(
        trainer,
        CLOSED_CODE,
        "Toko online desa, Jerowaru",
        CLOSED_VILLAGE,
        two_months_ago,
    )
    joined = two_months_ago + timedelta(minutes=20)
    people = [
        auth_services.find_by_email(email) for email in CLOSED_SELLER_EMAILS
    ]  # demo shops, loaded before the workshops
    stalled = _participant(closed, STALLED, category, joined)
    for user in people:
        if user is not None:
            _member(closed, user, joined)
    if closed.status == WorkshopStatus.OPEN.value:
        _close_two_months_ago(closed, trainer, [u for u in people if u], stalled, joined)
    echo(f"demo workshop join code: {open_workshop.join_code} ({open_workshop.title})")
    return open_workshop.join_code


def _practice_sale(workshop: Workshop, seller: User, buyer: User, category: Category) -> None:
    """A practice product sold and shipped through the real cart, checkout and fulfilment."""
    if db.session.scalar(select(Order.id).where(Order.practice_workshop_id == workshop.id)):
        return
    product = db.session.scalar(
        select(Product).where(
            Product.practice_workshop_id == workshop.id, Product.title == PRACTICE_TITLE
        )
    )
    if product is None:
        product = practice.create_practice_product(
            workshop,
            seller,
            catalog.ProductData(
                title=PRACTICE_TITLE,
                category_id=category.id,
                description="Selendang tenun ikat, dibuat untuk latihan berjualan.",
                price=85000,
                stock=4,
                weight_grams=300,
            ),
        )
    if not product.images:
        catalog.add_product_images(
            product,
            [
                (draw_product_photo("tenun", variant, size=640, seed=product.slug), PRACTICE_TITLE)
                for variant in range(3)  # three photos: the board's "product with 3 photos"
            ],
        )
    shop = practice.practice_shop(seller)
    change_product_status(shop, product, ProductStatus.PRACTICE)
    village = regions.get(workshop.village_code)
    address = Address(
        contact_name=buyer.name,
        email=buyer.email,
        phone=buyer.phone,
        village_code=workshop.village_code,
        street="Dusun Pringgasela Selatan",
        rt_rw="002/001",
        postal_code=(village.postal_code if village and village.postal_code else "83661"),
    )
    group = SellerGroup(shop, [Line(product, 1)])
    order = place_order(
        buyer=buyer,
        quantities={product.id: 1},
        address=address,
        services={shop.id: shipping_options(group, workshop.village_code[:2])[0].service},
        payment_method=PaymentMethod.PRACTICE,
        cart=None,
    )
    part = order.seller_orders[0]
    fulfilment.mark_packed(part, seller)
    fulfilment.mark_shipped(part, seller, "JNE", "JNELATIHAN0001")


def _close_two_months_ago(
    workshop: Workshop, trainer: User, sellers: list[User], stalled: User, joined: datetime
) -> None:
    """Close the old workshop as it ended then: each seller had one draft and no verified shop,
    so the report's "then" differs from today's verified, selling shops."""
    services.close_workshop(workshop, trainer)
    ended = joined + timedelta(hours=3)
    workshop.closed_at = ended
    for member in workshop.members:
        snapshot = dict(member.end_snapshot or {})
        snapshot["taken_at"] = ended.isoformat(timespec="seconds")
        if member.user_id in {u.id for u in sellers}:
            snapshot.update(shop=True, shop_status="draft", verified=False, products=1, published=0)
            snapshot["paid_orders"] = 0
            snapshot["modules_completed"] = ["buka-toko"]
        member.end_snapshot = snapshot
    db.session.add(
        MentoringNote(
            workshop_id=workshop.id,
            user_id=stalled.id,
            author_id=trainer.id,
            body="Belum punya HP sendiri; pakai HP anaknya. Telepon lagi setelah panen.",
            created_at=ended + timedelta(days=9),
        )
    )
    for days in (7, 30):
        db.session.add(
            FollowUpMail(
                workshop_id=workshop.id, days=days, stalled=1, sent_at=ended + timedelta(days=days)
            )
        )
    db.session.commit()
