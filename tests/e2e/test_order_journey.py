"""A buyer orders from two shops in one checkout and pays by transfer; the admin confirms the
money, each seller ships, and the buyer confirms receipt and reviews. A guest does the same
through the order link alone, from another phone. Phone viewport, English."""

from __future__ import annotations

import json
import re
import subprocess

from PIL import Image

from marketplace.demo.loader import DEMO_ADMIN, DEMO_BUYER, demo_password
from tests.e2e.conftest import VNU_JAR, fill_bandung_address, vnu_available
from tests.e2e.test_storefront_journey import WCAG_TAGS

SHOPS = {
    "gula-semut-sesaot": "siti.aminah@demo.migrantmart.id",
    "terasi-jerowaru": "nurhayati@demo.migrantmart.id",
}


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/account/login?lang=en")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo_password())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("button", name="Log out").count() == 1


def _add_first_product_of(page, base: str, shop: str) -> str:
    page.goto(f"{base}/shop/{shop}")
    page.locator(".card-link").first.click()
    page.wait_for_load_state("load")
    title = page.locator("h1").inner_text()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart$"))
    return title


class PageChecks:
    """Runs axe on each page of the journey and keeps its HTML for the Nu checker at the end."""

    def __init__(self, tmp_path) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.tmp_path = tmp_path
        self.violations: dict[str, list] = {}
        self.files = []

    def __call__(self, page, name: str) -> None:
        result = self.axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        self.violations[name] = [(v["id"], len(v["nodes"])) for v in result.response["violations"]]
        target = self.tmp_path / f"{name}.html"
        target.write_text(page.content())
        self.files.append(target)

    def html_errors(self) -> list:
        if not vnu_available():
            return []
        result = subprocess.run(
            [
                "java",
                "-jar",
                str(VNU_JAR),
                "--errors-only",
                "--format",
                "json",
                *map(str, self.files),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
        return [
            (m.get("url", "").rsplit("/", 1)[-1], m.get("lastLine"), m["message"])
            for m in messages
            if m.get("type") == "error"
        ]


def _receipt(path) -> None:
    Image.new("RGB", (600, 900), (240, 240, 240)).save(path, "JPEG")


def test_two_shops_bank_transfer_confirm_ship_receive_review(browser, live_server, tmp_path):
    base = live_server
    check = PageChecks(tmp_path)
    buyer = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = buyer.new_page()
    _login(page, base, DEMO_BUYER[0])

    titles = [_add_first_product_of(page, base, shop) for shop in SHOPS]
    for title in titles:
        assert page.get_by_text(title).count() >= 1
    check(page, "cart")
    page.get_by_role("link", name="Checkout").click()
    check(page, "checkout-address")

    # Step 1: the address, chosen down to the village (the JS picker fills the next list).
    fill_bandung_address(page)

    # Step 2: one courier per shop, bank transfer, place the order.
    assert page.locator("fieldset.panel").count() == 3  # two shops + payment
    check(page, "checkout-shipping")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/MM-\d{4}-\d{6}"))
    number = re.search(r"MM-\d{4}-\d{6}", page.url).group(0)
    assert page.get_by_text("How to pay by bank transfer").count() == 1
    reference = page.locator(".reference").first.inner_text()
    check(page, "order")
    assert reference.startswith("MM")
    receipt = tmp_path / "receipt.jpg"
    _receipt(receipt)
    page.get_by_label("Photo or screenshot of the transfer receipt").set_input_files(str(receipt))
    page.get_by_role("button", name="Send receipt").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("We received your receipt").count() == 1

    # The admin sees the transfer with its receipt and confirms the money arrived.
    admin = browser.new_context()
    admin_page = admin.new_page()
    _login(admin_page, base, DEMO_ADMIN[0])
    admin_page.goto(base + "/admin/payments")
    assert admin_page.get_by_text(number).count() >= 1
    check(admin_page, "admin-payments")
    admin_page.get_by_role("button", name=f"Money received: confirm {number}").click()
    admin_page.wait_for_load_state("load")
    admin.close()

    # Each seller packs and ships their own part.
    for email in SHOPS.values():
        seller = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        seller_page = seller.new_page()
        _login(seller_page, base, email)
        seller_page.goto(base + "/seller/orders")
        seller_page.get_by_role("link", name=re.compile(f"Pack and ship {number}")).click()
        seller_page.wait_for_load_state("load")
        check(seller_page, "seller-part-" + email.split("@")[0])
        seller_page.get_by_role("button", name="Mark as packed").click()
        seller_page.wait_for_load_state("load")
        seller_page.get_by_label("Tracking number").fill("JP" + number[-6:] + "01")
        seller_page.get_by_role("button", name="Mark as shipped").click()
        seller_page.wait_for_load_state("load")
        assert seller_page.get_by_text("JP" + number[-6:] + "01").count() >= 1
        seller.close()

    # The buyer confirms receipt, then reviews one item; the rating shows on the product page.
    page.goto(f"{base}/orders/{number}")
    page.get_by_role("button", name="I received my package").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Review your purchase").count() == 1
    check(page, "order-delivered")
    form = page.locator("form.review-form").first
    form.locator("input[name=rating][value='5']").check()
    form.get_by_label("Your review (optional)").fill("Manis dan harum, kemasan rapi.")
    form.get_by_role("button", name="Send review").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Thank you for your review!").count() == 1
    assert page.locator("form.review-form").count() == 1  # one item left to review

    page.goto(f"{base}/shop/gula-semut-sesaot")
    page.locator(".card-link").first.click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Manis dan harum, kemasan rapi.").count() == 1
    check(page, "product-with-review")
    buyer.close()
    assert all(not v for v in check.violations.values()), check.violations
    assert check.html_errors() == []


def test_guest_orders_then_confirms_and_reviews_from_the_emailed_link(
    browser, live_server, tmp_path
):
    """No account: the guest checks out, and later another phone opens the order link (as from
    the shipping e-mail) to confirm the parcel arrived and review it."""
    base = live_server
    check = PageChecks(tmp_path)
    guest = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = guest.new_page()
    page.goto(base + "/?lang=en")
    shop, seller_email = next(iter(SHOPS.items()))
    _add_first_product_of(page, base, shop)
    page.get_by_role("link", name="Checkout").click()
    fill_bandung_address(
        page, name="Wati Tamu", phone="0812 3456 7891", email="wati.tamu@example.id"
    )
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/MM-\d{4}-\d{6}\?t="))
    link = page.url  # what the order e-mails carry
    number = re.search(r"MM-\d{4}-\d{6}", link).group(0)
    receipt = tmp_path / "receipt.jpg"
    _receipt(receipt)
    page.get_by_label("Photo or screenshot of the transfer receipt").set_input_files(str(receipt))
    page.get_by_role("button", name="Send receipt").click()
    page.wait_for_load_state("load")
    guest.close()

    admin = browser.new_context()
    admin_page = admin.new_page()
    _login(admin_page, base, DEMO_ADMIN[0])
    admin_page.goto(base + "/admin/payments")
    admin_page.get_by_role("button", name=f"Money received: confirm {number}").click()
    admin_page.wait_for_load_state("load")
    admin.close()

    seller = browser.new_context()
    seller_page = seller.new_page()
    _login(seller_page, base, seller_email)
    seller_page.goto(base + "/seller/orders")
    seller_page.get_by_role("link", name=re.compile(f"Pack and ship {number}")).click()
    seller_page.wait_for_load_state("load")
    seller_page.get_by_label("Tracking number").fill("JP" + number[-6:] + "09")
    seller_page.get_by_role("button", name="Mark as shipped").click()
    seller_page.wait_for_load_state("load")
    seller.close()

    # Another phone, never logged in, with only the link from the e-mail.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(base + "/?lang=en")
    page.goto(link)
    check(page, "guest-order-shipped")
    page.get_by_role("button", name="I received my package").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Review your purchase").count() == 1
    form = page.locator("form.review-form").first
    form.locator("input[name=rating][value='4']").check()
    form.get_by_label("Your review (optional)").fill("Sampai dengan selamat.")
    form.get_by_role("button", name="Send review").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Thank you for your review!").count() == 1
    check(page, "guest-order-reviewed")
    phone.close()
    assert all(not v for v in check.violations.values()), check.violations
    assert check.html_errors() == []
