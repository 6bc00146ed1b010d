"""A buyer searches on a phone: suggestions while typing, results with facets, a typo fixed."""

from __future__ import annotations


def test_type_pick_a_suggestion_then_narrow_by_a_facet(live_server, phone):
    page = phone
    page.goto(live_server + "/")
    box = page.get_by_role("searchbox", name="Cari produk")
    box.press_sequentially("gula s", delay=60)
    suggestion = page.locator(".suggestions a").first
    suggestion.wait_for(state="visible")
    title = suggestion.inner_text()
    assert title.lower().startswith("gula")
    suggestion.click()
    page.wait_for_load_state("load")
    assert "/p/" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == title

    box = page.get_by_role("searchbox", name="Cari produk")
    box.fill("sesaot")
    box.press("Enter")
    page.wait_for_load_state("load")
    assert "/search?q=sesaot" in page.url
    total = page.locator(".grid .card").count()
    assert total >= 2
    facet = page.locator(".facets a").first
    facet_label = facet.inner_text()
    facet.click()
    page.wait_for_load_state("load")
    assert "category=" in page.url
    narrowed = page.locator(".grid .card").count()
    assert 1 <= narrowed <= total
    assert facet_label.split(" (")[0] in page.locator(".active-filters").inner_text()


def test_a_typo_is_forgiven_and_corrected(live_server, phone):
    page = phone
    page.goto(live_server + "/search?q=terasii")
    assert page.locator(".grid .card").count() >= 1
    assert page.locator(".did-you-mean a").inner_text() == "terasi"


def test_search_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_role("searchbox").fill("kopi")
    page.get_by_role("button", name="Cari").click()
    page.wait_for_load_state("load")
    assert page.locator(".grid .card").count() >= 1
    page.get_by_role("combobox", name="Urutkan").select_option("price_asc")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_load_state("load")
    assert "sort=price_asc" in page.url
    context.close()
