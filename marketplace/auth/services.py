"""Account use cases."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.auth.models import Role, User
from marketplace.errors import DomainError
from marketplace.extensions import db, login_manager


class EmailTaken(DomainError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def register_user(
    *, name: str, email: str, password: str, phone: str = "", roles=(Role.BUYER,), locale="id"
) -> User:
    if find_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(name=name.strip(), email=normalise_email(email), phone=phone.strip(), locale=locale)
    user.set_password(password)
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Two sign-ups with one address at once: the unique index decides, the loser is told
        # the address is taken, as if it had come a moment later.
        db.session.rollback()
        raise EmailTaken(email) from None
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None:
        # Hash anyway so response time does not reveal which e-mails have accounts.
        User(password_hash="").set_password(password)
        return None
    if not user.is_active or not user.check_password(password):
        return None
    return user


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


def grant_role(user: User, role: Role) -> None:
    user.add_role(role)
    db.session.commit()


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
