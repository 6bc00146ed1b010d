"""The ``/search`` query string: parsing it strictly, and building facet links from results.

Every facet and filter is a plain link, so narrowing works without JavaScript; a link keeps the
other parameters and drops the page number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalog.models import Category
from catalog.search.base import (
    MAX_PAGE,
    MAX_QUERY_CHARS,
    PRICE_BANDS,
    SORTS,
    SearchQuery,
    SearchResults,
    band_bounds,
)
from catalog.shops import Seller
from marketplace import regions
from marketplace.extensions import db
from marketplace.i18n import current_locale, format_rupiah
from marketplace.text import is_digits

_PRICE_NOISE = re.compile(r"(?i)rp|[\s.,]")
# What a category or shop slug and a province code look like (the API refuses anything else).
SLUG = re.compile(r"^[a-z0-9-]{1,90}$")
PROVINCE_CODE = re.compile(r"^[0-9]{2}$")


class BadSearch(ValueError):
    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def _price(args, name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    cleaned = _PRICE_NOISE.sub("", raw)
    if not is_digits(cleaned) or len(cleaned) > 12:
        raise BadSearch(_l("Prices must be whole rupiah, for example 25000."))
    return int(cleaned)


def parse_query(args, per_page: int) -> SearchQuery:
    """Unknown sorts and malformed filter values are ignored; bad prices and pages are refused."""
    text = (args.get("q") or "")[:MAX_QUERY_CHARS]
    try:
        page = int(args.get("page") or 1)
    except ValueError:
        page = 1
    if page > MAX_PAGE:
        raise BadSearch(_l("That page is too far back. Narrow the search instead."))
    sort = args.get("sort") or "relevance"
    min_price, max_price = _price(args, "min_price"), _price(args, "max_price")
    if min_price is not None and max_price is not None and min_price > max_price:
        min_price, max_price = max_price, min_price
    category = args.get("category") or ""
    seller = args.get("seller") or ""
    province = args.get("province") or ""
    return SearchQuery(
        text=text,
        category=category if SLUG.match(category) else "",
        seller=seller if SLUG.match(seller) else "",
        province=province if PROVINCE_CODE.match(province) else "",
        min_price=min_price,
        max_price=max_price,
        sort=sort if sort in SORTS else "relevance",
        page=max(page, 1),
        per_page=per_page,
    )


def query_args(query: SearchQuery, **changes) -> dict[str, str]:
    """The query as URL arguments, with ``changes`` applied (``None`` removes one)."""
    args = {
        "q": query.text,
        "category": query.category,
        "province": query.province,
        "seller": query.seller,
        "min_price": "" if query.min_price is None else str(query.min_price),
        "max_price": "" if query.max_price is None else str(query.max_price),
        "sort": "" if query.sort == "relevance" else query.sort,
    }
    for key, value in changes.items():
        args[key] = "" if value is None else str(value)
    return {k: v for k, v in args.items() if v}


def search_url(query: SearchQuery, **changes) -> str:
    # mypy matches the ``**`` of strings against url_for's own ``_external: bool`` too.
    return url_for("catalog.search", **query_args(query, **changes))  # type: ignore[arg-type]


@dataclass(frozen=True)
class FacetLink:
    label: str
    count: int
    url: str
    selected: bool


def _band_label(band: str) -> str:
    low, high = band_bounds(band) or (0, None)
    if high is None:
        return _("from %(low)s", low=format_rupiah(low))
    if low == 0:
        return _("under %(high)s", high=format_rupiah(high + 1))
    return f"{format_rupiah(low)} – {format_rupiah(high + 1)}"


def facet_names(
    facets: dict[str, list[tuple[str, int]]], sellers_shown: int | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """(category slug → name in the visitor's language, shop slug → shop name) for the facet
    values, in one query each; ``sellers_shown`` limits the shops looked up."""
    locale = current_locale()
    cat_slugs = [slug for slug, _n in facets.get("category", [])]
    seller_slugs = [slug for slug, _n in facets.get("seller", [])][:sellers_shown]
    categories = (
        {
            c.slug: c.name(locale)
            for c in db.session.scalars(select(Category).where(Category.slug.in_(cat_slugs)))
        }
        if cat_slugs
        else {}
    )
    sellers = (
        {
            s.slug: s.shop_name
            for s in db.session.scalars(select(Seller).where(Seller.slug.in_(seller_slugs)))
        }
        if seller_slugs
        else {}
    )
    return categories, sellers


def facet_links(query: SearchQuery, results: SearchResults) -> dict[str, list[FacetLink]]:
    facets = results.facets
    categories, sellers = facet_names(facets, sellers_shown=10)
    out: dict[str, list[FacetLink]] = {}
    out["category"] = [
        FacetLink(
            categories.get(slug, slug),
            n,
            search_url(query, category=slug, page=None),
            query.category == slug,
        )
        for slug, n in facets.get("category", [])[:12]
    ]
    out["province"] = [
        FacetLink(
            regions.name(code) or code,
            n,
            search_url(query, province=code, page=None),
            query.province == code,
        )
        for code, n in facets.get("province", [])[:12]
    ]
    out["seller"] = [
        FacetLink(
            sellers.get(slug, slug),
            n,
            search_url(query, seller=slug, page=None),
            query.seller == slug,
        )
        for slug, n in facets.get("seller", [])[:10]
    ]
    counts = dict(facets.get("price_band", []))
    bands = []
    for band, _low, _high in PRICE_BANDS:
        if not counts.get(band):
            continue
        low, high = band_bounds(band) or (0, None)  # every name in PRICE_BANDS has bounds
        bands.append(
            FacetLink(
                _band_label(band),
                counts[band],
                search_url(query, min_price=low or None, max_price=high, page=None),
                (query.min_price or 0) == low and query.max_price == high,
            )
        )
    out["price"] = bands
    return out


def active_filters(query: SearchQuery) -> list[tuple[str, str]]:
    """(label, url that removes it) for each filter in force."""
    active = []
    if query.category:
        category = db.session.scalar(select(Category).where(Category.slug == query.category))
        label = category.name(current_locale()) if category else query.category
        active.append((label, search_url(query, category=None, page=None)))
    if query.province:
        label = regions.name(query.province) or query.province
        active.append((label, search_url(query, province=None, page=None)))
    if query.seller:
        seller = db.session.scalar(select(Seller).where(Seller.slug == query.seller))
        label = seller.shop_name if seller else query.seller
        active.append((label, search_url(query, seller=None, page=None)))
    if query.min_price is not None or query.max_price is not None:
        low = format_rupiah(query.min_price or 0)
        high = format_rupiah(query.max_price) if query.max_price is not None else "…"
        active.append((f"{low} – {high}", search_url(query, min_price=None, max_price=None)))
    return active
