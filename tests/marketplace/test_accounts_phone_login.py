"""Logging in with an e-mail address or a mobile number, whichever the person remembers."""

import pytest

from marketplace import create_app
from marketplace.auth import services
from marketplace.extensions import db
from tests.conftest import FreshContextClient, base_config, get_csrf, login
from tests.factories import PASSWORD, make_user


def _with_phone(email: str, phone: str = "+6281234567890"):
    user = make_user(email=email)
    user.phone = phone
    db.session.commit()
    return user


def _post_login(client, identifier: str, password: str = PASSWORD):
    return client.post(
        "/account/login",
        data={"email": identifier, "password": password, "csrf_token": get_csrf(client)},
    )


@pytest.mark.parametrize(
    "typed", ["0812 3456 7890", "+62 812-3456-7890", "6281234567890", "0062812.3456.7890"]
)
def test_log_in_with_the_phone_number_in_any_usual_form(client, typed):
    _with_phone("sari@example.id")
    response = _post_login(client, typed)
    assert response.status_code == 302


def test_log_in_with_a_phone_number_and_a_wrong_password_fails_like_an_e_mail(client):
    _with_phone("sari@example.id")
    response = _post_login(client, "081234567890", "salah-sekali")
    assert response.status_code == 400
    assert "Email atau kata sandi salah" in response.get_data(as_text=True)


def test_a_phone_shared_by_two_active_accounts_logs_into_neither(client):
    _with_phone("sari@example.id")
    _with_phone("adik@example.id")
    response = _post_login(client, "081234567890")
    assert response.status_code == 400
    assert "Email atau kata sandi salah" in response.get_data(as_text=True)
    login(client, "adik@example.id")  # e-mail log-in still works for each


def test_a_deactivated_account_does_not_block_phone_login_of_the_other(client):
    old = _with_phone("lama@example.id")
    old.is_active_account = False
    db.session.commit()
    _with_phone("sari@example.id")
    assert _post_login(client, "081234567890").status_code == 302


def test_unknown_phone_and_unreadable_identifiers_fail_quietly(client):
    for typed in ["081299999999", "not a number", "٠٨١٢٣٤٥٦٧٨٩٠"]:
        response = _post_login(client, typed)
        assert response.status_code == 400, typed


def test_login_form_is_labelled_for_both_and_prefilled_from_the_link(client):
    html = client.get("/account/login?email=sari@example.id").get_data(as_text=True)
    assert "E-mail atau nomor HP" in html
    assert 'name="email"' in html and 'value="sari@example.id"' in html


def test_identifier_key_counts_every_way_of_writing_one_number_as_one(app_ctx):
    keys = {
        services.identifier_key(v) for v in ["0812 3456 7890", "+6281234567890", "62812-3456-7890"]
    }
    assert keys == {"phone:+6281234567890"}
    assert services.identifier_key(" Sari@Example.id ") == "email:sari@example.id"


def test_failed_logins_for_one_phone_are_limited_however_it_is_written(database_url, tmp_path):
    app = create_app(
        {**base_config(database_url, str(tmp_path)), "LOGIN_RATE_LIMIT": "3 per minute"}
    )
    app.test_client_class = FreshContextClient
    typed = ["0812 3456 7890", "+6281234567890", "62-812-3456-7890", "081234567890"]
    with app.app_context():
        db.create_all()
        codes = []
        for n, number in enumerate(typed):
            client = app.test_client()
            token = get_csrf(client)
            codes.append(
                client.post(
                    "/account/login",
                    data={"email": number, "password": "wrong", "csrf_token": token},
                    environ_base={"REMOTE_ADDR": f"10.0.2.{n + 1}"},
                ).status_code
            )
        db.session.remove()
        db.engine.dispose()
    assert codes == [400, 400, 400, 429]
