"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

Written out by hand beside the views it describes (four read-only endpoints do not need a
framework to generate it); ``tests/catalog/test_api.py`` checks every path here is a route
of the app and every field the API returns is named here.
"""

from __future__ import annotations

from catalog.search.base import MAX_PAGE, MAX_QUERY_CHARS, SORTS


def _string(description: str = "", nullable: bool = False) -> dict:
    schema: dict = {"type": ["string", "null"] if nullable else "string"}
    if description:
        schema["description"] = description
    return schema


def _integer(description: str = "", nullable: bool = False) -> dict:
    schema: dict = {"type": ["integer", "null"] if nullable else "integer"}
    if description:
        schema["description"] = description
    return schema


def _object(properties: dict, nullable: bool = False) -> dict:
    return {
        "type": ["object", "null"] if nullable else "object",
        "required": list(properties),
        "properties": properties,
    }


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_WIDTHS = {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}}
_IMAGE = _object(
    {
        "alt": _string(),
        "width": _integer("width of the original photo, px"),
        "height": _integer(),
        "jpeg": {**_WIDTHS, "description": "JPEG variants by width (320, 640, 1280)"},
        "webp": {**_WIDTHS, "description": "WebP variants by width (320, 640, 1280)"},
    }
)
_PLACE = _object({"code": _string("Kemendagri code"), "name": _string()})
_SUMMARY = {
    "slug": _string(),
    "title": _string(),
    "url": {"type": "string", "format": "uri"},
    "price": _integer("whole rupiah"),
    "price_display": _string("e.g. Rp 25.000, in the request's language"),
    "currency": {"const": "IDR"},
    "in_stock": {"type": "boolean"},
    "category": _object({"slug": _string(), "name": _string()}),
    "seller": _object({"slug": _string(), "name": _string(), "url": _string()}),
    "origin": _object({level: _PLACE for level in ("province", "regency", "district", "village")}),
    "image": {"oneOf": [_ref("Image"), {"type": "null"}], "description": "the cover photo"},
    "rating": _object(
        {
            "average": {"type": ["number", "null"], "description": "1–5, one decimal"},
            "count": _integer(),
        }
    ),
}
_DETAIL = {
    **_SUMMARY,
    "description": _string(),
    "weight_grams": _integer("shipping weight"),
    "net_weight": _string("as on the label, e.g. 250 g"),
    "ingredients": _string(),
    "best_before": _string(),
    "permits": _object(
        {
            "pirt": _string("P-IRT home-industry permit number", nullable=True),
            "bpom": _string("BPOM MD registration number", nullable=True),
            "halal": _string("halal certificate number", nullable=True),
        }
    ),
    "images": {"type": "array", "items": _ref("Image")},
}
_FACET = _object({"value": _string(), "label": _string(), "count": _integer()})
_PRICE_FACET = _object(
    {
        "min_price": _integer(),
        "max_price": _integer(nullable=True),
        "label": _string(),
        "count": _integer(),
    }
)
_CATEGORY = {
    "slug": _string(),
    "name": _string("in the request's language"),
    "name_id": _string(),
    "name_en": _string(),
    "url": {"type": "string", "format": "uri"},
}
_PAGE = {
    "items": {"type": "array", "items": _ref("ProductSummary")},
    "total": _integer("matching products"),
    "page": _integer(),
    "per_page": _integer(),
    "pages": _integer(),
    "next": {"type": ["string", "null"], "format": "uri"},
    "previous": {"type": ["string", "null"], "format": "uri"},
    "suggestion": _string("a corrected query (did you mean)", nullable=True),
    "fuzzy": {"type": "boolean", "description": "matched by similar words, not exactly"},
    "facets": _object(
        {
            "category": {"type": "array", "items": _ref("Facet")},
            "province": {"type": "array", "items": _ref("Facet")},
            "seller": {"type": "array", "items": _ref("Facet")},
            "price": {"type": "array", "items": _ref("PriceFacet")},
        }
    ),
}
_ERROR = _object(
    {"error": _string("what was wrong, in the request's language"), "status": _integer()}
)


def _query(name: str, description: str, schema: dict) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_LANG = _query(
    "lang",
    "language of names, prices and messages: id (the default) or en; anything else means id",
    {"type": "string", "examples": ["id", "en"]},
)
_BAD = _json(_ref("Error"), "a parameter out of its range or of an unknown value")
_PRICE = {"type": "integer", "minimum": 0, "maximum": 999_999_999_999}
_SLUG = {"type": "string", "pattern": "^[a-z0-9-]{0,90}$", "description": "empty means any"}
_LIMITED = _json(_ref("Error"), "too many requests from this address")


def openapi_document(server_url: str, max_per_page: int) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Migrant Mart API",
            "version": "1",
            "description": (
                "Read-only: products made by Indonesian returned migrant workers and their "
                "village groups, as the public pages show them. No key needed; rate-limited "
                "per address."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/products": {
                "get": {
                    "summary": "Search products, or list them all (newest first) without q",
                    "parameters": [
                        _query(
                            "q",
                            f"words, in Indonesian or English (only the first {MAX_QUERY_CHARS} "
                            "characters count)",
                            {"type": "string"},
                        ),
                        _query(
                            "category",
                            "category slug (a parent includes its children)",
                            _SLUG,
                        ),
                        _query(
                            "province",
                            "two-digit province code",
                            {"type": "string", "pattern": "^([0-9]{2})?$"},
                        ),
                        _query("seller", "shop slug", _SLUG),
                        _query("min_price", "whole rupiah", _PRICE),
                        _query("max_price", "whole rupiah", _PRICE),
                        _query(
                            "sort",
                            "order of results",
                            {"enum": list(SORTS), "default": "relevance"},
                        ),
                        _query(
                            "page",
                            "page number",
                            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                        ),
                        _query(
                            "per_page",
                            "products per page",
                            {"type": "integer", "minimum": 1, "maximum": max_per_page},
                        ),
                        _LANG,
                    ],
                    "responses": {
                        "200": _json(_ref("ProductPage"), "a page of products with facet counts"),
                        "400": _BAD,
                        "429": _LIMITED,
                    },
                }
            },
            "/products/{slug}": {
                "get": {
                    "summary": "One public product",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        _LANG,
                    ],
                    "responses": {
                        "200": _json(_ref("Product"), "the product"),
                        "404": _json(_ref("Error"), "no such public product"),
                        "429": _LIMITED,
                    },
                }
            },
            "/categories": {
                "get": {
                    "summary": "The category tree",
                    "parameters": [_LANG],
                    "responses": {
                        "200": _json(
                            _object({"items": {"type": "array", "items": _ref("CategoryTree")}}),
                            "top categories with their children",
                        ),
                        "429": _LIMITED,
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
        "components": {
            "schemas": {
                "Image": _IMAGE,
                "ProductSummary": _object(_SUMMARY),
                "Product": _object(_DETAIL),
                "ProductPage": _object(_PAGE),
                "Facet": _FACET,
                "PriceFacet": _PRICE_FACET,
                "Category": _object(_CATEGORY),
                "CategoryTree": _object(
                    {**_CATEGORY, "children": {"type": "array", "items": _ref("Category")}}
                ),
                "Error": _ERROR,
            }
        },
    }
