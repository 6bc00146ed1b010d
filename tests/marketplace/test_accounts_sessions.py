"""Log-out ends a session for good; password changes and "log out everywhere" end all of them."""

from flask_login import decode_cookie

from marketplace.auth.models import User
from marketplace.extensions import db
from tests.conftest import FreshContextClient, get_csrf, login
from tests.factories import PASSWORD, make_user


def _opens_orders(client) -> bool:
    return client.get("/account/orders").status_code == 200


def _log_in_remembered(client, email: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/account/login",
        data={
            "email": email,
            "password": password,
            "remember": "y",
            "csrf_token": get_csrf(client),
        },
    )
    assert response.status_code == 302


def _new_client(app) -> FreshContextClient:
    app.test_client_class = FreshContextClient
    return app.test_client()


def test_copied_session_and_remember_cookies_stop_working_after_logout(app_ctx, client):
    user = make_user(email="budi@example.id")
    _log_in_remembered(client, "budi@example.id")
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    assert decode_cookie(remember_cookie) == user.session_token  # the token, never the id

    # Each copy on its own opens the account before the log-out ...
    copy = _new_client(app_ctx)
    copy.set_cookie("session", session_cookie)
    assert _opens_orders(copy)
    copy = _new_client(app_ctx)
    copy.set_cookie("remember_token", remember_cookie)
    assert _opens_orders(copy)

    response = client.post("/account/logout", data={"csrf_token": get_csrf(client, "/")})
    assert response.status_code == 302

    # ... and neither does after it.
    replay = _new_client(app_ctx)
    replay.set_cookie("session", session_cookie)
    assert replay.get("/account/orders").status_code == 302
    replay = _new_client(app_ctx)
    replay.set_cookie("remember_token", remember_cookie)
    assert replay.get("/account/orders").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).session_token != decode_cookie(remember_cookie)


def test_the_remember_token_changes_with_each_log_in_after_a_log_out(client):
    make_user(email="budi@example.id")
    _log_in_remembered(client, "budi@example.id")
    first = client.get_cookie("remember_token").value
    client.post("/account/logout", data={"csrf_token": get_csrf(client, "/")})
    _log_in_remembered(client, "budi@example.id")
    assert client.get_cookie("remember_token").value != first


def test_log_out_everywhere_ends_other_sessions(app_ctx, client):
    make_user(email="budi@example.id")
    other = _new_client(app_ctx)
    login(other, "budi@example.id")
    login(client, "budi@example.id")
    assert _opens_orders(other)
    response = client.post(
        "/account/logout-everywhere", data={"csrf_token": get_csrf(client, "/account/")}
    )
    assert response.status_code == 302
    assert not _opens_orders(client)
    assert not _opens_orders(other)


def test_log_out_everywhere_needs_the_csrf_token(app_ctx, client):
    make_user(email="budi@example.id")
    login(client, "budi@example.id")
    client.post("/account/logout-everywhere", data={})
    assert _opens_orders(client)


def test_change_password_keeps_this_session_and_ends_the_others(app_ctx, client):
    user = make_user(email="budi@example.id")
    other = _new_client(app_ctx)
    login(other, "budi@example.id")
    login(client, "budi@example.id")
    response = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "kata-sandi-baru",
            "confirm": "kata-sandi-baru",
            "csrf_token": get_csrf(client, "/account/"),
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert _opens_orders(client)
    assert not _opens_orders(other)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("kata-sandi-baru")


def test_change_password_with_a_wrong_current_password_changes_nothing(client):
    user = make_user(email="budi@example.id")
    login(client, "budi@example.id")
    response = client.post(
        "/account/password?lang=en",
        data={
            "current": "not-mine",
            "password": "kata-sandi-baru",
            "confirm": "kata-sandi-baru",
            "csrf_token": get_csrf(client, "/account/"),
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="current-error"' in html and "not your current password" in html
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)
    assert _opens_orders(client)


def test_account_page_is_linked_from_the_header_and_needs_a_log_in(client):
    assert client.get("/account/").status_code == 302
    make_user(email="budi@example.id")
    login(client, "budi@example.id")
    assert 'href="/account/"' in client.get("/").get_data(as_text=True)
    html = client.get("/account/").get_data(as_text=True)
    assert 'action="/account/password"' in html and 'action="/account/logout-everywhere"' in html
