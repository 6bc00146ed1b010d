"""On a phone, the links and buttons a thumb uses are at least 44 px tall (WCAG 2.5.5): those in
the header, the navigation, the footer and in forms, radio and checkbox labels included."""

from __future__ import annotations

import re

import pytest

from marketplace.demo.loader import DEMO_BUYER, demo_password
from tests.e2e.conftest import PHONE, fill_bandung_address

MIN_HEIGHT = 44
TOO_SMALL = """(minimum) => {
  const targets = document.querySelectorAll(
    "header a, header button, header input, nav a, nav button, footer a, footer button, "
    + "form a, form button, form select, form input:not([type=hidden]):not([type=radio])"
    + ":not([type=checkbox]), form label:has(input[type=radio]),"
    + "form label:has(input[type=checkbox])"
  );
  const small = [];
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    const hidden = box.width <= 1 || box.height <= 1 || box.right <= 0
      || getComputedStyle(el).visibility === "hidden";
    if (!hidden && box.height < minimum - 0.5) {
      const text = (el.textContent || el.getAttribute("name") || "").trim();
      small.push(`${el.tagName.toLowerCase()} ${Math.round(box.height)}px: ${text.slice(0, 40)}`);
    }
  }
  return small;
}"""


@pytest.fixture()
def buyer(browser, live_server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(live_server + "/account/login?lang=en")
    page.get_by_label("Email").fill(DEMO_BUYER[0])
    page.get_by_label("Password").fill(demo_password())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    yield page
    context.close()


def test_public_pages_have_thumb_sized_targets(phone, live_server):
    page = phone
    page.goto(live_server + "/")
    small = {"/": page.evaluate(TOO_SMALL, MIN_HEIGHT)}
    product = page.locator(".card-link").first.get_attribute("href")
    for path in ["/search?q=gula", "/c/gula-pemanis", product, "/account/login"]:
        page.goto(live_server + path)
        small[path] = page.evaluate(TOO_SMALL, MIN_HEIGHT)
    assert {path: found for path, found in small.items() if found} == {}


def test_checkout_forms_have_thumb_sized_targets(buyer, live_server):
    page = buyer
    page.goto(live_server + "/shop/terasi-jerowaru")
    page.locator(".card-link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart$"))
    small = {"cart": page.evaluate(TOO_SMALL, MIN_HEIGHT)}
    page.get_by_role("link", name="Checkout").click()
    small["address"] = page.evaluate(TOO_SMALL, MIN_HEIGHT)
    fill_bandung_address(page)
    assert page.locator("form label:has(input[type=radio])").count() >= 2
    small["shipping"] = page.evaluate(TOO_SMALL, MIN_HEIGHT)
    assert {step: found for step, found in small.items() if found} == {}
