"""Where a new seller stands in setting up their shop, read from what they have filled in.

There is no stored "current step": each step is done when its data is there (a profile with a
story, a bank account with the right number of digits, both documents, the required training,
a published product, the shop sent for checking). So the wizard always resumes where the seller
really is — after a lost connection, on another phone, or after fixing something the programme
team asked for — and nothing entered is ever thrown away by navigating.

Steps are taken in order: a later step opened by URL while an earlier one is missing sends the
seller to the first missing one (``first_missing_before``). Going back is always allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalog.models import Product, ProductStatus
from marketplace.auth.models import Role, User
from marketplace.errors import DomainError
from marketplace.extensions import db
from sellers import services
from sellers.banks import BANKS, account_length_ok
from sellers.documents import KINDS, documents_for
from sellers.models import STORY_MIN_LENGTH, Seller
from sellers.training.progress import missing_required

STEP_KEYS = ("account", "profile", "bank", "documents", "training", "product", "review")
TITLES = {
    "account": _l("Your account"),
    "profile": _l("Shop profile"),
    "bank": _l("Bank account for payouts"),
    "documents": _l("Verification documents"),
    "training": _l("Required training"),
    "product": _l("Your first product"),
    "review": _l("Check and send"),
}


@dataclass(frozen=True)
class Step:
    key: str
    title: object  # a lazy string: shown in the reader's language
    done: bool
    url: str
    number: int = 0  # 1-based position, for "Step 3 of 7"


class NotReady(DomainError):
    """The shop cannot be sent for checking yet; ``missing`` are the steps still to do."""

    def __init__(self, missing: list[Step]) -> None:
        super().__init__("not ready: " + ", ".join(step.key for step in missing))
        self.missing = missing


# --- what "done" means for each step ----------------------------------------------------------


def account_done(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(Role.SELLER))


def profile_done(seller: Seller | None) -> bool:
    return bool(
        seller is not None
        and seller.shop_name.strip()
        and seller.whatsapp.strip()
        and seller.village_code
        and seller.country_abroad.strip()
        and seller.years_abroad is not None
        and len(seller.story.strip()) >= STORY_MIN_LENGTH
    )


def bank_done(seller: Seller | None) -> bool:
    return bool(
        seller is not None
        and seller.bank_name in BANKS
        and account_length_ok(seller.bank_name, seller.bank_account_number)
        and seller.bank_account_holder.strip()
    )


def documents_done(seller: Seller | None) -> bool:
    return set(KINDS) <= set(documents_for(seller))


def product_done(seller: Seller | None) -> bool:
    """A published product: it goes live for buyers the moment the shop is verified."""
    if seller is None or seller.id is None:
        return False
    query = select(Product.id).where(
        Product.seller_id == seller.id, Product.status == ProductStatus.PUBLISHED.value
    )
    return db.session.scalar(query.limit(1)) is not None


def sent(seller: Seller | None) -> bool:
    """Done once nothing is left to send: only a draft or a rejected shop can (and must) be
    sent for checking."""
    return seller is not None and not services.can_submit(seller)


# --- the wizard's state ------------------------------------------------------------------------


def steps(user: User | None) -> list[Step]:
    """Every step in order with whether it is done, computed from the data."""
    seller = services.seller_for(user)
    logged_in = user is not None and user.is_authenticated
    done = {
        "account": account_done(user),
        "profile": profile_done(seller),
        "bank": bank_done(seller),
        "documents": documents_done(seller),
        "training": logged_in and seller is not None and not missing_required(user),
        "product": product_done(seller),
        "review": sent(seller),
    }
    return [
        Step(key, TITLES[key], done[key], url_for(f"onboarding.{key}"), number)
        for number, key in enumerate(STEP_KEYS, start=1)
    ]


def next_step(user: User | None, all_steps: list[Step] | None = None) -> Step:
    """The first step not done yet; the last step once everything is done."""
    all_steps = all_steps if all_steps is not None else steps(user)
    return next((step for step in all_steps if not step.done), all_steps[-1])


def first_missing_before(key: str, all_steps: list[Step]) -> Step | None:
    """The first unfinished step before ``key``: where a seller skipping ahead is sent."""
    for step in all_steps:
        if step.key == key:
            return None
        if not step.done:
            return step
    raise KeyError(key)


def can_submit(user: User | None, all_steps: list[Step] | None = None) -> list[Step]:
    """What is still missing before the shop can be sent for checking (empty: ready)."""
    all_steps = all_steps if all_steps is not None else steps(user)
    return [step for step in all_steps if step.key != "review" and not step.done]


def submit(user: User) -> Seller:
    """Send the shop for checking, only once every step before it is done.

    Raises ``NotReady`` with the missing steps, or ``services.ShopError`` when the shop was
    already sent (or is verified).
    """
    missing = can_submit(user)
    seller = services.seller_for(user)
    if missing or seller is None:  # with no step missing, the shop exists
        raise NotReady(missing)
    return services.submit_for_verification(seller)
