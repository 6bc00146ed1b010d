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
from flask_babel import gettext as _

from catalog import search as search_engine
from catalog import services
from catalog.openapi import openapi_document
from catalog.search.base import MAX_PAGE, SORTS, SearchResults
from catalog.search.params import PROVINCE_CODE, SLUG, BadSearch, parse_query
from catalog.serializers import (
    category_tree,
    facet_values,
    product_detail,
    product_summaries,
)
from marketplace.extensions import limiter
from marketplace.text import is_digits

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 60
MAX_PRICE = 999_999_999_999  # twelve digits, as /search takes
CACHE_SECONDS = 60


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


# One budget per address for the whole API, whichever endpoints it is spent on.
limiter.shared_limit(_api_limit, scope="api")(bp)


@bp.after_request
def _public_json(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept-Language"
    if response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def _error(message, status: int = 400):
    return jsonify(error=str(message), status=status), status


def _whole(name: str, low: int, high: int) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    if not is_digits(raw) or not low <= int(raw) <= high:
        raise BadSearch(
            _(
                "%(name)s must be a whole number from %(low)s to %(high)s.",
                name=name,
                low=low,
                high=high,
            )
        )
    return int(raw)


def _strict_args() -> dict[str, str]:
    """The query string, refusing what ``/search`` would quietly ignore: a program calling the
    API wants to hear that its ``sort`` or ``province`` is wrong, not get other results."""
    args = request.args.to_dict()
    sort = args.get("sort")
    if sort and sort not in SORTS:
        raise BadSearch(_("Unknown sort: use one of %(sorts)s.", sorts=", ".join(SORTS)))
    for name in ("category", "seller"):
        if args.get(name) and not SLUG.match(args[name]):
            raise BadSearch(
                _("%(name)s must be a slug: lowercase letters, digits and hyphens.", name=name)
            )
    if args.get("province") and not PROVINCE_CODE.match(args["province"]):
        raise BadSearch(_("province must be a two-digit code, for example 52."))
    for name in ("min_price", "max_price"):  # "25.000" reads as rupiah on a page, not here
        _whole(name, 0, MAX_PRICE)
    _whole("page", 1, MAX_PAGE)
    args["per_page"] = str(_whole("per_page", 1, MAX_PER_PAGE) or "")
    if not (args.get("q") or "").strip() and not sort:
        args["sort"] = "newest"
    return args


@bp.get("/products")
def products():
    """Search, or list every public product (newest first) when no words are given."""
    try:
        args = _strict_args()
        per_page = int(args["per_page"] or current_app.config["PRODUCTS_PER_PAGE"])
        query = parse_query(args, per_page)
    except BadSearch as exc:
        return _error(exc.message)
    if query.unsearchable:  # only emoji, "*", one letter …: nothing matches, not everything
        results = SearchResults(ids=[], total=0, page=query.page, per_page=query.per_page)
    else:
        results = search_engine.search(query)
    items = services.products_in_order(results.ids)
    pages = max(1, -(-results.total // query.per_page))

    def page_url(page: int) -> str | None:
        if not 1 <= page <= pages or page == results.page:
            return None
        args = {**request.args.to_dict(), "page": str(page)}
        return url_for(".products", **args, _external=True)

    return jsonify(
        items=product_summaries(items),
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
    item = services.get_public_product(slug)
    return jsonify(product_detail(item))


@bp.get("/categories")
def categories():
    return jsonify(items=category_tree(services.top_categories()))


@bp.get("/openapi.json")
def openapi():
    server = url_for(".products", _external=True).rsplit("/", 1)[0]
    return jsonify(openapi_document(server, MAX_PER_PAGE))
