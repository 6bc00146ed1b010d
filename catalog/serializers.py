"""Products and categories as the JSON API gives them (the shapes ``catalog/openapi.py`` names).

Prices are whole rupiah as integers (``price``) plus the text a page would show
(``price_display``, in the request's language); stock is only "in stock or not", as on the
product page; links are absolute, so a partner page can use them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import url_for

from catalog.images.urls import image_src
from catalog.models import Category, Product, ProductImage
from catalog.search.base import band_bounds
from catalog.search.params import facet_names
from marketplace import regions
from marketplace.i18n import current_locale, format_rupiah

IMAGE_WIDTHS = (320, 640, 1280)


def _rating(rating) -> dict:
    rounded = rating.rounded
    return {"average": float(rounded) if rounded is not None else None, "count": rating.count}


def _image(image: ProductImage) -> dict:
    return {
        "alt": image.alt_text,
        "width": image.width,
        "height": image.height,
        "jpeg": {str(w): image_src(image, w, "jpg", external=True) for w in IMAGE_WIDTHS},
        "webp": {str(w): image_src(image, w, "webp", external=True) for w in IMAGE_WIDTHS},
    }


def _origin(village_code: str) -> dict:
    codes = regions.chain(village_code)
    return {
        level: {"code": codes[f"{level}_code"], "name": regions.name(codes[f"{level}_code"])}
        for level in ("province", "regency", "district", "village")
    }


def product_summary(product: Product) -> dict:
    locale = current_locale()
    seller = product.seller
    return {
        "slug": product.slug,
        "title": product.title,
        "url": url_for("catalog.product", slug=product.slug, _external=True),
        "price": product.price,
        "price_display": format_rupiah(product.price, locale),
        "currency": "IDR",
        "in_stock": product.in_stock,
        "category": {"slug": product.category.slug, "name": product.category.name(locale)},
        "seller": {
            "slug": seller.slug,
            "name": seller.shop_name,
            "url": url_for("catalog.shop", slug=seller.slug, _external=True),
        },
        "origin": _origin(product.village_code),
        "image": _image(product.cover) if product.cover else None,
        "rating": _rating(product.rating),
    }


def product_summaries(products: list[Product]) -> list[dict]:
    return [product_summary(p) for p in products]


def product_detail(product: Product) -> dict:
    return {
        **product_summary(product),
        "description": product.description,
        "weight_grams": product.weight_grams,
        "net_weight": product.net_weight,
        "ingredients": product.ingredients,
        "best_before": product.best_before,
        "permits": {
            "pirt": product.pirt_number or None,
            "bpom": product.bpom_number or None,
            "halal": product.halal_number or None,
        },
        "images": [_image(image) for image in product.images],
    }


def category_tree(top: Iterable[Category]) -> list[dict]:
    locale = current_locale()

    def one(category: Category) -> dict:
        return {
            "slug": category.slug,
            "name": category.name(locale),
            "name_id": category.name_id,
            "name_en": category.name_en,
            "url": url_for("catalog.category", slug=category.slug, _external=True),
        }

    return [
        {**one(parent), "children": [one(child) for child in parent.children]} for parent in top
    ]


def facet_values(facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[dict]]:
    """Facet counts as ``{"value", "label", "count"}``, ``value`` being what the filter of the
    same name takes; price bands as the ``min_price``/``max_price`` that select them."""
    locale = current_locale()
    categories, sellers = facet_names(facets)
    labels = {
        "category": lambda v: categories.get(v) or v,
        "seller": lambda v: sellers.get(v) or v,
        "province": lambda v: regions.name(v) or v,
    }
    out = {
        name: [{"value": v, "label": labels[name](v), "count": n} for v, n in values]
        for name, values in facets.items()
        if name in labels
    }
    out["price"] = []
    for band, n in facets.get("price_band", []):
        low, high = band_bounds(band) or (0, None)
        label = f"{format_rupiah(low, locale)} – {format_rupiah(high, locale) if high else '…'}"
        out["price"].append({"min_price": low, "max_price": high, "label": label, "count": n})
    out["price"].sort(key=lambda band: band["min_price"])
    return out
