"""The workshop's live board: each participant's steps, read in a fixed number of queries, and
the polling endpoint that answers 304 while nothing changes."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from catalog.models import ProductStatus
from marketplace.auth.models import Role, User, utcnow
from marketplace.extensions import db
from orders.models import Review
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
from sellers.models import ShareChannel, ShareEvent
from sellers.training.content_loader import get_module
from sellers.training.progress import mark_completed_for_demo, record_quiz
from sellers.workshops import board
from sellers.workshops.models import Workshop, WorkshopMember
from tests.conftest import login
from tests.factories import (
    PASSWORD,
    add_photos,
    make_category,
    make_product,
    make_seller,
    make_user,
)
from tests.orders.factories import make_order

MODULES = ["buka-toko", "harga", "promosi"]
STORY = "Saya bekerja enam tahun di Taiwan dan kini membuat gula semut aren di desa."
_codes = iter(f"{a}{b}CDEF" for a in "3467" for b in "9ACDEFGHJK")


def make_workshop(trainer=None, modules=MODULES) -> Workshop:
    workshop = Workshop(
        trainer_id=(trainer or make_user(roles=(Role.TRAINER,))).id,
        title="Pelatihan Jualan Online Desa Pringgasela",
        starts_at=utcnow(),
        modules=list(modules),
        join_code=next(_codes),
    )
    db.session.add(workshop)
    db.session.commit()
    return workshop


def enrol(workshop: Workshop, user, minutes: int = 0) -> WorkshopMember:
    member = WorkshopMember(
        workshop_id=workshop.id, user_id=user.id, joined_at=utcnow() + timedelta(minutes=minutes)
    )
    db.session.add(member)
    db.session.commit()
    return member


def participant(workshop: Workshop, name: str, minutes: int = 0, shop: bool = True, **shop_fields):
    user = make_user(roles=(Role.BUYER, Role.SELLER), name=name)
    enrol(workshop, user, minutes)
    seller = make_seller(user=user, trained=False, **shop_fields) if shop else None
    return user, seller


def practice_sale(workshop: Workshop, product, buyer, *, paid=True, shipped=False):
    """A practice order for ``product``, as the practice payment leaves it."""
    order = make_order([(product, 1)], buyer=buyer)
    order.practice_workshop_id = workshop.id
    if paid:
        order.status = OrderStatus.PAID.value
        order.payment_status = PaymentStatus.PAID.value
        order.paid_at = utcnow()
        for part in order.seller_orders:
            part.status = (FulfilmentStatus.SHIPPED if shipped else FulfilmentStatus.NEW).value
            part.shipped_at = utcnow() if shipped else None
    db.session.commit()
    return order


def review(order, practice_workshop: Workshop | None = None) -> Review:
    item = order.seller_orders[0].items[0]
    row = Review(
        order_item_id=item.id,
        product_id=item.product_id,
        seller_id=order.seller_orders[0].seller_id,
        buyer_id=order.buyer_id,
        rating=5,
        text="Manis dan harum.",
        practice_workshop_id=practice_workshop.id if practice_workshop else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def share(seller, product=None) -> None:
    db.session.add(
        ShareEvent(
            seller_id=seller.id,
            product_id=product.id if product else None,
            channel=ShareChannel.WHATSAPP.value,
        )
    )
    db.session.commit()


def full_participant(workshop: Workshop, name: str, minutes: int, buyer) -> None:
    """Every step done: what the query-count test fills the room with."""
    user, seller = participant(workshop, name, minutes, story=STORY)
    mark_completed_for_demo(user, MODULES)
    product = make_product(seller=seller, status=ProductStatus.DRAFT)
    add_photos(product, 3)
    share(seller, product)
    order = practice_sale(workshop, product, buyer, shipped=True)
    review(order, workshop)


@contextmanager
def counted_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# --- the steps ----------------------------------------------------------------------------------


def test_each_participant_shows_the_steps_they_have_reached(app_ctx):
    workshop = make_workshop()
    other_workshop = make_workshop()
    buyer = make_user(name="Pembeli Latihan")
    category = make_category()

    # Joined only: no shop yet.
    make_user(name="Belum Gabung")  # not a member: never on the board
    newcomer, _ = participant(workshop, "Ani Baru", minutes=1, shop=False)

    # A shop without a story; one module passed, one quiz tried; a draft product, no photos.
    learner, learner_shop = participant(workshop, "Budi Belajar", minutes=2)
    mark_completed_for_demo(learner, ["buka-toko"])
    record_quiz(learner, "harga", {})  # every answer missing: 0 right
    make_product(seller=learner_shop, category=category, status=ProductStatus.DRAFT)

    # Everything: profile, 3 photos, a share, a paid practice sale shipped, a practice review.
    star, star_shop = participant(workshop, "Citra Lengkap", minutes=3, story=STORY)
    product = make_product(seller=star_shop, category=category, status=ProductStatus.DRAFT)
    add_photos(product, 3)
    share(star_shop)
    review(practice_sale(workshop, product, buyer, shipped=True), workshop)

    # Sales that do not count here: unpaid in this workshop, paid in another one. A real
    # review counts as a review received, but not as the practice one.
    other, other_shop = participant(workshop, "Dewi Lain", minutes=0, story=STORY)
    other_product = make_product(seller=other_shop, category=category)
    add_photos(other_product, 2)
    practice_sale(workshop, other_product, buyer, paid=False)
    practice_sale(other_workshop, other_product, buyer, shipped=True)
    review(make_order([(other_product, 1)], buyer=buyer))

    steps = board.participant_steps(workshop)

    assert [p.name for p in steps] == ["Dewi Lain", "Ani Baru", "Budi Belajar", "Citra Lengkap"]
    by_name = {p.name: p for p in steps}

    ani = by_name["Ani Baru"]
    assert ani.user_id == newcomer.id
    assert not any(getattr(ani, step) for step in board.STEPS)
    assert [(m.completed, m.best_score) for m in ani.modules] == [(False, None)] * 3
    assert (ani.done, ani.total) == (1, 11)

    budi = by_name["Budi Belajar"]
    assert budi.user_id == learner.id
    assert not budi.shop_profile  # no story yet
    assert budi.product_drafted and not budi.product_with_photos
    quiz = {slug: len(get_module(slug).quiz) for slug in MODULES}
    assert [(m.slug, m.completed, m.best_score, m.questions) for m in budi.modules] == [
        ("buka-toko", True, quiz["buka-toko"], quiz["buka-toko"]),
        ("harga", False, 0, quiz["harga"]),
        ("promosi", False, None, quiz["promosi"]),
    ]
    assert not (budi.shared or budi.practice_sale or budi.parcel_shipped or budi.review_received)

    citra = by_name["Citra Lengkap"]
    assert all(getattr(citra, step) for step in board.STEPS)
    assert citra.practice_review and citra.done == 8

    dewi = by_name["Dewi Lain"]
    assert dewi.user_id == other.id
    assert dewi.shop_profile and dewi.product_drafted and not dewi.product_with_photos
    assert not dewi.practice_sale and not dewi.parcel_shipped
    assert dewi.review_received and not dewi.practice_review


def test_a_paid_sale_not_yet_shipped_is_a_sale_only(app_ctx):
    workshop = make_workshop(modules=[])
    _, seller = participant(workshop, "Eka")
    practice_sale(workshop, make_product(seller=seller), make_user(), shipped=False)
    (eka,) = board.participant_steps(workshop)
    assert eka.practice_sale and not eka.parcel_shipped and eka.modules == ()


def test_the_snapshot_form_is_plain_json(app_ctx):
    workshop = make_workshop()
    full_participant(workshop, "Fajar", 0, make_user())
    data = board.as_dicts(board.participant_steps(workshop))
    assert json.loads(json.dumps(data)) == data
    (fajar,) = data
    assert fajar["name"] == "Fajar" and fajar["done"] == fajar["total"] == 11
    assert [m["slug"] for m in fajar["modules"]] == MODULES
    assert set(board.STEPS) <= set(fajar)


def test_a_module_missing_from_the_course_drops_out(app_ctx):
    workshop = make_workshop(modules=["buka-toko", "no-such-module"])
    participant(workshop, "Gita")
    assert [c.slug for c in board.module_columns(workshop)] == ["buka-toko"]
    (gita,) = board.participant_steps(workshop)
    assert [m.slug for m in gita.modules] == ["buka-toko"]


def test_the_version_changes_with_the_data_and_only_then(app_ctx):
    workshop = make_workshop()
    user, seller = participant(workshop, "Hana")
    first = board.board(workshop).version
    assert board.board(workshop).version == first
    mark_completed_for_demo(user, ["harga"])
    second = board.board(workshop).version
    assert second != first
    share(seller)
    assert board.board(workshop).version != second


def test_one_refresh_costs_the_same_queries_for_any_room(app_ctx):
    """Same count for 3 and 20 participants, each at every step (nothing loaded lazily)."""
    counts = {}
    buyer_id = make_user().id
    for size in (3, 20):
        buyer = db.session.get(User, buyer_id)
        workshop = make_workshop()
        for n in range(size):
            full_participant(workshop, f"Peserta {n}", n, buyer)
        workshop_id = workshop.id
        db.session.expunge_all()
        fresh = db.session.get(Workshop, workshop_id)
        with counted_queries() as statements:
            steps = board.board(fresh)
        assert len(steps.participants) == size
        assert all(p.done == p.total for p in steps.participants)
        counts[size] = len(statements)
    assert counts[3] == counts[20] == 6


# --- the pages ----------------------------------------------------------------------------------


def _trainer_with_room(client):
    trainer = make_user(roles=(Role.TRAINER,))
    workshop = make_workshop(trainer)
    user, seller = participant(workshop, "Ibu Sari Wulandari", story=STORY)
    login(client, trainer.email, PASSWORD)
    return workshop, user, seller


def test_the_board_page_shows_code_participants_and_marks(client):
    workshop, _, _ = _trainer_with_room(client)
    response = client.get(f"/trainer/workshops/{workshop.id}/board?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert workshop.join_code in page and "Ibu Sari Wulandari" in page
    assert 'class="done"' in page and 'class="todo"' in page
    assert '<span class="visually-hidden">done</span>' in page  # not colour alone
    assert f'href="/trainer/workshops/{workshop.id}/board"' in page  # works without JS
    assert f'data-board-state="/trainer/workshops/{workshop.id}/board/state"' in page
    assert response.headers["Cache-Control"] == "no-cache, private"
    assert response.headers["ETag"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # Nothing inline for the strict CSP: every script has a src, no style attributes.
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert " style=" not in page and "<style" not in page
    assert "/static/js/board.js" in page and "/static/css/board.css" in page


def test_an_empty_room_says_how_to_join(client):
    trainer = make_user(roles=(Role.TRAINER,))
    workshop = make_workshop(trainer)
    login(client, trainer.email, PASSWORD)
    page = client.get(f"/trainer/workshops/{workshop.id}/board/state?lang=en")
    assert "No one has joined yet" in page.get_data(as_text=True)
    assert "<table" not in page.get_data(as_text=True)


def test_state_answers_304_until_something_changes(client):
    workshop, user, seller = _trainer_with_room(client)
    url = f"/trainer/workshops/{workshop.id}/board/state"
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert 'id="board-grid"' in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "no-cache, private"

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "no-cache, private"

    weak = client.get(url, headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304

    share(seller)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert client.get(url, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304

    # The page itself carries the same version as the state endpoint, so the first poll is a 304.
    page = client.get(f"/trainer/workshops/{workshop.id}/board")
    assert page.headers["ETag"] == changed.headers["ETag"]


def test_a_language_switch_is_a_new_version(client):
    workshop, _, _ = _trainer_with_room(client)
    url = f"/trainer/workshops/{workshop.id}/board/state"
    indonesian = client.get(url + "?lang=id")
    english = client.get(url + "?lang=en", headers={"If-None-Match": indonesian.headers["ETag"]})
    assert english.status_code == 200 and "Shared" in english.get_data(as_text=True)


def test_a_new_member_appears_on_the_next_poll(client):
    workshop, _, _ = _trainer_with_room(client)
    url = f"/trainer/workshops/{workshop.id}/board/state"
    etag = client.get(url).headers["ETag"]
    participant(workshop, "Joko Terlambat", minutes=5)
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Joko Terlambat" in response.get_data(as_text=True)


def test_the_public_page_cache_never_keeps_the_board(client, monkeypatch):
    workshop, _, seller = _trainer_with_room(client)
    monkeypatch.setitem(client.application.config, "PAGE_CACHE_SECONDS", 30)
    url = f"/trainer/workshops/{workshop.id}/board?lang=en"
    before = client.get(url).get_data(as_text=True)
    share(seller)
    after = client.get(url).get_data(as_text=True)
    assert before != after and after.count('class="done"') == before.count('class="done"') + 1


@pytest.mark.parametrize("suffix", ["", "/state"])
def test_who_may_open_the_board(client, suffix):
    owner = make_user(roles=(Role.TRAINER,))
    workshop = make_workshop(owner)
    member, _ = participant(workshop, "Kiki")
    other_trainer = make_user(roles=(Role.TRAINER,))
    url = f"/trainer/workshops/{workshop.id}/board{suffix}"

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]

    def as_user(user):
        browser = client.application.test_client()
        login(browser, user.email, PASSWORD)
        return browser

    assert as_user(member).get(url).status_code == 403  # a participant is not a trainer
    stranger = as_user(other_trainer)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/trainer/workshops/{workshop.id + 999}/board{suffix}").status_code == 404
    assert as_user(owner).get(url).status_code == 200
    admin = make_user(roles=(Role.ADMIN,))  # programme admins oversee every workshop
    assert as_user(admin).get(url).status_code == 200
