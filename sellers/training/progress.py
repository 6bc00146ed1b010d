"""Progress through the training: quizzes, practical tasks, completion and certificates.

A module is complete when its quiz is passed AND its practical task is done. Practical tasks are
checked against the seller's real shop and products (``TASK_CHECKS``), because the point of the
course is a shop that is ready to sell, not answers remembered for a quiz. Only tasks that
leave no trace in the data ("self_confirm") are confirmed by the seller with a button.

Completion is re-evaluated whenever progress is read and written once, the first time both
parts are true; it is never taken back (a seller who later deletes the product they practised
on keeps the module).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError

from catalog.models import Category, Product, ProductImage
from marketplace.auth.models import User, utcnow
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from sellers.models import Seller
from sellers.training.content_loader import Module, get_module, modules
from sellers.training.models import Certificate, ModuleProgress

log = logging.getLogger(__name__)

PASS_RATIO = 0.8
MAX_WRONG_TO_PASS = 1
# Top-level categories whose products are food or drink (marketplace/demo/data.py); their
# sub-categories count too. Food sold from home needs a P-IRT, BPOM or halal number.
FOOD_CATEGORY_ROOTS = frozenset({"olahan-pangan", "kopi-minuman", "camilan"})
SELF_CONFIRM = "self_confirm"
FOOD_TASK = "food_product_with_permit"
# Typed from a printed certificate: no 0/O, 1/I/L look-alikes; 12 characters ≈ 59 random bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
CODE_RE = re.compile(r"^[A-Z0-9]{10,32}$")


class TaskError(DomainError):
    """The task of this module cannot be confirmed by a button: it is checked from the data."""


class CertificateNotReady(DomainError):
    def __init__(self, missing: list[Module]):
        super().__init__("modules not complete: " + ", ".join(m.slug for m in missing))
        self.missing = missing


# --- grading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    number: int  # 1-based, as shown
    question: str
    choices: tuple[str, ...]
    chosen: int | None
    answer: int
    correct: bool
    explain: str


@dataclass(frozen=True)
class Result:
    score: int
    total: int
    passed: bool
    questions: tuple[QuestionResult, ...] = ()
    best_score: int | None = None  # filled by ``record_quiz``: the best of every attempt

    @property
    def wrong(self) -> list[QuestionResult]:
        return [q for q in self.questions if not q.correct]


def passes(score: int, total: int) -> bool:
    """All but at most one answer right, and at least 80 %.

    With five questions one slip is forgiven; with three or four every answer must be right
    (one wrong would be under 80 %). The quiz is a check that the lesson was understood, and
    it can be retried at once, so the bar can be high without locking anyone out.
    A module without questions has nothing to check and counts as passed.
    """
    if total == 0:
        return True
    return total - score <= MAX_WRONG_TO_PASS and score >= PASS_RATIO * total


def grade(module: Module, answers: dict[int, int]) -> Result:
    """Mark ``answers`` (question index → chosen choice index; both 0-based).

    Unanswered questions count as wrong; unknown question indexes are ignored.
    """
    results = []
    for index, question in enumerate(module.quiz):
        chosen = answers.get(index)
        results.append(
            QuestionResult(
                number=index + 1,
                question=question.question,
                choices=question.choices,
                chosen=chosen,
                answer=question.answer,
                correct=chosen == question.answer,
                explain=question.explain,
            )
        )
    score = sum(1 for r in results if r.correct)
    total = len(results)
    return Result(score=score, total=total, passed=passes(score, total), questions=tuple(results))


# --- practical tasks ----------------------------------------------------------------------------

TaskCheck = Callable[..., bool]


def _seller(user: User | None) -> Seller | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Seller).where(Seller.owner_id == user.id))


def _has_product(seller: Seller | None, *conditions) -> bool:
    if seller is None:
        return False
    query = select(Product.id).where(Product.seller_id == seller.id, *conditions).limit(1)
    return db.session.scalar(query) is not None


def food_category_ids() -> set[int]:
    """Ids of the food/drink top-level categories and everything under them."""
    rows = db.session.execute(select(Category.id, Category.slug, Category.parent_id)).all()
    by_id = {row.id: row for row in rows}
    food = set()
    for row in rows:
        node: Row[int, str, int | None] | None = row
        seen = set()
        while node is not None and node.id not in seen:
            if node.slug in FOOD_CATEGORY_ROOTS:
                food.add(row.id)
                break
            seen.add(node.id)
            node = by_id.get(node.parent_id)
    return food


def sells_food(user: User | None) -> bool:
    """Whether any of the seller's products (drafts included) is in a food or drink category."""
    seller = _seller(user)
    food = food_category_ids()
    return bool(food) and _has_product(seller, Product.category_id.in_(food))


