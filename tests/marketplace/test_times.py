"""Times are shown in the reader's Indonesian zone with its name (WIB, WITA, WIT), in the long
form of their language: "3 Des 2026, 14.05 WITA", never "3/12/26"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import render_template_string
from flask_babel import force_locale

from marketplace.auth.models import Role
from marketplace.extensions import db
from marketplace.i18n import format_when, zone_label
from orders.states import OrderStatus, PaymentStatus
from tests.conftest import login
from tests.factories import make_product, make_seller, make_user
from tests.orders.factories import make_order

# 06:05 UTC on 3 December 2026: 13.05 in Jakarta, 14.05 in Mataram, 15.05 in Jayapura.
MOMENT = datetime(2026, 12, 3, 6, 5, tzinfo=UTC)
SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")


@pytest.mark.parametrize(
    "province, zone",
    [
        ("52", "WITA"),  # Nusa Tenggara Barat (Lombok)
        ("51", "WITA"),  # Bali
        ("53", "WITA"),  # Nusa Tenggara Timur
        ("61", "WIB"),  # Kalimantan Barat
        ("62", "WIB"),  # Kalimantan Tengah
        ("63", "WITA"),  # Kalimantan Selatan
        ("64", "WITA"),  # Kalimantan Timur
        ("65", "WITA"),  # Kalimantan Utara
        ("71", "WITA"),  # Sulawesi Utara
        ("76", "WITA"),  # Sulawesi Barat
        ("81", "WIT"),  # Maluku
        ("82", "WIT"),  # Maluku Utara
        ("91", "WIT"),  # Papua
        ("97", "WIT"),  # the newest Papua province
        ("11", "WIB"),  # Aceh
        ("31", "WIB"),  # DKI Jakarta
        ("32", "WIB"),  # Jawa Barat
        ("36", "WIB"),  # Banten
    ],
)
def test_province_codes_map_to_their_zone(province, zone):
    assert zone_label(province) == zone


@pytest.mark.parametrize("code", ["", None, "99", "xx", " "])
def test_an_unknown_place_is_shown_in_wib(code):
    assert zone_label(code) == "WIB"


def test_codes_below_the_province_use_its_zone():
    assert zone_label("52.03.12.2002") == "WITA"  # Desa Pringgasela, Lombok Timur
    assert zone_label("94.71") == "WIT"
    assert zone_label("32.73.01.1001") == "WIB"


@pytest.mark.parametrize(
    "province, locale, expected",
    [
        ("52", "id", "3 Des 2026, 14.05 WITA"),
        ("52", "en", "3 Dec 2026, 14:05 WITA"),
        ("32", "id", "3 Des 2026, 13.05 WIB"),
        ("32", "en", "3 Dec 2026, 13:05 WIB"),
        ("91", "id", "3 Des 2026, 15.05 WIT"),
        (None, "en", "3 Dec 2026, 13:05 WIB"),
    ],
)
def test_date_and_time_in_the_zone_and_language(province, locale, expected):
    assert format_when(MOMENT, province, locale=locale) == expected


def test_a_time_stored_without_a_zone_is_utc():
    """SQLite returns stored UTC times without their zone."""
    naive = MOMENT.replace(tzinfo=None)
    assert format_when(naive, "52", locale="id") == "3 Des 2026, 14.05 WITA"


def test_the_day_is_the_readers_day():
    late = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 23.30 WIB, already 1 January in WITA
    assert format_when(late, "32", with_time=False, locale="id") == "31 Des 2026"
    assert format_when(late, "52", with_time=False, locale="id") == "1 Jan 2027"
    assert format_when(late, "52", with_time=False, locale="en") == "1 Jan 2027"


def test_long_form_and_plain_dates():
    assert format_when(MOMENT, "52", with_time=False, long=True, locale="id") == "3 Desember 2026"
    assert format_when(MOMENT, None, with_time=False, long=True, locale="en") == "3 December 2026"
    assert format_when(date(2026, 8, 17), "91", locale="id") == "17 Agu 2026"
    assert format_when(None, "52") == "" and format_when("", "52") == ""


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("id", "3 Des 2026, 14.05 WITA · 3 Des 2026 · 3 Des 2026, 13.05 WIB · 3 Desember 2026"),
        ("en", "3 Dec 2026, 14:05 WITA · 3 Dec 2026 · 3 Dec 2026, 13:05 WIB · 3 December 2026"),
    ],
)
def test_filters_follow_the_page_language(app_ctx, locale, expected):
    source = (
        "{{ t|datetime('52') }} · {{ t|date('91') }} · {{ t|datetime }} · {{ t|date(long=True) }}"
    )
    with app_ctx.test_request_context("/"), force_locale(locale):
        assert render_template_string(source, t=MOMENT) == expected


def _paid_order(buyer, seller, *, province: str):
    order = make_order([(make_product(seller=seller), 1)], buyer=buyer)
    order.province_code = province
    order.created_at = MOMENT
    order.paid_at = MOMENT + timedelta(minutes=30)
    order.status = OrderStatus.PAID.value
    order.payment_status = PaymentStatus.PAID.value
    for part in order.seller_orders:
        part.status = "new"
    db.session.commit()
    return order


def test_buyer_order_pages_use_the_shipping_province(client):
    buyer = make_user(email="buyer@example.id")
    order = _paid_order(buyer, make_seller(), province="91")  # shipped to Papua
    login(client, "buyer@example.id")
    page = client.get(f"/orders/{order.number}?lang=id").get_data(as_text=True)
    assert "3 Des 2026, 15.05 WIT" in page
    listing = client.get("/account/orders").get_data(as_text=True)
    assert "3 Des 2026" in listing
    assert not SHORT_DATE.search(page) and not SHORT_DATE.search(listing)


def test_seller_pages_use_the_shops_province(client):
    owner = make_user(email="seller@example.id", roles=(Role.BUYER, Role.SELLER))
    seller = make_seller(user=owner)  # in Lombok Timur (52): WITA
    order = _paid_order(make_user(), seller, province="32")
    login(client, "seller@example.id")
    page = client.get("/seller/orders?lang=id").get_data(as_text=True)
    assert "3 Des 2026, 14.35 WITA" in page
    part = order.seller_orders[0]
    detail = client.get(f"/seller/orders/{part.id}?lang=en").get_data(as_text=True)
    assert not SHORT_DATE.search(page) and not SHORT_DATE.search(detail)


def test_admin_pages_show_wib_without_short_dates(client):
    make_user(email="admin@example.id", roles=(Role.ADMIN,))
    _paid_order(make_user(), make_seller(), province="52")
    login(client, "admin@example.id")
    page = client.get("/admin/orders?lang=id").get_data(as_text=True)
    assert "3 Des 2026, 13.05 WIB" in page
    assert not SHORT_DATE.search(page)
