"""Bulk enrolment from a CSV list, printed login cards and their one-time sign-in codes."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from marketplace.auth import services as auth_services
from marketplace.auth.models import User, utcnow
from marketplace.extensions import db
from sellers.workshops import enrolment, services
from sellers.workshops.models import WorkshopMember
from sellers.workshops.records import SignInCode
from tests.conftest import get_csrf, login
from tests.factories import make_user
from tests.sellers.test_workshops import make_trainer, make_workshop, members_of


def _import(workshop, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return enrolment.import_members(workshop, data, workshop.trainer)


def test_good_rows_are_imported_and_bad_rows_named_with_their_reason(app_ctx):
    workshop = make_workshop()
    existing = make_user(email="ada@example.id")
    existing.phone = "+6281300000001"
    db.session.commit()
    report = _import(
        workshop,
        "nama,no hp,email\n"
        "Siti Aminah,0812 3456 7890,\n"
        "Wayan,+62 812-3456-7891,wayan@example.id\n"
        ",081234567892,\n"  # empty name
        "Budi,12345,\n"  # wrong phone
        "Siti lagi,081234567890,\n"  # duplicate in the file
        "Sudah Ada,081300000001,\n"  # phone of an existing account
        "Surel,081234567893,ada@example.id\n"  # e-mail of an existing account
        "Salah Surel,081234567894,bukan-surel\n"
        "\n",
    )
    assert [r.name for r in report.imported] == ["Siti Aminah", "Wayan"]
    problems = {r.line: (r.problem, r.detail) for r in report.refused}
    assert problems == {
        4: ("empty_name", ""),
        5: ("bad_phone", ""),
        6: ("duplicate_in_file", "2"),
        7: ("account_exists", ""),
        8: ("account_exists", ""),
        9: ("bad_email", ""),
    }
    assert members_of(workshop) == 2
    siti = db.session.scalar(select(User).where(User.phone == "+6281234567890"))
    assert not auth_services.has_mailbox(siti.email)
    assert enrolment.needs_password(siti)
    assert auth_services.authenticate("081234567890", "") is None
    wayan = db.session.scalar(select(User).where(User.phone == "+6281234567891"))
    assert wayan.email == "wayan@example.id"


def test_excel_csv_in_windows_1252_with_semicolons_is_read(app_ctx):
    workshop = make_workshop()
    data = "Nama;Telepon\r\nJosé Ñoño;081234567890\r\n".encode("cp1252")
    report = _import(workshop, data)
    assert report.encoding == "cp1252"
    assert [r.name for r in report.imported] == ["José Ñoño"]


def test_a_utf8_file_with_a_byte_order_mark_is_read(app_ctx):
    workshop = make_workshop()
    report = _import(workshop, "\ufeffNi Luh Putu,081234567890\n")
    assert [r.name for r in report.imported] == ["Ni Luh Putu"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\n\n ,  \n", "empty"),
        (b"PK\x03\x04\x14\x00\x00\x00binary", "encoding"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "encoding"),
        (b"Nama\x81\x8d\x8f,081234567890\n", "encoding"),  # neither UTF-8 nor Windows-1252
    ],
)
def test_an_unreadable_file_is_refused_as_a_whole(app_ctx, data, reason):
    workshop = make_workshop()
    with pytest.raises(enrolment.ImportRefused) as refused:
        _import(workshop, data)
    assert refused.value.reason == reason
    assert members_of(workshop) == 0


def test_ten_thousand_rows_are_refused_with_the_limit_and_nothing_imported(app_ctx):
    workshop = make_workshop()
    rows = "".join(f"Peserta {n},0812{n:08d}\n" for n in range(10_000))
    with pytest.raises(enrolment.ImportRefused) as refused:
        _import(workshop, rows)
    assert refused.value.reason == "too_many"
    assert refused.value.values == {"rows": 10_000, "limit": enrolment.MAX_IMPORT_ROWS}
    padded = rows.replace("Peserta", "Peserta dengan nama yang sangat panjang sekali")
    with pytest.raises(enrolment.ImportRefused) as too_big:
        _import(workshop, padded)
    assert too_big.value.reason == "too_big"
    assert members_of(workshop) == 0


def test_rows_beyond_the_capacity_are_reported_full(app_ctx):
    workshop = make_workshop(capacity=2)
    services.enrol(workshop, make_user())
    report = _import(workshop, "A Satu,081234567890\nB Dua,081234567891\n")
    assert [r.problem for r in report.rows] == ["", "full"]
    assert members_of(workshop) == 2


def test_the_import_looks_up_in_sets_not_per_row(app_ctx):
    workshop = make_workshop(capacity=200)
    rows = "".join(f"Peserta {n},0812{n:08d}\n" for n in range(150))
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        report = _import(workshop, rows)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(report.imported) == 150
    assert len(statements) < 10, statements


def test_the_upload_page_reports_rows_and_refuses_a_huge_file_clearly(client):
    trainer = make_trainer()
    workshop = make_workshop(trainer)
    login(client, trainer.email)
    url = f"/trainer/workshops/{workshop.id}/import"
    token = get_csrf(client, f"/trainer/workshops/{workshop.id}")
    good = client.post(
        url,
        data={
            "csrf_token": token,
            "file": (io.BytesIO(b"Siti,081234567890\n,081234567891\n"), "peserta.csv"),
        },
        content_type="multipart/form-data",
    )
    page = good.get_data(as_text=True)
    assert good.status_code == 200
    assert "1 orang terdaftar, 1 baris tidak diimpor" in page
    assert "Namanya kosong" in page
    rows = "".join(f"Peserta {n},0812{n:08d}\n" for n in range(10_000)).encode()
    huge = client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(rows), "besar.csv")},
        content_type="multipart/form-data",
    )
    assert huge.status_code == 400
    assert "File berisi 10000 baris; paling banyak 200" in huge.get_data(as_text=True)
    assert members_of(workshop) == 1


def test_another_trainer_cannot_upload_a_list(client):
    workshop = make_workshop()
    make_trainer("lain@example.id")
    login(client, "lain@example.id")
    token = get_csrf(client, "/trainer/workshops")
    response = client.post(
        f"/trainer/workshops/{workshop.id}/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"A,081234567890\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert members_of(workshop) == 0


# --- cards and sign-in codes ------------------------------------------------------------------


def _imported(workshop, text="Siti Aminah,081234567890\n"):
    _import(workshop, text)
    return db.session.scalar(select(User).where(User.phone == "+6281234567890"))


def test_a_sign_in_code_is_stored_hashed_works_once_and_expires(app_ctx):
    workshop = make_workshop()
    user = _imported(workshop)
    [card] = enrolment.issue_cards(workshop, [user], workshop.trainer)
    row = db.session.scalar(select(SignInCode))
    assert card.code not in row.code_hash
    assert enrolment.sign_in_with_code("0812-3456-7890", card.code.lower()).id == user.id
    with pytest.raises(enrolment.InvalidSignInCode):
        enrolment.sign_in_with_code("081234567890", card.code)  # used
    [again] = enrolment.issue_cards(workshop, [user], workshop.trainer)
    newest = db.session.scalars(select(SignInCode).order_by(SignInCode.id.desc())).first()
    newest.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(enrolment.InvalidSignInCode):
        enrolment.sign_in_with_code("081234567890", again.code)  # expired


def test_printing_again_makes_the_old_cards_stop_working(app_ctx):
    workshop = make_workshop()
    user = _imported(workshop)
    [old] = enrolment.issue_cards(workshop, [user], workshop.trainer)
    [new] = enrolment.issue_cards(workshop, [user], workshop.trainer)
    with pytest.raises(enrolment.InvalidSignInCode):
        enrolment.sign_in_with_code("081234567890", old.code)
    assert enrolment.sign_in_with_code("081234567890", new.code).id == user.id


def test_login_cards_print_eight_to_a_page_with_a_qr_each(client):
    trainer = make_trainer()
    workshop = make_workshop(trainer)
    _import(workshop, "".join(f"Peserta {n},0812{n:08d}\n" for n in range(10)))
    login(client, trainer.email)
    token = get_csrf(client, f"/trainer/workshops/{workshop.id}")
    response = client.post(f"/trainer/workshops/{workshop.id}/cards", data={"csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert page.count('class="card-sheet"') == 2
    assert page.count('class="login-card"') == 10
    assert page.count("<svg") == 10
    assert "Peserta 3" in page and "+62812" in page
    assert db.session.scalar(select(func.count(SignInCode.id))) == 10


def test_a_card_signs_in_and_offers_to_set_a_password(client):
    trainer = make_trainer()
    workshop = make_workshop(trainer)
    user = _imported(workshop)
    [card] = enrolment.issue_cards(workshop, [user], trainer)
    link = client.get(f"/join/card?phone=%2B6281234567890&code={card.code}")
    assert link.status_code == 200  # opening the link spends nothing
    assert card.code in link.get_data(as_text=True)
    token = get_csrf(client, "/join/card")
    wrong = client.post(
        "/join/card", data={"csrf_token": token, "phone": "081234567890", "code": "AAAAAAAA"}
    )
    assert wrong.status_code == 400
    response = client.post(
        "/join/card", data={"csrf_token": token, "phone": "081234567890", "code": card.code}
    )
    assert response.status_code == 302
    welcome = client.get("/join/welcome").get_data(as_text=True)
    assert "Pilih kata sandi" in welcome
    assert f"/join/{workshop.join_code}" in welcome
    token = get_csrf(client, "/join/welcome")
    saved = client.post(
        "/join/welcome",
        data={"csrf_token": token, "password": "rahasia-baru", "confirm": "rahasia-baru"},
    )
    assert saved.status_code == 302
    assert auth_services.authenticate("081234567890", "rahasia-baru").id == user.id


# --- trainer-issued reset codes ---------------------------------------------------------------


def test_a_trainer_issues_a_reset_code_for_their_participant_only(client):
    trainer = make_trainer()
    workshop = make_workshop(trainer)
    participant = make_user(email="peserta@example.id")
    services.enrol(workshop, participant)
    outsider = make_user(email="luar@example.id")
    login(client, trainer.email)
    token = get_csrf(client, f"/trainer/workshops/{workshop.id}")
    base = f"/trainer/workshops/{workshop.id}/members"
    response = client.post(f"{base}/{participant.id}/reset-code", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    code = re.search(r'class="reset-code"><strong>(\d{4}) (\d{4})', response.get_data(as_text=True))
    assert code
    db.session.expire_all()
    auth_services.reset_with_code("peserta@example.id", code[1] + code[2], "sandi-baru-123")
    assert auth_services.authenticate("peserta@example.id", "sandi-baru-123") is not None
    from marketplace import audit

    events = list(db.session.scalars(select(audit.AuditEvent)))
    assert any(e.action == "account.reset_code" and e.actor_id == trainer.id for e in events)
    assert (
        client.post(f"{base}/{outsider.id}/reset-code", data={"csrf_token": token}).status_code
        == 404
    )


def test_another_trainer_cannot_issue_codes_for_my_participants(client):
    workshop = make_workshop()
    participant = make_user()
    services.enrol(workshop, participant)
    make_trainer("lain@example.id")
    login(client, "lain@example.id")
    token = get_csrf(client, "/trainer/workshops")
    response = client.post(
        f"/trainer/workshops/{workshop.id}/members/{participant.id}/reset-code",
        data={"csrf_token": token},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, participant.id).reset_code_hash == ""


def test_members_from_the_list_count_as_imported(app_ctx):
    workshop = make_workshop()
    _imported(workshop)
    assert db.session.scalar(select(WorkshopMember.source)) == "import"
