"""A new seller on a phone goes from /sell to a submitted shop — account, profile, bank account,
documents, the required training (quizzes passed, tasks done on a real product), publishing the
first product — then the admin approves and the product is public. English, phone viewport;
every wizard screen is checked with axe and, where available, the Nu HTML checker."""

from __future__ import annotations

import re
import uuid

from PIL import Image

from marketplace.demo.loader import DEMO_ADMIN, demo_password
from marketplace.text import slugify
from sellers.training.content_loader import get_module
from tests.e2e.conftest import PHONE
from tests.e2e.test_order_journey import PageChecks

REQUIRED = ["buka-toko", "foto-produk", "judul-deskripsi"]
PRODUCT_TITLE = "Madu Hutan Sumbawa Murni 250 ml"  # 20–80 characters: the title task
DESCRIPTION = (
    "Madu hutan asli dari lebah liar di hutan Sumbawa, dipanen dua kali setahun oleh kelompok "
    "purna PMI di desa kami. Tidak dicampur gula, disaring tanpa pemanasan, dikemas dalam "
    "botol kaca 250 ml yang disegel. Simpan di tempat sejuk."
)


def _photo(path, color) -> None:
    Image.new("RGB", (900, 900), color).save(path, "JPEG", quality=85)


def _click_and_wait(page, locator, url_pattern: str) -> None:
    locator.click()
    page.wait_for_url(re.compile(url_pattern))


def _upload_document(page, heading: str, path) -> None:
    section = page.locator("section.panel").filter(has=page.get_by_role("heading", name=heading))
    section.get_by_label(heading).set_input_files(str(path))
    with page.expect_navigation():
        section.get_by_role("button", name="Upload").click()


def _pass_quiz(page, base: str, slug: str) -> None:
    page.goto(f"{base}/learn/{slug}/quiz")
    for index, question in enumerate(get_module(slug, "en").quiz):
        page.locator(f'input[name="q{index}"][value="{question.answer}"]').check()
    with page.expect_navigation():
        page.get_by_role("button", name="Check my answers").click()
    assert page.get_by_text("Passed!").count() == 1


