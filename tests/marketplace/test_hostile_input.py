"""Hostile requests, one class per test: each gets a clear 4xx (or a 503), never a 500.

The cases name one example of a class; the fixes sit where the whole class passes
(``marketplace.request_hygiene``), so a route added later is covered too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role
from tests.conftest import base_config, get_csrf, login
from tests.factories import make_product, make_seller, make_user

BIG_IDS = ["2147483648", "9223372036854775808", "99999999999999999999999"]


# --- NUL bytes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/p/%00", "/shop/a%00b", "/search?q=gula%00", "/c/x%00", "/api/v1/products?q=%00"]
)
def test_nul_in_path_or_query_is_a_bad_request(client, url):
    assert client.get(url).status_code == 400


def test_nul_in_a_form_field_is_a_bad_request(client):
    token = get_csrf(client)
    response = client.post(
        "/account/login",
        data={"email": "a\x00@example.id", "password": "x", "csrf_token": token},
    )
    assert response.status_code == 400


def test_nul_in_a_product_title_is_refused_and_nothing_saved(client):
    seller = make_seller()
    product = make_product(seller=seller, title="Gula Aren Asli")
    login(client, seller.owner.email)
    response = client.post(f"/seller/products/{product.id}/edit", data={"title": "Gula\x00Aren"})
    assert response.status_code == 400
    from marketplace.extensions import db

    db.session.expire_all()
    assert product.title == "Gula Aren Asli"


# --- integers beyond a database id --------------------------------------------------------


@pytest.mark.parametrize("big", BIG_IDS)
def test_out_of_range_id_in_url_is_not_found(client, big):
    seller = make_seller()
    login(client, seller.owner.email)
    assert client.get(f"/seller/orders/{big}").status_code == 404


@pytest.mark.parametrize("big", BIG_IDS)
def test_out_of_range_product_id_in_cart_form_is_refused_with_a_message(client, big):
    response = client.post("/cart/items", data={"product_id": big, "quantity": "1"})
    assert response.status_code == 303
    assert client.get("/cart").status_code == 200


# --- names too long for the file system ------------------------------------------------------


def test_over_long_media_name_is_not_found(client):
    assert client.get("/media/" + "a" * 300).status_code == 404
    assert client.get("/media/" + "/".join(["b" * 250] * 3) + ".jpg").status_code == 404


# --- redirect targets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%0d%0aSet-Cookie:%20x=1",
        "/orders%0aLocation:%20https://evil.example",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_off_site_or_splits_headers(client, target):
    user = make_user()
    token = get_csrf(client)
    response = client.post(
        f"/account/login?next={target}",
        data={"email": user.email, "password": "password123", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")
    assert "Set-Cookie: x" not in str(response.headers)


def test_login_keeps_an_own_next_path(client):
    user = make_user()
    token = get_csrf(client)
    response = client.post(
        "/account/login?next=/cart",
        data={"email": user.email, "password": "password123", "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/cart")


@pytest.mark.parametrize(
    "referer", ["https://evil.example/p/x", "http://localhost.evil.example/", "/\\evil"]
)
def test_add_to_cart_never_redirects_to_a_foreign_referer(client, referer):
    # The browser vouches for the origin; the Referer it sends is still never trusted.
    headers = {"Referer": referer, "Sec-Fetch-Site": "same-origin"}
    response = client.post(
        "/cart/items", data={"product_id": "x", "quantity": "1"}, headers=headers
    )
    assert response.status_code == 303
    assert "evil" not in response.headers["Location"]


def test_add_to_cart_returns_to_the_own_page_it_came_from(client):
    response = client.post(
        "/cart/items",
        data={"product_id": "x", "quantity": "1"},
        headers={"Referer": "http://localhost/p/gula-semut"},
    )
    assert response.headers["Location"].endswith("/p/gula-semut")


# --- two sign-ups with one address at once ------------------------------------------------------


def test_registration_race_loses_cleanly(app_ctx, monkeypatch):
    make_user(email="siti@example.id")
    # The second sign-up passed its "is the address free?" check before the first committed.
    monkeypatch.setattr(auth_services, "find_by_email", lambda email: None)
    with pytest.raises(auth_services.EmailTaken):
        auth_services.register_user(
            name="Siti", email="siti@example.id", password="password123", roles=(Role.BUYER,)
        )
    assert auth_services.User.query.filter_by(email="siti@example.id").count() == 1


# --- the database is down ----------------------------------------------------------------------


@pytest.fixture()
def app_without_database(tmp_path: Path):
    # Port 1 on the loopback address: nothing listens, the connection is refused at once.
    config = base_config("postgresql+psycopg://postgres@127.0.0.1:1/none", str(tmp_path / "m"))
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"connect_timeout": 2}}
    application = create_app(config)
    yield application
    from marketplace.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("url", ["/", "/p/gula-semut", "/search?q=gula", "/c/gula"])
def test_pages_answer_503_with_retry_after_when_the_database_is_down(app_without_database, url):
    response = app_without_database.test_client().get(url)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert "Sedang ada gangguan" in page and "Temporarily unavailable" in page


def test_api_answers_503_json_when_the_database_is_down(app_without_database):
    response = app_without_database.test_client().get("/api/v1/categories")
    assert response.status_code == 503
    assert response.get_json()["status"] == 503
    assert "Retry-After" in response.headers
