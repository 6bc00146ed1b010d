"""The demo seller opens her dashboard on a 360-px phone: the to-do list, the sales charts with
their tables, and the "Siap KUR?" checklist with what is still missing, all readable without
sideways scrolling and passing axe and the Nu HTML checker."""

from __future__ import annotations

from marketplace.demo.loader import demo_password
from tests.e2e.test_order_journey import PageChecks
from tests.e2e.test_storefront_journey import SELLER_EMAIL

SMALL_PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def test_demo_seller_sees_her_business_and_what_kur_still_needs(live_server, browser, tmp_path):
    checks = PageChecks(tmp_path)
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        page.goto(live_server + "/account/login")
        page.get_by_label("E-mail atau nomor HP").fill(SELLER_EMAIL)
        page.get_by_label("Kata sandi").fill(demo_password())
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_load_state("load")

        page.goto(live_server + "/seller/")
        assert page.get_by_role("heading", name="Yang perlu dikerjakan").is_visible()
        # The charts: an SVG image named by its title, its bars, and the numbers in a table.
        chart = page.get_by_role("img", name="Penjualan per bulan, 12 bulan terakhir")
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and 300 <= box["width"] <= 360
        assert page.locator("#chart-months-title").count() == 1
        assert page.locator("svg rect[height]").count() >= 24  # 12 weeks + 12 months
        rows = page.locator("table.chart-table").nth(1).locator("tbody tr")
        assert rows.count() == 12
        assert "Rp" in rows.first.inner_text()  # the demo shop sold this month
        # A year of demo sales: the first paid order is more than six months old.
        kur = page.locator("section.kur")
        kur.scroll_into_view_if_needed()
        assert page.get_by_role("heading", name="Siap KUR?").is_visible()
        done = kur.locator("li.done")
        assert done.filter(has_text="Usaha sudah berjalan paling sedikit 6 bulan").count() == 1
        missing = kur.locator("li.missing")
        assert missing.filter(has_text="Tambahkan NIB Anda").count() == 1
        assert kur.get_by_role("link", name="Terbitkan laporan penjualan").is_visible()
        assert kur.get_by_role("link", name="Belajar: Siap KUR").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"sideways scroll: {width}px"
        checks(page, "dashboard")

        # The missing NIB links to the shop profile; the module opens from the checklist.
        kur.get_by_role("link", name="Belajar: Siap KUR").click()
        page.wait_for_load_state("load")
        assert "/learn/siap-kur" in page.url
        checks(page, "module-siap-kur")
    finally:
        context.close()
    assert all(not v for v in checks.violations.values()), checks.violations
    assert checks.html_errors() == []
