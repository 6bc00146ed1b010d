"""Sales statements: figures from the ledger, a verification a bank can trust, and bad input."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from catalog.models import ProductStatus
from marketplace.auth.models import Role
from marketplace.extensions import db
from marketplace.i18n import format_rupiah
from orders import notifications, settlement
from orders.models import LedgerEntry, Order, PaymentMethod
from sellers.models import SalesStatement
from tests.conftest import get_csrf, login
from tests.factories import PASSWORD, make_product, make_seller, make_user
from tests.orders.factories import make_order

LOMBOK = ZoneInfo("Asia/Makassar")  # the factories' shop is in Lombok Timur (WITA)


@pytest.fixture(autouse=True)
def quiet_mail(app_ctx, monkeypatch, tmp_path):
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(tmp_path / "outbox.log"))
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: None)


def this_month():
    return datetime.now(UTC).astimezone(LOMBOK).date().replace(day=1)


def months_back(month, n: int):
    index = month.year * 12 + month.month - 1 - n
    return month.replace(year=index // 12, month=index % 12 + 1)


def paid(seller, price: int, quantity: int = 1, buyer=None) -> Order:
    order = make_order(
        [(make_product(seller, price=price), quantity)],
        buyer=buyer,
        payment_method=PaymentMethod.BANK_TRANSFER,
    )
    settlement.settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()
    return order


def move_ledger(order: Order, when: datetime) -> None:
    """Book the order's ledger rows at ``when`` (a sale in an earlier month)."""
    part = order.seller_orders[0]
    db.session.execute(
        update(LedgerEntry).where(LedgerEntry.seller_order_id == part.id).values(created_at=when)
    )
    db.session.commit()


def issue(client, start: str, end: str):
    return client.post(
        "/seller/statements",
        data={
            "csrf_token": get_csrf(client, "/seller/statements"),
            "month_from": start,
            "month_to": end,
        },
    )


def statements_count() -> int:
    return db.session.scalar(select(func.count(SalesStatement.id)))


@pytest.fixture()
def shop(client):
    seller = make_seller(nib="9120001234567")
    login(client, seller.owner.email, PASSWORD)
    return seller


def test_figures_come_from_orders_refunds_and_commission(client, shop):
    now = this_month()
    earlier = months_back(now, 2)
    regular = make_user()
    # Two months ago: one order of 50,000 (booked mid-month, Lombok time).
    first = paid(shop, 50000, buyer=regular)
    first_when = datetime(earlier.year, earlier.month, 15, 10, tzinfo=LOMBOK).astimezone(UTC)
    move_ledger(first, first_when)
    # This month: the same buyer again (2 x 30,000), and a guest whose order is cancelled.
    second = paid(shop, 30000, quantity=2, buyer=regular)
    cancelled = paid(shop, 20000)
    settlement.cancel_part(cancelled.seller_orders[0], actor_id=None, reason="Stok habis")
    db.session.commit()
    # Not counted: another shop's sale, and this shop's sale from before the period.
    paid(make_seller(), 99000)
    old = paid(shop, 70000)
    move_ledger(old, first_when - timedelta(days=400))

    parts = [first.seller_orders[0], second.seller_orders[0], cancelled.seller_orders[0]]
    gross = sum(p.items_total + p.shipping_cost for p in parts)
    commission = sum(p.commission for p in parts)
    # A cancelled part gives back what it had earned: its total less the commission.
    refunds = cancelled.seller_orders[0].items_total + cancelled.seller_orders[0].shipping_cost
    refunds -= cancelled.seller_orders[0].commission
    net = gross - commission - refunds
    assert gross == (50000 + 15000) + (60000 + 15000) + (20000 + 15000)

    response = issue(client, earlier.strftime("%Y-%m"), now.strftime("%Y-%m"))
    assert response.status_code == 302
    statement = db.session.scalar(select(SalesStatement))
    f = statement.figures
    assert f["totals"] == {
        "gross": gross,
        "refunds": refunds,
        "commission": commission,
        "net": net,
        "orders": 3,
        "buyers": 2,
    }
    by_month = {m["month"]: m for m in f["months"]}
    assert len(by_month) == 3
    assert by_month[earlier.strftime("%Y-%m")]["gross"] == 65000
    assert by_month[earlier.strftime("%Y-%m")]["orders"] == 1
    assert by_month[months_back(now, 1).strftime("%Y-%m")]["gross"] == 0
    assert by_month[now.strftime("%Y-%m")]["refunds"] == refunds
    assert f["first_sale"].startswith(first_when.date().isoformat())
    assert f["seller"]["nib"] == "9120001234567"
    assert f["no_sales"] is False
    assert len(statement.code) >= 22  # 16 random bytes, URL-safe
    assert re.fullmatch(r"LP-\d{4}-\d{6}", statement.number)

    html = client.get(f"/seller/statements/{statement.id}").get_data(as_text=True)
    assert format_rupiah(net, "id") in html and statement.number in html
    assert f"/verify/{statement.code}" in html and "<svg" in html

    rows = list(csv.reader(io.StringIO(client.get(f"/seller/statements/{statement.id}.csv").text)))
    total_row = next(r for r in rows if r and r[0] == "Total")
    assert total_row[1:] == [str(v) for v in (3, gross, refunds, commission, net)]


