"""A whole practice sale in a workshop, on phones: one participant lists a practice product
with a photo, another buys it with "Practice (no money)", the seller packs and ships it, and the
product never shows in the public store. English pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from marketplace.demo.loader import demo_password
from tests.e2e.conftest import CHROMIUM, PHONE, fill_bandung_address, require_or_skip, serve_demo
from tests.e2e.test_order_journey import PageChecks

CODE = "TANAH7"
SELLER = ("peserta.penjual@example.id", "Lalu Penjual")
BUYER = ("peserta.pembeli@example.id", "Baiq Pembeli")
TITLE = "Gula Aren Latihan Sesaot"


def _workshop() -> None:
    """A trainer's open workshop with two participants, as the joining pages would leave it."""
    from marketplace.auth.models import Role, User, utcnow
    from marketplace.extensions import db
    from sellers.workshops.models import Workshop, WorkshopMember

    trainer = User(email="pelatih.uji@example.id", name="Pelatih Uji")
    trainer.set_password(demo_password())
    trainer.add_role(Role.TRAINER)
    db.session.add(trainer)
    db.session.flush()
    workshop = Workshop(
        trainer_id=trainer.id,
        title="Jualan Online Desa Sesaot",
        village_code="52.01.05.2002",
        starts_at=utcnow(),
        join_code=CODE,
    )
    db.session.add(workshop)
    db.session.flush()
    for email, name in (SELLER, BUYER):
        user = User(email=email, name=name)
        user.set_password(demo_password())
        user.add_role(Role.BUYER)
        db.session.add(user)
        db.session.flush()
        db.session.add(WorkshopMember(workshop_id=workshop.id, user_id=user.id))
    db.session.commit()


@pytest.fixture(scope="module")
def workshop_server(tmp_path_factory):
    require_or_skip(Path(CHROMIUM).exists(), f"browser tests need Chromium at {CHROMIUM}")
    with serve_demo(tmp_path_factory.mktemp("practice"), prepare=_workshop) as url:
        yield url


def _phone(browser, base: str, email: str):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(base + "/account/login?lang=en")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo_password())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("button", name="Log out").count() == 1
    return context, page


def test_a_practice_sale_from_listing_to_shipping(browser, workshop_server, tmp_path):
    base = workshop_server
    market = f"{base}/join/{CODE}/market"
    check = PageChecks(tmp_path)

    # A participant without a shop lists a practice product with a photo.
    seller_context, seller = _phone(browser, base, SELLER[0])
    seller.goto(market)
    check(seller, "market-empty")
    seller.get_by_role("link", name="Add a practice product").click()
    check(seller, "practice-product-form")
    seller.get_by_label("Product name").fill(TITLE)
    seller.get_by_label("Category").select_option(index=1)
    seller.get_by_label("Price (Rp)").fill("30000")
    seller.get_by_label("Stock").fill("5")
    seller.get_by_label("Shipping weight (grams)").fill("300")
    seller.get_by_role("button", name="Save").click()
    seller.wait_for_url(re.compile(r"/seller/products/\d+/edit"))
    assert seller.locator(".practice-badge").count() >= 1
    photo = tmp_path / "gula.jpg"
    Image.new("RGB", (900, 700), (150, 90, 40)).save(photo, "JPEG")
    seller.get_by_label("Add photos").set_input_files(str(photo))
    seller.get_by_role("button", name="Upload photos").click()
    seller.wait_for_load_state("load")
    seller.get_by_role("button", name="List in the practice market").click()
    seller.wait_for_load_state("load")
    assert seller.get_by_text("The product is listed in the practice market.").count() == 1
    check(seller, "practice-product-editor")

    # Another participant buys it with the practice payment.
    buyer_context, buyer = _phone(browser, base, BUYER[0])
    buyer.goto(market)
    check(buyer, "market")
    buyer.get_by_role("link", name=TITLE).click()
    buyer.wait_for_load_state("load")
    check(buyer, "market-product")
    assert buyer.locator(".practice-badge").count() >= 1
    buyer.get_by_role("button", name="Add to cart").click()
    buyer.wait_for_url(re.compile(r"/cart$"))
    assert buyer.locator(".practice-badge").count() >= 1
    buyer.get_by_role("link", name="Checkout").click()
    fill_bandung_address(buyer, name=BUYER[1], email=BUYER[0])
    practice_radio = buyer.get_by_label("Practice (no money)")
    assert practice_radio.is_checked()
    assert buyer.get_by_label("Bank transfer").count() == 0
    check(buyer, "practice-checkout")
    buyer.get_by_role("button", name="Place order").click()
    buyer.wait_for_url(re.compile(r"/orders/LATIHAN-\d{4}-\d{6}"))
    number = re.search(r"LATIHAN-\d{4}-\d{6}", buyer.url).group(0)
    assert buyer.get_by_text("How to pay by bank transfer").count() == 0
    assert buyer.locator(".practice-badge").count() >= 1
    check(buyer, "practice-order")

    # The seller packs and ships it through the real fulfilment pages.
    seller.goto(base + "/seller/orders")
    seller.get_by_role("link", name=re.compile(f"Pack and ship {number}")).click()
    seller.wait_for_load_state("load")
    assert seller.locator(".practice-badge").count() >= 1
    seller.get_by_role("button", name="Mark as packed").click()
    seller.wait_for_load_state("load")
    seller.get_by_label("Tracking number").fill("JP" + number[-6:] + "01")
    seller.get_by_role("button", name="Mark as shipped").click()
    seller.wait_for_load_state("load")
    assert seller.get_by_text("JP" + number[-6:] + "01").count() >= 1
    seller.goto(base + "/seller/money")
    assert seller.get_by_text("Practice balance (no real money)").count() >= 1
    check(seller, "practice-money")

    # Nothing of it reaches the public store.
    buyer.goto(base + "/search?q=latihan+sesaot&lang=en")
    assert buyer.get_by_text(TITLE).count() == 0
    buyer.goto(base + "/?lang=en")
    assert buyer.get_by_text(TITLE).count() == 0
    width = buyer.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"]
    seller_context.close()
    buyer_context.close()
    assert all(not v for v in check.violations.values()), check.violations
    assert check.html_errors() == []
