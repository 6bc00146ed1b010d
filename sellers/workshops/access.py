"""Who may open which workshop page: the one place trainer and participant access is decided.

A non-trainer on a trainer page gets 403 (``trainer_required``); a trainer opening another
trainer's workshop gets 404, as does a participant opening a workshop they do not belong to, so
ids and codes of other workshops reveal nothing. Admins may open every workshop.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import func, select

from marketplace.auth.models import Role, User
from marketplace.extensions import db
from sellers.workshops.models import JOIN_CODE_ALPHABET, Workshop, WorkshopMember

__all__ = [
    "can_run",
    "is_member",
    "member_workshop_or_404",
    "normalise_join_code",
    "trainer_required",
    "trainer_workshop_or_404",
    "workshop_by_code",
]


def trainer_required(view: Callable) -> Callable:
    """Trainer pages: log in first, then trainers and admins only (403 for everyone else)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not (current_user.has_role(Role.TRAINER) or current_user.is_admin):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def can_run(workshop: Workshop, user: User) -> bool:
    return bool(user.is_authenticated and (workshop.trainer_id == user.id or user.is_admin))


def trainer_workshop_or_404(workshop_id: int) -> Workshop:
    """The workshop behind a trainer page, if the current user runs it (or is an admin)."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None or not can_run(workshop, current_user):
        abort(404)
    return workshop


def normalise_join_code(raw: str) -> str:
    """Upper-case, spaces and dashes removed; '' when it cannot be a join code at all."""
    code = "".join(ch for ch in (raw or "").upper() if ch not in " -")
    if len(code) != 6 or any(ch not in JOIN_CODE_ALPHABET for ch in code):
        return ""
    return code


def workshop_by_code(raw: str) -> Workshop | None:
    code = normalise_join_code(raw)
    if not code:
        return None
    return db.session.scalar(select(Workshop).where(Workshop.join_code == code))


def is_member(workshop: Workshop, user: User) -> bool:
    if not user.is_authenticated:
        return False
    found = db.session.scalar(
        select(func.count())
        .select_from(WorkshopMember)
        .where(WorkshopMember.workshop_id == workshop.id, WorkshopMember.user_id == user.id)
    )
    return bool(found)


def member_workshop_or_404(raw_code: str, *, open_only: bool = True) -> Workshop:
    """The workshop a participant page belongs to: its members and its trainer, else 404.

    ``open_only``: practice happens only while the workshop is open; a closed workshop's
    practice pages are gone for participants (the trainer's report stays).
    """
    workshop = workshop_by_code(raw_code)
    if workshop is None or not (
        is_member(workshop, current_user) or can_run(workshop, current_user)
    ):
        abort(404)
    if open_only and not workshop.is_open:
        abort(404)
    return workshop