def shop_profile_complete(seller: Any) -> bool:
    """Name, a story buyers can relate to (≥ 50 characters), the village and a WhatsApp number.

    ``seller`` is a ``Seller`` or any row with those four columns (a workshop's board reads
    them for the whole room in one query), or None.
    """
    return bool(
        seller is not None
        and (seller.shop_name or "").strip()
        and len((seller.story or "").strip()) >= 50
        and seller.village_code
        and (seller.whatsapp or "").strip()
    )


def check_shop_profile_complete(user: User, progress: ModuleProgress | None = None) -> bool:
    return shop_profile_complete(_seller(user))


def check_product_with_3_photos(user: User, progress: ModuleProgress | None = None) -> bool:
    seller = _seller(user)
    if seller is None:
        return False
    query = (
        select(ProductImage.product_id)
        .join(Product, Product.id == ProductImage.product_id)
        .where(Product.seller_id == seller.id)
        .group_by(ProductImage.product_id)
        .having(func.count(ProductImage.id) >= 3)
        .limit(1)
    )
    return db.session.scalar(query) is not None


def check_product_title_and_description(user: User, progress: ModuleProgress | None = None) -> bool:
    """A title of 20–80 characters (searchable, not stuffed) and a description of ≥ 150."""
    title_length = func.length(func.trim(Product.title))
    return _has_product(
        _seller(user),
        title_length >= 20,
        title_length <= 80,
        func.length(func.trim(Product.description)) >= 150,
    )


def check_product_priced_with_weight(user: User, progress: ModuleProgress | None = None) -> bool:
    return _has_product(_seller(user), Product.price > 0, Product.weight_grams > 0)


def check_self_confirm(user: User, progress: ModuleProgress | None = None) -> bool:
    return bool(progress is not None and progress.task_confirmed_at is not None)


def check_food_product_with_permit(user: User, progress: ModuleProgress | None = None) -> bool:
    """A food product showing a P-IRT, BPOM or halal number.

    A seller with no food products (weavers, say) has nothing to show: for them the task is
    done once they confirm it does not apply. Adding an unpermitted food product later makes
    it apply again.
    """
    seller = _seller(user)
    food = food_category_ids()
    if seller is not None and food:
        has_permit = (
            (func.trim(Product.pirt_number) != "")
            | (func.trim(Product.bpom_number) != "")
            | (func.trim(Product.halal_number) != "")
        )
        if _has_product(seller, Product.category_id.in_(food), has_permit):
            return True
        if _has_product(seller, Product.category_id.in_(food)):
            return False
    return check_self_confirm(user, progress)


# Every check is ``check(user, progress=None) -> bool``; ``progress`` is the user's
# ModuleProgress row for the module, needed only by the checks that accept a confirmation.
TASK_CHECKS: dict[str, TaskCheck] = {
    "shop_profile_complete": check_shop_profile_complete,
    "product_with_3_photos": check_product_with_3_photos,
    "product_title_and_description": check_product_title_and_description,
    "product_priced_with_weight": check_product_priced_with_weight,
    FOOD_TASK: check_food_product_with_permit,
    SELF_CONFIRM: check_self_confirm,
}


def _check_for(module: Module) -> TaskCheck:
    check = TASK_CHECKS.get(module.task)
    if check is None:
        # A typo in a content file must not lock sellers out of a module: let them confirm.
        log.warning("training module %s has unknown task %r", module.slug, module.task)
        return check_self_confirm
    return check


def can_self_confirm(user: User | None, module: Module) -> bool:
    """Whether the "I did it" button applies: self-confirm tasks, and food for non-food shops."""
    if module.task == FOOD_TASK:
        return not sells_food(user)
    return module.task == SELF_CONFIRM or module.task not in TASK_CHECKS


