"""Buyer-facing catalogue pages: category listings, product pages, seller storefronts."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from catalog import cards, page_extras, services
from catalog import search as search_engine
from catalog.images import urls as image_urls
from catalog.ratings import NO_RATING
from catalog.search import misses as search_misses
from catalog.search.analysis import has_search_terms
from catalog.search.highlight import snippet
from catalog.search.params import (
    BadSearch,
    active_filters,
    facet_links,
    parse_query,
    query_args,
)
from marketplace import page_cache
from marketplace.forms import ascii_int
from marketplace.i18n import format_rupiah
from marketplace.page_cache import cached_page

bp = Blueprint("catalog", __name__)


@bp.record_once
def _template_globals(state) -> None:
    image_urls.register_template_globals(state.app)
    cards.register_template_globals(state.app)


def _page_arg() -> int:
    try:
        page = ascii_int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), 100_000)


@bp.get("/")
@cached_page
def home():
    return render_template(
        "home.html",
        categories=services.top_categories(),
        featured=services.featured_products(limit=8, load=cards.listed),
        newest=services.newest_products(limit=8, load=cards.listed),
        villages=services.seller_villages(),
    )


@bp.get("/c/<slug>")
@cached_page
def category(slug: str):
    cat = services.get_category(slug)
    sort = request.args.get("sort", services.DEFAULT_SORT)
    if sort not in services.SORTS:
        sort = services.DEFAULT_SORT
    page = services.list_category(cat, sort, _page_arg(), load=cards.listed)
    return render_template(
        "catalog/category.html", category=cat, page=page, sort=sort, sorts=services.SORTS
    )


@bp.get("/p/<slug>")
@cached_page
def product(slug: str):
    item = services.get_public_product(slug)
    rating = item.rating
    return render_template(
        "catalog/product.html",
        product=item,
        related=services.related_products(item, load=cards.listed),
        rating=rating,
        **page_extras.collect("product", item, reviews=[]),
        **_product_context(item, rating),
    )


def _product_context(item, rating=None) -> dict:
    """Share texts and the schema.org ``Product`` object for rich results and link previews."""
    url = url_for("catalog.product", slug=item.slug, _external=True)
    share = _(
        "%(title)s — %(price)s, from %(shop)s on Migrant Mart: %(url)s",
        title=item.title,
        price=format_rupiah(item.price),
        shop=item.seller.shop_name,
        url=url,
    )
    ask = _(
        "Hello %(shop)s, I am interested in %(title)s (%(url)s).",
        shop=item.seller.shop_name,
        title=item.title,
        url=url,
    )
    jsonld = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": item.title,
        "description": item.description,
        "sku": str(item.id),
        "url": url,
        "image": [image_urls.image_src(img, 1280, external=True) for img in item.images],
        "brand": {"@type": "Brand", "name": item.seller.shop_name},
        "category": item.category.name_en,
        "offers": {
            "@type": "Offer",
            "url": url,
            "priceCurrency": "IDR",
            "price": item.price,
            "availability": "https://schema.org/InStock"
            if item.in_stock
            else "https://schema.org/OutOfStock",
            "seller": {"@type": "Organization", "name": item.seller.shop_name},
        },
    }
    if rating is not None and rating.count:
        jsonld["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": str(rating.rounded),
            "bestRating": 5,
            "worstRating": 1,
            "reviewCount": rating.count,
        }
    if item.weight_grams:
        jsonld["weight"] = {
            "@type": "QuantitativeValue",
            "value": item.weight_grams,
            "unitCode": "GRM",
        }
    return {"share_text": share, "ask_text": ask, "product_jsonld": jsonld}


@bp.get("/shop/<slug>")
@cached_page
def shop(slug: str):
    seller = services.get_public_seller(slug)
    page = services.list_seller_products(seller, _page_arg(), load=cards.listed)
    return render_template(
        "catalog/shop.html",
        seller=seller,
        page=page,
        **page_extras.collect("shop", seller, rating=NO_RATING, reviews=[]),
    )


# Everything /search understands; a result page with anything else is rendered fresh.
SEARCH_ARGS = frozenset(
    {"q", "category", "province", "seller", "min_price", "max_price", "sort", "page", "lang"}
)


@bp.get("/search")
def search():
    try:
        query = parse_query(request.args, current_app.config["PRODUCTS_PER_PAGE"])
    except BadSearch as exc:
        return render_template(
            "catalog/search.html",
            q="",
            search_text=request.args.get("q", ""),
            results=None,
            error=exc.message,
        ), 400
    query.text = " ".join(query.text.split())  # "gula  aren " is "gula aren": one cached page
    if query.asks_nothing:
        return render_template(
            "catalog/search.html", q=query.text, search_text=query.text, results=None, error=""
        )
    if query.unsearchable:  # e.g. only emoji or "*": same prompt as a blank search
        return render_template(
            "catalog/search.html", q="", search_text=query.text, results=None, error=""
        )
    # Links to this page in the other language name the query as understood, so a cached page
    # (kept under the normalised query) links the same way whatever spelling filled it.
    g.canonical_args = query_args(query, page=query.page if query.page > 1 else None)
    if page_cache.cacheable(SEARCH_ARGS):
        key = (
            "search",
            query.text,
            query.category,
            query.province,
            query.seller,
            query.min_price,
            query.max_price,
            query.sort,
            query.page,
            query.per_page,
        )
        response = page_cache.serve(key, lambda: _search_page(query))
        total = g.page_cache_extra
    else:
        kept = _search_page(query)
        response, total = kept.body, kept.extra
    # Counted on every request that finds nothing, from the cache or not (see misses.record).
    search_misses.record(query, total)
    return response


def _search_page(query) -> page_cache.Kept:
    """The result page, kept with its result count (what counting a miss needs on a hit)."""
    results = search_engine.search(query)
    descriptions = services.public_descriptions(results.ids)
    products = [p for p in cards.listed(list(descriptions)) if p.id in descriptions]
    body = render_template(
        "catalog/search.html",
        q=query.text,
        search_text=query.text,
        query=query,
        results=results,
        products=products,
        snippets={i: snippet(text, query.text) for i, text in descriptions.items() if text},
        facets=facet_links(query, results),
        active=active_filters(query),
        page_args=query_args(query),
        sorts=search_engine.SORTS,
        error="",
    )
    return page_cache.Kept(body, results.total)


@bp.get("/search/suggest")
def search_suggest():
    """Autocomplete for the search box: ``[{"title": …, "url": …}]``."""
    q = request.args.get("q", "")
    items = search_engine.suggest(q) if has_search_terms(q, prefix=True) else []
    response = jsonify(
        [{"title": s.title, "url": url_for("catalog.product", slug=s.slug)} for s in items]
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
