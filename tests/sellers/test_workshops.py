"""Workshops for trainers: creating and closing them, join codes, joining, the trainer role."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from marketplace import audit
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from sellers.workshops import services
from sellers.workshops.access import normalise_join_code
from sellers.workshops.models import JOIN_CODE_ALPHABET, Workshop, WorkshopMember
from tests.conftest import csrf_from, get_csrf, login
from tests.factories import PASSWORD, VILLAGE, make_user

START = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)  # 09.00 WITA in Lombok


def make_trainer(email: str = "pelatih@example.id") -> User:
    return make_user(email=email, roles=(Role.BUYER, Role.TRAINER), name="Bu Pelatih")


def make_workshop(trainer: User | None = None, **fields) -> Workshop:
    data = services.WorkshopData(
        title=fields.pop("title", "Jualan online, Pringgasela"),
        village_code=VILLAGE,
        starts_at=START,
        modules=fields.pop("modules", ["buka-toko", "foto-produk"]),
        capacity=fields.pop("capacity", 25),
    )
    return services.create_workshop(trainer or make_trainer(), data, **fields)


def members_of(workshop: Workshop) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(WorkshopMember)
        .where(WorkshopMember.workshop_id == workshop.id)
    )


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(audit.AuditEvent.action)))


# --- services ---------------------------------------------------------------------------------


def test_a_new_workshop_gets_a_six_character_code_from_the_alphabet(app_ctx):
    workshop = make_workshop()
    assert len(workshop.join_code) == 6
    assert set(workshop.join_code) <= set(JOIN_CODE_ALPHABET)
    assert workshop.is_open
    assert "workshop.created" in audit_actions()


def test_a_colliding_join_code_is_drawn_again(app_ctx, monkeypatch):
    trainer = make_trainer()
    first = make_workshop(trainer, join_code="TENUN4")
    draws = iter(["TENUN4", "TENUN4", "TRNR67"])
    monkeypatch.setattr(services, "new_join_code", lambda: next(draws))
    second = make_workshop(trainer)
    assert first.join_code == "TENUN4"
    assert second.join_code == "TRNR67"


def test_joining_twice_enrols_once(app_ctx):
    workshop = make_workshop()
    user = make_user()
    first = services.enrol(workshop, user)
    second = services.enrol(workshop, user)
    assert first.id == second.id
    assert members_of(workshop) == 1


def test_a_full_or_closed_workshop_refuses_new_members(app_ctx):
    workshop = make_workshop(capacity=1)
    services.enrol(workshop, make_user())
    with pytest.raises(services.WorkshopFull):
        services.enrol(workshop, make_user())
    services.close_workshop(workshop, workshop.trainer)
    with pytest.raises(services.WorkshopClosed):
        services.enrol(workshop, make_user())


def test_closing_keeps_each_members_standing_and_is_audited(app_ctx):
    workshop = make_workshop()
    user = make_user()
    services.enrol(workshop, user)
    services.close_workshop(workshop, workshop.trainer)
    member = services.membership(workshop, user.id)
    assert member.end_snapshot["shop"] is False
    assert member.end_snapshot["products"] == 0
    assert member.end_snapshot["modules_completed"] == []
    assert workshop.closed_at is not None
    assert "workshop.closed" in audit_actions()


def test_a_new_account_from_joining_logs_in_by_phone_and_gets_no_mail(app_ctx):
    workshop = make_workshop()
    user = services.join_with_new_account(
        workshop, name="Siti Aminah", phone="0812 3456 7890", password=PASSWORD, locale="id"
    )
    assert user.phone == "+6281234567890"
    assert not auth_services.has_mailbox(user.email)
    assert auth_services.authenticate("081234567890", PASSWORD).id == user.id
    assert user.has_role(Role.SELLER)
    with pytest.raises(services.PhoneTaken):
        services.join_with_new_account(
            workshop, name="Lain", phone="+6281234567890", password=PASSWORD, locale="id"
        )


def test_join_codes_are_read_the_way_people_type_them():
    assert normalise_join_code(" tenun-4 ") == "TENUN4"
    assert normalise_join_code("TENUN0") == ""  # 0 is not in the alphabet
    assert normalise_join_code("TENUN") == ""


# --- trainer role in /admin/users ---------------------------------------------------------------


def _admin_client(client):
    admin = make_user(email="admin@example.id", roles=(Role.BUYER, Role.ADMIN), name="Admin")
    login(client, admin.email)
    return admin


def test_an_admin_grants_and_removes_the_trainer_role_audited(client):
    _admin_client(client)
    user = make_user(email="sari@example.id", name="Sari")
    page = client.get("/admin/users/?q=sari").get_data(as_text=True)
    assert "Jadikan pelatih" in page
    token = csrf_from(page)
    url = f"/admin/users/{user.id}/roles"
    response = client.post(url, data={"role": "trainer", "action": "grant", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).has_role(Role.TRAINER)
    client.post(url, data={"role": "trainer", "action": "remove", "csrf_token": token})
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_role(Role.TRAINER)
    assert audit_actions().count("account.role_granted") == 1
    assert audit_actions().count("account.role_removed") == 1


def test_an_admin_cannot_remove_their_own_admin_role(client):
    admin = _admin_client(client)
    token = get_csrf(client, "/admin/users/?q=admin")
    response = client.post(
        f"/admin/users/{admin.id}/roles",
        data={"role": "admin", "action": "remove", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Anda tidak dapat mencabut peran admin Anda sendiri" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_admin


def test_only_trainer_and_admin_roles_can_be_changed_there(client):
    _admin_client(client)
    user = make_user()
    token = get_csrf(client, "/admin/users/?q=x")
    response = client.post(
        f"/admin/users/{user.id}/roles",
        data={"role": "seller", "action": "grant", "csrf_token": token},
    )
    assert response.status_code == 400


def test_a_non_admin_cannot_change_roles(client):
    make_user(email="biasa@example.id")
    login(client, "biasa@example.id")
    target = make_user()
    token = get_csrf(client, "/account/")
    response = client.post(
        f"/admin/users/{target.id}/roles",
        data={"role": "trainer", "action": "grant", "csrf_token": token},
    )
    assert response.status_code == 403


# --- trainer pages --------------------------------------------------------------------------------


def test_a_non_trainer_gets_403_on_trainer_pages(client):
    workshop = make_workshop()
    make_user(email="biasa@example.id")
    login(client, "biasa@example.id")
    for url in (
        "/trainer/workshops",
        "/trainer/workshops/new",
        f"/trainer/workshops/{workshop.id}",
        f"/trainer/workshops/{workshop.id}/projector",
        f"/trainer/workshops/{workshop.id}/report",
    ):
        assert client.get(url).status_code == 403, url


def test_another_trainers_workshop_is_404(client):
    workshop = make_workshop()
    make_trainer("lain@example.id")
    login(client, "lain@example.id")
    base = f"/trainer/workshops/{workshop.id}"
    for url in (base, base + "/edit", base + "/projector", base + "/report", base + "/report.csv"):
        assert client.get(url).status_code == 404, url
    token = get_csrf(client, "/trainer/workshops/new")
    assert client.post(base + "/close", data={"csrf_token": token}).status_code == 404
    assert workshop.is_open


def _create_form(token: str, **overrides) -> dict:
    parts = VILLAGE.split(".")
    data = {
        "csrf_token": token,
        "title": "Jualan online di desa",
        "province_code": parts[0],
        "regency_code": ".".join(parts[:2]),
        "district_code": ".".join(parts[:3]),
        "village_code": VILLAGE,
        "day": "2026-12-20",
        "start": "09:00",
        "modules": ["buka-toko", "foto-produk"],
        "capacity": "20",
    }
    data.update(overrides)
    return data


def test_a_trainer_creates_a_workshop_in_the_villages_time_zone(client):
    make_trainer()
    login(client, "pelatih@example.id")
    token = get_csrf(client, "/trainer/workshops/new")
    response = client.post("/trainer/workshops/new", data=_create_form(token))
    assert response.status_code == 302
    workshop = db.session.scalars(select(Workshop)).one()
    assert workshop.modules == ["buka-toko", "foto-produk"]
    assert workshop.capacity == 20
    # 09.00 in Lombok (WITA, UTC+8) is 01.00 UTC.
    starts = (
        workshop.starts_at.replace(tzinfo=UTC)
        if not workshop.starts_at.tzinfo
        else workshop.starts_at
    )
    assert starts == datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert workshop.join_code in page
    assert "09.00 WITA" in page
    listing = client.get("/trainer/workshops").get_data(as_text=True)
    assert "Jualan online di desa" in listing


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("village_code", ""),
        ("day", "٢٠٢٦-١٢-٢٠"),
        ("day", "20/12/2026"),
        ("start", "25:00"),
        ("capacity", "0"),
        ("capacity", "١٠"),
        ("modules", "tidak-ada"),
    ],
)
def test_a_wrong_workshop_field_is_shown_beside_it(client, field, value):
    make_trainer()
    login(client, "pelatih@example.id")
    token = get_csrf(client, "/trainer/workshops/new")
    response = client.post("/trainer/workshops/new", data=_create_form(token, **{field: value}))
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Workshop.id))) == 0


def test_the_projector_page_shows_the_code_and_a_qr_of_the_join_url(client):
    trainer = make_trainer()
    workshop = make_workshop(trainer, join_code="TENUN4")
    login(client, trainer.email)
    page = client.get(f"/trainer/workshops/{workshop.id}/projector").get_data(as_text=True)
    assert 'class="join-code"' in page and "TENUN4" in page
    assert "<svg" in page and "http://localhost/join/TENUN4" in page


def test_closing_from_the_detail_page(client):
    trainer = make_trainer()
    workshop = make_workshop(trainer)
    login(client, trainer.email)
    token = get_csrf(client, f"/trainer/workshops/{workshop.id}")
    response = client.post(f"/trainer/workshops/{workshop.id}/close", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Workshop, workshop.id).is_open


def test_an_admin_may_open_any_workshop(client):
    workshop = make_workshop()
    _admin_client(client)
    assert client.get(f"/trainer/workshops/{workshop.id}").status_code == 200


# --- joining -------------------------------------------------------------------------------------


def _join_new(client, code: str, phone: str = "0812 3456 7890", **overrides):
    token = get_csrf(client)
    data = {
        "action": "new",
        "csrf_token": token,
        "name": "Siti Aminah",
        "phone": phone,
        "password": PASSWORD,
        "language": "id",
    }
    data.update(overrides)
    return client.post(f"/join/{code}", data=data)


def test_joining_with_the_code_makes_an_account_and_enrols_it(client):
    workshop = make_workshop(join_code="TENUN4")
    response = _join_new(client, "TENUN4")
    assert response.status_code == 302
    assert members_of(workshop) == 1
    page = client.get("/join/TENUN4").get_data(as_text=True)
    assert "Anda sudah terdaftar di pelatihan ini" in page


def test_a_lower_case_code_is_the_same_workshop(client):
    make_workshop(join_code="TENUN4")
    response = client.get("/join/tenun-4")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/join/TENUN4")


def test_joining_twice_from_the_page_enrols_once(client):
    workshop = make_workshop(join_code="TENUN4")
    assert _join_new(client, "TENUN4").status_code == 302
    token = get_csrf(client, "/account/")
    response = client.post("/join/TENUN4", data={"action": "enrol", "csrf_token": token})
    assert response.status_code == 200  # the member's page, not an error
    assert members_of(workshop) == 1


def test_an_existing_account_logs_in_and_is_enrolled(client):
    workshop = make_workshop(join_code="TENUN4")
    user = make_user(email="ani@example.id")
    token = get_csrf(client, "/join/TENUN4")
    response = client.post(
        "/join/TENUN4",
        data={
            "action": "login",
            "csrf_token": token,
            "identifier": "ani@example.id",
            "secret": "salah-sekali",
        },
    )
    assert response.status_code == 400
    assert members_of(workshop) == 0
    response = client.post(
        "/join/TENUN4",
        data={
            "action": "login",
            "csrf_token": token,
            "identifier": "ani@example.id",
            "secret": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert services.membership(workshop, user.id) is not None


def test_a_phone_that_has_an_account_is_asked_to_log_in(client):
    make_workshop(join_code="TENUN4")
    user = make_user(email="ani@example.id")
    user.phone = "+6281234567890"
    db.session.commit()
    response = _join_new(client, "TENUN4")
    assert response.status_code == 400
    assert "Nomor ini sudah punya akun" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("phone", "12345"), ("phone", "٠٨١٢٣٤٥٦٧٨٩٠"), ("password", "short")],
)
def test_a_wrong_join_field_keeps_the_input(client, field, value):
    workshop = make_workshop(join_code="TENUN4")
    response = _join_new(client, "TENUN4", **{field: value})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert members_of(workshop) == 0


def test_a_wrong_code_is_a_clear_404_in_the_users_language(client):
    response = client.get("/join/ZZZZZZ")
    assert response.status_code == 404
    assert "Tidak ada pelatihan dengan kode ini" in response.get_data(as_text=True)
    english = client.get("/join/ZZZZZZ?lang=en")
    assert "No workshop has this code" in english.get_data(as_text=True)


def test_the_plain_join_form_leads_to_the_workshop(client):
    make_workshop(join_code="TENUN4")
    response = client.get("/join?code=tenun 4")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/join/TENUN4")
    assert client.get("/join?code=QQQQQQ").status_code == 404
    assert client.get("/join").status_code == 200


def test_a_closed_workshops_code_says_so(client):
    workshop = make_workshop(join_code="TENUN4")
    services.close_workshop(workshop, workshop.trainer)
    response = client.get("/join/TENUN4")
    assert response.status_code == 410
    assert "Pelatihan ini sudah selesai" in response.get_data(as_text=True)
    assert _join_new(client, "TENUN4").status_code == 410


def test_a_full_workshop_says_so(client):
    workshop = make_workshop(join_code="TENUN4", capacity=1)
    services.enrol(workshop, make_user())
    response = _join_new(client, "TENUN4")
    assert response.status_code == 409
    assert "Pelatihan ini sudah penuh" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id)).where(User.phone != "")) == 0


def test_guessing_codes_is_limited_but_a_room_joining_at_once_is_not(client, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "JOIN_CODE_RATE_LIMIT", "5 per minute")
    make_workshop(join_code="TENUN4")
    for n in range(20):  # twenty phones behind one address, all with the right code
        assert client.get("/join/TENUN4").status_code == 200, n
    statuses = [client.get("/join/QQQQQQ").status_code for _ in range(6)]
    assert statuses[:5] == [404] * 5
    assert statuses[5] == 429
    assert client.get("/join/TENUN4").status_code == 429  # the address is now blocked a while


def _trainer_rules(app):
    return [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("workshops.") and r.rule.startswith("/trainer/")
    ]


def _url(rule, workshop_id: int, user_id: int) -> str:
    return rule.rule.replace("<int:workshop_id>", str(workshop_id)).replace(
        "<int:user_id>", str(user_id)
    )


def test_every_trainer_route_refuses_non_trainers_and_hides_other_trainers_workshops(
    client, app_ctx
):
    workshop = make_workshop()
    participant = make_user()
    services.enrol(workshop, participant)
    make_user(email="biasa@example.id")
    make_trainer("lain@example.id")
    walked = set()
    for email, expected in (("biasa@example.id", 403), ("lain@example.id", 404)):
        visitor = client.application.test_client()
        login(visitor, email)
        token = get_csrf(visitor, "/account/")
        for rule in _trainer_rules(app_ctx):
            if "workshop_id" not in rule.arguments and expected == 404:
                continue
            url = _url(rule, workshop.id, participant.id)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                data = {"csrf_token": token, "body": "x", "title": "Diambil"}
                response = visitor.open(url, method=method, data=data if method == "POST" else None)
                assert response.status_code == expected, (email, method, url)
                walked.add(rule.endpoint)
    assert {
        "workshops.detail",
        "workshops.close",
        "workshops.cards",
        "workshops.reset_code",
        "workshops.add_note",
        "workshops.import_members",
        "workshops.report_csv",
    } <= walked
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).is_open


def test_a_join_racing_another_for_the_same_person_enrols_once(app_ctx, monkeypatch):
    """Two taps on two phones: both see no membership, the unique pair lets one insert win."""
    workshop = make_workshop()
    user = make_user()
    services.enrol(workshop, user)
    real = services.membership
    seen = []

    def stale_first_look(w, user_id):
        seen.append(user_id)
        return None if len(seen) <= 2 else real(w, user_id)

    monkeypatch.setattr(services, "membership", stale_first_look)
    member = services.enrol(workshop, user)
    assert member.user_id == user.id
    assert members_of(workshop) == 1
    assert db.session.get(Workshop, workshop.id).is_open  # the session is still usable


def test_a_phone_only_account_never_shows_its_placeholder_address(client):
    make_workshop(join_code="TENUN4")
    assert _join_new(client, "TENUN4").status_code == 302
    for url in ("/account/", "/sell/account"):
        page = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert "no-email.invalid" not in page, url
    assert "+6281234567890" in client.get("/account/").get_data(as_text=True)


def test_the_list_is_the_trainers_own_newest_first_and_edit_keeps_the_code(client):
    from datetime import timedelta

    trainer = make_trainer()
    older = make_workshop(trainer, title="Pelatihan lama")
    newer = make_workshop(trainer, title="Pelatihan baru")
    newer.starts_at = START + timedelta(days=7)
    db.session.commit()
    make_workshop(make_trainer("lain@example.id"), title="Milik orang lain")
    login(client, trainer.email)
    listing = client.get("/trainer/workshops").get_data(as_text=True)
    assert listing.index("Pelatihan baru") < listing.index("Pelatihan lama")
    assert "Milik orang lain" not in listing
    edit_url = f"/trainer/workshops/{older.id}/edit"
    form = client.get(edit_url).get_data(as_text=True)
    assert 'value="2026-12-20"' in form and 'value="09:00"' in form
    token = csrf_from(form)
    code = older.join_code
    response = client.post(
        edit_url, data=_create_form(token, title="Pelatihan diubah", capacity="30")
    )
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Workshop, older.id)
    assert (changed.title, changed.capacity, changed.join_code) == ("Pelatihan diubah", 30, code)


def test_links_to_parts_not_installed_are_left_out(client):
    trainer = make_trainer()
    workshop = make_workshop(trainer)
    login(client, trainer.email)
    page = client.get(f"/trainer/workshops/{workshop.id}").get_data(as_text=True)
    app = client.application
    assert ("/board" in page) == ("workshop_board.board" in app.view_functions)
    assert ("/market" in page) == ("practice.market" in app.view_functions)
    assert f"/trainer/workshops/{workshop.id}/report" in page
