"""Account use cases: sign-up, log-in by e-mail or phone, sessions and getting back in.

What an answer reveals is part of each use case: log-in, sign-up and the password-reset request
answer the same whether or not an address has an account, so the site cannot be asked who
shops or sells here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.security import check_password_hash

from marketplace import mail, phones
from marketplace.auth.models import Role, User, as_utc, hash_secret
from marketplace.errors import DomainError
from marketplace.extensions import db, login_manager

RESET_LINK_MAX_AGE = timedelta(hours=2)
RESET_CODE_LIFETIME = timedelta(hours=24)
RESET_CODE_DIGITS = 8
_RESET_SALT = "password-reset"


class EmailTaken(DomainError):
    pass


class InvalidReset(DomainError):
    """A reset link or code that is wrong, used, expired or for a closed account."""


class WrongPassword(DomainError):
    pass


class RoleChangeRefused(DomainError):
    """An admin taking away their own admin role (the site could be left with no admin)."""


# Accounts made from a phone number alone (a participant joining a workshop, a trainer's list
# of names and numbers) still need a unique value in the e-mail column. Addresses under the
# reserved ".invalid" top-level domain (RFC 2606) can never be delivered to, and the mail
# module skips them, so no message goes out to an address nobody owns.
NO_EMAIL_DOMAIN = "no-email.invalid"


def placeholder_email(phone: str) -> str:
    """A unique, undeliverable e-mail value for an account known by its phone number."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit()) or "x"
    return f"{digits}.{secrets.token_hex(4)}@{NO_EMAIL_DOMAIN}"


def has_mailbox(email: str | None) -> bool:
    """Whether mail to this address can reach a person (not a phone-only placeholder)."""
    return bool(email) and not str(email).lower().endswith(".invalid")


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Identifier:
    """What a person typed to say who they are, read once: an e-mail or an E.164 number."""

    kind: str  # "email" or "phone"
    value: str


