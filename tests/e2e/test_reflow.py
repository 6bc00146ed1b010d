"""Every page reflows to a 320-px phone without sideways scrolling (WCAG 1.4.10), even with the
long unbroken strings real shops type: permit numbers, product titles, shop names, addresses.

The pages are found by following links from a few starting points as a visitor, the demo buyer,
a demo seller and the demo admin, so a page added later is checked without editing this list.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from marketplace.demo.loader import DEMO_ADMIN, DEMO_BUYER, demo_password
from marketplace.demo.workshops import DEMO_TRAINER, OPEN_CODE
from tests.e2e.conftest import CHROMIUM, require_or_skip, serve_demo
from tests.e2e.test_enhancement import UNSENDABLE_FORMS

SELLER_EMAIL = "siti.aminah@demo.migrantmart.id"
LONG_TITLE = "GulaSemutArenOrganikSesaotLombokTimurKemasanHematUntukWarungDanKedai"
LONG_SLUG = "gula-semut-panjang-sekali"
LONG_PIRT = "P-IRT2065203010123-29/2065203010123"
LONG_WORD = "Kelompok" + "Usaha" * 12
# Not ``is_mobile``: a mobile viewport widens itself to fit overflowing content, hiding the fault.
PHONE_320 = {"viewport": {"width": 320, "height": 640}, "has_touch": True}
PAGES_PER_ROLE = 150

# Where no link leads (forms and POST-only steps) or where following links is pointless.
SKIP = re.compile(
    r"^/(static|media|api|webhooks|regions|healthz|robots\.txt)|/poster$|/receipt$|/whatsapp$|"
    r"/search/suggest|/documents/|/account/logout|\.csv$"
)

OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const culprits = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && !el.closest(".table-box")) {
      const text = (el.textContent || "").trim().slice(0, 40);
      culprits.push(`${el.tagName.toLowerCase()}.${el.className}: ${text}`);
    }
  }
  return culprits.slice(-3);
}"""


def _long_strings() -> None:
    """Rows with the long values that broke phone layouts, added before the server starts."""
    from sqlalchemy import select

    from catalog.models import Category, Product, ProductStatus
    from marketplace.auth.models import User
    from marketplace.extensions import db
    from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
    from sellers.models import Seller, SellerStatus
    from tests.factories import make_product, make_seller, make_user
    from tests.orders.factories import make_order

    seller = db.session.scalar(select(Seller).where(Seller.slug == "gula-semut-sesaot"))
    category = db.session.scalar(select(Category).where(Category.parent_id.is_not(None)))
    product = make_product(
        seller=seller,
        category=category,
        status=ProductStatus.PUBLISHED,
        title=LONG_TITLE,
        slug=LONG_SLUG,
        description=f"{LONG_WORD} membuat gula semut. https://example.id/{LONG_WORD}",
        pirt_number=LONG_PIRT,
        bpom_number="BPOMRIMD224213001234567890123456789",
        halal_number="ID52110000123456789012345678901234",
        net_weight="250gramBersihTanpaKemasanPlastik",
        ingredients=f"{LONG_WORD}, nira aren",
        best_before="SimpanDiTempatKeringDanSejukSelamaDuaBelasBulan",
    )
    buyer = db.session.scalar(select(User).where(User.email == DEMO_BUYER[0]))
    paid = make_order([(product, 2)], buyer=buyer)
    paid.street = f"Jl. {LONG_WORD} No. 5"
    paid.status = OrderStatus.PAID.value
    paid.payment_status = PaymentStatus.PAID.value
    paid.paid_at = paid.created_at
    for part in paid.seller_orders:
        part.status = FulfilmentStatus.NEW.value
        part.tracking_number = "JP" + "1234567890" * 3
    waiting = make_order([(product, 1)], buyer=buyer)
    waiting.payment_status = PaymentStatus.PROCESSING.value
    owner = make_user(email=f"{LONG_WORD.lower()}@example.id", name=LONG_WORD)
    make_seller(
        user=owner,
        status=SellerStatus.SUBMITTED,
        shop_name=LONG_WORD[:80],
        slug="kelompok-usaha-panjang",
        bank_account_holder=LONG_WORD,
        story=f"{LONG_WORD} " * 3,
    )
    db.session.commit()
    assert db.session.get(Product, product.id).pirt_number == LONG_PIRT


@pytest.fixture(scope="module")
def reflow_server(tmp_path_factory):
    require_or_skip(Path(CHROMIUM).exists(), f"browser tests need Chromium at {CHROMIUM}")
    with serve_demo(tmp_path_factory.mktemp("reflow"), prepare=_long_strings) as url:
        yield url


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/account/login?lang=en")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo_password())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("button", name="Log out").count() == 1


