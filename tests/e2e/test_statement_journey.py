"""A seller on a phone issues a sales statement; a bank officer, in another browser with no
login, opens its verification address and sees the same statement.

The journey issues a statement for the current month, whose sales are the demo shop's and any
other journey's orders; either way the officer's page must show the same figures (the figures
themselves are checked in tests/sellers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from marketplace.demo.loader import demo_password
from tests.e2e.conftest import PHONE
from tests.e2e.test_order_journey import PageChecks
from tests.e2e.test_storefront_journey import SELLER_EMAIL


def test_seller_issues_a_statement_and_an_officer_verifies_it(
    live_server, phone, browser, tmp_path
):
    """Every page on the way is checked with axe (WCAG 2.1 AA) and, where available, the Nu
    HTML checker."""
    checks = PageChecks(tmp_path)
    page = phone
    page.goto(live_server + "/account/login")
    page.get_by_label("E-mail atau nomor HP").fill(SELLER_EMAIL)
    page.get_by_label("Kata sandi").fill(demo_password())
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state("load")

    page.goto(live_server + "/seller/money")
    page.get_by_role("link", name="Laporan penjualan").click()
    page.wait_for_load_state("load")
    month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Makassar")).strftime("%Y-%m")
    checks(page, "statements")
    page.get_by_label("Dari bulan").fill(month)
    page.get_by_label("Sampai bulan").fill(month)
    page.get_by_role("button", name="Terbitkan laporan").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Laporan penjualan").is_visible()
    number = page.locator("dd").first.inner_text()
    assert number.startswith("LP-")
    figures = page.locator("table").first.inner_text()
    assert "Total" in figures
    verify_url = page.locator("figure.statement-qr a").get_attribute("href")
    assert verify_url and "/verify/" in verify_url
    assert page.locator("figure.statement-qr svg").is_visible()
    checks(page, "statement")

    officer = browser.new_context(**PHONE)
    try:
        check = officer.new_page()
        response = check.goto(verify_url)
        assert response is not None and response.status == 200
        assert check.get_by_text("Laporan asli yang diterbitkan oleh Migrant Mart.").is_visible()
        assert check.get_by_text(number, exact=True).is_visible()
        assert check.locator("table").first.inner_text() == figures
        checks(check, "verify")
        forged = check.goto(verify_url[:-4] + "AAAA")
        assert forged is not None and forged.status == 404
        assert check.get_by_role("heading", name="Bukan laporan yang asli").is_visible()
        checks(check, "not-genuine")
    finally:
        officer.close()
    assert all(not v for v in checks.violations.values()), checks.violations
    assert checks.html_errors() == []
