"""Cached pages are shared by every visitor, and each visitor's own parts are filled in per
request: header cart count and account links, flash messages, form tokens, language. Nothing
of one visitor may reach another, and no kept copy holds anything personal."""

from __future__ import annotations

import pickle
import re

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from catalog.models import Product
from catalog.search.models import SearchMiss
from marketplace.extensions import cache, db
from orders import cart as carts
from tests.conftest import FreshContextClient, csrf_from, login
from tests.factories import make_product, make_seller, make_user

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BADGE_RE = re.compile(r'class="badge">(\d+)<')
SOFT_HOLE = "[hole:soft_csrf]"  # add to cart: a token for visitors with a session


def _visitor(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _kept_pages() -> list[str]:
    """Every page body the cache holds (the in-process backend the tests use), each hole
    written as ``[hole:name]``."""
    bodies = []
    for _expires, raw in list(cache.cache._cache.values()):
        value = pickle.loads(raw)  # noqa: S301 - our own cache's values
        if isinstance(value, tuple) and value and isinstance(value[0], tuple):
            bodies.append(
                "".join(
                    part.decode() if isinstance(part, bytes) else f"[hole:{part}]"
                    for part in value[0]
                )
            )
    return bodies


def _raw_token(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("csrf_token")


def _token_owner(app, token: str) -> str:
    """The session secret a page's form token was signed from."""
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    return serializer.loads(token)


def _add_from_page(client, product: Product, quantity: int) -> None:
    html = _page(client, f"/p/{product.slug}")
    token = csrf_from(html)
    response = client.post(
        "/cart/items",
        data={"product_id": product.id, "quantity": quantity, "csrf_token": token},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 303


def _rename_behind_the_orm(product: Product, title: str) -> None:
    db.session.execute(update(Product).where(Product.id == product.id).values(title=title))
    db.session.commit()


def test_interleaved_visitors_each_see_only_their_own_parts(cached):
    app = cached
    product = make_product(title="Gula Semut Sesaot", stock=50)
    shop = make_seller(user=make_user(name="Budi Santoso", roles=("buyer", "seller")))
    make_product(seller=shop, category=product.category, title="Terasi Jerowaru", stock=50)
    rina = make_user(email="rina@example.id", name="Rina Wulandari")

    buyer, seller, guest = _visitor(app), _visitor(app), _visitor(app)
    login(buyer, rina.email)
    login(seller, shop.owner.email)
    _page(buyer, "/?lang=en")
    _add_from_page(buyer, product, 2)
    _add_from_page(seller, product, 5)
    # A message for the buyer alone: a refused quantity sends them back to the product page.
    refused = buyer.post(
        "/cart/items",
        data={
            "product_id": product.id,
            "quantity": "0",
            "csrf_token": csrf_from(_page(buyer, f"/p/{product.slug}")),
        },
        headers={**SAME_ORIGIN, "Referer": f"http://localhost/p/{product.slug}"},
    )
    assert refused.headers["Location"].endswith(f"/p/{product.slug}")

    urls = [f"/p/{product.slug}", f"/c/{product.category.slug}", "/", f"/shop/{shop.slug}"]
    for round_ in range(2):
        for url in urls:
            mine = _page(buyer, url)
            theirs = _page(seller, url)
            nobody = _page(guest, url)

            assert BADGE_RE.findall(mine) == ["2"], url
            assert '<html lang="en">' in mine and "Log out" in mine
            assert "/seller/products" not in mine  # not a seller
            assert BADGE_RE.findall(theirs) == ["5"], url
            assert '<html lang="id">' in theirs and "/seller/products" in theirs
            assert BADGE_RE.findall(nobody) == [] and "/account/logout" not in nobody
            assert "/account/login" in nobody

            shown_once = round_ == 0 and url == urls[0]
            assert ("flash-error" in mine) is shown_once, url
            assert "flash-error" not in theirs and "flash-error" not in nobody

            for html, client in ((mine, buyer), (theirs, seller), (nobody, guest)):
                tokens = TOKEN_RE.findall(html)
                if client is not guest:  # log out, and the product page's form
                    assert tokens, url
                else:  # a visitor without a session is given no token, so no session starts
                    assert tokens == [], url
                for token in tokens:
                    assert _token_owner(app, token) == _raw_token(client)
            for name in ("Rina Wulandari", "rina@example.id"):
                assert name not in theirs and name not in nobody
            assert "Budi Santoso" not in mine and "Budi Santoso" not in nobody

    kept = _kept_pages()
    assert len(kept) >= len(urls) * 2  # both languages of each page
    secrets = {_raw_token(c) for c in (buyer, seller)}
    assert _raw_token(guest) is None
    hole = "[hole:csrf]"
    assert any(SOFT_HOLE in body for body in kept)  # the product pages' form
    for body in kept:
        assert set(TOKEN_RE.findall(body)) <= {hole}
        assert not any(secret in body for secret in secrets)
        for personal in ("Rina Wulandari", "Budi Santoso", "/account/logout", 'class="badge"'):
            assert personal not in body
        assert "flash-" not in body


def test_kept_pages_never_hold_a_token_or_a_name(cached):
    product = make_product()
    user = make_user(email="sari@example.id", name="Sari Kusuma")
    visitor = _visitor(cached)
    login(visitor, user.email)
    html = _page(visitor, f"/p/{product.slug}")
    token = TOKEN_RE.findall(html)
    assert token and "mm-hole" not in html
    (body,) = [b for b in _kept_pages() if product.title in b]
    assert all(t not in body for t in token)
    assert SOFT_HOLE in body  # the hole the form's token goes in
    assert "Sari Kusuma" not in body and "sari@example.id" not in body


def test_add_to_cart_from_a_cached_page_passes_the_token_check(cached):
    product = make_product(title="Garam Pemongkong", stock=9)
    first, second = _visitor(cached), _visitor(cached)
    _page(first, f"/p/{product.slug}")  # fills the cache
    _rename_behind_the_orm(product, "Garam Pemongkong Baru")

    # A first visit from a shared link: the kept page, no token and no session started.
    response = second.get(f"/p/{product.slug}")
    html = response.get_data(as_text=True)
    assert "Garam Pemongkong Baru" not in html  # the kept copy
    assert TOKEN_RE.findall(html) == [] and "mm-hole" not in html
    assert "Set-Cookie" not in response.headers
    answer = second.post(
        "/cart/items", data={"product_id": product.id, "quantity": 3}, headers=SAME_ORIGIN
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/cart")

    # Now with a session: the same kept copy carries this visitor's token, which passes.
    html = _page(second, f"/p/{product.slug}")
    assert "Garam Pemongkong Baru" not in html
    answer = second.post(
        "/cart/items",
        data={"product_id": product.id, "quantity": 2, "csrf_token": csrf_from(html)},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 303
    with second.session_transaction() as session:
        assert carts.SessionStore(session).items() == {product.id: 5}


def test_a_post_without_a_token_from_another_site_is_refused(cached):
    product = make_product(stock=9)
    visitor = _visitor(cached)
    _page(visitor, f"/p/{product.slug}")
    for foreign in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},  # must agree
        {"Referer": "https://evil.example/page"},
    ):
        answer = visitor.post(
            "/cart/items", data={"product_id": product.id, "quantity": 1}, headers=foreign
        )
        assert answer.status_code == 400
    with visitor.session_transaction() as session:
        assert carts.SessionStore(session).items() == {}


def test_another_visitors_token_is_refused(cached):
    product = make_product(stock=9)
    first, second = _visitor(cached), _visitor(cached)
    login(first, make_user().email)
    token = csrf_from(_page(first, f"/p/{product.slug}"))
    _page(second, f"/p/{product.slug}")
    response = second.post(
        "/cart/items",
        data={"product_id": product.id, "quantity": 1, "csrf_token": token},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 400
    with second.session_transaction() as session:
        assert carts.SessionStore(session).items() == {}


def test_logged_in_pages_are_private_and_every_page_varies_by_cookie(cached):
    product = make_product()
    user = make_user()
    guest, member = _visitor(cached), _visitor(cached)
    login(member, user.email)
    for _ in range(2):  # a fresh copy, then the kept one
        anonymous = guest.get(f"/c/{product.category.slug}")
        assert "private" not in anonymous.headers.get("Cache-Control", "")
        assert "Cookie" in anonymous.headers["Vary"]
        personal = member.get(f"/c/{product.category.slug}")
        assert personal.headers["Cache-Control"] == "private, no-cache"
        assert "Cookie" in personal.headers["Vary"]
        # after_request hooks still run for pages from the cache (security headers here)
        assert "Content-Security-Policy" in personal.headers
    first_visit = guest.get(f"/p/{product.slug}")  # no session yet: nothing personal in it
    assert "private" not in first_visit.headers.get("Cache-Control", "")
    guest.post("/cart/items", data={"product_id": product.id, "quantity": 1}, headers=SAME_ORIGIN)
    with_form = guest.get(f"/p/{product.slug}")
    assert with_form.headers["Cache-Control"] == "private, no-cache"  # holds this visitor's token
    fresh = member.get(f"/c/{product.category.slug}?utm_source=wa")  # never kept: rendered anew
    assert fresh.headers["Cache-Control"] == "private, no-cache"
    assert "Cache-Control" not in guest.get(f"/c/{product.category.slug}?utm_source=wa").headers


def test_a_logged_in_visitor_gets_the_kept_page_with_their_own_header(cached):
    product = make_product(title="Kopi Sembalun Lama")
    user = make_user(email="rina@example.id")
    client = _visitor(cached)
    assert "Kopi Sembalun Lama" in _page(client, f"/p/{product.slug}")
    _rename_behind_the_orm(product, "Kopi Sembalun Baru")
    login(client, "rina@example.id")
    html = _page(client, f"/p/{product.slug}")
    assert "Kopi Sembalun Lama" in html  # the same kept copy as anonymous visitors get
    assert 'action="/account/logout"' in html  # with the header of this visitor
    assert user.name not in html


# --- search ------------------------------------------------------------------------------------


def _count_engine_calls(monkeypatch) -> list[str]:
    from catalog import views

    calls: list[str] = []
    real = views.search_engine.search

    def counted(query):
        calls.append(query.text)
        return real(query)

    monkeypatch.setattr(views.search_engine, "search", counted)
    return calls


def test_a_repeated_search_is_served_from_the_cache(cached, monkeypatch):
    product = make_product(title="Gula Aren Sesaot")
    calls = _count_engine_calls(monkeypatch)
    first = _page(_visitor(cached), "/search?q=gula+aren")
    assert "Gula Aren Sesaot" in first
    again = _page(_visitor(cached), "/search?q=++gula%20%20aren+")  # the same words
    assert calls == ["gula aren"]
    assert 'value="gula aren"' in again
    _page(_visitor(cached), "/search?q=gula+aren&sort=price_asc")
    _page(_visitor(cached), "/search?q=gula+aren&lang=en")
    assert len(calls) == 3  # another order and another language are other pages
    _rename_behind_the_orm(product, "Gula Aren Baru")
    assert "Gula Aren Sesaot" in _page(_visitor(cached), "/search?q=gula+aren")
    assert len(calls) == 3


def test_a_catalogue_change_refreshes_cached_results(cached, monkeypatch):
    from catalog import services

    product = make_product(title="Terasi Udang Jerowaru")
    calls = _count_engine_calls(monkeypatch)
    assert "Terasi Udang Jerowaru" in _page(_visitor(cached), "/search?q=terasi")
    services.update_product(
        product,
        services.ProductData(
            title="Terasi Udang Pilihan",
            category_id=product.category_id,
            description=product.description,
            price=product.price,
            stock=product.stock,
            weight_grams=product.weight_grams,
        ),
    )
    assert "Terasi Udang Pilihan" in _page(_visitor(cached), "/search?q=terasi")
    assert len(calls) == 2


def test_search_pages_keep_each_visitors_header(cached):
    make_product(title="Tenun Pringgasela")
    user = make_user()
    member, guest = _visitor(cached), _visitor(cached)
    login(member, user.email)
    assert "/account/logout" in _page(member, "/search?q=tenun")
    html = _page(guest, "/search?q=tenun")
    assert "/account/logout" not in html and "Tenun Pringgasela" in html


def test_a_search_that_finds_nothing_counts_once_per_request_from_the_cache_too(
    cached, monkeypatch
):
    calls = _count_engine_calls(monkeypatch)
    for _ in range(3):
        _page(_visitor(cached), "/search?q=kopi+luwak")
    assert calls == ["kopi luwak"]  # one search, two pages from the cache
    counted = db.session.scalar(select(SearchMiss.count).where(SearchMiss.phrase == "kopi luwak"))
    assert counted == 3
    _page(_visitor(cached), "/search?q=kopi+luwak&page=2")  # not a plain first page: not counted
    db.session.expire_all()
    assert db.session.scalar(select(SearchMiss.count)) == 3


def test_the_language_of_an_account_picks_its_copy(cached):
    product = make_product(price=1500000)
    user = make_user(email="nur@example.id")
    user.locale = "en"
    db.session.commit()
    member, guest = _visitor(cached), _visitor(cached)
    login(member, user.email)
    with member.session_transaction() as session:
        session.pop("locale", None)  # only the account says which language
    for _ in range(2):
        mine = _page(member, f"/c/{product.category.slug}")
        theirs = _page(guest, f"/c/{product.category.slug}")
        assert '<html lang="en">' in mine and "Rp 1,500,000" in mine
        assert '<html lang="id">' in theirs and "Rp 1.500.000" in theirs


def test_text_a_seller_types_never_becomes_a_hole(cached):
    from marketplace import page_cache

    typed = "Gula <!--mm-hole:csrf--> <!--mm-hole:account--> " + page_cache.marker("csrf")[4:]
    product = make_product(title="Gula Tiruan", description=typed)
    buyer = _visitor(cached)
    login(buyer, make_user().email)
    for _ in range(2):  # the fresh copy and the kept one
        html = _page(buyer, f"/p/{product.slug}")
        assert "&lt;!--mm-hole:csrf--&gt;" in html and "&lt;!--mm-hole:account--&gt;" in html
        tokens = TOKEN_RE.findall(html)
        assert tokens and html.count(tokens[0]) == len(tokens)  # only in the forms' fields
        assert html.count('action="/account/logout"') == 1
