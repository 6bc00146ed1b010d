"""Workshop use cases: a trainer creates, edits and closes a workshop; participants join it.

Each use case commits once, with its audit record where a trainer acts on someone else's
account or ends a workshop. Joining is built for a room of about twenty cheap phones behind one
village connection: joining twice enrols once (the unique member pair decides a race), and a
full or closed workshop is a clear refusal rather than an error.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace import audit, phones
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role, User, utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.states import StateMachine
from sellers.workshops.models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    Workshop,
    WorkshopMember,
    WorkshopStatus,
)

CODE_ATTEMPTS = 20  # 25^6 ≈ 244 million codes: a second collision in a row is already unheard of

MACHINE = StateMachine(
    "workshop",
    WorkshopStatus,
    {WorkshopStatus.OPEN: {WorkshopStatus.CLOSED}, WorkshopStatus.CLOSED: set()},
)


class WorkshopError(DomainError):
    pass


class WorkshopClosed(WorkshopError):
    """The workshop has ended: its code no longer enrols anyone."""


class WorkshopFull(WorkshopError):
    """As many participants as the trainer planned for have joined."""


class PhoneTaken(WorkshopError):
    """A new account for a phone number that already logs into one: log in instead."""


@dataclass
class WorkshopData:
    title: str
    village_code: str
    starts_at: datetime  # aware; stored as UTC
    modules: list[str] = field(default_factory=list)
    capacity: int = 25
    duration_minutes: int = 180


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def _apply(workshop: Workshop, data: WorkshopData) -> None:
    workshop.title = data.title.strip()
    workshop.village_code = data.village_code
    workshop.starts_at = data.starts_at.astimezone(UTC)
    workshop.modules = list(data.modules)
    workshop.capacity = data.capacity
    workshop.duration_minutes = data.duration_minutes


def create_workshop(trainer: User, data: WorkshopData, *, join_code: str | None = None) -> Workshop:
    """A new open workshop with a fresh join code; a code already taken is drawn again.

    The unique index decides (two trainers creating at the same moment cannot both get one
    code): each try runs in a savepoint, so a collision costs one more draw, not the request.
    ``join_code`` fixes the code (the demo names its code in the README).
    """
    for _attempt in range(CODE_ATTEMPTS):
        workshop = Workshop(trainer_id=trainer.id, join_code=join_code or new_join_code())
        _apply(workshop, data)
        try:
            with db.session.begin_nested():
                db.session.add(workshop)
        except IntegrityError:
            if join_code:
                raise
            continue
        audit.record(trainer.id, "workshop.created", f"workshop:{workshop.id}", workshop.title)
        db.session.commit()
        return workshop
    raise WorkshopError("no free join code")  # pragma: no cover - see CODE_ATTEMPTS


def update_workshop(workshop: Workshop, data: WorkshopData) -> Workshop:
    _apply(workshop, data)
    db.session.commit()
    return workshop


def close_workshop(workshop: Workshop, actor: User) -> Workshop:
    """End the workshop: its code stops working and each member's standing is kept.

    The snapshot (``WorkshopMember.end_snapshot``) is what the follow-up report compares
    today's figures with, so it is written in the same transaction as the status move.
    """
    from sellers.workshops import standing

    MACHINE.move(workshop, WorkshopStatus.CLOSED)
    now = utcnow()
    workshop.closed_at = now
    snapshots = standing.snapshots(workshop, [m.user_id for m in workshop.members], at=now)
    for member in workshop.members:
        member.end_snapshot = snapshots.get(member.user_id)
    audit.record(
        actor.id,
        "workshop.closed",
        f"workshop:{workshop.id}",
        f"{len(workshop.members)} participant(s)",
    )
    db.session.commit()
    return workshop


def trainer_workshops(trainer: User) -> list[Workshop]:
    """A trainer's workshops, newest first (by date, then by when they were made)."""
    return list(
        db.session.scalars(
            select(Workshop)
            .where(Workshop.trainer_id == trainer.id)
            .order_by(Workshop.starts_at.desc(), Workshop.id.desc())
        )
    )


def member_count(workshop: Workshop) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(WorkshopMember)
            .where(WorkshopMember.workshop_id == workshop.id)
        )
        or 0
    )


def membership(workshop: Workshop, user_id: int) -> WorkshopMember | None:
    return db.session.scalar(
        select(WorkshopMember).where(
            WorkshopMember.workshop_id == workshop.id, WorkshopMember.user_id == user_id
        )
    )


