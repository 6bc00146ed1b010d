"""Templates find their translations once per request and language, and still follow a
language forced for part of a request (a mail in its recipient's language)."""

from __future__ import annotations

from flask import render_template_string, session
from flask_babel import force_locale

PAGE = "{{ _('Add to cart') }}|{{ ngettext('%(num)d product', '%(num)d products', 2) }}"


def test_templates_follow_the_request_language_and_a_forced_one(app_ctx):
    with app_ctx.app_context(), app_ctx.test_request_context("/"):
        session["locale"] = "id"
        indonesian = render_template_string(PAGE)
        with force_locale("en"):
            english = render_template_string(PAGE)
        again = render_template_string(PAGE)
    assert indonesian.startswith("Tambah ke keranjang|") and indonesian.endswith("2 produk")
    assert english == "Add to cart|2 products"
    assert again == indonesian


def test_each_request_gets_its_own_language(app_ctx):
    for language, expected in (("en", "Add to cart"), ("id", "Tambah ke keranjang")) * 2:
        with app_ctx.app_context(), app_ctx.test_request_context(f"/?lang={language}"):
            session["locale"] = language
            assert render_template_string("{{ _('Add to cart') }}") == expected
