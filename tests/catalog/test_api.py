"""The public JSON API: only what the public pages show, the same search, clear errors, and
an OpenAPI document that matches the routes and the fields returned."""

from __future__ import annotations

import pytest

from catalog import services as catalog
from catalog.models import ProductStatus
from sellers.models import SellerStatus
from tests.factories import jpeg_bytes, make_category, make_product, make_seller


def _get(client, path: str, **args):
    response = client.get(path, query_string=args)
    assert response.is_json, (path, response.status_code)
    return response


def test_search_returns_ranked_products_with_facets_and_links(client, search_backend):
    parent = make_category("olahan-pangan")
    sugar = make_category("gula-pemanis", parent=parent)
    seller = make_seller(shop_name="Gula Semut Longseran", slug="gula-longseran")
    product = make_product(
        seller=seller,
        category=sugar,
        title="Gula Semut Aren Sesaot",
        description="Gula aren bubuk dari nira hutan Sesaot.",
        price=25000,
        pirt_number="2065201010023-28",
    )
    catalog.add_product_images(product, [(jpeg_bytes(), "gula.jpg")])
    make_product(title="Kopi Robusta Tanggamus", category=make_category("kopi"))

    response = _get(client, "/api/v1/products", q="palm sugar")  # English, a synonym
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    data = response.get_json()
    assert data["total"] == 1 and data["pages"] == 1 and data["next"] is None
    [item] = data["items"]
    assert item["slug"] == product.slug and item["title"] == "Gula Semut Aren Sesaot"
    assert (item["price"], item["price_display"], item["currency"]) == (25000, "Rp 25.000", "IDR")
    assert item["url"] == f"http://localhost/p/{product.slug}"
    assert item["seller"] == {
        "slug": "gula-longseran",
        "name": "Gula Semut Longseran",
        "url": "http://localhost/shop/gula-longseran",
    }
    assert item["origin"]["village"]["name"] == "Pringgasela"
    assert item["origin"]["province"] == {"code": "52", "name": "Nusa Tenggara Barat"}
    assert item["image"]["jpeg"]["640"].startswith("http://localhost/media/")
    assert item["rating"] == {"average": None, "count": 0}
    assert "stock" not in item  # only "in stock or not", as the product page shows
    assert data["facets"]["category"] == [
        {"value": "gula-pemanis", "label": sugar.name_id, "count": 1}
    ]
    assert data["facets"]["seller"] == [
        {"value": "gula-longseran", "label": "Gula Semut Longseran", "count": 1}
    ]
    assert data["facets"]["price"] == [
        {"min_price": 25000, "max_price": 49999, "label": "Rp 25.000 – Rp 49.999", "count": 1}
    ]

    narrowed = _get(client, "/api/v1/products", q="gula", category="kopi").get_json()
    assert narrowed["total"] == 0 and narrowed["items"] == []


def test_listing_without_words_pages_through_every_public_product(client, search_backend):
    made = [make_product(title=f"Garam Ekas {n}") for n in range(5)]
    make_product(title="Garam Draf", status=ProductStatus.DRAFT)
    make_product(title="Garam Toko Baru", seller=make_seller(status=SellerStatus.SUBMITTED))

    first = _get(client, "/api/v1/products", per_page=2).get_json()
    assert first["total"] == 5 and first["pages"] == 3 and first["previous"] is None
    assert [i["slug"] for i in first["items"]] == [made[4].slug, made[3].slug]  # newest first
    second = client.get(first["next"]).get_json()
    assert [i["slug"] for i in second["items"]] == [made[2].slug, made[1].slug]
    assert second["previous"].endswith("page=1")
    too_many = _get(client, "/api/v1/products", per_page=500)
    assert too_many.status_code == 400
    assert too_many.get_json()["error"] == "per_page harus bilangan bulat dari 1 sampai 60."


