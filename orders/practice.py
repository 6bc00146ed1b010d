"""Practice sales inside a workshop: the orders side of practice mode.

A workshop's participants sell to each other with pretend money so the whole sale (cart,
checkout, packing, shipping, review, ledger) can be shown with the real code. The orders layer
cannot see workshops (they live in ``sellers``), so it asks one question through a hook that the
sellers package fills at start-up: may this user buy in that workshop now (a member or its
trainer, and the workshop still open)? Without an answer the question is "no", so practice
buying is closed rather than open when the hook is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select

from catalog.models import Product
from marketplace.extensions import db

__all__ = [
    "PAYMENT_METHOD",
    "may_practise",
    "register_practice_access",
    "workshops_of",
]

# The payment method of a practice order: "Latihan (tanpa uang)", no money moves.
PAYMENT_METHOD = "practice"

AccessCheck = Callable[[int, int], bool]
_access: list[AccessCheck] = []


def register_practice_access(check: AccessCheck) -> None:
    """``check(user_id, workshop_id)`` answers whether the user may practise there now."""
    if check not in _access:
        _access.append(check)


def may_practise(user_id: int | None, workshop_id: int | None) -> bool:
    if user_id is None or workshop_id is None or not _access:
        return False
    return all(check(user_id, workshop_id) for check in _access)


def workshops_of(product_ids: Iterable[int]) -> set[int | None]:
    """The workshops the products practise in; ``None`` stands for real products."""
    ids = list(product_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Product.practice_workshop_id).where(Product.id.in_(ids)).distinct()
        )
    )
