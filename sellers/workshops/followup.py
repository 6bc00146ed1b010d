"""Follow-up after a workshop: private notes, the report's words, and reminders to trainers.

One-off workshops fade (in one programme 3 of 15 businesses still advertised a month later);
a call at the right moment is what keeps a participant going. So 7, 30 and 90 days after a
workshop its trainer gets an e-mail naming who has stalled, and the report offers a WhatsApp
message per participant that names their next step.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import mail
from marketplace.auth import services as auth_services
from marketplace.auth.models import User, as_utc, utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from sellers.workshops.models import Workshop, WorkshopStatus
from sellers.workshops.records import FollowUpMail, MentoringNote
from sellers.workshops.standing import ReportRow, next_step, report

FOLLOW_UP_DAYS = (7, 30, 90)
NOTE_MAX = 2000

# The WhatsApp text is always Indonesian: the participants' language, whatever the trainer's.
NEXT_STEP_ID = {
    "profile": "mengisi profil toko Anda (nama toko, desa, cerita)",
    "product": "memasukkan produk pertama Anda dengan 3 foto",
    "submit": "mengirim toko Anda untuk diverifikasi",
    "wait": "menunggu verifikasi toko; sementara itu siapkan produk berikutnya",
    "publish": "menerbitkan produk pertama Anda",
    "share": "membagikan tautan produk Anda ke pelanggan lewat WhatsApp",
    "grow": "menambah produk baru dan meminta ulasan dari pembeli",
}


def next_step_label(key: str) -> str:
    """The next step in the reader's language, for the report page and its CSV."""
    labels = {
        "profile": _("Fill in the shop profile"),
        "product": _("Add a first product with 3 photos"),
        "submit": _("Send the shop for verification"),
        "wait": _("Waiting for verification"),
        "publish": _("Publish a first product"),
        "share": _("Share products with customers"),
        "grow": _("Add products, ask for reviews"),
    }
    return labels.get(key, key)


def whatsapp_message(row: ReportRow, workshop: Workshop) -> str:
    name = row.member.user.name.split(" ")[0] if row.member.user.name else ""
    step = NEXT_STEP_ID[next_step(row.now)]
    return (
        f"Halo {name}, ini dari pelatihan \u201c{workshop.title}\u201d di Migrant Mart. "
        f"Langkah berikutnya untuk toko Anda: {step}. "
        f"Kalau ada yang membingungkan, balas pesan ini, saya bantu."
    )


# --- notes ------------------------------------------------------------------------------------


class NoteRefused(DomainError):
    pass


def add_note(workshop: Workshop, participant: User, author: User, body: str) -> MentoringNote:
    body = (body or "").strip()
    if not body:
        raise NoteRefused("empty")
    note = MentoringNote(
        workshop_id=workshop.id, user_id=participant.id, author_id=author.id, body=body[:NOTE_MAX]
    )
    db.session.add(note)
    db.session.commit()
    return note


def notes_by_participant(workshop: Workshop) -> dict[int, list[MentoringNote]]:
    notes: dict[int, list[MentoringNote]] = {}
    for note in db.session.scalars(
        select(MentoringNote)
        .where(MentoringNote.workshop_id == workshop.id)
        .order_by(MentoringNote.created_at.desc(), MentoringNote.id.desc())
    ):
        notes.setdefault(note.user_id, []).append(note)
    return notes


# --- CSV export --------------------------------------------------------------------------------


def _yes(value) -> str:
    return _("yes") if value else _("no")


