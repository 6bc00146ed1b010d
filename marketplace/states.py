"""Statuses as data: a table of allowed moves and one guarded way to make them (DESIGN §4.6).

Orders, payments, fulfilment and seller shops all change status the same way, so the rule
lives here once: a move must be in the machine's table, and it is written with a
compare-and-set UPDATE (``WHERE status = <the status we saw>``). Two admins clicking at once,
two webhook deliveries, or a cron job racing a click can then never both apply a move; the one
that finds the row already moved gets ``ChangedMeanwhile``. Each domain records its own event
row (an order's timeline, a shop's history) around this.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import update

from marketplace import events
from marketplace.errors import DomainError
from marketplace.extensions import db

S = TypeVar("S", bound=enum.StrEnum)


class InvalidTransition(DomainError):
    """The move is not in the table, or someone else moved the row first."""


class ChangedMeanwhile(InvalidTransition):
    """The move was allowed from the status we read, but another transaction moved it first.

    A subclass, so callers that treat every refused move alike keep doing so; callers that can
    say something more helpful ("someone else decided just now") catch it first.
    """


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    name: str
    states: type[S]
    moves: Mapping[S, Set[S]]

    def can_move(self, current: str, target: str) -> bool:
        return self.states(target) in self.moves[self.states(current)]

    def targets(self, current: str) -> Set[S]:
        return self.moves[self.states(current)]

    def move(self, obj: Any, target: S, *, field: str = "status") -> str:
        """Move ``obj.<field>`` to ``target``; returns the status it moved from.

        Raises ``InvalidTransition`` when the table forbids the move from the status ``obj``
        holds, ``ChangedMeanwhile`` when the row no longer holds it. The attribute is expired,
        so the next read sees the database. Does not commit: the caller's use case owns the
        transaction, so the move, its event row and its side effects land together or not at all.
        """
        current = getattr(obj, field)
        if not self.can_move(current, target):
            raise InvalidTransition(f"{self.name}: {current} → {target}")
        model = type(obj)
        column = getattr(model, field)
        result = db.session.execute(
            update(model)
            .where(model.id == obj.id, column == current)
            .values({field: target.value})
            .execution_options(synchronize_session=False)
        )
        # An UPDATE gives a CursorResult; the session's stubs say Result.
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ChangedMeanwhile(f"{self.name}: {current} → {target} (changed meanwhile)")
        db.session.expire(obj, [field])
        events.note_changed(obj)  # pages and the index follow rows they track (shops)
        return current
