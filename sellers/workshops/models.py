"""The records of a workshop: the session itself and who belongs to it.

Practice data (products, orders, ledger lines, reviews made during a workshop) stays in the
ordinary catalogue and order tables, marked with ``practice_workshop_id``, so practice sales run
through the real cart, checkout, fulfilment, review and ledger code. Every public query, figure
and payout leaves out rows with that mark.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.auth.models import User, utcnow
from marketplace.extensions import db

__all__ = ["JOIN_CODE_ALPHABET", "JOIN_CODE_LENGTH", "Workshop", "WorkshopMember", "WorkshopStatus"]

# Six characters read off a projector and typed on a cheap phone: no look-alikes
# (0/O, 1/I/L, 2/Z, 5/S, 8/B are left out), upper case only.
JOIN_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
JOIN_CODE_LENGTH = 6


class WorkshopStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Workshop(db.Model):
    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    village_code: Mapped[str] = mapped_column(String(13), default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column(default=180)
    # Slugs of the training modules the day covers, in teaching order.
    modules: Mapped[list] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(default=25)
    join_code: Mapped[str] = mapped_column(String(JOIN_CODE_LENGTH), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=WorkshopStatus.OPEN.value, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # When the frozen practice data of a closed workshop was deleted (None: still kept).
    practice_purged_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    trainer: Mapped[User] = relationship()
    members: Mapped[list[WorkshopMember]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="WorkshopMember.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status == WorkshopStatus.OPEN


class WorkshopMember(db.Model):
    """A participant enrolled in a workshop (joining twice enrols once: the unique pair)."""

    __tablename__ = "workshop_members"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # How they came in: "join" (the code, on their own phone) or "import" (the trainer's CSV).
    source: Mapped[str] = mapped_column(String(10), default="join")
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Where the participant stood when the workshop closed (the board's steps), kept for the
    # follow-up report's "then and now".
    end_snapshot: Mapped[dict | None] = mapped_column(JSON, default=None)

    workshop: Mapped[Workshop] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
