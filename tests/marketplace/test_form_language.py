"""Every form speaks the visitor's language, its built-in WTForms messages included.

Indonesian is the default; WTForms ships no Indonesian catalogue, so its own messages ("This
field is required.") go through ours (``marketplace.i18n.FormTranslations``). Each form page is
posted empty and with bad input in both languages, and the answer must not carry a message of
the other language.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import flask_wtf
import pytest
import wtforms
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "marketplace/translations/id/LC_MESSAGES/messages.po"


def _builtin_messages() -> list[str | tuple[str, str]]:
    """Every message WTForms and Flask-WTF translate, read from the installed sources."""
    found = []
    for package in (wtforms, flask_wtf):
        for _f, _l, message, _c, _ctx in extract_from_dir(
            os.path.dirname(package.__file__),
            [("**.py", "python")],
            keywords={"gettext": None, "ngettext": (1, 2)},
        ):
            if message not in found:
                found.append(message)
    return found


BUILTIN = _builtin_messages()


def _as_pattern(message: str) -> str:
    """A built-in message as a regular expression matching it with any values filled in."""
    parts = re.split(r"%\(\w+\)[sd]|%s|\{\w+\}", message)
    return ".+?".join(re.escape(part) for part in parts)


# The English built-in messages with their values filled in, as a page would show them.
ENGLISH_BUILTIN = re.compile(
    "|".join(
        _as_pattern(text)
        for message in BUILTIN
        for text in (message if isinstance(message, tuple) else (message,))
    )
)

# Phrases of our own English text that once leaked into the Indonesian interface.
ENGLISH_PHRASES = [
    "receipt uploaded",
    "bank transfer confirmed",
    "payment time ran out",
    "completed automatically",
    "confirmed by buyer",
    "cancelled by the buyer",
    "Please ",
    "must be",
    "is required",
    "Invalid",
    "Not a valid",
    "Choose the",
    "Write the",
    "Enter the",
    "Use an Indonesian",
    "Saudi Arabia",
]

# Common English words, which no Indonesian sentence of ours uses (whole words).
ENGLISH_WORDS = [
    "the",
    "you",
    "your",
    "have",
    "please",
    "must",
    "should",
    "this",
    "with",
    "and",
    "are",
    "is",
    "not",
    "field",
    "choose",
    "write",
    "enter",
    "least",
]
ENGLISH = re.compile(r"\b(" + "|".join(ENGLISH_WORDS) + r")\b", re.IGNORECASE)

# Words of Indonesian text that must not show on the English interface (whole words).
INDONESIAN_WORDS = [
    "tidak",
    "wajib",
    "harus",
    "silakan",
    "isian",
    "kolom",
    "tulis",
    "pilih",
    "masukkan",
    "lain",
    "yang",
    "dengan",
    "untuk",
    "atau",
    "dan",
    "angka",
    "bulat",
    "karakter",
    "Arab Saudi",
    "diterima",
]
INDONESIAN = re.compile(r"\b(" + "|".join(INDONESIAN_WORDS) + r")\b", re.IGNORECASE)


class _VisibleText(HTMLParser):
    """The text a visitor reads (and hears: titles, labels, placeholders), minus any part the
    page itself marks as written in another language (``lang="…"``)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    SPOKEN = ("title", "aria-label", "placeholder", "alt")

    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []  # (tag, shown in another language or hidden)
        self.chunks: list[str] = []

    def _foreign(self) -> bool:
        return any(flag for _tag, flag in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        other = (lang is not None and lang != self.page_lang) or tag in ("script", "style")
        if tag == "html":
            other = False
        if not (other or self._foreign()):
            self.chunks.extend(attrs[a] for a in self.SPOKEN if attrs.get(a))
        if tag not in self.VOID:
            self.stack.append((tag, other))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._foreign() and data.strip():
            self.chunks.append(" ".join(data.split()))


def visible_text(html: str, lang: str) -> str:
    parser = _VisibleText(lang)
    parser.feed(html)
    return "\n".join(parser.chunks)


def wrong_language(html: str, lang: str) -> list[str]:
    """Snippets of the other language found on a page answered in ``lang``."""
    text = visible_text(html, lang)
    if lang == "id":
        found = [m.group(0) for m in ENGLISH_BUILTIN.finditer(text)]
        found += [p for p in ENGLISH_PHRASES if p in text]
        found += [m.group(0) for m in ENGLISH.finditer(text)]
        found += re.findall(r"Rp ?\d{1,3}(?:,\d{3})+", text)  # rupiah written the English way
    else:
        found = [m.group(0) for m in INDONESIAN.finditer(text)]
        found += re.findall(r"Rp ?\d{1,3}(?:\.\d{3})+", text)
    return found


def test_detectors_catch_each_language():
    """The checks below would fail on a page in the wrong language."""
    english = (
        '<html lang="id"><p class="error">Field must be between 2 and 120 characters long.</p>'
    )
    assert "Field must be between 2 and 120 characters long." in wrong_language(english, "id")
    indonesian = '<html lang="en"><p class="error">Kolom ini wajib diisi.</p>'
    assert wrong_language(indonesian, "en") == ["Kolom", "wajib"]
    assert wrong_language('<html lang="en"><p>Rp 25.000</p>', "en") == ["Rp 25.000"]
    assert wrong_language('<html lang="id"><p>Rp 25,000</p>', "id") == ["Rp 25,000"]
    marked = '<html lang="en"><a lang="id" href="?lang=id">Bahasa Indonesia dan lain</a>'
    assert wrong_language(marked, "en") == []


# --- the catalogue ------------------------------------------------------------------------


def test_every_builtin_wtforms_message_has_an_indonesian_translation():
    with open(PO, "rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in BUILTIN:
        entry = catalog.get(message)
        strings = (
            (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ()
        )
        if not strings or not all(strings):
            missing.append(message)
    assert len(BUILTIN) > 30
    assert missing == []


def test_every_plural_message_has_both_indonesian_forms():
    """Plural messages under any of the names the code imports them as (``_nl`` included)."""
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"ngettext": (1, 2), "lazy_ngettext": (1, 2), "_nl": (1, 2)}
    plurals = set()
    skip = {"node_modules", "tests", "bench", "instance", "migrations", "static"}
    for _f, _l, message, _c, _ctx in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=keywords,
        directory_filter=lambda d: (
            not Path(d).name.startswith((".", "_")) and Path(d).name not in skip
        ),
    ):
        if isinstance(message, tuple):
            plurals.add(message[0])
    with open(PO, "rb") as fh:
        catalog = read_po(fh)
    missing = sorted(
        m
        for m in plurals
        if catalog.get(m) is None
        or not isinstance(catalog.get(m).string, tuple)
        or not all(catalog.get(m).string)
    )
    assert len(plurals) >= 5
    assert missing == []


class _PlainForm(FlaskForm):
    """A form that knows nothing of our code, like any form added later."""

    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired(), Length(min=2, max=5)])
    email = StringField("Email", validators=[DataRequired(), Email()])
    count = IntegerField("Count", validators=[NumberRange(min=1, max=9)])
    colour = SelectField("Colour", choices=[SelectChoice("r", "Red")])


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            {
                "name": ["Isian harus antara 2 dan 5 karakter."],
                "email": ["Alamat e-mail tidak valid."],
                "count": ["Bukan bilangan bulat yang valid.", "Angka harus antara 1 dan 9."],
                "colour": ["Pilihan tidak valid."],
            },
        ),
        (
            "en",
            {
                "name": ["Field must be between 2 and 5 characters long."],
                "email": ["Invalid email address."],
                "count": ["Not a valid integer value.", "Number must be between 1 and 9."],
                "colour": ["Not a valid choice."],
            },
        ),
    ],
)
def test_any_flask_form_gets_builtin_messages_in_the_visitors_language(app_ctx, lang, expected):
    data = {"name": "abcdefgh", "email": "not-an-address", "count": "x", "colour": "blue"}
    with app_ctx.test_request_context(f"/?lang={lang}", method="POST", data=data):
        app_ctx.preprocess_request()
        form = _PlainForm()
        assert not form.validate()
        assert form.errors == expected