def task_done(user: User, module: Module, progress: ModuleProgress | None = None) -> bool:
    if progress is None and getattr(user, "is_authenticated", False):
        progress = _row(user.id, module.slug)
    return bool(_check_for(module)(user, progress))


# --- progress rows -------------------------------------------------------------------------


def _row(user_id: int, slug: str) -> ModuleProgress | None:
    return db.session.scalar(
        select(ModuleProgress).where(
            ModuleProgress.user_id == user_id, ModuleProgress.module_slug == slug
        )
    )


def _row_for_update(user_id: int, slug: str) -> ModuleProgress:
    """The progress row, created if missing (a double-click may race us to the insert)."""
    row = _row(user_id, slug)
    if row is not None:
        return row
    row = ModuleProgress(user_id=user_id, module_slug=slug, best_quiz_score=0, attempts=0)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        row = _row(user_id, slug)
        if row is None:
            raise
    return row


def _module_or_404(slug: str, locale: str | None = None) -> Module:
    module = get_module(slug, locale)
    if module is None:
        raise NotFound(slug)
    return module


def record_quiz(
    user: User, slug: str, answers: dict[int, int], locale: str | None = None
) -> Result:
    """Grade an attempt for ``user`` and keep the best score; a pass is never taken back."""
    module = _module_or_404(slug, locale)
    result = grade(module, answers)
    row = _row_for_update(user.id, slug)
    row.attempts = (row.attempts or 0) + 1
    row.best_quiz_score = max(row.best_quiz_score or 0, result.score)
    if result.passed and row.quiz_passed_at is None:
        row.quiz_passed_at = utcnow()
    _complete_if_done(user, module, row)
    db.session.commit()
    return replace(result, best_score=row.best_quiz_score)


def confirm_task(user: User, slug: str) -> ModuleProgress:
    """The seller says they did a task that leaves no trace in the data (or that food's
    permit task does not apply to a shop that sells no food)."""
    module = _module_or_404(slug)
    if not can_self_confirm(user, module):
        raise TaskError(module.task)
    row = _row_for_update(user.id, slug)
    if row.task_confirmed_at is None:
        row.task_confirmed_at = utcnow()
    _complete_if_done(user, module, row)
    db.session.commit()
    return row


def _complete_if_done(user: User, module: Module, row: ModuleProgress | None) -> bool:
    """Stamp ``completed_at`` the first time quiz and task are both done; True if it changed."""
    if row is None or row.completed_at is not None or row.quiz_passed_at is None:
        return False
    if not task_done(user, module, row):
        return False
    row.completed_at = utcnow()
    return True


# --- reading progress -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleStatus:
    """What /learn, the module page and the seller dashboard show for one module."""

    module: Module
    required: bool
    quiz_passed: bool = False
    best_score: int = 0
    attempts: int = 0
    task_done: bool = False
    task_confirmed: bool = False
    can_confirm: bool = False  # the "I did it" / "does not apply" button is offered
    completed_at: datetime | None = None

    @property
    def quiz_total(self) -> int:
        return len(self.module.quiz)

    @property
    def complete(self) -> bool:
        return self.completed_at is not None

    @property
    def started(self) -> bool:
        return self.attempts > 0 or self.task_done or self.task_confirmed


def _required_slugs() -> list[str]:
    return list(current_app.config.get("REQUIRED_TRAINING_MODULES") or [])


def _evaluate(user: User | None, mods: Iterable[Module]) -> list[ModuleStatus]:
    mods = list(mods)
    required = set(_required_slugs())
    if user is None or not getattr(user, "is_authenticated", False):
        return [ModuleStatus(module=m, required=m.slug in required) for m in mods]
    rows = {
        row.module_slug: row
        for row in db.session.scalars(
            select(ModuleProgress).where(
                ModuleProgress.user_id == user.id,
                ModuleProgress.module_slug.in_([m.slug for m in mods]),
            )
        )
    }
    data_checks: dict[str, bool] = {}  # the same data check is run once per evaluation
    food: bool | None = None
    statuses, changed = [], False
    for module in mods:
        row = rows.get(module.slug)
        check = _check_for(module)
        if check in (check_self_confirm, check_food_product_with_permit):
            done = check(user, row)
        else:
            if module.task not in data_checks:
                data_checks[module.task] = check(user, row)
            done = data_checks[module.task]
        if module.task == FOOD_TASK:
            food = sells_food(user) if food is None else food
            confirmable = not food
        else:
            confirmable = can_self_confirm(user, module)
        if row is not None and row.completed_at is None and row.quiz_passed_at and done:
            row.completed_at = utcnow()
            changed = True
        statuses.append(
            ModuleStatus(
                module=module,
                required=module.slug in required,
                quiz_passed=bool(row and row.quiz_passed_at),
                best_score=row.best_quiz_score if row else 0,
                attempts=row.attempts if row else 0,
                task_done=done,
                task_confirmed=bool(row and row.task_confirmed_at),
                can_confirm=confirmable,
                completed_at=row.completed_at if row else None,
            )
        )
    if changed:
        db.session.commit()
    return statuses


