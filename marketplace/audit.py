"""The audit log: who did what to money or trust, and when.

Every domain writes to it (payment confirmations and refunds, payouts, seller verification,
account recovery), so it lives in the core that all of them build on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.auth.models import utcnow
from marketplace.extensions import db

DETAIL_MAX = 500


class AuditEvent(db.Model):
    """Who did what to money or trust, and when: admin confirmations, refunds, payouts."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def record(actor_id: int | None, action: str, subject: str, detail: str = "") -> None:
    """Add one entry to the current transaction: it stands or falls with the change it records."""
    db.session.add(
        AuditEvent(actor_id=actor_id, action=action, subject=subject, detail=detail[:DETAIL_MAX])
    )