def test_required_message_follows_the_language_switch(client):
    from tests.conftest import get_csrf

    token = get_csrf(client)
    indonesian = client.post("/account/login", data={"csrf_token": token})
    assert "Kolom ini wajib diisi." in indonesian.get_data(as_text=True)
    english = client.post("/account/login?lang=en", data={"csrf_token": token})
    assert "This field is required." in english.get_data(as_text=True)
    assert "Kolom ini wajib diisi." not in english.get_data(as_text=True)


# --- every form page, empty and with bad input, in both languages ----------------------------

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
LONG = "x" * 6000
BAD = {  # a wrong value for each kind of input the forms have
    "email": "bukan-email@",
    "number": "abc",
    "negative": "-5",
    "huge": "99999999",
    "text": LONG,
}


def _token(client, url: str) -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get(url).get_data(as_text=True))


def _posted(client, url, data, **kwargs) -> list[str]:
    """The answer to a post, and the page it sends the visitor to (where a flash shows)."""
    response = client.post(url, data=data, **kwargs)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code in (302, 303):
        return [client.get(response.headers["Location"]).get_data(as_text=True)]
    return [response.get_data(as_text=True)]


def _login_as(client, user):
    from tests.conftest import login

    login(client, user.email)


def case_login(client):
    token = _token(client, "/account/login")
    yield _posted(client, "/account/login", {"csrf_token": token})
    yield _posted(
        client,
        "/account/login",
        {"csrf_token": token, "email": BAD["email"], "password": LONG},
    )


