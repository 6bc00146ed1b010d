"""Product cards rendered once and reused by every grid that shows the product.

The same card appears on the home page, its category, its shop, search results and under
related products, and rendering it (price, rating, place name, photo variants) was most of a
listing page's time, with loading the product, its shop and photos most of the rest. A card
depends only on the product and the language (and whether its photo loads eagerly, both kinds
drawn at once), so it is kept under those until the catalogue changes (``catalog.derived``), and
listings load from the database only the products whose card is not kept yet (``listed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

from catalog import derived
from marketplace.i18n import current_locale
from marketplace.safe_text import CheckedMarkup


@dataclass(frozen=True)
class Listed:
    """A product in a listing: its id, and either its kept card (both kinds) or the product
    itself when the card must be drawn."""

    id: int
    product: Any = None
    kept: tuple[Markup, Markup] | None = None


def _key(product_id: int, locale: str | None = None) -> tuple:
    return ("card", locale or current_locale(), product_id)


def listed(ids: list[int]) -> list[Listed]:
    """The listing's products in order, with the cards kept already; the others loaded in one
    query. The language and the kept cards are looked up once for the whole listing."""
    from catalog import services

    locale = current_locale()
    kept = derived.peek_many([_key(i, locale) for i in ids])
    missing = [i for i, card in zip(ids, kept, strict=True) if card is None]
    loaded = {p.id: p for p in services.products_in_order(missing)} if missing else {}
    return [
        Listed(i, loaded.get(i), card)
        for i, card in zip(ids, kept, strict=True)
        if card is not None or i in loaded
    ]


def _draw(product) -> tuple[Markup, Markup]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    macros = app.jinja_env.get_template("macros/catalog.html").module
    # Each value in the card went through the template's ``finalize`` as it was drawn.
    return (
        CheckedMarkup(macros.card_body(product, False)),  # noqa: S704 - an autoescaping macro's output
        CheckedMarkup(macros.card_body(product, True)),  # noqa: S704 - as above
    )


def card_body(item, eager: bool = False) -> Markup:
    """The inside of a product's card (link, photo, title, price, rating, place, stock), for a
    product or a ``Listed`` one."""
    if isinstance(item, Listed) and item.kept is not None:
        return item.kept[1 if eager else 0]
    product = item.product if isinstance(item, Listed) else item

    def draw() -> tuple[Markup, Markup]:
        if product is not None:
            return _draw(product)
        from catalog import services  # the kept card expired since the listing looked

        found = services.products_in_order([item.id])
        return _draw(found[0]) if found else (CheckedMarkup(""), CheckedMarkup(""))

    return derived.remember(_key(item.id), draw)[1 if eager else 0]


def product_grid(items, eager_first: int = 0) -> CheckedMarkup:
    """The grid of product cards a listing shows (the first ``eager_first`` photos load at
    once). Built here rather than by a macro calling a macro per card: the cards are kept
    already, and joining them is most of the work left."""
    parts = ['<ul class="grid">\n']
    for index, item in enumerate(items, 1):
        parts += ['<li class="card">\n', card_body(item, index <= eager_first), "\n</li>\n"]
    parts.append("</ul>")
    return CheckedMarkup("".join(parts))  # noqa: S704 - kept cards and fixed markup


def register_template_globals(app: Flask) -> None:
    # Globals, not a context processor: the card macros are imported by other templates.
    app.jinja_env.globals["product_card_body"] = card_body
    app.jinja_env.globals["product_grid"] = product_grid
