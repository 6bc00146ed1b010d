"""Training progress and certificates.

Modules themselves are content files (see ``content_loader``), so progress refers to a module
by its slug rather than by a foreign key: the course can be rewritten without a migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.auth.models import User, utcnow
from marketplace.extensions import db


class ModuleProgress(db.Model):
    """One person's state in one module: the quiz (best score kept) and the practical task.

    ``completed_at`` is written once, the first time both parts are done; later changes to the
    seller's data (a product deleted) do not take a completed module away.
    """

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("user_id", "module_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_slug: Mapped[str] = mapped_column(String(60))
    best_quiz_score: Mapped[int] = mapped_column(default=0)  # correct answers in the best try
    attempts: Mapped[int] = mapped_column(default=0)
    quiz_passed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    task_confirmed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Certificate(db.Model):
    """Proof of a finished course, checkable by anyone holding its code (QR on the print-out).

    Name and modules are snapshots: a bank officer verifying it later sees what was certified,
    even if the account name or the course changes afterwards.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(120))
    # [{"slug": ..., "title": {"id": ..., "en": ...}, "completed_at": ISO date}, ...]
    modules: Mapped[list] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()

    def module_titles(self, locale: str) -> list[str]:
        """Titles in ``locale`` (Indonesian when the snapshot lacks that language)."""
        titles = []
        for item in self.modules or []:
            by_lang = item.get("title") or {}
            titles.append(by_lang.get(locale) or by_lang.get("id") or item.get("slug", ""))
        return titles
