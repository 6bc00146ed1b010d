"""A buyer on a phone: home → category → product, photos load, language switch; plus
accessibility (axe-core, WCAG 2.1 A/AA) and HTML validity (Nu HTML checker) of key pages."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from marketplace.demo.loader import demo_password
from tests.e2e.conftest import VNU_JAR, require_or_skip, vnu_available

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SELLER_EMAIL = "siti.aminah@demo.migrantmart.id"


def _all_images_loaded(page) -> bool:
    return page.evaluate(
        "Array.from(document.querySelectorAll('main img'))"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )


def test_browse_home_category_product_and_switch_language(live_server, phone):
    page = phone
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.get_by_role("heading", name="Kategori").is_visible()
    page.locator(".categories a.cat-top").first.click()
    page.wait_for_load_state("load")
    assert "/c/" in page.url
    assert page.locator(".grid .card").count() > 0
    page.locator(".grid .card-link").first.click()
    page.wait_for_load_state("load")
    assert "/p/" in page.url
    assert page.locator(".price.big").inner_text().startswith("Rp ")
    gallery = page.locator(".gallery img")
    assert gallery.count() >= 2
    gallery.first.scroll_into_view_if_needed()
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.gallery img')).slice(0, 1)"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    # The browser picked a WebP variant sized for a phone screen.
    current = page.evaluate("document.querySelector('.gallery img').currentSrc")
    assert current.endswith(".webp") and "/media/products/" in current
    assert page.get_by_text("Deskripsi", exact=True).is_visible()

    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    assert "/p/" in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Description").is_visible()
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Categories").is_visible()


def _login(page, base):
    page.goto(base + "/account/login")
    page.get_by_label("E-mail atau nomor HP").fill(SELLER_EMAIL)
    page.get_by_label("Kata sandi").fill(demo_password())
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state("load")


def _key_pages(page, base) -> dict[str, str]:
    page.goto(base + "/")
    category = page.locator(".categories a.cat-top").first.get_attribute("href")
    product = page.locator(".grid .card-link").first.get_attribute("href")
    return {
        "home": "/",
        "category": category,
        "product": product,
        "search": "/search?q=kopi",
        "login": "/account/login",
    }


def test_key_pages_have_no_wcag_violations(live_server, phone):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = phone
    pages = _key_pages(page, live_server)
    found = {}
    for name, path in pages.items():
        page.goto(live_server + path)
        result = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        found[name] = [(v["id"], len(v["nodes"])) for v in result.response["violations"]]
    _login(page, live_server)
    page.goto(live_server + "/seller/products/new")
    result = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found["seller product form"] = [
        (v["id"], len(v["nodes"])) for v in result.response["violations"]
    ]
    assert all(not v for v in found.values()), found


def _raw(url: str, cookie: str | None = None) -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return response.read().decode()


def test_key_pages_are_valid_html(live_server, phone, tmp_path):
    require_or_skip(vnu_available(), f"HTML validity needs Java and {VNU_JAR} (npm install)")
    page = phone
    pages = _key_pages(page, live_server)
    files = []
    for name, path in pages.items():
        target = tmp_path / f"{name}.html"
        target.write_text(_raw(live_server + path))
        files.append(target)
    _login(page, live_server)
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    form = tmp_path / "seller-product-form.html"
    form.write_text(_raw(live_server + "/seller/products/new", cookie))
    assert "csrf_token" in form.read_text()  # really the logged-in form, not the login page
    files.append(form)
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [
        (m.get("url", "").rsplit("/", 1)[-1], m.get("lastLine"), m["message"])
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == [], errors


@pytest.mark.parametrize("path", ["/", "/account/login"])
def test_pages_work_without_javascript(browser, live_server, path):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + path)
    assert page.locator("form[role=search] button").is_visible()
    context.close()