def read_identifier(raw: str | None) -> Identifier | None:
    """An e-mail (anything with "@") or a phone number; ``None`` when it is neither."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if "@" in raw:
        return Identifier("email", normalise_email(raw))
    e164 = phones.to_e164(raw)
    return Identifier("phone", e164) if e164 else None


def identifier_key(raw: str | None) -> str:
    """The rate-limit key of an identifier: "0812…" and "+62812…" are one account."""
    found = read_identifier(raw)
    if found is None:
        return (raw or "").strip().lower()[:254]
    return f"{found.kind}:{found.value}"


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def _active_with_phone(e164: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.phone == e164, User.is_active_account.is_(True)).limit(2)
        )
    )


def find_by_identifier(raw: str | None) -> User | None:
    """The one account an identifier names; a phone shared by several accounts names none."""
    found = read_identifier(raw)
    if found is None:
        return None
    if found.kind == "email":
        return find_by_email(found.value)
    users = _active_with_phone(found.value)
    return users[0] if len(users) == 1 else None


def normalise_phone(phone: str | None) -> str:
    """E.164 when readable; a number that cannot be read is kept as typed rather than lost."""
    phone = (phone or "").strip()
    return phones.to_e164(phone) or phone


def register_user(
    *, name: str, email: str, password: str, phone: str = "", roles=(Role.BUYER,), locale="id"
) -> User:
    if find_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(
        name=name.strip(), email=normalise_email(email), phone=normalise_phone(phone), locale=locale
    )
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


def _dummy_hash(password: str) -> None:
    """Hash anyway so response time does not reveal which addresses have accounts."""
    hash_secret(password)


def sign_up(
    *, name: str, email: str, password: str, phone: str = "", roles=(Role.BUYER,), locale="id"
) -> None:
    """Create the account, or tell the owner of the address that someone tried; return nothing.

    The caller answers the same in both cases, so sign-up cannot be used to learn who has an
    account. The new account is not logged in: whoever typed the address proves it by logging
    in with the password they chose (and the welcome e-mail reaches the real owner).
    """
    try:
        user = register_user(
            name=name, email=email, password=password, phone=phone, roles=roles, locale=locale
        )
    except EmailTaken:
        _dummy_hash(password)
        existing = find_by_email(email)
        if existing is not None:
            _send_sign_up_attempt(existing)
        return
    _send_welcome(user)


def _send_welcome(user: User) -> None:
    with force_locale(user.locale):
        subject = _("Welcome to Migrant Mart")
        body = _(
            "Hello %(name)s,\n\nYour Migrant Mart account is ready. Log in with this e-mail "
            "address and the password you chose:\n%(login)s\n\nIf you did not sign up, you can "
            "ignore this message, or set a new password here:\n%(reset)s",
            name=user.name,
            login=url_for("auth.login", email=user.email, _external=True),
            reset=url_for("auth.forgot_password", _external=True),
        )
    mail.send_mail(user.email, subject, body)


def _send_sign_up_attempt(user: User) -> None:
    with force_locale(user.locale):
        subject = _("Someone tried to sign up with your e-mail address")
        body = _(
            "Hello %(name)s,\n\nSomeone tried to create a new Migrant Mart account with this "
            "e-mail address. You already have an account, and nothing about it has changed.\n\n"
            "Log in:\n%(login)s\n\nForgot your password? Set a new one:\n%(reset)s\n\n"
            "If this was not you, you can ignore this message.",
            name=user.name,
            login=url_for("auth.login", email=user.email, _external=True),
            reset=url_for("auth.forgot_password", _external=True),
        )
    mail.send_mail(user.email, subject, body)


def authenticate(identifier: str, password: str) -> User | None:
    """The account for an e-mail or phone number and its password, else ``None``.

    A phone number that several active accounts share (a family, a village group) logs into
    none of them: which one was meant cannot be known, and the answer is the ordinary failure.
    """
    user = find_by_identifier(identifier)
    if user is None:
        _dummy_hash(password)
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


def change_role_by_admin(user: User, role: Role, *, grant: bool, admin: User) -> bool:
    """Grant or remove a role from the accounts page, audited; ``False`` when nothing changed.

    Raises ``RoleChangeRefused`` when an admin would remove their own admin role: the last
    admin could otherwise lock everyone out of verification, payouts and this very page.
    """
    from marketplace import audit  # audit's model imports this package's models

    if not grant and role == Role.ADMIN and user.id == admin.id:
        raise RoleChangeRefused()
    if grant == user.has_role(role):
        return False
    if grant:
        user.add_role(role)
    else:
        for row in [r for r in user.role_rows if r.role == role.value]:
            user.role_rows.remove(row)
    audit.record(
        admin.id,
        "account.role_granted" if grant else "account.role_removed",
        f"user:{user.id}",
        role.value,
    )
    db.session.commit()
    return True


# --- sessions ----------------------------------------------------------------------------------


def end_all_sessions(user: User) -> None:
    """Every session and remember cookie of the account stops working (log out everywhere)."""
    user.end_all_sessions()
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Raises ``WrongPassword``; on success every other session ends too."""
    if not user.check_password(current):
        raise WrongPassword()
    user.set_password(new)
    user.end_all_sessions()
    db.session.commit()


# Runs on every request of a logged-in visitor (pages from the cache included): one query for
# the user and their roles, built once.
_USER_BY_TOKEN = (
    select(User).where(User.session_token == bindparam("token")).options(joinedload(User.role_rows))
)


@login_manager.user_loader
def _load_user(session_token: str) -> User | None:
    if not isinstance(session_token, str) or not session_token:
        return None
    return db.session.scalars(_USER_BY_TOKEN, {"token": session_token}).unique().one_or_none()


