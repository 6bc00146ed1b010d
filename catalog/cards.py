"""Product cards rendered once and reused by every grid that shows the product.

The same card appears on the home page, its category, its shop, search results and under
related products, and rendering it (price, rating, place name, photo variants) was most of a
listing page's time. A card depends only on the product, the language and whether its photo
loads eagerly, so it is kept under those until the catalogue changes (``catalog.derived``).
"""

from __future__ import annotations

from flask import Flask, current_app
from markupsafe import Markup

from catalog import derived
from marketplace.i18n import current_locale


def card_body(product, eager: bool = False) -> Markup:
    """The inside of a product's card (link, photo, title, price, rating, place, stock)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def render() -> Markup:
        macros = app.jinja_env.get_template("macros/catalog.html").module
        return Markup(macros.card_body(product, eager))  # noqa: S704 - an autoescaping macro's output

    return derived.remember(("card", current_locale(), product.id, bool(eager)), render)


def register_template_globals(app: Flask) -> None:
    # A global, not a context processor: the card macros are imported by other templates.
    app.jinja_env.globals["product_card_body"] = card_body