def case_register(client):
    token = _token(client, "/account/register")
    yield _posted(client, "/account/register", {"csrf_token": token})
    yield _posted(
        client,
        "/account/register",
        {
            "csrf_token": token,
            "name": "A",
            "email": BAD["email"],
            "phone": "08abc",
            "password": "short",
            "confirm": "other",
            "account_type": "boss",
        },
    )
    yield _posted(
        client,
        "/account/register",
        {"csrf_token": token, "name": LONG, "email": "a" * 250 + "@example.id", "password": LONG},
    )


def _cart_with_a_product(client):
    from tests.factories import make_product

    product = make_product(stock=5)
    client.post("/cart/items", data={"product_id": product.id, "quantity": 1}, headers=SAME_ORIGIN)
    return product


def case_cart(client):
    product = _cart_with_a_product(client)
    yield _posted(client, "/cart/items", {}, headers=SAME_ORIGIN)
    yield _posted(
        client,
        "/cart/items",
        {"product_id": BAD["number"], "quantity": BAD["huge"]},
        headers=SAME_ORIGIN,
    )
    token = _token(client, "/cart")
    url = f"/cart/items/{product.id}"
    yield _posted(client, url, {"csrf_token": token})
    yield _posted(client, url, {"csrf_token": token, "quantity": BAD["number"]})
    yield _posted(client, url, {"csrf_token": token, "quantity": BAD["negative"]})


ADDRESS = {
    "step": "address",
    "contact_name": "Dewi Lestari",
    "email": "dewi@example.id",
    "phone": "0812 3456 7890",
    "province_code": "32",
    "regency_code": "32.73",
    "district_code": "32.73.01",
    "village_code": "32.73.01.1001",
    "street": "Jl. Merdeka No. 5",
    "rt_rw": "003/007",
    "postal_code": "40152",
}


def case_checkout_address(client):
    _cart_with_a_product(client)
    token = _token(client, "/checkout")
    yield _posted(client, "/checkout", {"csrf_token": token, "step": "address"})
    yield _posted(
        client,
        "/checkout",
        {
            "csrf_token": token,
            "step": "address",
            "contact_name": "A",
            "email": BAD["email"],
            "phone": "nomor saya",
            "province_code": "99",
            "regency_code": "x",
            "district_code": "x",
            "village_code": "x",
            "street": LONG,
            "rt_rw": "tiga",
            "postal_code": "4015",
        },
    )
    yield _posted(client, "/checkout", {**ADDRESS, "csrf_token": token, "postal_code": "12345"})


def case_checkout_shipping(client):
    product = _cart_with_a_product(client)
    token = _token(client, "/checkout")
    client.post("/checkout", data={**ADDRESS, "csrf_token": token})
    yield _posted(client, "/checkout", {"csrf_token": token, "step": "shipping"})
    yield _posted(
        client,
        "/checkout",
        {
            "csrf_token": token,
            "step": "shipping",
            f"service-{product.seller_id}": "kapal_layar",
            "payment_method": "emas",
            "expected_total": BAD["number"],
        },
    )


def _seller(**fields):
    from tests.factories import make_seller

    return make_seller(**fields)