# --- getting back in: a link by e-mail ---------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _fingerprint(user: User) -> str:
    """Changes when the password or the sessions do, so a used link no longer matches."""
    material = f"{user.password_hash}\x00{user.session_token}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """The account a reset link was made for; raises ``InvalidReset`` otherwise."""
    try:
        data = _serializer().loads(token, max_age=int(RESET_LINK_MAX_AGE.total_seconds()))
    except BadSignature:  # also SignatureExpired
        raise InvalidReset() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise InvalidReset()
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active or data.get("f") != _fingerprint(user):
        raise InvalidReset()
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an active account; say nothing either way."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        return
    link = url_for("auth.reset_password", token=reset_token(user), _external=True)
    hours = int(RESET_LINK_MAX_AGE.total_seconds() // 3600)
    with force_locale(user.locale):
        subject = _("Set a new Migrant Mart password")
        body = _(
            "Hello %(name)s,\n\nSomeone (we hope you) asked to set a new password for your "
            "Migrant Mart account. Open this link within %(hours)s hours; it works once:\n"
            "%(link)s\n\nIf you did not ask, ignore this message: your password stays as it is.",
            name=user.name,
            hours=hours,
            link=link,
        )
    mail.send_mail(user.email, subject, body)


def _set_new_password(user: User, password: str) -> None:
    user.set_password(password)
    user.end_all_sessions()
    user.reset_code_hash = ""
    user.reset_code_expires_at = None
    db.session.commit()


def reset_password(token: str, password: str) -> User:
    user = user_for_reset_token(token)
    _set_new_password(user, password)
    return user


# --- getting back in: a code handed over by an admin -------------------------------------------


def find_users(query: str, limit: int = 50) -> list[User]:
    """Accounts whose name, e-mail or phone contains ``query`` (a phone in any usual form)."""
    query = query.strip()
    if not query:
        return []
    like = f"%{query.lower()}%"
    conditions: list[ColumnElement[bool]] = [
        func.lower(User.name).like(like),
        func.lower(User.email).like(like),
    ]
    e164 = phones.to_e164(query)
    if e164:
        conditions.append(User.phone == e164)
    # Part of a number as written locally: "0812 3456" finds "+62812345…".
    digits = "".join(ch for ch in query if ch.isascii() and ch.isdigit()).lstrip("0")
    if len(digits) >= 4:
        conditions.append(User.phone.like(f"%{digits}%"))
    return list(
        db.session.scalars(select(User).where(or_(*conditions)).order_by(User.name).limit(limit))
    )


def issue_reset_code(user: User) -> str:
    """A new one-time code for the account (the previous one stops working); not committed.

    Digits only, so it can be read out and typed on any phone keyboard; hashed like a password,
    so the table does not hold a usable code. The caller commits, with its audit record.
    """
    code = "".join(secrets.choice("0123456789") for _ in range(RESET_CODE_DIGITS))
    user.reset_code_hash = hash_secret(code)
    user.reset_code_expires_at = datetime.now(UTC) + RESET_CODE_LIFETIME
    return code


def issue_reset_code_by_admin(user: User, admin: User) -> str:
    """An admin hands a code over in person: the code and its audit record commit together."""
    from marketplace import audit  # audit's model imports this package's models

    code = issue_reset_code(user)
    audit.record(
        admin.id,
        "account.reset_code",
        f"user:{user.id}",
        f"one-time password-reset code issued, valid until "
        f"{user.reset_code_expires_at:%Y-%m-%d %H:%M} UTC",
    )
    db.session.commit()
    return code


def _code_matches(user: User, code: str) -> bool:
    expires = user.reset_code_expires_at
    if not user.reset_code_hash or expires is None or not user.is_active:
        return False
    expires = as_utc(expires)
    if expires <= datetime.now(UTC):
        return False
    return check_password_hash(user.reset_code_hash, code)


def reset_with_code(identifier: str, code: str, password: str) -> User:
    """Set a new password with a code from an admin; raises ``InvalidReset``.

    A phone shared by several accounts is fine here: the code says which one.
    """
    found = read_identifier(identifier)
    code = "".join(ch for ch in code if ch.isascii() and ch.isdigit())
    if found is None or len(code) != RESET_CODE_DIGITS:
        _dummy_hash(password)
        raise InvalidReset()
    if found.kind == "email":
        user = find_by_email(found.value)
        candidates = [user] if user is not None else []
    else:
        candidates = list(
            db.session.scalars(
                select(User).where(User.phone == found.value, User.reset_code_hash != "")
            )
        )
    for user in candidates:
        if _code_matches(user, code):
            _set_new_password(user, password)
            return user
    _dummy_hash(password)
    raise InvalidReset()
