"""Getting back into an account: a reset link by e-mail, or a code an admin hands over."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace import create_app, mail
from marketplace.audit import AuditEvent
from marketplace.auth import services
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from tests.conftest import FreshContextClient, base_config, get_csrf, login
from tests.factories import PASSWORD, make_user

LINK_RE = re.compile(r"http://localhost(/account/reset-password/[^\s]+)")


@pytest.fixture()
def sent(monkeypatch):
    outbox = []
    monkeypatch.setattr(mail, "send_mail", lambda to, s, b: outbox.append((to, s, b)))
    return outbox


def _ask_for_link(client, email: str):
    return client.post(
        "/account/forgot-password",
        data={"email": email, "csrf_token": get_csrf(client, "/account/forgot-password")},
    )


def _reset(client, path: str, password: str = "kata-sandi-baru"):
    return client.post(
        path,
        data={"password": password, "confirm": password, "csrf_token": get_csrf(client, path)},
    )


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_login_page_links_to_forgot_password_and_that_to_the_code_page(client):
    login_html = client.get("/account/login").get_data(as_text=True)
    assert 'href="/account/forgot-password"' in login_html
    assert "Lupa kata sandi?" in login_html
    assert 'href="/account/reset-code"' in client.get("/account/forgot-password").get_data(
        as_text=True
    )


def test_reset_link_sets_a_new_password_once(client, sent):
    user = make_user(email="budi@example.id")
    response = _ask_for_link(client, "Budi@Example.id")
    assert response.status_code == 302
    assert [to for to, _s, _b in sent] == ["budi@example.id"]
    path = LINK_RE.search(sent[0][2]).group(1)

    assert client.get(path).status_code == 200
    response = _reset(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/account/login"
    assert _fresh(user).check_password("kata-sandi-baru")
    login(client, "budi@example.id", "kata-sandi-baru")

    # The same link a second time: dead, the new password stays.
    other = client.application.test_client()
    response = other.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/forgot-password"
    assert _fresh(user).check_password("kata-sandi-baru")


def test_a_reset_link_is_dead_after_a_password_change_and_after_its_lifetime(
    client, sent, monkeypatch
):
    user = make_user(email="budi@example.id")
    _ask_for_link(client, "budi@example.id")
    path = LINK_RE.search(sent[0][2]).group(1)
    monkeypatch.setattr(services, "RESET_LINK_MAX_AGE", timedelta(seconds=-1))
    assert client.get(path).headers["Location"] == "/account/forgot-password"
    monkeypatch.undo()
    monkeypatch.setattr(mail, "send_mail", lambda to, s, b: None)
    assert client.get(path).status_code == 200
    user = _fresh(user)
    user.set_password("anders-dipilih")
    db.session.commit()
    assert client.get(path).headers["Location"] == "/account/forgot-password"


def test_a_tampered_reset_link_is_refused(client, sent):
    user = make_user(email="budi@example.id")
    _ask_for_link(client, "budi@example.id")
    path = LINK_RE.search(sent[0][2]).group(1)
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.get(tampered).headers["Location"] == "/account/forgot-password"
    token = get_csrf(client, "/account/forgot-password")
    response = client.post(
        tampered, data={"password": "x" * 10, "confirm": "x" * 10, "csrf_token": token}
    )
    assert response.status_code == 302
    assert _fresh(user).check_password(PASSWORD)


def test_a_reset_ends_every_session_of_the_account(app_ctx, client, sent):
    make_user(email="budi@example.id")
    app_ctx.test_client_class = FreshContextClient
    phone = app_ctx.test_client()
    login(phone, "budi@example.id")
    _ask_for_link(client, "budi@example.id")
    _reset(client, LINK_RE.search(sent[0][2]).group(1))
    assert phone.get("/account/orders").status_code == 302


def test_same_answer_whether_or_not_the_address_has_an_account(client, sent):
    make_user(email="budi@example.id")
    known = _ask_for_link(client, "budi@example.id")
    known_flash = client.get("/account/login").get_data(as_text=True)
    unknown = _ask_for_link(client, "nobody@example.id")
    unknown_flash = client.get("/account/login").get_data(as_text=True)
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"].replace("budi", "nobody") == unknown.headers["Location"]
    assert "budi@example.id" in known_flash and "nobody@example.id" in unknown_flash
    assert known_flash.replace("budi", "nobody") == unknown_flash
    assert [to for to, _s, _b in sent] == ["budi@example.id"]


def test_forgot_password_form_keeps_input_on_error(client):
    response = client.post(
        "/account/forgot-password",
        data={
            "email": "not-an-address",
            "csrf_token": get_csrf(client, "/account/forgot-password"),
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="not-an-address"' in html and 'id="email-error"' in html


def test_reset_requests_are_limited_per_address(database_url, tmp_path):
    app = create_app(
        {**base_config(database_url, str(tmp_path)), "LOGIN_RATE_LIMIT": "2 per minute"}
    )
    app.test_client_class = FreshContextClient  # a fresh CSRF token for each visitor
    with app.app_context():
        db.create_all()
        codes = []
        for n in range(3):
            client = app.test_client()
            token = get_csrf(client, "/account/forgot-password")
            codes.append(
                client.post(
                    "/account/forgot-password",
                    data={"email": "Siti@example.id ", "csrf_token": token},
                    environ_base={"REMOTE_ADDR": f"10.0.1.{n + 1}"},
                ).status_code
            )
        db.session.remove()
        db.engine.dispose()
    assert codes == [302, 302, 429]


# --- the admin's one-time code ------------------------------------------------------------------


def _admin_client(app_ctx):
    make_user(email="admin@example.id", roles=(Role.ADMIN,), name="Admin")
    app_ctx.test_client_class = FreshContextClient
    admin = app_ctx.test_client()
    login(admin, "admin@example.id")
    return admin


def _village_seller(phone: str = "+6281234567890") -> User:
    user = make_user(email="sari.no-mail@example.id", roles=(Role.BUYER, Role.SELLER), name="Sari")
    user.phone = phone
    db.session.commit()
    return user


def _issue_code(admin, user: User) -> str:
    html = admin.get("/admin/users/?q=0812-3456-7890").get_data(as_text=True)
    assert "Sari" in html
    response = admin.post(
        f"/admin/users/{user.id}/reset-code", data={"csrf_token": get_csrf(admin, "/admin/users/")}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    match = re.search(r"<strong>(\d{4}) (\d{4})</strong>", response.get_data(as_text=True))
    return match.group(1) + match.group(2)


def _use_code(client, identifier: str, code: str, password: str = "kata-sandi-baru"):
    return client.post(
        "/account/reset-code",
        data={
            "identifier": identifier,
            "code": code,
            "password": password,
            "confirm": password,
            "csrf_token": get_csrf(client, "/account/reset-code"),
        },
    )


def test_admin_issues_a_code_that_sets_a_new_password_once(app_ctx, client):
    admin = _admin_client(app_ctx)
    user = _village_seller()
    code = _issue_code(admin, user)
    stored = _fresh(user).reset_code_hash
    assert stored and code not in stored  # kept hashed

    response = _use_code(client, "0812 3456 7890", code)
    assert response.status_code == 302
    assert _fresh(user).check_password("kata-sandi-baru")
    login(client, "0812 3456 7890", "kata-sandi-baru")

    again = _use_code(client.application.test_client(), "+6281234567890", code, "ketiga-kali")
    assert again.status_code == 400
    assert _fresh(user).check_password("kata-sandi-baru")

    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.reset_code"))
    assert audit.subject == f"user:{user.id}"
    assert audit.actor_id == db.session.scalar(
        select(User.id).where(User.email == "admin@example.id")
    )


def test_a_wrong_or_expired_code_changes_nothing(app_ctx, client):
    admin = _admin_client(app_ctx)
    user = _village_seller()
    code = _issue_code(admin, user)
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    response = _use_code(client, "081234567890", wrong)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="code-error"' in html and 'value="081234567890"' in html
    assert _fresh(user).check_password(PASSWORD)

    user = _fresh(user)
    user.reset_code_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert _use_code(client, "081234567890", code).status_code == 400
    assert _fresh(user).check_password(PASSWORD)


def test_a_code_works_when_several_accounts_share_the_phone(app_ctx, client):
    admin = _admin_client(app_ctx)
    user = _village_seller()
    sibling = make_user(email="adik@example.id", name="Adik")
    sibling.phone = user.phone
    db.session.commit()
    code = _issue_code(admin, user)
    assert _use_code(client, "0812-3456-7890", code).status_code == 302
    assert _fresh(user).check_password("kata-sandi-baru")
    assert _fresh(sibling).check_password(PASSWORD)


def test_the_admin_user_pages_are_for_admins_only(client):
    user = make_user(email="budi@example.id")
    assert client.get("/admin/users/").status_code == 302
    login(client, "budi@example.id")
    assert client.get("/admin/users/?q=budi").status_code == 403
    response = client.post(
        f"/admin/users/{user.id}/reset-code", data={"csrf_token": get_csrf(client, "/")}
    )
    assert response.status_code == 403
    assert _fresh(user).reset_code_hash == ""


def test_admin_reset_code_for_an_unknown_account_is_404(app_ctx):
    admin = _admin_client(app_ctx)
    response = admin.post(
        "/admin/users/9999/reset-code", data={"csrf_token": get_csrf(admin, "/admin/users/")}
    )
    assert response.status_code == 404


def test_admin_finds_accounts_by_name_e_mail_or_part_of_the_number(app_ctx):
    admin = _admin_client(app_ctx)
    _village_seller()
    make_user(email="budi@example.id", name="Budi")
    for query in ["sari", "NO-MAIL@example", "0812 3456", "+62 812-3456-7890"]:
        html = admin.get("/admin/users/", query_string={"q": query}).get_data(as_text=True)
        assert "sari.no-mail@example.id" in html and "budi@example.id" not in html, query
    html = admin.get("/admin/users/?q=0000").get_data(as_text=True)
    assert "sari.no-mail@example.id" not in html