def case_product_form(client):
    from tests.factories import make_category

    seller = _seller()
    make_category()
    _login_as(client, seller.owner)
    token = _token(client, "/seller/products/new")
    yield _posted(client, "/seller/products/new", {"csrf_token": token})
    yield _posted(
        client,
        "/seller/products/new",
        {
            "csrf_token": token,
            "title": "ab",
            "category_id": BAD["number"],
            "description": LONG,
            "price": "murah",
            "stock": BAD["negative"],
            "weight_grams": BAD["number"],
            "net_weight": LONG,
            "pirt_number": "x",
            "bpom_number": "x",
            "halal_number": "x",
            "ingredients": LONG,
            "best_before": LONG,
        },
    )
    yield _posted(
        client,
        "/seller/products/new",
        {"csrf_token": token, "title": LONG, "price": "10", "stock": BAD["huge"]},
    )
    yield _posted(
        client,
        "/seller/products/new",
        {"csrf_token": token, "price": "999999999999", "weight_grams": BAD["huge"]},
    )


def case_product_photos(client):
    from tests.factories import make_product

    seller = _seller()
    product = make_product(seller=seller)
    _login_as(client, seller.owner)
    url = f"/seller/products/{product.id}/edit"
    token = _token(client, url)
    yield _posted(client, f"/seller/products/{product.id}/photos", {"csrf_token": token})
    yield _posted(
        client,
        f"/seller/products/{product.id}/photos",
        {"csrf_token": token, "photos": (__import__("io").BytesIO(b"not a photo"), "a.jpg")},
        content_type="multipart/form-data",
    )


def case_shop_form(client):
    seller = _seller()
    _login_as(client, seller.owner)
    token = _token(client, "/seller/shop")
    yield _posted(client, "/seller/shop", {"csrf_token": token})
    yield _posted(
        client,
        "/seller/shop",
        {
            "csrf_token": token,
            "shop_name": "a",
            "whatsapp": "12345",
            "country_abroad": LONG,
            "years_abroad": BAD["number"],
            "story": LONG,
            "bank_name": "BANK_PALSU",
            "bank_account_number": "123",
            "bank_account_holder": LONG,
            "province_code": "99",
            "nib": "١٢٣٤٥٦٧٨٩٠١٢٣",
        },
    )
    yield _posted(
        client,
        "/seller/shop",
        {"csrf_token": token, "years_abroad": "99", "bank_name": "BPD", "bank_account_number": "1"},
    )


def case_sales_statement(client):
    """The period form with bad months, then the statement and its public check."""
    from tests.factories import make_seller

    seller = make_seller(nib="9120001234567")
    _login_as(client, seller.owner)
    token = _token(client, "/seller/statements")
    yield _posted(client, "/seller/statements", {"csrf_token": token})
    yield _posted(
        client,
        "/seller/statements",
        {"csrf_token": token, "month_from": "2020-13", "month_to": BAD["number"]},
    )
    yield _posted(
        client,
        "/seller/statements",
        {"csrf_token": token, "month_from": "2020-05", "month_to": "2020-01"},
    )
    yield _posted(
        client,
        "/seller/statements",
        {"csrf_token": token, "month_from": "2020-01", "month_to": "2099-01"},
    )
    yield _posted(
        client,
        "/seller/statements",
        {"csrf_token": token, "month_from": "2020-01", "month_to": "2021-06"},
    )
    issued = client.post(
        "/seller/statements",
        data={"csrf_token": token, "month_from": "2020-01", "month_to": "2020-03"},
        follow_redirects=True,
    ).get_data(as_text=True)
    code = re.search(r"/verify/([A-Za-z0-9_-]+)", issued)
    assert code, "the statement page links its verification address"
    yield [
        issued,
        client.get("/verify/" + code.group(1)).get_data(as_text=True),
        client.get("/verify/" + "A" * 22).get_data(as_text=True),
    ]


def case_onboarding_account(client):
    token = _token(client, "/sell/account")
    yield _posted(client, "/sell/account", {"csrf_token": token})
    yield _posted(
        client,
        "/sell/account",
        {
            "csrf_token": token,
            "name": "A",
            "phone": "123",
            "email": BAD["email"],
            "password": "x",
            "confirm": "y",
        },
    )


def _new_seller_user():
    from marketplace.auth.models import Role
    from tests.factories import make_user

    return make_user(roles=(Role.BUYER, Role.SELLER))


