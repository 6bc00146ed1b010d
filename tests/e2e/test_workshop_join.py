"""A participant joins the demo workshop from a phone: types the code from the projector, gives a
name, a mobile number and a password, and lands on the workshop page, logged in. Once with
JavaScript and once without (a cheap phone with a data saver); with JavaScript each page is
also checked with axe and, where available, the Nu HTML checker (both run scripts in the page)."""

from __future__ import annotations

import random
import re

import pytest

from marketplace.demo.workshops import OPEN_CODE
from tests.e2e.conftest import PHONE
from tests.e2e.test_order_journey import PageChecks
from tests.e2e.test_tap_targets import MIN_HEIGHT, TOO_SMALL


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_participant_joins_with_the_code(browser, live_server, tmp_path, javascript):
    checks = PageChecks(tmp_path)

    small: dict[str, list] = {}

    def check(page, name: str) -> None:
        if javascript:
            checks(page, name)
            small[name] = page.evaluate(TOO_SMALL, MIN_HEIGHT)

    context = browser.new_context(**PHONE, java_script_enabled=javascript)
    page = context.new_page()
    number = f"0812{random.randrange(10**7, 10**8)}"
    try:
        page.goto(f"{live_server}/join?lang=en")
        check(page, "code")
        page.get_by_label("Workshop code").fill(OPEN_CODE.lower()[:3] + " " + OPEN_CODE[3:])
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        assert page.url.endswith(f"/join/{OPEN_CODE}")
        check(page, "join")
        page.get_by_label("Your name").fill("Baiq Sari")
        page.get_by_label("Mobile number (your login)").fill(number)
        page.get_by_label("Password", exact=True).first.fill("rahasia-desa")
        page.get_by_label("English").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Join the workshop").click()
        assert page.url.endswith(f"/join/{OPEN_CODE}")
        assert page.get_by_text("You have joined").count() == 1
        assert page.get_by_text("You are in this workshop").count() == 1
        check(page, "member")
        if javascript:  # no sideways scrolling on a phone
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["viewport"]["width"]
        # Joining again from the same phone keeps one membership: the page says so.
        page.goto(f"{live_server}/join/{OPEN_CODE}")
        assert re.search("You are in this workshop", page.content())
    finally:
        context.close()
    if javascript:
        assert {name: found for name, found in small.items() if found} == {}
        assert {name: v for name, v in checks.violations.items() if v} == {}
        assert checks.html_errors() == []
