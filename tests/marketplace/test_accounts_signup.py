"""Sign-up answers the same whether or not an address has an account.

Both sign-up forms (the buyer's ``/account/register`` and the seller wizard's ``/sell/account``)
send everyone to log in with the same message; only the e-mail that follows differs, and only
the owner of the address reads it.
"""

import pytest
from sqlalchemy import func, select

from marketplace import create_app, mail
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from tests.conftest import FreshContextClient, base_config, get_csrf, login
from tests.factories import PASSWORD, make_user

FORMS = {
    "/account/register": {"account_type": "seller"},
    "/sell/account": {},
}


@pytest.fixture()
def sent(monkeypatch):
    outbox = []
    monkeypatch.setattr(mail, "send_mail", lambda to, s, b: outbox.append((to, s, b)))
    return outbox


def _sign_up(client, url: str, email: str, password: str = "rahasia-kuat"):
    data = {
        "name": "Siti Aminah",
        "email": email,
        "phone": "0812 3456 7890",
        "password": password,
        "confirm": password,
        "csrf_token": get_csrf(client, url),
        **FORMS[url],
    }
    return client.post(url, data=data)


def _answer(client, response) -> tuple:
    """Everything a stranger sees: status, redirect, cookies set, and the page it leads to."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return (
        response.status_code,
        response.headers["Location"],
        sorted(h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")),
        page.replace(get_csrf(client, response.headers["Location"]), "TOKEN"),
    )


@pytest.mark.parametrize("url", list(FORMS))
def test_new_and_taken_addresses_get_the_same_answer(app_ctx, url, sent):
    owner = make_user(email="siti@example.id", name="Siti Lama")
    before = (owner.password_hash, owner.session_token, owner.name, owner.phone, owner.roles)

    app_ctx.test_client_class = FreshContextClient
    taken_client, new_client = app_ctx.test_client(), app_ctx.test_client()
    taken = _answer(taken_client, _sign_up(taken_client, url, "Siti@Example.id"))
    fresh = _answer(new_client, _sign_up(new_client, url, "sita@example.id"))

    assert taken[0] == fresh[0] == 302
    assert taken[1] == fresh[1].replace("sita", "siti")
    assert "next=/sell/start" in taken[1]
    assert taken[2] == fresh[2]
    assert taken[3] == fresh[3].replace("sita", "siti")
    assert "Periksa e-mail Anda: kami telah mengirim pesan ke siti@example.id" in taken[3]
    assert 'value="siti@example.id"' in taken[3]  # the log-in form is prefilled

    # The existing account is unchanged; the new one exists but is not logged in.
    db.session.expire_all()
    owner = db.session.get(User, owner.id)
    assert (
        owner.password_hash,
        owner.session_token,
        owner.name,
        owner.phone,
        owner.roles,
    ) == before
    assert db.session.scalar(select(func.count(User.id))) == 2
    assert new_client.get("/account/orders").status_code == 302

    # The owner hears that someone tried, with log-in and reset links; the newcomer is welcomed.
    (to_owner, subject_owner, body_owner), (to_new, subject_new, _body) = sent
    assert to_owner == "siti@example.id" and "mencoba mendaftar" in subject_owner
    assert "/account/login" in body_owner and "/account/forgot-password" in body_owner
    assert to_new == "sita@example.id" and subject_new == "Selamat datang di Migrant Mart"


def test_the_new_account_logs_in_with_the_password_chosen(client, sent):
    _sign_up(client, "/account/register", "sita@example.id", "pilihan-saya")
    login(client, "sita@example.id", "pilihan-saya")
    user = db.session.scalar(select(User).where(User.email == "sita@example.id"))
    assert user.roles == {Role.BUYER, Role.SELLER}


def test_the_taken_address_keeps_its_old_password(client, sent):
    make_user(email="siti@example.id")
    _sign_up(client, "/account/register", "siti@example.id", "penyusup-123")
    token = get_csrf(client)
    response = client.post(
        "/account/login",
        data={"email": "siti@example.id", "password": "penyusup-123", "csrf_token": token},
    )
    assert response.status_code == 400
    login(client, "siti@example.id", PASSWORD)


@pytest.mark.parametrize("url", list(FORMS))
def test_sign_up_attempts_are_limited_per_address(database_url, tmp_path, url, monkeypatch):
    monkeypatch.setattr(mail, "send_mail", lambda to, s, b: None)
    app = create_app(
        {**base_config(database_url, str(tmp_path)), "LOGIN_RATE_LIMIT": "2 per minute"}
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.create_all()
        codes = []
        for n in range(3):
            client = app.test_client()
            data = {
                "name": "Siti Aminah",
                "email": "target@example.id",
                "phone": "0812 3456 7890",
                "password": "rahasia-kuat",
                "confirm": "rahasia-kuat",
                "csrf_token": get_csrf(client, url),
                **FORMS[url],
            }
            response = client.post(url, data=data, environ_base={"REMOTE_ADDR": f"10.0.3.{n}"})
            codes.append(response.status_code)
        db.session.execute(db.delete(User).where(User.email == "target@example.id"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert codes == [302, 302, 429]