def case_onboarding_profile(client):
    _login_as(client, _new_seller_user())
    token = _token(client, "/sell/profile")
    yield _posted(client, "/sell/profile", {"csrf_token": token})
    yield _posted(
        client,
        "/sell/profile",
        {
            "csrf_token": token,
            "shop_name": "ab",
            "whatsapp": "0212345678",
            "country_abroad": LONG,
            "years_abroad": BAD["number"],
            "story": "pendek",
            "story_en": LONG,
            "village_code": "x",
        },
    )
    yield _posted(client, "/sell/profile", {"csrf_token": token, "years_abroad": "77"})


def _profiled_seller():
    from sellers.models import SellerStatus

    return _seller(
        status=SellerStatus.DRAFT,
        country_abroad="Malaysia",
        years_abroad=5,
        story="Saya bekerja lima tahun di Malaysia lalu pulang ke desa membuat gula semut. " * 2,
    )


def case_onboarding_bank(client):
    seller = _profiled_seller()
    _login_as(client, seller.owner)
    token = _token(client, "/sell/bank")
    yield _posted(client, "/sell/bank", {"csrf_token": token})
    yield _posted(
        client,
        "/sell/bank",
        {
            "csrf_token": token,
            "bank_name": "BANK_PALSU",
            "bank_account_number": "12",
            "bank_account_holder": LONG,
        },
    )
    yield _posted(
        client,
        "/sell/bank",
        {
            "csrf_token": token,
            "bank_name": "BRI",
            "bank_account_number": "12",
            "bank_account_holder": "A",
        },
    )


def case_onboarding_documents(client):
    seller = _profiled_seller()
    seller.bank_name, seller.bank_account_number, seller.bank_account_holder = (
        "BRI",
        "012345678901234",
        "Aminah",
    )
    from marketplace.extensions import db

    db.session.commit()
    _login_as(client, seller.owner)
    token = _token(client, "/sell/documents")
    yield _posted(client, "/sell/documents/ktp", {"csrf_token": token})
    yield _posted(
        client,
        "/sell/documents/ktp",
        {"csrf_token": token, "ktp-photo": (__import__("io").BytesIO(b"bukan foto"), "ktp.jpg")},
        content_type="multipart/form-data",
    )


def _order_for_a_buyer():
    from tests.factories import make_product, make_user
    from tests.orders.factories import make_order

    buyer = make_user(name="Dewi Lestari")
    seller = _seller(
        bank_name="BRI", bank_account_number="012345678901234", bank_account_holder="Aminah"
    )
    order = make_order([(make_product(seller), 1)], buyer=buyer)
    return order, buyer, seller


def _paid(order):
    from marketplace.extensions import db
    from orders import settlement

    settlement.settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()


def case_receipt_upload(client):
    order, buyer, _s = _order_for_a_buyer()
    _login_as(client, buyer)
    url = f"/orders/{order.number}"
    token = _token(client, url)
    yield _posted(client, f"{url}/receipt", {"csrf_token": token})
    yield _posted(
        client,
        f"{url}/receipt",
        {"csrf_token": token, "receipt": (__import__("io").BytesIO(b"bukan foto"), "s.jpg")},
        content_type="multipart/form-data",
    )


def case_review(client):
    from orders import fulfilment

    order, buyer, seller = _order_for_a_buyer()
    _paid(order)
    fulfilment.mark_shipped(order.seller_orders[0], seller.owner, "JNE", "JP1234567890")
    fulfilment.confirm_received(order, buyer)
    _login_as(client, buyer)
    url = f"/orders/{order.number}"
    token = _token(client, url)
    item = order.seller_orders[0].items[0].id
    yield _posted(client, f"{url}/reviews", {"csrf_token": token})
    yield _posted(
        client,
        f"{url}/reviews",
        {"csrf_token": token, "order_item_id": BAD["number"], "rating": "9", "text": LONG},
    )
    yield _posted(
        client,
        f"{url}/reviews",
        {"csrf_token": token, "order_item_id": item, "rating": "5", "text": LONG},
    )