def test_typos_get_a_suggestion(client, search_backend):
    make_product(title="Tas Anyaman Ketak")
    data = _get(client, "/api/v1/products", q="anyaaman").get_json()
    assert data["total"] == 1 and data["suggestion"] == "anyaman"


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        ({"min_price": "murah"}, 400, "min_price harus bilangan bulat dari 0 sampai"),
        ({"min_price": "-5"}, 400, "min_price harus bilangan bulat"),
        ({"min_price": "0.5"}, 400, "min_price harus bilangan bulat"),
        ({"max_price": "³"}, 400, "max_price harus bilangan bulat"),
        ({"page": "³"}, 400, "page harus bilangan bulat"),
        ({"page": "10000"}, 400, "page harus bilangan bulat dari 1 sampai 400."),
        ({"page": "abc"}, 400, "page harus bilangan bulat"),
        ({"per_page": "0"}, 400, "per_page harus bilangan bulat dari 1 sampai 60."),
        ({"sort": "bogus"}, 400, "Urutan tidak dikenal: pakai salah satu dari relevance, "),
        ({"province": "<script>"}, 400, "province harus kode provinsi dua angka"),
        ({"category": "../../etc"}, 400, "category harus berupa slug"),
        ({"seller": "Toko Saya"}, 400, "seller harus berupa slug"),
        ({"q": '"(*:AND --%'}, 200, None),
        ({"q": "x" * 3000}, 200, None),
        ({"q": "gula", "lang": "xx"}, 200, None),
    ],
)
def test_bad_input_gets_a_json_answer_never_a_500(client, args, status, message):
    make_product(title="Gula Aren")
    response = _get(client, "/api/v1/products", **args)
    assert response.status_code == status
    if message:
        assert message in response.get_json()["error"]
        assert response.get_json()["status"] == 400


def test_messages_follow_the_language_and_methods_are_named(client):
    english = _get(client, "/api/v1/products", sort="bogus", lang="en").get_json()
    assert english["error"].startswith("Unknown sort: use one of relevance")
    response = client.post("/api/v1/products")
    assert response.status_code == 405 and response.is_json
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}


def test_product_detail_shows_permits_and_hides_what_is_not_public(client):
    product = make_product(
        title="Terasi Udang Jerowaru",
        description="Terasi udang rebon.",
        pirt_number="2065203020011-27",
        halal_number="ID52110000123450923",
        net_weight="100 g",
    )
    response = _get(client, f"/api/v1/products/{product.slug}")
    assert response.status_code == 200
    data = response.get_json()
    assert data["permits"] == {
        "pirt": "2065203020011-27",
        "bpom": None,
        "halal": "ID52110000123450923",
    }
    assert (data["description"], data["net_weight"], data["images"]) == (
        "Terasi udang rebon.",
        "100 g",
        [],
    )
    english = _get(client, f"/api/v1/products/{product.slug}", lang="en").get_json()
    assert english["category"]["name"] == product.category.name_en

    draft = make_product(status=ProductStatus.DRAFT)
    unverified = make_product(seller=make_seller(status=SellerStatus.SUSPENDED))
    for slug in (draft.slug, unverified.slug, "tidak-ada"):
        response = _get(client, f"/api/v1/products/{slug}")
        assert response.status_code == 404
        assert response.get_json() == {"error": "Not Found", "status": 404}


def test_categories_are_a_tree_in_both_languages(client):
    food = make_category("olahan-pangan")
    make_category("gula-pemanis", parent=food)
    data = _get(client, "/api/v1/categories").get_json()
    [top] = data["items"]
    assert (top["slug"], top["name"], top["name_en"]) == (
        "olahan-pangan",
        food.name_id,
        food.name_en,
    )
    assert [c["slug"] for c in top["children"]] == ["gula-pemanis"]
    assert top["url"] == "http://localhost/c/olahan-pangan"


def test_the_api_is_rate_limited_per_address(client, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "API_RATE_LIMIT", "3 per minute")
    statuses = [client.get("/api/v1/categories").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/categories").get_json()["status"] == 429
    assert client.get("/").status_code == 200  # the pages have their own limits


def _fields(schema: dict, components: dict) -> set[str]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return set(schema.get("properties", {}))


def test_openapi_document_matches_routes_and_responses(client, app_ctx):
    product = make_product(title="Madu Hutan Sumbawa")
    doc = _get(client, "/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "http://localhost/api/v1"}]
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<slug>", "{slug}")
        for rule in app_ctx.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
    }
    assert set(doc["paths"]) == routes
    components = doc["components"]["schemas"]
    page = client.get("/api/v1/products").get_json()
    assert set(page) == _fields(components["ProductPage"], components)
    assert set(page["items"][0]) == _fields(components["ProductSummary"], components)
    assert set(page["facets"]) == _fields(components["ProductPage"]["properties"]["facets"], {})
    detail = client.get(f"/api/v1/products/{product.slug}").get_json()
    assert set(detail) == _fields(components["Product"], components)
    tree = client.get("/api/v1/categories").get_json()["items"]
    assert set(tree[0]) == _fields(components["CategoryTree"], components)
