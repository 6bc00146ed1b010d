"""Users and their roles.

A person may hold several roles at once (a seller who also trains a workshop), so roles are rows,
not a single column.
"""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.config import DEFAULT_PASSWORD_HASH_METHOD
from marketplace.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time with its zone: SQLite hands back naive datetimes, which were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Hash a password or reset code with the configured method (cheap in tests, scrypt else).

    Outside an application context (a script building users by hand) werkzeug's default holds.
    """
    method = DEFAULT_PASSWORD_HASH_METHOD
    if has_app_context():
        method = current_app.config.get("PASSWORD_HASH_METHOD", method)
    return generate_password_hash(secret, method=method)


class Role(enum.StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    TRAINER = "trainer"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    phone: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="id")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # What the session and the "keep me logged in" cookie name instead of the id (Flask-Login's
    # alternative token): a new value ends every session and remember cookie of the account.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, index=True, default=new_session_token
    )
    # A one-time code an admin hands over in person (accounts with a phone and no usable
    # e-mail); stored hashed, like a password, and cleared once used.
    reset_code_hash: Mapped[str] = mapped_column(String(255), default="")
    reset_code_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = hash_secret(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        if not self.session_token:  # an object not yet flushed gets its token now
            self.session_token = new_session_token()
        return self.session_token

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    @property
    def roles(self) -> set[Role]:
        return {Role(r.role) for r in self.role_rows}

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    def add_role(self, role: Role | str) -> None:
        if not self.has_role(role):
            self.role_rows.append(UserRole(role=Role(role).value))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of deactivated accounts
        return self.is_active_account

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="role_rows")
