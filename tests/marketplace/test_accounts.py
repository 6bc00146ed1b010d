"""Register, log in, log out, roles, CSRF and the login rate limit."""

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from marketplace import create_app
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from tests.conftest import FreshContextClient, base_config, get_csrf, login
from tests.factories import PASSWORD, make_user


def _logged_in(client) -> bool:
    """The header shows a log-out button only to a logged-in visitor."""
    return 'action="/account/logout"' in client.get("/").get_data(as_text=True)


def _register(client, **overrides):
    data = {
        "name": "Siti Aminah",
        "email": "siti@example.id",
        "phone": "0812 3456 7890",
        "password": "rahasia-kuat",
        "confirm": "rahasia-kuat",
        "account_type": "buyer",
        "csrf_token": get_csrf(client, "/account/register"),
    }
    data.update(overrides)
    return client.post("/account/register", data=data)


def test_register_hashes_password_and_sends_to_log_in(client):
    response = _register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?next=/&email=siti@example.id"
    user = db.session.scalar(select(User).where(User.email == "siti@example.id"))
    assert user.password_hash != "rahasia-kuat" and user.check_password("rahasia-kuat")
    assert user.roles == {Role.BUYER}
    assert user.phone == "+6281234567890"
    assert not _logged_in(client)
    login(client, "siti@example.id", "rahasia-kuat")
    assert _logged_in(client)


def test_register_as_seller_goes_to_the_shop_set_up_after_log_in(client):
    response = _register(client, account_type="seller")
    next_url = parse_qs(urlsplit(response.headers["Location"]).query)["next"]
    assert next_url == ["/sell/start"]
    user = db.session.scalar(select(User).where(User.email == "siti@example.id"))
    assert user.roles == {Role.BUYER, Role.SELLER}


def test_passwords_hash_with_the_configured_method_and_older_hashes_still_verify(app_ctx):
    from werkzeug.security import generate_password_hash

    from tests.conftest import TEST_PASSWORD_HASH_METHOD

    user = User(password_hash="")
    user.set_password("rahasia-kuat")
    assert user.password_hash.startswith(TEST_PASSWORD_HASH_METHOD + "$")
    assert user.check_password("rahasia-kuat") and not user.check_password("rahasia-lemah")
    # A hash made before the method changed (scrypt) keeps logging its owner in.
    user.password_hash = generate_password_hash("rahasia-lama", method="scrypt")
    assert user.check_password("rahasia-lama")


def test_deployments_hash_passwords_with_scrypt_unless_configured(monkeypatch, tmp_path):
    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with app.app_context():
        user = User(password_hash="")
        user.set_password("rahasia-kuat")
    assert user.password_hash.startswith("scrypt:")


def test_register_errors_keep_input_and_sit_next_to_fields(client):
    response = _register(client, email="not-an-email", confirm="other", phone="12345")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="Siti Aminah"' in html
    assert 'value="not-an-email"' in html
    assert 'id="email-error"' in html and 'id="confirm-error"' in html
    assert 'id="phone-error"' in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(User)) is None


def test_login_wrong_password_and_logout(client):
    make_user(email="budi@example.id")
    token = get_csrf(client)
    response = client.post(
        "/account/login",
        data={"email": "budi@example.id", "password": "salah", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "Email atau kata sandi salah" in response.get_data(as_text=True)
    assert not _logged_in(client)
    login(client, "budi@example.id", PASSWORD)
    assert _logged_in(client)
    response = client.post("/account/logout", data={"csrf_token": get_csrf(client, "/")})
    assert response.status_code == 302
    assert not _logged_in(client)


def test_login_redirect_only_to_same_site(client):
    make_user(email="budi@example.id")
    token = get_csrf(client)
    response = client.post(
        "/account/login?next=https://evil.example/steal",
        data={"email": "budi@example.id", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_forms_without_csrf_token_are_refused(client):
    make_user(email="budi@example.id")
    response = client.post(
        "/account/login", data={"email": "budi@example.id", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert not _logged_in(client)


def test_login_is_rate_limited(database_url, tmp_path):
    app = create_app(
        {**base_config(database_url, str(tmp_path)), "LOGIN_RATE_LIMIT": "3 per minute"}
    )
    client = app.test_client()
    with app.app_context():
        token = get_csrf(client)
        codes = [
            client.post(
                "/account/login",
                data={"email": "x@example.id", "password": "wrong", "csrf_token": token},
            ).status_code
            for _ in range(4)
        ]
        db.session.remove()
        db.engine.dispose()
    assert codes == [400, 400, 400, 429]


def test_users_create_command(app_ctx):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "admin@example.id",
            "--name",
            "Admin",
            "--role",
            "admin",
            "--password",
            "admin-password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "admin@example.id"))
    assert user.is_admin and user.check_password("admin-password")
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "admin@example.id",
            "--name",
            "A",
            "--password",
            "xxxxxxxx",
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output


def _limited_app(database_url, tmp_path, limit="3 per minute"):
    app = create_app({**base_config(database_url, str(tmp_path)), "LOGIN_RATE_LIMIT": limit})
    app.test_client_class = FreshContextClient  # each request in its own context, as in production
    return app


def test_successful_logins_from_one_address_are_not_limited(app_ctx, database_url, tmp_path):
    """A workshop: many people log in from one village hall's address within a minute."""
    app = _limited_app(database_url, tmp_path)
    with app.app_context():
        users = [make_user() for _ in range(6)]
        codes = []
        for user in users:
            client = app.test_client()
            token = get_csrf(client)
            codes.append(
                client.post(
                    "/account/login",
                    data={"email": user.email, "password": "password123", "csrf_token": token},
                ).status_code
            )
        db.session.remove()
        db.engine.dispose()
    assert codes == [302] * 6


def test_failed_logins_for_one_account_are_limited_across_addresses(
    app_ctx, database_url, tmp_path
):
    app = _limited_app(database_url, tmp_path)
    with app.app_context():
        user = make_user()
        codes, wrong_password, retry_after = [], [], None
        for n in range(4):
            client = app.test_client()
            address = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
            token = get_csrf(client)
            response = client.post(
                "/account/login",
                data={"email": user.email, "password": "wrong", "csrf_token": token},
                environ_base=address,
            )
            codes.append(response.status_code)
            wrong_password.append("Email atau kata sandi salah" in response.get_data(as_text=True))
            retry_after = response.headers.get("Retry-After")
        db.session.remove()
        db.engine.dispose()
    assert codes == [400, 400, 400, 429]
    assert wrong_password == [True, True, True, False]  # refused for the password, not the form
    assert retry_after is not None and int(retry_after) > 0
