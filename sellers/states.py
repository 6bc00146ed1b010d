"""A shop's status as data: the moves the programme allows, and the history of who made them.

A shop moves the way an order does (``marketplace.states``): only along the table below, with a
compare-and-set UPDATE, so two admins deciding at the same moment cannot both win, and each move
leaves a ``SellerEvent`` row. Nothing else assigns ``Seller.status``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.states import StateMachine
from sellers.models import Seller, SellerEvent, SellerStatus

SELLER_TRANSITIONS: dict[SellerStatus, set[SellerStatus]] = {
    # Verifying is allowed from draft and rejected too: the admin list offers its Verify
    # button there, not only to shops waiting in the queue.
    SellerStatus.DRAFT: {SellerStatus.SUBMITTED, SellerStatus.VERIFIED},
    SellerStatus.SUBMITTED: {SellerStatus.VERIFIED, SellerStatus.REJECTED},
    SellerStatus.REJECTED: {SellerStatus.SUBMITTED, SellerStatus.VERIFIED},
    SellerStatus.VERIFIED: {SellerStatus.SUSPENDED},
    SellerStatus.SUSPENDED: {SellerStatus.VERIFIED},
}

MACHINE = StateMachine("seller", SellerStatus, SELLER_TRANSITIONS)


def can_move(seller: Seller, target: SellerStatus) -> bool:
    """Whether the table allows ``target`` from the status the shop has now."""
    return MACHINE.can_move(seller.status, target)


def transition(
    seller: Seller, target: SellerStatus, *, actor_id: int | None = None, note: str = ""
) -> None:
    """Move the shop to ``target`` and record the step; ``marketplace.states`` errors if not.

    Does not commit: the use case commits the move with its event, audit row and e-mail.
    """
    current = MACHINE.move(seller, target)
    db.session.add(
        SellerEvent(
            seller_id=seller.id,
            from_status=current,
            to_status=target.value,
            actor_id=actor_id,
            note=note,
        )
    )


def history(seller: Seller) -> list[SellerEvent]:
    """The shop's moves, oldest first, with who made them."""
    return list(
        db.session.scalars(
            select(SellerEvent)
            .where(SellerEvent.seller_id == seller.id)
            .options(selectinload(SellerEvent.actor))
            .order_by(SellerEvent.created_at, SellerEvent.id)
        )
    )