def members(workshop: Workshop) -> list[WorkshopMember]:
    return list(
        db.session.scalars(
            select(WorkshopMember)
            .where(WorkshopMember.workshop_id == workshop.id)
            .order_by(WorkshopMember.joined_at, WorkshopMember.id)
        )
    )


def workshops_of(user: User) -> list[Workshop]:
    """The workshops a participant belongs to, newest first."""
    return list(
        db.session.scalars(
            select(Workshop)
            .join(WorkshopMember, WorkshopMember.workshop_id == Workshop.id)
            .where(WorkshopMember.user_id == user.id)
            .order_by(Workshop.starts_at.desc())
        )
    )


# --- joining -----------------------------------------------------------------------------------


def _lock(workshop: Workshop) -> Workshop:
    """Re-read the workshop row, locked on PostgreSQL, so capacity is counted by one at a time."""
    locked = db.session.scalar(
        select(Workshop)
        .where(Workshop.id == workshop.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise WorkshopClosed()
    return locked


def _add_member(workshop: Workshop, user: User, source: str) -> WorkshopMember:
    """Add the member inside a savepoint; an existing membership (or a racing one) is returned.

    Does not commit.
    """
    existing = membership(workshop, user.id)
    if existing is not None:
        return existing
    member = WorkshopMember(workshop_id=workshop.id, user_id=user.id, source=source)
    try:
        with db.session.begin_nested():
            db.session.add(member)
    except IntegrityError:
        # The same person tapped "Join" twice, or on two phones: the other request won.
        found = membership(workshop, user.id)
        if found is None:
            raise
        return found
    return member


def enrol(workshop: Workshop, user: User, source: str = "join") -> WorkshopMember:
    """Enrol ``user``; a member already is returned as they are (joining twice enrols once).

    Raises ``WorkshopClosed`` or ``WorkshopFull``.
    """
    existing = membership(workshop, user.id)
    if existing is not None:
        return existing
    workshop = _lock(workshop)
    if not workshop.is_open:
        db.session.rollback()
        raise WorkshopClosed()
    if member_count(workshop) >= workshop.capacity:
        db.session.rollback()
        raise WorkshopFull()
    member = _add_member(workshop, user, source)
    db.session.commit()
    return member


def can_join(workshop: Workshop) -> None:
    """Raises ``WorkshopClosed`` or ``WorkshopFull`` before a new account is made for nothing."""
    if not workshop.is_open:
        raise WorkshopClosed()
    if member_count(workshop) >= workshop.capacity:
        raise WorkshopFull()


def phone_has_account(e164: str) -> bool:
    return bool(
        db.session.scalar(
            select(func.count()).select_from(User).where(User.phone == e164)  # any account
        )
    )


def join_with_new_account(
    workshop: Workshop, *, name: str, phone: str, password: str, locale: str
) -> User:
    """Make a phone-login account and enrol it; raises ``PhoneTaken`` when the number already
    logs into an account (its owner logs in instead), and the ``can_join`` refusals."""
    e164 = phones.to_e164(phone)
    if e164 is None:
        raise WorkshopError("unreadable phone")
    can_join(workshop)
    if phone_has_account(e164):
        raise PhoneTaken()
    user = User(
        name=name.strip(),
        email=auth_services.placeholder_email(e164),
        phone=e164,
        locale=locale,
    )
    user.set_password(password)
    user.add_role(Role.BUYER)
    user.add_role(Role.SELLER)  # they come to set up a shop
    db.session.add(user)
    db.session.flush()
    enrol(workshop, user)
    return user


# --- trainers acting for their participants ----------------------------------------------------


def issue_reset_code_by_trainer(workshop: Workshop, participant: User, trainer: User) -> str:
    """A one-time password code a trainer hands to one of their participants, in person.

    Like the admin's (``issue_reset_code_by_admin``): hashed, shown once, audited; only for a
    member of this workshop (the caller checks membership and answers 404 otherwise).
    """
    code = auth_services.issue_reset_code(participant)
    audit.record(
        trainer.id,
        "account.reset_code",
        f"user:{participant.id}",
        f"issued by a trainer in workshop {workshop.id}, valid until "
        f"{participant.reset_code_expires_at:%Y-%m-%d %H:%M} UTC",
    )
    db.session.commit()
    return code
