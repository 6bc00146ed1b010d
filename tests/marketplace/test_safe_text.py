"""User text in translated messages is escaped; bidirectional controls never reach a page."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import lazy_gettext as _l

from marketplace.safe_text import finalize, strip_bidi_controls
from tests.factories import make_product, make_seller

MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.mark.parametrize("locale", ["id", "en"])
def test_user_text_inside_a_lazy_message_is_escaped(app_ctx, locale):
    message = _l("The reference can be at most %(n)s characters.", n=MARKUP)
    with app_ctx.test_request_context(f"/?lang={locale}"):
        html = render_template_string("<p>{{ message }}</p>", message=message)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_bidi_controls_are_removed_from_page_text(app_ctx):
    name = "Budi \u202eSantoso\u202c \u2066x\u2069"
    with app_ctx.test_request_context("/"):
        html = render_template_string("{{ name }}|{{ name|safe }}", name=name)
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert ch not in html
    assert "Budi Santoso x" in html


def test_right_to_left_letters_stay():
    assert strip_bidi_controls("سكر aren") == "سكر aren"
    assert finalize(None) is None and finalize(5) == 5


def test_shop_name_with_an_override_reaches_the_storefront_without_it(client):
    seller = make_seller(shop_name="Toko \u202eAnyaman")
    make_product(seller=seller)
    page = client.get(f"/shop/{seller.slug}").get_data(as_text=True)
    assert "\u202e" not in page and "Toko Anyaman" in page


def test_bank_name_markup_in_the_payout_account_error_is_escaped(app_ctx):
    from werkzeug.datastructures import MultiDict

    from sellers.forms import ShopForm

    data = MultiDict({"bank_name": MARKUP, "bank_account_number": "123"})
    with app_ctx.test_request_context("/", method="POST"):
        form = ShopForm(formdata=data, meta={"csrf": False})
        form.validate()
        assert form.bank_account_number.errors
        html = render_template_string(
            "{% for e in form.bank_account_number.errors %}<p>{{ e }}</p>{% endfor %}", form=form
        )
    # The unknown bank's name is not echoed at all: the seller is asked to choose one.
    assert "<script>" not in html and "<img" not in html
    assert "script" not in html and "Pilih bank" in html


def test_every_bidi_control_is_stripped_from_long_and_non_ascii_text():
    from markupsafe import Markup

    markup = Markup  # plain test strings, no user input  # noqa: S704
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    for text in ("★ 4,5 · Lombok " * 200, "Budi\u200fSantoso", "a" * 3000 + "é"):
        assert strip_bidi_controls(text) == text  # nothing to take out: unchanged
        assert finalize(markup(text)) == markup(text)
        for control in controls:
            mixed = text[:10] + control + text[10:] + control
            assert strip_bidi_controls(mixed) == text
            assert finalize(markup(mixed)) == markup(text)
            assert finalize(mixed) == text


def test_a_title_with_an_override_reaches_every_grid_without_it(client):
    product = make_product(title="Gula \u202eAren Sesaot", featured=True)
    for url in ("/", f"/c/{product.category.slug}", f"/shop/{product.seller.slug}"):
        for _ in range(2):  # drawn, then from the kept card
            page = client.get(url).get_data(as_text=True)
            assert "\u202e" not in page and "Gula Aren Sesaot" in page, url
