"""Searches that found nothing, counted per phrase and day, for the programme admins.

"Buyers looked for *kopi luwak* 40 times this month and nobody sells it" is what trainers and
village facilitators need to hear when they help sellers decide what to list next. Only plain,
short first-page searches without filters are counted (a page-3 or a filtered search that found
nothing says little about demand), and nothing identifies the visitor.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from catalog.search.analysis import normalise
from catalog.search.base import SearchQuery
from catalog.search.models import SearchMiss
from marketplace.auth.models import utcnow
from marketplace.extensions import db

log = logging.getLogger(__name__)

MAX_WORDS = 6
KEPT_DAYS = 90  # older counts are dropped by the nightly `search optimize`
MAX_CHARS = 60
_WORD = re.compile(r"[a-z0-9]+")


def phrase_of(text: str) -> str:
    """The words as a phrase (lowercase, no punctuation), or "" if it is not worth counting."""
    found = _WORD.findall(normalise(text))
    phrase = " ".join(found)
    if not found or len(found) > MAX_WORDS or len(phrase) > MAX_CHARS:
        return ""
    return phrase


def record(query: SearchQuery, total: int) -> None:
    """Count a search that found nothing. Never fails the search page: a counting error is
    logged and rolled back."""
    priced = query.min_price is not None or query.max_price is not None
    if total or query.page != 1 or query.filters or priced:
        return
    phrase = phrase_of(query.text)
    if not phrase:
        return
    day = utcnow().date()
    for attempt in range(2):
        try:
            # An UPDATE or DELETE gives a CursorResult; the session's stubs say Result.
            bumped = db.session.execute(  # type: ignore[attr-defined]
                update(SearchMiss)
                .where(SearchMiss.day == day, SearchMiss.phrase == phrase)
                .values(count=SearchMiss.count + 1)
            ).rowcount
            if not bumped:
                db.session.add(SearchMiss(day=day, phrase=phrase, count=1))
            db.session.commit()
            return
        except IntegrityError:  # another request added the phrase first: count it there
            db.session.rollback()
            if attempt:
                log.exception("could not count a search that found nothing")
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("could not count a search that found nothing")
            return


@dataclass(frozen=True)
class Miss:
    phrase: str
    searches: int
    days: int
    last_day: date


def top_misses(days: int = 30, limit: int = 100) -> list[Miss]:
    """The phrases that most often found nothing in the last ``days`` days."""
    since = utcnow().date() - timedelta(days=days - 1)
    searches = func.sum(SearchMiss.count)
    rows = db.session.execute(
        select(
            SearchMiss.phrase,
            searches,
            func.count(SearchMiss.id),
            func.max(SearchMiss.day),
        )
        .where(SearchMiss.day >= since)
        .group_by(SearchMiss.phrase)
        .order_by(searches.desc(), SearchMiss.phrase)
        .limit(limit)
    )
    return [Miss(phrase, int(n), int(d), last) for phrase, n, d, last in rows]


def forget_old(days: int = KEPT_DAYS) -> int:
    """Drop the counts older than ``days`` days (the table holds one row per phrase and day,
    so random queries must not pile up forever). Returns how many rows went."""
    before = utcnow().date() - timedelta(days=days)
    # An UPDATE or DELETE gives a CursorResult; the session's stubs say Result.
    gone = db.session.execute(delete(SearchMiss).where(SearchMiss.day < before)).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    return gone
