"""A workshop day, end to end: the trainer's board on the projector follows three participants
who join from their own phones with the code, one lists a practice product, another buys it
with the practice payment, and the seller ships it; each step appears on the board without a
reload, and nothing of it reaches the public store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from marketplace.demo.loader import demo_password
from tests.e2e.conftest import CHROMIUM, PHONE, fill_bandung_address, require_or_skip, serve_demo

CODE = "HARY34"  # from the join-code alphabet (no I, O, 0, 1)
TRAINER = "pelatih.hari@example.id"
PEOPLE = (
    ("Lalu Penjual", "081290001001"),
    ("Baiq Pembeli", "081290001002"),
    ("Inaq Penonton", "081290001003"),
)
TITLE = "Kopi Robusta Latihan Sembalun"
PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
# Cells after the name with one module in the day: joined, profile, M1, product, 3 photos,
# shared, sold, shipped, review.
PRODUCT, PHOTOS, SOLD, SHIPPED = 3, 4, 6, 7


def _workshop() -> None:
    from marketplace.auth.models import Role, User, utcnow
    from marketplace.extensions import db
    from sellers.workshops.models import Workshop

    trainer = User(email=TRAINER, name="Pelatih Hari")
    trainer.set_password(demo_password())
    trainer.add_role(Role.TRAINER)
    db.session.add(trainer)
    db.session.flush()
    db.session.add(
        Workshop(
            trainer_id=trainer.id,
            title="Hari pelatihan Sembalun",
            village_code="52.03.01.2001",
            starts_at=utcnow(),
            modules=["buka-toko"],
            join_code=CODE,
        )
    )
    db.session.commit()


@pytest.fixture(scope="module")
def day_server(tmp_path_factory):
    require_or_skip(Path(CHROMIUM).exists(), f"browser tests need Chromium at {CHROMIUM}")
    with serve_demo(tmp_path_factory.mktemp("day"), prepare=_workshop) as url:
        yield url


def _cell(board, name: str, index: int):
    return board.locator("#board-grid tbody tr", has_text=name).locator("td").nth(index)


def _wait_done(board, name: str, index: int) -> None:
    """The board shows the step done within 8 s (it polls every 3 s), without a reload."""
    cell = _cell(board, name, index)
    cell.locator("xpath=self::*[contains(@class, 'done')]").wait_for(timeout=8000)


def _join(browser, base: str, name: str, phone: str):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{base}/join/{CODE}?lang=en")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Mobile number (your login)").fill(phone)
    page.get_by_label("Password", exact=True).first.fill("rahasia-desa")
    page.get_by_label("English").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Join the workshop").click()
    assert page.get_by_text("You are in this workshop").count() == 1
    return context, page


def test_a_workshop_day_on_the_board(browser, day_server, tmp_path):
    base = day_server
    projector = browser.new_context(**PROJECTOR)
    board = projector.new_page()
    board.goto(base + "/account/login?lang=en")
    board.get_by_label("Email").fill(TRAINER)
    board.get_by_label("Password").fill(demo_password())
    board.get_by_role("button", name="Log in").click()
    board.wait_for_load_state("load")
    board.goto(f"{base}/trainer/workshops")
    board.get_by_role("link", name="Hari pelatihan Sembalun").click()
    board.wait_for_load_state("load")
    board.get_by_role("link", name=re.compile("board", re.I)).first.click()
    board.wait_for_url(re.compile(r"/board"))
    board.evaluate("() => { window.boardNotReloaded = true; }")

    # Three phones join with the code; the board lists each of them.
    phones = [_join(browser, base, name, phone) for name, phone in PEOPLE]
    for name, _phone in PEOPLE:
        board.locator("#board-grid tbody tr", has_text=name).wait_for(timeout=8000)
    (seller_context, seller), (buyer_context, buyer), _ = phones

    # The first lists a practice product with three photos.
    seller.goto(f"{base}/join/{CODE}/market")
    seller.get_by_role("link", name="Add a practice product").click()
    seller.get_by_label("Product name").fill(TITLE)
    seller.get_by_label("Category").select_option(index=1)
    seller.get_by_label("Price (Rp)").fill("45000")
    seller.get_by_label("Stock").fill("5")
    seller.get_by_label("Shipping weight (grams)").fill("250")
    seller.get_by_role("button", name="Save").click()
    seller.wait_for_url(re.compile(r"/seller/products/\d+/edit"))
    _wait_done(board, PEOPLE[0][0], PRODUCT)
    photos = []
    for n, colour in enumerate(((90, 60, 30), (120, 80, 40), (60, 40, 20))):
        photos.append(tmp_path / f"kopi-{n}.jpg")
        Image.new("RGB", (800, 800), colour).save(photos[-1], "JPEG")
    seller.get_by_label("Add photos").set_input_files([str(p) for p in photos])
    seller.get_by_role("button", name="Upload photos").click()
    seller.wait_for_load_state("load")
    seller.get_by_role("button", name="List in the practice market").click()
    seller.wait_for_load_state("load")
    _wait_done(board, PEOPLE[0][0], PHOTOS)

    # The second buys it with the practice payment.
    buyer.goto(f"{base}/join/{CODE}/market")
    buyer.get_by_role("link", name=TITLE).click()
    buyer.get_by_role("button", name="Add to cart").click()
    buyer.wait_for_url(re.compile(r"/cart$"))
    buyer.get_by_role("link", name="Checkout").click()
    fill_bandung_address(buyer, name=PEOPLE[1][0], email="baiq.pembeli@example.id")
    assert buyer.get_by_label("Practice (no money)").is_checked()
    buyer.get_by_role("button", name="Place order").click()
    buyer.wait_for_url(re.compile(r"/orders/LATIHAN-\d{4}-\d{6}"))
    number = re.search(r"LATIHAN-\d{4}-\d{6}", buyer.url).group(0)
    _wait_done(board, PEOPLE[0][0], SOLD)

    # The seller packs and ships it.
    seller.goto(base + "/seller/orders")
    seller.get_by_role("link", name=re.compile(f"Pack and ship {number}")).click()
    seller.wait_for_load_state("load")
    seller.get_by_role("button", name="Mark as packed").click()
    seller.wait_for_load_state("load")
    seller.get_by_label("Tracking number").fill("JP" + number[-6:] + "77")
    seller.get_by_role("button", name="Mark as shipped").click()
    seller.wait_for_load_state("load")
    _wait_done(board, PEOPLE[0][0], SHIPPED)

    # All of it happened on the same board page, and the buyer's own row shows no sale.
    assert board.evaluate("() => window.boardNotReloaded") is True
    assert "done" not in (_cell(board, PEOPLE[1][0], SOLD).get_attribute("class") or "")
    assert len(board.locator("#board-grid tbody tr").all()) == 3

    # Nothing of the practice sale reaches the public store.
    buyer.goto(base + "/search?q=kopi+latihan+sembalun&lang=en")
    assert buyer.get_by_text(TITLE).count() == 0
    for context, _page in phones:
        context.close()
    projector.close()
