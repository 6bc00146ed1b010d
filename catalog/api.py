"""The public, read-only JSON API (``/api/v1``): products, search and categories.

For village portals, programme dashboards and partner shops that show our sellers' products
on their own pages. It exposes exactly what the public pages show — published products of
verified shops, never stock counts, drafts or anyone's personal data — so it needs no keys;
it is rate-limited per address (``API_RATE_LIMIT``) and answers any origin (CORS ``*``),
since nothing in it depends on a login. Search takes the same parameters as ``/search`` and
runs through the same search backend.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from catalog import search as search_engine
from catalog import services
from catalog.openapi import openapi_document
from catalog.search.params import BadSearch, parse_query
from catalog.serializers import (
    category_tree,
    facet_values,
    product_detail,
    product_summaries,
)
from marketplace.errors import NotFound
from marketplace.extensions import limiter
from orders import reviews

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 60
CACHE_SECONDS = 60


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_api_limit)(bp)


@bp.after_request
def _public_json(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept-Language"
    if response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def _error(message, status: int = 400):
    return jsonify(error=str(message), status=status), status


def _per_page() -> int:
    default = current_app.config["PRODUCTS_PER_PAGE"]
    try:
        asked = int(request.args.get("per_page") or default)
    except ValueError:
        return default
    return min(max(asked, 1), MAX_PER_PAGE)


@bp.get("/products")
def products():
    """Search, or list every public product (newest first) when no words are given."""
    args = request.args.to_dict()
    if not (args.get("q") or "").strip() and not args.get("sort"):
        args["sort"] = "newest"
    try:
        query = parse_query(args, _per_page())
    except BadSearch as exc:
        return _error(exc.message)
    results = search_engine.search(query)
    items = services.products_in_order(results.ids)
    pages = max(1, -(-results.total // query.per_page))

    def page_url(page: int) -> str | None:
        if not 1 <= page <= pages or page == results.page:
            return None
        return url_for(".products", **{**request.args.to_dict(), "page": page}, _external=True)

    return jsonify(
        items=product_summaries(items, reviews.ratings_for_products(p.id for p in items)),
        total=results.total,
        page=results.page,
        per_page=query.per_page,
        pages=pages,
        next=page_url(results.page + 1),
        previous=page_url(results.page - 1),
        suggestion=results.suggestion or None,
        fuzzy=results.fuzzy,
        facets=facet_values(results.facets),
    )


@bp.get("/products/<slug>")
def product(slug: str):
    try:
        item = services.get_public_product(slug)
    except NotFound:
        return _error("Not Found", 404)
    return jsonify(product_detail(item, reviews.product_rating(item.id)))


@bp.get("/categories")
def categories():
    return jsonify(items=category_tree(services.top_categories()))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(url_for(".products", _external=True).rsplit("/", 1)[0]))