def report_csv(workshop: Workshop, rows: list[ReportRow]) -> str:
    """The report as CSV for a programme's spreadsheet (UTF-8 with BOM, so Excel reads it).

    A cell that starts with ``=``, ``+``, ``-`` or ``@`` is prefixed with an apostrophe:
    a participant named "=HYPERLINK(…)" must not become a formula on the trainer's computer.
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Name"),
            _("Mobile number"),
            _("Products then"),
            _("Products now"),
            _("Published now"),
            _("Verified then"),
            _("Verified now"),
            _("Paid orders"),
            _("Modules then"),
            _("Modules now"),
            _("Last activity"),
            _("Stalled"),
            _("Next step"),
        ]
    )
    for row in rows:
        then = row.then or {}
        last = row.last_activity
        writer.writerow(
            [
                _safe_cell(row.member.user.name),
                _safe_cell(row.member.user.phone),
                then.get("products", ""),
                row.now.products,
                row.now.published,
                _yes(then.get("verified")) if row.then else "",
                _yes(row.now.verified),
                row.now.paid_orders,
                len(then.get("modules_completed", [])) if row.then else "",
                len(row.now.modules_completed),
                last.date().isoformat() if last else "",
                _yes(row.stalled),
                next_step_label(next_step(row.now)),
            ]
        )
    return out.getvalue()


def _safe_cell(value: str | None) -> str:
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not value[1:2].isdigit() else value


# --- the periodic job --------------------------------------------------------------------------


def due_follow_ups(now: datetime) -> list[tuple[Workshop, int]]:
    """Closed workshops whose 7-, 30- or 90-day mark has passed and has no mail recorded.

    Only the latest passed mark is due: a workshop first seen 40 days after it closed gets the
    30-day mail, not a 7-day one as well.
    """
    now = as_utc(now)
    sent = {
        (row.workshop_id, row.days)
        for row in db.session.execute(select(FollowUpMail.workshop_id, FollowUpMail.days))
    }
    due = []
    horizon = now - timedelta(days=FOLLOW_UP_DAYS[0])
    for workshop in db.session.scalars(
        select(Workshop).where(
            Workshop.status == WorkshopStatus.CLOSED.value,
            Workshop.closed_at.is_not(None),
            Workshop.closed_at <= horizon,
        )
    ):
        assert workshop.closed_at is not None
        age = now - as_utc(workshop.closed_at)
        passed = [d for d in FOLLOW_UP_DAYS if age >= timedelta(days=d)]
        if not passed:
            continue
        latest = passed[-1]
        if any((workshop.id, d) in sent for d in FOLLOW_UP_DAYS if d >= latest):
            continue
        due.append((workshop, latest))
    return due


def send_follow_ups(now: datetime | None = None) -> int:
    """Mail each trainer whose workshop reached a follow-up mark; returns how many were sent.

    The record is committed before the mail goes: two runs at once cannot both send (the
    unique pair refuses the second), and a run that dies after the commit sends nothing twice.
    """
    now = as_utc(now or utcnow())
    sent = 0
    for workshop, days in due_follow_ups(now):
        rows = report(workshop, now=now)
        stalled = [r for r in rows if r.stalled]
        db.session.add(FollowUpMail(workshop_id=workshop.id, days=days, stalled=len(stalled)))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        _mail_trainer(workshop, days, rows, stalled)
        sent += 1
    return sent


def _mail_trainer(workshop: Workshop, days: int, rows: list[ReportRow], stalled) -> None:
    trainer = workshop.trainer
    if not auth_services.has_mailbox(trainer.email):
        return
    try:  # absolute when SERVER_NAME (or a request) names the host; cron runs have neither
        link = url_for("workshops.report", workshop_id=workshop.id, stalled="1", _external=True)
    except RuntimeError:
        link = f"/trainer/workshops/{workshop.id}/report?stalled=1"
    with force_locale(trainer.locale):
        names = "\n".join(f"- {r.member.user.name} ({r.member.user.phone})" for r in stalled)
        subject = _(
            "%(days)s days after “%(title)s”: %(count)s participant(s) stalled",
            days=days,
            title=workshop.title,
            count=len(stalled),
        )
        body = _(
            "Hello %(name)s,\n\nIt is %(days)s days since your workshop “%(title)s”. "
            "Of %(total)s participants, these have done nothing for 14 days:\n%(names)s\n\n"
            "A short call or WhatsApp message often gets them going again. The report has a "
            "ready message for each, naming their next step:\n%(link)s",
            name=trainer.name,
            days=days,
            title=workshop.title,
            total=len(rows),
            names=names or "-",
            link=link,
        )
    mail.send_mail(trainer.email, subject, body)