def case_seller_ship_and_cancel(client):
    order, _buyer, seller = _order_for_a_buyer()
    _paid(order)
    part = order.seller_orders[0]
    _login_as(client, seller.owner)
    url = f"/seller/orders/{part.id}"
    token = _token(client, url)
    yield _posted(client, f"{url}/ship", {"csrf_token": token})
    yield _posted(
        client,
        f"{url}/ship",
        {"csrf_token": token, "courier": "Kapal Layar", "tracking_number": "ab cd"},
    )
    yield _posted(client, f"{url}/cancel", {"csrf_token": token})
    yield _posted(client, f"{url}/cancel", {"csrf_token": token, "reason": LONG})


def _admin():
    from marketplace.auth.models import Role
    from tests.factories import make_user

    return make_user(roles=(Role.ADMIN,))


def case_admin_transfers(client):
    from orders import bank_transfer
    from tests.factories import jpeg_bytes

    order, _buyer, _seller_ = _order_for_a_buyer()
    bank_transfer.upload_receipt(order, jpeg_bytes(), "bukti.jpg")
    _login_as(client, _admin())
    token = _token(client, "/admin/payments")
    base = f"/admin/orders/{order.number}"
    yield _posted(client, f"{base}/reject-transfer", {"csrf_token": token})
    yield _posted(client, f"{base}/reject-transfer", {"csrf_token": token, "reason": LONG})
    yield _posted(client, f"{base}/confirm-transfer", {"csrf_token": token, "note": LONG})


def case_admin_payout_reference(client):
    from orders import fulfilment, payouts

    order, buyer, seller = _order_for_a_buyer()
    _paid(order)
    fulfilment.mark_shipped(order.seller_orders[0], seller.owner, "JNE", "JP1234567890")
    fulfilment.confirm_received(order, buyer)
    admin = _admin()
    payouts.create_batch(admin)
    from marketplace.extensions import db
    from orders.models import PayoutBatch

    batch = db.session.scalar(__import__("sqlalchemy").select(PayoutBatch))
    _login_as(client, admin)
    token = _token(client, "/admin/payouts")
    url = f"/admin/payouts/{batch.id}/reference"
    yield _posted(client, url, {"csrf_token": token})
    yield _posted(client, url, {"csrf_token": token, "reference": LONG})


def case_admin_reject_seller(client):
    from sellers.models import SellerStatus

    seller = _seller(status=SellerStatus.SUBMITTED)
    _login_as(client, _admin())
    token = _token(client, f"/admin/sellers/{seller.id}")
    url = f"/admin/sellers/{seller.id}/reject"
    yield _posted(client, url, {"csrf_token": token})
    yield _posted(client, url, {"csrf_token": token, "reason": LONG})
    yield _posted(
        client, f"/admin/sellers/{seller.id}/status", {"csrf_token": token, "status": "raja"}
    )


def case_training_quiz(client):
    from sellers.training.content_loader import modules

    _login_as(client, _new_seller_user())
    slug = modules()[0].slug
    url = f"/learn/{slug}/quiz"
    token = _token(client, url)
    yield _posted(client, url, {"csrf_token": token})
    yield _posted(client, url, {"csrf_token": token, "q0": "99", "q1": BAD["number"]})


def case_listing_quality_tips(client):
    """Not a form post: the editor's to-do list after a save shows every failed check."""
    from sellers.training.progress import FOOD_CATEGORY_ROOTS
    from tests.factories import make_category, make_product

    seller = _seller()
    food = make_category(slug=sorted(FOOD_CATEGORY_ROOTS)[0])
    product = make_product(
        seller=seller, category=food, title="GULA", price=25_001, stock=0, description="x"
    )
    cheap = make_product(seller=seller, title="Gula semut aren Lombok 250 g", price=25)
    _login_as(client, seller.owner)
    for item in (product, cheap):
        yield [client.get(f"/seller/products/{item.id}/edit").get_data(as_text=True)]
    yield [client.get("/seller/products").get_data(as_text=True)]


CASES = {name[5:]: fn for name, fn in dict(globals()).items() if name.startswith("case_")}


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_form_pages_answer_bad_input_in_the_visitors_language(
    client, app_ctx, case, lang, tmp_path
):
    app_ctx.config["PRIVATE_ROOT"] = str(tmp_path / "private")
    client.get(f"/?lang={lang}")
    checked = 0
    for pages in CASES[case](client):
        for html in pages:
            assert f'<html lang="{lang}"' in html
            assert wrong_language(html, lang) == []
            checked += 1
    assert checked >= 2


