"""JavaScript only adds to a page that already works: it never moves the layout after the first
paint by hiding controls, never leaves a form without a way to send it, and where it offers a
live answer (the checkout total) that answer is the one the server charges."""

from __future__ import annotations

import re

from marketplace.demo.loader import DEMO_ADMIN, DEMO_BUYER, demo_password
from tests.e2e.conftest import fill_bandung_address

GRID_TOP = "() => document.querySelector('.grid').getBoundingClientRect().top + window.scrollY"
UNSENDABLE_FORMS = """() => Array.from(document.forms).filter(form =>
  form.getClientRects().length > 0
  && !form.querySelector("select[data-autosubmit]")
  && !Array.from(form.querySelectorAll("button:not([type=button]), input[type=submit]"))
       .some(button => button.getClientRects().length > 0)
).map(form => form.getAttribute("action") || form.className)"""


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/account/login?lang=en")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo_password())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


def test_listings_keep_their_layout_when_javascript_runs(browser, live_server):
    """The sort controls take the same room with and without JS, so the grid never jumps."""
    tops = {}
    for js in (False, True):
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, java_script_enabled=js
        )
        page = context.new_page()
        page.goto(live_server + "/search?q=gula")
        search_top = page.evaluate(GRID_TOP)
        page.goto(live_server + "/c/gula-pemanis")
        tops[js] = (search_top, page.evaluate(GRID_TOP))
        if js:
            assert page.evaluate("document.documentElement.classList.contains('js')")
        context.close()
    assert tops[True] == tops[False]


def test_no_form_is_left_without_a_way_to_send_it(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    _login(page, live_server, DEMO_ADMIN[0])
    for path in ["/search?q=gula", "/c/gula-pemanis", "/admin/orders", "/admin/sellers"]:
        page.goto(live_server + path)
        assert page.evaluate(UNSENDABLE_FORMS) == [], path
    context.close()


def test_admin_filters_orders_by_status_with_javascript_on(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    _login(page, live_server, DEMO_ADMIN[0])
    page.goto(live_server + "/admin/orders?lang=en")
    page.get_by_label("Status").select_option("paid")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"status=paid"))
    assert page.get_by_label("Status").input_value() == "paid"
    context.close()


def _rupiah(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def test_changing_the_courier_updates_the_total_and_the_order_is_placed(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    _login(page, live_server, DEMO_BUYER[0])
    page.goto(live_server + "/shop/gula-semut-sesaot")
    page.locator(".card-link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart$"))
    page.get_by_role("link", name="Checkout").click()
    fill_bandung_address(page)

    products = int(page.locator("form[data-checkout-total]").get_attribute("data-checkout-total"))
    couriers = page.locator("input[data-cost]")
    assert couriers.count() >= 2
    shown = _rupiah(page.locator("[data-total]").inner_text())
    page.locator("input[data-cost]:not(:checked)").first.check()
    shipping = page.eval_on_selector_all(
        "input[data-cost]:checked", "els => els.reduce((sum, el) => sum + +el.dataset.cost, 0)"
    )
    new_total = _rupiah(page.locator("[data-total]").inner_text())
    assert new_total == products + shipping != shown
    assert _rupiah(page.locator("[data-shipping-total]").inner_text()) == shipping
    assert page.locator("[data-total]").inner_text().startswith("Rp ")

    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/MM-\d{4}-\d{6}"))
    assert _rupiah(page.locator(".totals strong").inner_text()) == new_total
    context.close()
