"""Follow-up after a workshop: then and now, stalled participants, notes, CSV and reminders."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

from click.testing import CliRunner
from sqlalchemy import func, select

from catalog.models import ProductStatus
from marketplace.auth.models import utcnow
from marketplace.extensions import db
from orders import settlement
from sellers.models import SellerStatus
from sellers.training.progress import mark_completed_for_demo
from sellers.workshops import followup, services, standing
from sellers.workshops.models import WorkshopMember
from sellers.workshops.records import FollowUpMail, MentoringNote
from tests.conftest import get_csrf, login
from tests.factories import make_product, make_seller, make_user
from tests.orders.factories import make_order
from tests.sellers.test_workshops import make_trainer, make_workshop


def _paid(product, practice_workshop_id=None):
    order = make_order([(product, 1)], buyer=make_user())
    order.practice_workshop_id = practice_workshop_id
    settlement.settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()
    return order


def _room():
    """A closed workshop: one participant kept going, one stalled, one joined with nothing."""
    trainer = make_trainer()
    workshop = make_workshop(trainer)
    active = make_user(email="aktif@example.id", name="Ani Aktif")
    active.phone = "+6281234567890"
    stalled = make_user(email="diam@example.id", name="Dedi Diam")
    stalled.phone = "+6281234567891"
    db.session.commit()
    for user in (active, stalled):
        services.enrol(workshop, user)
    shop = make_seller(active, status=SellerStatus.DRAFT, trained=False)
    make_product(shop, status=ProductStatus.DRAFT)
    services.close_workshop(workshop, trainer)
    # After the workshop: the active one got verified, published, sold; practice rows do not count.
    db.session.refresh(shop)
    shop.status = SellerStatus.VERIFIED.value
    real = make_product(shop, status=ProductStatus.PUBLISHED)
    practice = make_product(shop, status=ProductStatus.PUBLISHED, practice_workshop_id=workshop.id)
    _paid(real)
    _paid(practice, practice_workshop_id=workshop.id)
    mark_completed_for_demo(active, ["buka-toko"])
    # The stalled one joined long ago and did nothing since.
    member = services.membership(workshop, stalled.id)
    member.joined_at = utcnow() - timedelta(days=30)
    db.session.commit()
    return trainer, workshop, active, stalled


def test_the_snapshot_and_todays_figures_leave_practice_out(app_ctx):
    _trainer, workshop, active, stalled = _room()
    rows = {r.member.user_id: r for r in standing.report(workshop)}
    then = rows[active.id].then
    assert then["shop"] is True and then["products"] == 1 and then["verified"] is False
    now = rows[active.id].now
    assert (now.products, now.published, now.paid_orders) == (2, 1, 1)
    assert now.verified and now.modules_completed == ("buka-toko",)
    assert not rows[active.id].stalled
    assert rows[stalled.id].stalled
    assert standing.next_step(rows[stalled.id].now) == "profile"
    assert standing.next_step(now) == "grow"


def test_the_report_for_a_whole_room_is_a_fixed_number_of_queries(app_ctx):
    from sqlalchemy import event

    workshop = make_workshop(capacity=40)
    for n in range(30):
        user = make_user()
        services.enrol(workshop, user)
        if n % 2:
            make_product(make_seller(user, trained=False))
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = standing.standings([m.user_id for m in services.members(workshop)])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows) == 30
    assert len(statements) <= 6, len(statements)


def test_the_report_page_shows_then_and_now_stalled_filter_and_whatsapp(client):
    trainer, workshop, active, stalled = _room()
    login(client, trainer.email)
    page = client.get(f"/trainer/workshops/{workshop.id}/report").get_data(as_text=True)
    assert "Ani Aktif" in page and "Dedi Diam" in page
    assert "sekarang 2 (1 terbit)" in page
    assert "https://wa.me/6281234567891?text=" in page
    only = client.get(f"/trainer/workshops/{workshop.id}/report?stalled=1").get_data(as_text=True)
    assert "Dedi Diam" in only and "Ani Aktif" not in only
    link = only.split("https://wa.me/6281234567891?text=", 1)[1].split('"', 1)[0]
    message = unquote(link.replace("&amp;", "&"))
    assert message.startswith("Halo Dedi")
    assert "mengisi profil toko" in message


def test_notes_are_private_to_the_trainer_and_admins(client):
    trainer, workshop, active, _stalled = _room()
    login(client, trainer.email)
    token = get_csrf(client, f"/trainer/workshops/{workshop.id}/report")
    url = f"/trainer/workshops/{workshop.id}/members/{active.id}/notes"
    assert client.post(url, data={"csrf_token": token, "body": "Telepon Senin"}).status_code == 302
    assert client.post(url, data={"csrf_token": token, "body": "   "}).status_code == 302
    assert db.session.scalar(select(func.count(MentoringNote.id))) == 1
    assert "Telepon Senin" in client.get(f"/trainer/workshops/{workshop.id}/report").get_data(
        as_text=True
    )
    # The participant never sees it; another trainer gets 404.
    participant = client.application.test_client()
    login(participant, active.email)
    assert participant.get(f"/trainer/workshops/{workshop.id}/report").status_code == 403
    other = client.application.test_client()
    make_trainer("lain@example.id")
    login(other, "lain@example.id")
    token = get_csrf(other, "/trainer/workshops")
    assert other.get(f"/trainer/workshops/{workshop.id}/report").status_code == 404
    assert other.post(url, data={"csrf_token": token, "body": "x"}).status_code == 404


def test_a_note_for_someone_outside_the_workshop_is_404(client):
    trainer, workshop, _active, _stalled = _room()
    outsider = make_user()
    login(client, trainer.email)
    token = get_csrf(client, f"/trainer/workshops/{workshop.id}/report")
    url = f"/trainer/workshops/{workshop.id}/members/{outsider.id}/notes"
    assert client.post(url, data={"csrf_token": token, "body": "x"}).status_code == 404


def test_the_csv_export_has_a_row_per_participant_and_no_formulas(client):
    trainer, workshop, active, _stalled = _room()
    active.name = "=HYPERLINK(1)"
    db.session.commit()
    login(client, trainer.email)
    response = client.get(f"/trainer/workshops/{workshop.id}/report.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3
    [row] = [r for r in rows if r[1] == active.phone]
    assert row[0] == "'=HYPERLINK(1)"
    assert row[3] == "2"  # products now


def test_the_follow_up_job_mails_each_trainer_once_per_mark(app_ctx):
    trainer, workshop, _active, _stalled = _room()
    outbox = Path(app_ctx.config["MAIL_OUTBOX"])
    outbox.unlink(missing_ok=True)
    closed = workshop.closed_at
    assert followup.send_follow_ups(now=closed + timedelta(days=3)) == 0
    assert followup.send_follow_ups(now=closed + timedelta(days=8)) == 1
    assert followup.send_follow_ups(now=closed + timedelta(days=9)) == 0  # idempotent
    text = outbox.read_text()
    assert "7 hari setelah" in text and "Dedi Diam" in text and "Ani Aktif" not in text
    assert followup.send_follow_ups(now=closed + timedelta(days=31)) == 1
    assert sorted(db.session.scalars(select(FollowUpMail.days))) == [7, 30]


def test_a_late_first_run_sends_only_the_latest_mark(app_ctx):
    _trainer, workshop, _active, _stalled = _room()
    assert followup.send_follow_ups(now=workshop.closed_at + timedelta(days=100)) == 1
    assert list(db.session.scalars(select(FollowUpMail.days))) == [90]


def test_the_follow_up_command(app_ctx):
    _room()
    result = CliRunner().invoke(
        app_ctx.cli, ["workshops", "follow-up"], obj=None, catch_exceptions=False
    )
    assert "follow-up mail(s)" in result.output


def test_open_workshops_get_no_follow_up(app_ctx):
    workshop = make_workshop()
    services.enrol(workshop, make_user())
    assert followup.send_follow_ups(now=utcnow() + timedelta(days=40)) == 0
    assert db.session.scalar(select(func.count(WorkshopMember.id))) == 1


def test_the_demo_has_a_trainer_an_open_workshop_with_a_fixed_code_and_a_closed_one(app_ctx):
    from marketplace.demo.loader import load
    from marketplace.demo.workshops import OPEN_CODE
    from sellers.workshops.access import workshop_by_code

    load(product_limit=3, photo_size=320)
    load(product_limit=3, photo_size=320)  # idempotent
    workshop = workshop_by_code(OPEN_CODE)
    assert workshop.is_open and workshop.trainer.email == "pelatih@demo.migrantmart.id"
    assert len(workshop.members) == 4
    closed = workshop_by_code("JRWR47")
    assert not closed.is_open
    rows = standing.report(closed)
    assert len(rows) == 3
    assert all(r.then is not None for r in rows)
    assert sum(r.stalled for r in rows) == 1
    assert followup.send_follow_ups() == 0  # the 7- and 30-day mails were already sent


def test_the_demo_room_shows_a_whole_practice_sale_on_the_board(app_ctx):
    from marketplace.demo.loader import load
    from marketplace.demo.workshops import OPEN_CODE, PRACTICE_BUYER, PRACTICE_SELLER
    from orders.models import Order
    from sellers.workshops.access import workshop_by_code
    from sellers.workshops.board import participant_steps

    load(product_limit=3, photo_size=320)
    load(product_limit=3, photo_size=320)  # the sale is made once
    workshop = workshop_by_code(OPEN_CODE)
    orders = list(
        db.session.scalars(select(Order).where(Order.practice_workshop_id == workshop.id))
    )
    assert len(orders) == 1 and orders[0].number.startswith("LATIHAN-")
    assert orders[0].buyer.email == PRACTICE_BUYER
    assert orders[0].seller_orders[0].status == "shipped"
    names = {m.user.email: m.user.name for m in workshop.members}
    rows = {row.name: row for row in participant_steps(workshop)}
    seller_row = rows[names[PRACTICE_SELLER]]
    assert seller_row.practice_sale and seller_row.parcel_shipped
    assert seller_row.product_with_photos
    assert not rows[names[PRACTICE_BUYER]].practice_sale  # the buyer sold nothing