def test_new_seller_onboards_and_the_admin_approves(browser, live_server, tmp_path):
    base = live_server
    check = PageChecks(tmp_path)
    token = uuid.uuid4().hex[:6]
    email = f"wati.{token}@example.id"
    shop_name = f"Madu Wati {token}"
    context = browser.new_context(**PHONE)
    page = context.new_page()

    # /sell → start → the account screen.
    page.goto(base + "/sell?lang=en")
    assert page.get_by_role("heading", level=1).count() == 1
    assert page.get_by_text("No monthly fee").count() == 1
    check(page, "sell")
    _click_and_wait(page, page.get_by_role("link", name="Start my shop").first, r"/sell/account$")
    assert page.get_by_text("Step 1 of 7").count() == 1
    check(page, "account")
    page.get_by_label("Full name").fill("Wati Susanti")
    page.get_by_label("Mobile number").fill("0813 3777 1234")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("rahasia-wati-1")
    page.get_by_label("Repeat password").fill("rahasia-wati-1")
    _click_and_wait(
        page, page.get_by_role("button", name="Create my seller account"), r"/account/login\?"
    )
    # The same answer whether or not the address had an account: log in to carry on.
    assert page.get_by_text(f"we sent a message to {email}").count() == 1
    assert page.get_by_label("Email or mobile number").input_value() == email
    page.get_by_label("Password", exact=True).fill("rahasia-wati-1")
    _click_and_wait(page, page.get_by_role("button", name="Log in"), r"/sell/profile$")

    # Profile: a mistake first (a landline for WhatsApp); what was typed stays.
    assert page.get_by_text("Step 2 of 7").count() == 1
    assert page.get_by_label("WhatsApp number").input_value() == "+6281337771234"
    page.get_by_label("Shop name").fill(shop_name)
    page.get_by_label("WhatsApp number").fill("0370 123456")
    page.get_by_label("Country where you worked").fill("Hong Kong")
    page.get_by_label("Years abroad").fill("6")
    page.get_by_label("What you make now, and your story").fill(
        "Enam tahun saya bekerja di Hong Kong. Sekarang saya dan kelompok ibu-ibu di desa "
        "memanen dan mengemas madu hutan Sumbawa."
    )
    page.get_by_label("Province").select_option("52")
    page.get_by_label("Regency / city").select_option("52.03")
    page.get_by_label("District (kecamatan)").select_option("52.03.12")
    page.get_by_label("Village (desa / kelurahan)").select_option("52.03.12.2002")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
    whatsapp = page.get_by_label("WhatsApp number")
    assert whatsapp.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Shop name").input_value() == shop_name
    check(page, "profile-error")
    whatsapp.fill("0813 3777 1234")
    _click_and_wait(page, page.get_by_role("button", name="Save and continue"), r"/sell/bank$")

    # Bank account: the wrong number of digits first.
    assert page.get_by_text("Step 3 of 7").count() == 1
    page.get_by_label("Bank for your payouts").select_option("BRI")
    page.get_by_label("Account number").fill("0021 0100 0123")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
    assert page.get_by_text("15 digits").count() == 1
    check(page, "bank-error")
    page.get_by_label("Account number").fill("0021-01-000123-50-1")
    _click_and_wait(page, page.get_by_role("button", name="Save and continue"), r"/sell/documents$")

    # Documents: a KTP and a returnee document, photographed and uploaded.
    assert page.get_by_text("Step 4 of 7").count() == 1
    check(page, "documents")
    ktp, passport = tmp_path / "ktp.jpg", tmp_path / "paspor.jpg"
    _photo(ktp, (90, 120, 200))
    _photo(passport, (40, 80, 60))
    _upload_document(page, "Your KTP (identity card)", ktp)
    assert page.get_by_text(re.compile("Uploaded on")).count() == 1
    _upload_document(page, "Your returnee document", passport)
    page.wait_for_url(re.compile(r"/sell/training$"))

    # Training: skipping ahead by URL is refused.
    page.goto(base + "/sell/review")
    page.wait_for_url(re.compile(r"/sell/training$"))
    assert page.get_by_text("Please finish “Required training” first.", exact=False).count() == 1
    assert page.get_by_text("Step 5 of 7").count() == 1
    check(page, "training")
    for slug in REQUIRED:
        _pass_quiz(page, base, slug)

    # The product tasks: a first product with a searchable title, a description and 3 photos.
    page.goto(base + "/sell/training")
    _click_and_wait(
        page, page.get_by_role("link", name="Add my first product").first, r"/products/new$"
    )
    page.get_by_label("Product name").fill(PRODUCT_TITLE)
    category = page.get_by_label("Category")
    category.select_option(index=1)
    page.get_by_label("Price (Rp)").fill("85000")
    page.get_by_label("Stock").fill("20")
    page.get_by_label("Shipping weight (grams)").fill("450")
    page.get_by_label("Description").fill(DESCRIPTION)
    _click_and_wait(page, page.get_by_role("button", name="Save", exact=True), r"/edit$")
    photos = [tmp_path / f"madu-{n}.jpg" for n in range(3)]
    for n, path in enumerate(photos):
        _photo(path, (200 - 40 * n, 150, 40 + 50 * n))
    page.get_by_label("Add photos").set_input_files([str(p) for p in photos])
    with page.expect_navigation():
        page.get_by_role("button", name="Upload photos").click()
    assert page.locator(".thumbs img").count() == 3

    page.goto(base + "/sell/training")
    assert page.get_by_text("Quiz passed").count() == len(REQUIRED)
    _click_and_wait(
        page, page.get_by_role("link", name="Next: Your first product"), r"/sell/product$"
    )

    # First product: publish it from the wizard (it goes live once the shop is verified).
    assert page.get_by_text("Step 6 of 7").count() == 1
    check(page, "product")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Publish {PRODUCT_TITLE}").click()
    _click_and_wait(page, page.get_by_role("link", name="Next: Check and send"), r"/sell/review$")
    assert page.get_by_text("Step 7 of 7").count() == 1
    assert page.get_by_text(shop_name).count() >= 1
    check(page, "review")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my shop for checking").click()
    assert page.get_by_text("Your shop is waiting for verification.").count() == 1
    context.close()

    # The admin approves from the queue.
    admin = browser.new_context()
    admin_page = admin.new_page()
    admin_page.goto(base + "/account/login?lang=en")
    admin_page.get_by_label("Email").fill(DEMO_ADMIN[0])
    admin_page.get_by_label("Password").fill(demo_password())
    with admin_page.expect_navigation():
        admin_page.get_by_role("button", name="Log in").click()
    admin_page.goto(base + "/admin/sellers")
    card = admin_page.locator("article").filter(has_text=shop_name)
    assert card.get_by_role("link", name="Your KTP (identity card)").count() == 1
    check(admin_page, "admin-sellers")
    with admin_page.expect_navigation():
        card.get_by_role("button", name=f"Approve {shop_name}").click()
    assert admin_page.get_by_text(f"Shop {shop_name} is verified").count() == 1
    admin.close()

    # Anyone can now see the product.
    visitor = browser.new_context(**PHONE)
    public = visitor.new_page()
    response = public.goto(f"{base}/p/{slugify(PRODUCT_TITLE, max_length=120)}?lang=en")
    assert response.status == 200
    assert public.get_by_role("heading", name=PRODUCT_TITLE).is_visible()
    assert public.get_by_text(shop_name).count() >= 1
    visitor.close()

    assert {name: v for name, v in check.violations.items() if v} == {}
    assert check.html_errors() == []