def test_verification_round_trip_and_revoke(client, shop):
    paid(shop, 40000, buyer=make_user())
    month = this_month().strftime("%Y-%m")
    issue(client, month, month)
    statement = db.session.scalar(select(SalesStatement))
    net = statement.figures["totals"]["net"]
    url = f"/verify/{statement.code}"

    anonymous = client.application.test_client()
    page = anonymous.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert format_rupiah(net, "id") in html and statement.number in html
    assert shop.shop_name in html and "dicabut" not in html

    # Without the CSRF token nothing is revoked.
    client.post(f"/seller/statements/{statement.id}/revoke")
    db.session.refresh(statement)
    assert statement.revoked_at is None
    client.post(
        f"/seller/statements/{statement.id}/revoke",
        data={"csrf_token": get_csrf(client, "/seller/statements")},
    )
    db.session.refresh(statement)
    assert statement.revoked_at is not None
    html = anonymous.get(url).get_data(as_text=True)
    assert "dicabut" in html and format_rupiah(net, "id") in html


@pytest.mark.parametrize(
    "code",
    ["AAAAAAAAAAAAAAAAAAAAAA", "abc", "x" * 300, "bad.code!AAAAAAAAAAAAAAAAAAAA"],
)
def test_forged_or_malformed_code_is_not_genuine(client, shop, code):
    paid(shop, 40000)
    month = this_month().strftime("%Y-%m")
    issue(client, month, month)
    response = client.application.test_client().get(f"/verify/{code}")
    assert response.status_code == 404
    assert "Bukan laporan yang asli" in response.get_data(as_text=True)