def _page_key(url: str) -> str | None:
    """One visit per page shape: search and listing filters multiply into endless URLs."""
    parts = urlsplit(url)
    if SKIP.search(parts.path):
        return None
    query = dict(parse_qsl(parts.query))
    for same_page in ("lang", "msg_lang", "next"):
        query.pop(same_page, None)
    if parts.path in ("/search", "/admin/orders") or parts.path.startswith("/c/"):
        query = {k: "_" for k in query}  # which filters are set, not their values
    return parts.path + ("?" + urlencode(sorted(query.items())) if query else "")


def _crawl(page, base: str, starts: list[str], seen: set[str]) -> dict[str, list[str]]:
    """Visits pages reachable by links from ``starts``; returns the ones that scroll sideways
    (or that have a form JavaScript left without a visible way to send it)."""
    queue = deque(base + s for s in starts)
    overflowing: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        url = queue.popleft()
        key = _page_key(url)
        if key is None or key in seen:
            continue
        seen.add(key)
        response = page.goto(url)
        if response is None or response.status >= 400 or not page.url.startswith(base):
            continue
        visited += 1
        assert page.evaluate("window.innerWidth") == 320
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            overflowing[key] = page.evaluate(OVERFLOWING)
        if unsendable := page.evaluate(UNSENDABLE_FORMS):
            overflowing[key] = ["forms without a visible button:", *unsendable]
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            if href.startswith(base):
                queue.append(href.split("#")[0])
    return overflowing


def _checkout_with_the_long_product(page, base: str) -> dict[str, list[str]]:
    """The two checkout steps (reached by posting forms, so no link leads there)."""
    found = {}
    page.goto(f"{base}/p/{LONG_SLUG}")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart$"))
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Recipient name").fill(LONG_WORD)
    page.get_by_label("Mobile / WhatsApp number").fill("0812 3456 7890")
    page.get_by_label("Province").select_option("32")
    page.get_by_label("Regency / city").select_option("32.73")
    page.get_by_label("District (kecamatan)").select_option("32.73.01")
    page.get_by_label("Village (desa / kelurahan)").select_option("32.73.01.1001")
    page.get_by_label("Street, house number, landmarks").fill(f"Jl. {LONG_WORD} No. 5")
    page.get_by_label("Postal code").fill("4015")  # one digit short: the errors show too
    page.get_by_role("button", name="Continue to shipping").click()
    page.wait_for_load_state("load")
    assert page.locator(".error").count() >= 1
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        found["/checkout (address, with errors)"] = page.evaluate(OVERFLOWING)
    page.get_by_label("Postal code").fill("40152")
    page.get_by_role("button", name="Continue to shipping").click()
    page.wait_for_url(re.compile(r"step=shipping"))
    assert page.get_by_text(LONG_TITLE).count() >= 1
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        found["/checkout (shipping)"] = page.evaluate(OVERFLOWING)
    return found


def test_no_page_scrolls_sideways_at_320_px(browser, reflow_server):
    base = reflow_server
    seen: set[str] = set()
    overflowing: dict[str, list[str]] = {}
    roles = [
        (None, ["/", f"/p/{LONG_SLUG}", f"/search?q={LONG_TITLE[:20]}", "/learn", "/sell"]),
        (DEMO_BUYER[0], ["/account/orders", "/cart", "/"]),
        (SELLER_EMAIL, ["/seller/", "/seller/orders", "/seller/money", "/sell/review"]),
        (DEMO_ADMIN[0], ["/admin/", "/admin/sellers", "/admin/orders", "/admin/payments"]),
        (DEMO_TRAINER[0], ["/trainer/workshops", f"/join/{OPEN_CODE}", "/join", "/join/card"]),
    ]
    for email, starts in roles:
        context = browser.new_context(**PHONE_320)
        page = context.new_page()
        if email:
            _login(page, base, email)
            if email == DEMO_BUYER[0]:
                overflowing.update(_checkout_with_the_long_product(page, base))
            page.goto(base + "/?lang=id")
            seen.discard("/")
        overflowing.update(_crawl(page, base, starts, seen))
        context.close()

    must_see = [
        f"/p/{LONG_SLUG}",
        "/search?q=_",
        "/admin/sellers",
        "/admin/orders",
        "/admin/payouts",
        "/admin/payments",
        "/admin/search-misses",
        "/sell/review",
        "/seller/orders",
        "/trainer/workshops",
        "/join",
    ]
    assert [key for key in must_see if key not in seen] == []
    for pattern in (
        r"/admin/sellers/\d+",
        r"/seller/orders/\d+",
        r"/orders/MM-\d{4}-\d{6}",
        r"/trainer/workshops/\d+/report",
        r"/trainer/workshops/\d+/projector",
    ):
        assert any(re.fullmatch(pattern, key) for key in seen), (pattern, sorted(seen))
    assert overflowing == {}