# --- words of ours that were stored or listed in one language -------------------------------


@pytest.mark.parametrize(
    ("stored", "indonesian", "english"),
    [
        (
            '{"code":"receipt_uploaded","filename":"struk.jpg"}',
            "bukti transfer diunggah: struk.jpg",
            "receipt uploaded: struk.jpg",
        ),
        # Rows written before notes were codes read the same way.
        (
            "receipt uploaded: struk.jpg",
            "bukti transfer diunggah: struk.jpg",
            "receipt uploaded: struk.jpg",
        ),
        ("bank transfer confirmed", "transfer bank dikonfirmasi", "bank transfer confirmed"),
        (
            "received, confirmed by buyer",
            "diterima, dikonfirmasi pembeli",
            "received, confirmed by the buyer",
        ),
        (
            "stripe ch_1: Rp 125000 refunded in total",
            "pembayaran kartu ch_1: total Rp 125.000 dikembalikan",
            "card payment ch_1: Rp 125,000 refunded in total",
        ),
        # What a person typed is shown as typed, in whatever language they wrote it.
        ("Nominal tidak sesuai", "Nominal tidak sesuai", "Nominal tidak sesuai"),
        ('{"code": broken', '{"code": broken', '{"code": broken'),
    ],
)
def test_order_history_notes_read_in_the_readers_language(app_ctx, stored, indonesian, english):
    from flask_babel import force_locale

    from orders.event_notes import describe

    for lang, expected in (("id", indonesian), ("en", english)):
        with app_ctx.test_request_context("/"), force_locale(lang):
            assert describe(stored) == expected


def test_coded_notes_fit_the_column_and_stay_readable(app_ctx):
    from orders.event_notes import NOTE_LIMIT, coded, describe

    note = coded("receipt_uploaded", filename='"\x01' * 100)
    assert len(note) <= NOTE_LIMIT
    assert describe(note).startswith("bukti transfer diunggah: ")
    with pytest.raises(KeyError):
        coded("no_such_step")


def test_order_page_history_follows_the_buyers_language(client):
    from orders import bank_transfer, fulfilment
    from tests.factories import jpeg_bytes

    order, buyer, seller = _order_for_a_buyer()
    bank_transfer.upload_receipt(order, jpeg_bytes(), "bukti.jpg")
    bank_transfer.confirm_transfer(order, _admin())
    fulfilment.mark_shipped(order.seller_orders[0], seller.owner, "JNE", "JP1234567890")
    fulfilment.confirm_received(order, buyer)
    _login_as(client, buyer)
    indonesian = client.get(f"/orders/{order.number}?lang=id").get_data(as_text=True)
    for words in ("bukti transfer diunggah: bukti.jpg", "transfer bank dikonfirmasi"):
        assert words in indonesian
    assert "diterima, dikonfirmasi pembeli" in indonesian
    english = client.get(f"/orders/{order.number}?lang=en").get_data(as_text=True)
    assert "receipt uploaded: bukti.jpg" in english and "bank transfer confirmed" in english
    assert wrong_language(indonesian, "id") == [] and wrong_language(english, "en") == []


@pytest.mark.parametrize(
    ("typed", "indonesian", "english"),
    [
        ("Arab Saudi", "Arab Saudi", "Saudi Arabia"),
        ("saudi arabia", "Arab Saudi", "Saudi Arabia"),
        ("Hong Kong", "Hong Kong", "Hong Kong"),
        ("Korea Selatan", "Korea Selatan", "South Korea"),
        ("Singapore", "Singapura", "Singapore"),
        ("UEA", "Uni Emirat Arab", "United Arab Emirates"),
        ("Johor Bahru", "Johor Bahru", "Johor Bahru"),  # not a country: as typed
        ("", "", ""),
    ],
)
def test_country_worked_in_is_named_in_the_readers_language(typed, indonesian, english):
    from marketplace.i18n import country_name

    assert country_name(typed, "id") == indonesian
    assert country_name(typed, "en") == english


def test_shop_page_names_the_country_in_the_readers_language(client):
    seller = _seller(country_abroad="Arab Saudi", years_abroad=8)
    english = client.get(f"/shop/{seller.slug}?lang=en").get_data(as_text=True)
    assert "Worked 8 years in Saudi Arabia" in english
    indonesian = client.get(f"/shop/{seller.slug}?lang=id").get_data(as_text=True)
    assert "Arab Saudi" in indonesian and "Saudi Arabia" not in indonesian