def test_another_sellers_statement_is_not_found(client, shop):
    month = this_month().strftime("%Y-%m")
    issue(client, month, month)
    statement = db.session.scalar(select(SalesStatement))
    other = make_seller()
    client = client.application.test_client()
    login(client, other.owner.email, PASSWORD)
    for path in ("", ".pdf", ".csv"):
        assert client.get(f"/seller/statements/{statement.id}{path}").status_code == 404
    token = get_csrf(client, "/seller/statements")
    response = client.post(f"/seller/statements/{statement.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.refresh(statement)
    assert statement.revoked_at is None


def test_bad_periods_issue_nothing_and_keep_the_input(client, shop):
    now = this_month()
    cases = [
        (now.strftime("%Y-%m"), months_back(now, 1).strftime("%Y-%m"), "sebelum"),
        (now.strftime("%Y-%m"), months_back(now, -1).strftime("%Y-%m"), "belum tiba"),
        (months_back(now, 12).strftime("%Y-%m"), now.strftime("%Y-%m"), "12 bulan"),
        ("bukan-bulan", now.strftime("%Y-%m"), 'id="month_from-error"'),
        ("٢٠٢٦-٠١", now.strftime("%Y-%m"), 'id="month_from-error"'),
    ]
    for start, end, message in cases:
        response = issue(client, start, end)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, (start, end)
        assert message in html
        assert f'value="{end}"' in html
    assert statements_count() == 0
    # Exactly twelve months is allowed.
    assert (
        issue(client, months_back(now, 11).strftime("%Y-%m"), now.strftime("%Y-%m")).status_code
        == 302
    )


def test_a_period_without_sales_says_so(client, shop):
    month = this_month().strftime("%Y-%m")
    issue(client, month, month)
    statement = db.session.scalar(select(SalesStatement))
    assert statement.figures["no_sales"] is True
    assert statement.figures["totals"]["net"] == 0
    html = client.get(f"/verify/{statement.code}").get_data(as_text=True)
    assert "Tidak ada penjualan pada periode ini." in html


def test_pdf_carries_the_figures_and_the_verification_url(client, shop):
    paid(shop, 125000, buyer=make_user())
    month = this_month().strftime("%Y-%m")
    issue(client, month, month)
    statement = db.session.scalar(select(SalesStatement))
    response = client.get(f"/seller/statements/{statement.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert statement.number in flat
    assert shop.shop_name in flat
    assert "9120001234567" in flat
    net = statement.figures["totals"]["net"]
    assert " ".join(format_rupiah(net, "id").split()) in flat
    assert f"/verify/{statement.code}" in flat.replace(" ", "")
    assert statement.figures["net_in_words"].split()[0] in flat
    # The QR code is an image on the page.
    assert any(page.images for page in reader.pages)


def test_nib_is_optional_and_checked(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    seller = make_seller(user)
    login(client, user.email, PASSWORD)
    form = {
        "shop_name": seller.shop_name,
        "whatsapp": "0812-3456-7890",
        "province_code": seller.province_code,
        "regency_code": seller.regency_code,
        "district_code": seller.district_code,
        "village_code": seller.village_code,
    }
    for bad in ("912000123456", "91200012345678", "٩١٢٠٠٠١٢٣٤٥٦٧", "91200O1234567"):
        token = get_csrf(client, "/seller/shop")
        response = client.post("/seller/shop", data={**form, "csrf_token": token, "nib": bad})
        assert response.status_code == 400, bad
        assert 'id="nib-error"' in response.get_data(as_text=True)
    db.session.refresh(seller)
    assert seller.nib == ""
    token = get_csrf(client, "/seller/shop")
    response = client.post(
        "/seller/shop", data={**form, "csrf_token": token, "nib": "9120 0012 34567"}
    )
    assert response.status_code == 302
    db.session.refresh(seller)
    assert seller.nib == "9120001234567"


def test_practice_sales_never_count(client, shop):
    real = paid(shop, 40000, buyer=make_user())
    practice = make_order(
        [(make_product(shop, price=500000, status=ProductStatus.PRACTICE), 1)],
        payment_method=PaymentMethod.BANK_TRANSFER,
    )
    settlement.settle_paid(practice, practice.payments[0], amount=practice.total)
    db.session.commit()
    month = this_month().strftime("%Y-%m")
    issue(client, month, month)
    totals = db.session.scalar(select(SalesStatement)).figures["totals"]
    part = real.seller_orders[0]
    assert totals["gross"] == part.items_total + part.shipping_cost
    assert totals["orders"] == 1 and totals["buyers"] == 1


def test_verify_page_is_never_cached_and_reads_in_english(client, shop):
    paid(shop, 40000, buyer=make_user())
    month = this_month().strftime("%Y-%m")
    issue(client, month, month)
    statement = db.session.scalar(select(SalesStatement))
    officer = client.application.test_client()
    response = officer.get(f"/verify/{statement.code}?lang=en")
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Genuine statement issued by Migrant Mart." in html
    assert format_rupiah(statement.figures["totals"]["net"], "en") in html
    forged = officer.get("/verify/" + "B" * 22)
    assert forged.status_code == 404 and forged.headers["Cache-Control"] == "no-store"
    assert "Not a genuine statement" in forged.get_data(as_text=True)
