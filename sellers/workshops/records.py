"""What a trainer keeps about a workshop after the day: sign-in cards, notes and follow-up mail.

One-time sign-in codes let participants who will not type a password in the room get in from a
printed card; they are hashed like passwords, used once and expire. Mentoring notes are private
to the trainer and admins. Follow-up mails are recorded so the periodic job sends each once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.auth.models import User, utcnow
from marketplace.extensions import db

__all__ = ["FollowUpMail", "MentoringNote", "SignInCode"]


class SignInCode(db.Model):
    """A code printed on a login card: whoever holds the card is logged in once with it."""

    __tablename__ = "workshop_sign_in_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class MentoringNote(db.Model):
    """A trainer's private note about one participant (never shown to the participant)."""

    __tablename__ = "workshop_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class FollowUpMail(db.Model):
    """One follow-up e-mail to a trainer (7, 30 or 90 days after): the unique pair makes the
    periodic job idempotent, however often cron runs it."""

    __tablename__ = "workshop_follow_ups"
    __table_args__ = (UniqueConstraint("workshop_id", "days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    days: Mapped[int] = mapped_column()
    stalled: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
