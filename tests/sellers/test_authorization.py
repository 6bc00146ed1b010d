"""Walk every seller and admin route as the wrong user."""

from sqlalchemy import select

from catalog.models import Product
from marketplace.auth.models import Role
from marketplace.extensions import db
from tests.conftest import get_csrf, login
from tests.factories import PASSWORD, make_product, make_seller, make_user


def _rules(app, prefix):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith(prefix)]


def _fill(rule, values):
    url = rule.rule
    for name in rule.arguments:
        url = url.replace(f"<int:{name}>", str(values[name])).replace(
            f"<{name}>", str(values[name])
        )
    return url


def test_every_seller_route_hides_other_sellers_products(client, app_ctx):
    owner = make_seller()
    product = make_product(seller=owner, title="Milik Penjual A")
    image_id = 999_999  # no image needed: the product check comes first
    intruder = make_seller()
    login(client, intruder.owner.email, PASSWORD)
    token = get_csrf(client, "/seller/products/new")
    walked = set()
    for rule in _rules(app_ctx, "sellers."):
        if "product_id" not in rule.arguments:
            continue
        url = _fill(rule, {"product_id": product.id, "image_id": image_id})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token, "title": "Dicuri", "action": "archive", "price": "1000"}
            response = client.open(url, method=method, data=data if method == "POST" else None)
            assert response.status_code == 404, (method, url, response.status_code)
            walked.add(rule.endpoint)
    assert {
        "sellers.edit_product",
        "sellers.add_photos",
        "sellers.delete_photo",
        "sellers.cover_photo",
        "sellers.change_status",
    } <= walked
    db.session.expire_all()
    unchanged = db.session.scalar(select(Product).where(Product.id == product.id))
    assert unchanged.title == "Milik Penjual A" and unchanged.status == "published"


def test_seller_routes_refuse_non_sellers(client, app_ctx):
    buyer = make_user()
    login(client, buyer.email, PASSWORD)
    for rule in _rules(app_ctx, "sellers."):
        url = _fill(rule, {"product_id": 1, "image_id": 1})
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        assert response.status_code in (403, 400), (url, response.status_code)
        if method == "GET":
            assert response.status_code == 403


def test_admin_routes_forbidden_to_non_admins(client, app_ctx):
    seller = make_seller()
    for user, expected in ((make_user(), 403), (seller.owner, 403)):
        login(client, user.email, PASSWORD)
        token = get_csrf(client, "/")
        for rule in _rules(app_ctx, "admin."):
            url = _fill(rule, {"seller_id": seller.id})
            method = "GET" if "GET" in rule.methods else "POST"
            data = {"csrf_token": token, "status": "suspended"} if method == "POST" else None
            assert client.open(url, method=method, data=data).status_code == expected, url
        client.post("/account/logout", data={"csrf_token": get_csrf(client, "/")})


def test_admin_can_verify_a_submitted_shop(client):
    admin = make_user(roles=(Role.BUYER, Role.ADMIN))
    from sellers.models import SellerStatus

    seller = make_seller(status=SellerStatus.SUBMITTED)
    product = make_product(seller=seller)
    assert client.get(f"/p/{product.slug}").status_code == 404
    login(client, admin.email, PASSWORD)
    token = get_csrf(client, "/admin/sellers")
    response = client.post(
        f"/admin/sellers/{seller.id}/status", data={"csrf_token": token, "status": "verified"}
    )
    assert response.status_code == 302
    assert client.get(f"/p/{product.slug}").status_code == 200
    response = client.post(
        f"/admin/sellers/{seller.id}/status", data={"csrf_token": token, "status": "nonsense"}
    )
    assert response.status_code == 400