@pytest.mark.parametrize(
    ("lang", "bpd", "suggestion"),
    [
        ("id", "Bank Pembangunan Daerah (BPD) lain", "Arab Saudi"),
        ("en", "Another regional development bank (BPD)", "Saudi Arabia"),
    ],
)
def test_bank_and_country_choices_in_the_visitors_language(client, lang, bpd, suggestion):
    seller = _seller()
    _login_as(client, seller.owner)
    page = client.get(f"/seller/shop?lang={lang}").get_data(as_text=True)
    assert bpd in page
    assert f'<option value="{suggestion}">' in page
    assert 'list="countries-abroad"' in page


def _module_texts(text) -> list[str]:
    parts = [text.title, text.summary, text.task_help, str(text.intro_html)]
    parts += [str(lesson.html) for lesson in text.lessons]
    for q in text.quiz:
        parts += [q.question, *q.choices, q.explain]
    return parts


def test_training_amounts_are_written_the_way_each_language_writes_money(app_ctx):
    from sellers.training.content_loader import load_all

    # Amounts after "Rp" and in diagram labels ("<text …>100.000</text>").
    other_style = {
        "en": re.compile(r"(?:Rp ?|>)\d{1,3}(?:\.\d{3})+\b"),
        "id": re.compile(r"(?:Rp ?|>)\d{1,3}(?:,\d{3})+\b"),
    }
    english_amounts = 0
    for module in load_all().values():
        for lang, text in module.texts.items():
            body = "\n".join(_module_texts(text))
            assert other_style[lang].findall(body) == [], (module.slug, lang)
            english_amounts += lang == "en" and body.count("Rp 25,000")
    assert english_amounts > 0


@pytest.mark.parametrize(("lang", "amount"), [("id", "Rp 25.000"), ("en", "Rp 25,000")])
def test_pricing_quiz_shows_rupiah_in_the_visitors_format(client, lang, amount):
    _login_as(client, _new_seller_user())
    page = client.get(f"/learn/harga/quiz?lang={lang}").get_data(as_text=True)
    assert amount in page
    assert {"id": "Rp 25,000", "en": "Rp 25.000"}[lang] not in page


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("id", "Harga harus antara Rp 1.000 dan Rp 100.000.000."),
        ("en", "The price must be between Rp 1,000 and Rp 100,000,000."),
    ],
)
def test_price_range_message_formats_rupiah_for_the_visitor(client, lang, message):
    from tests.factories import make_category

    seller = _seller()
    make_category()
    _login_as(client, seller.owner)
    token = _token(client, "/seller/products/new")
    page = client.post(
        f"/seller/products/new?lang={lang}", data={"csrf_token": token, "price": "10"}
    ).get_data(as_text=True)
    assert message in page


# --- every form class, including ones added after this test was written ---------------------


def _all_form_classes() -> list[type]:
    import importlib
    import pkgutil

    for package in ("marketplace", "catalog", "orders", "sellers"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".demo" not in info.name:
                importlib.import_module(info.name)
    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in ("marketplace", "catalog", "orders", "sellers"):
                found.append(sub)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _errors_of(form_class, data: dict) -> list[str]:
    form = form_class(meta={"csrf": False})
    for field in form:
        if getattr(field, "choices", ()) is None:
            field.choices = []
    form.validate()
    messages = []
    for errors in form.errors.values():
        messages += [str(e) for e in errors]
    return messages


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_form_class_validates_in_the_visitors_language(app_ctx, lang):
    classes = _all_form_classes()
    assert len(classes) >= 15
    checked = 0
    for form_class in classes:
        names = [
            name for name, _f in form_class(meta={"csrf": False}, formdata=None)._fields.items()
        ]
        for data in ({}, {name: value for name in names for value in ("abc" + LONG,)}):
            from werkzeug.datastructures import MultiDict

            with app_ctx.test_request_context(
                f"/?lang={lang}", method="POST", data=MultiDict(data)
            ):
                app_ctx.preprocess_request()
                messages = _errors_of(form_class, data)
            text = "\n".join(messages)
            assert wrong_language(f'<html lang="{lang}"><p>{text}</p>', lang) == [], form_class
            checked += len(messages)
    assert checked > 50