def status(user: User | None, locale: str | None = None) -> list[ModuleStatus]:
    """Every module in course order with this user's progress (empty progress if anonymous)."""
    return _evaluate(user, modules(locale))


def module_status(user: User | None, slug: str, locale: str | None = None) -> ModuleStatus:
    return _evaluate(user, [_module_or_404(slug, locale)])[0]


def completed_slugs(user: User | None) -> set[str]:
    return {s.module.slug for s in status(user) if s.complete}


def missing_required(user: User | None, locale: str | None = None) -> list[Module]:
    """Required modules (config ``REQUIRED_TRAINING_MODULES``) not yet complete, in order.

    A configured slug with no content file is skipped (and logged): otherwise a typo in the
    environment would stop every seller from publishing.
    """
    wanted = _required_slugs()
    by_slug = {m.slug: m for m in modules(locale)}
    for slug in wanted:
        if slug not in by_slug:
            log.warning("REQUIRED_TRAINING_MODULES names unknown module %r", slug)
    required = [m for m in by_slug.values() if m.slug in set(wanted)]
    if not required:
        return []
    return [s.module for s in _evaluate(user, required) if not s.complete]


def mark_completed_for_demo(user: User, slugs: Iterable[str]) -> list[ModuleProgress]:
    """Record modules as done the way a seller would: a full-marks quiz and a confirmed task.

    For demo data and test factories, so pages show believable progress without clicking
    through quizzes. Unknown slugs raise ``NotFound`` (a typo in demo data should be loud).
    """
    rows = []
    now = utcnow()
    for slug in slugs:
        module = _module_or_404(slug)
        row = _row_for_update(user.id, slug)
        row.attempts = max(row.attempts or 0, 1)
        row.best_quiz_score = max(row.best_quiz_score or 0, len(module.quiz))
        row.quiz_passed_at = row.quiz_passed_at or now
        row.task_confirmed_at = row.task_confirmed_at or now
        row.completed_at = row.completed_at or now
        rows.append(row)
    db.session.commit()
    return rows


# --- certificates -------------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def certificate_for(user: User | None) -> Certificate | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))


def issue_certificate(user: User) -> Certificate:
    """The user's certificate, issued once every module is complete (idempotent).

    Raises ``CertificateNotReady`` (with the missing modules) before that.
    """
    existing = certificate_for(user)
    if existing is not None:
        return existing
    statuses = status(user)
    missing = [s.module for s in statuses if not s.complete]
    if missing or not statuses:
        raise CertificateNotReady(missing)
    snapshot = [
        {
            "slug": s.module.slug,
            "title": {lang: s.module.title_in(lang) for lang in sorted(s.module.texts)},
            "completed_at": s.completed_at.date().isoformat() if s.completed_at else None,
        }
        for s in statuses
    ]
    for _attempt in range(3):  # a code collision is astronomically rare; retry anyway
        certificate = Certificate(
            user_id=user.id, code=_new_code(), name=user.name, modules=snapshot
        )
        db.session.add(certificate)
        try:
            db.session.commit()
            return certificate
        except IntegrityError:
            db.session.rollback()
            existing = certificate_for(user)  # issued by a concurrent request
            if existing is not None:
                return existing
    raise RuntimeError("could not issue a unique certificate code")


def normalise_code(code: str) -> str:
    """Codes are typed from paper: ignore case, spaces and dashes."""
    return re.sub(r"[\s-]+", "", code or "").upper()


def certificate_by_code(code: str) -> Certificate | None:
    code = normalise_code(code)
    if not CODE_RE.match(code):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))
