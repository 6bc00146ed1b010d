"""Rate-limit counters kept in the application's database, shared by every worker.

Flask-Limiter's default memory storage is private to one process: with three gunicorn workers a
"10 per minute" login limit let 30 guesses through. Redis is the answer when several servers
run (``RATELIMIT_STORAGE_URI=redis://…``), but a one-machine install should not need a Redis to
be safe, and it already has a database every worker shares. So ``database://`` (the default)
stores fixed-window counters in one small table, each hit a single atomic upsert that works on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import random
import time

from limits.storage import Storage
from sqlalchemy import Column, Float, Integer, Table, Text, delete, select, text
from sqlalchemy.exc import SQLAlchemyError

from marketplace.extensions import db

counters = Table(
    "rate_limit_counters",
    db.metadata,
    Column("key", Text, primary_key=True),
    Column("count", Integer, nullable=False),
    # Seconds since the epoch: the limits library speaks in epoch seconds.
    Column("expires_at", Float, nullable=False, index=True),
)

# A fixed window that has run out starts again from this hit; one that is running counts on.
_HIT = text(
    """
    INSERT INTO rate_limit_counters (key, count, expires_at) VALUES (:key, :amount, :expires)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limit_counters.expires_at <= :now
                   THEN :amount ELSE rate_limit_counters.count + :amount END,
      expires_at = CASE WHEN rate_limit_counters.expires_at <= :now
                        THEN :expires ELSE rate_limit_counters.expires_at END
    RETURNING count
    """
)

#: One hit in this many also deletes windows that ran out, so the table stays small.
PURGE_ONE_IN = 200


class DatabaseStorage(Storage):
    """``limits`` storage over the app's SQLAlchemy engine (fixed-window strategy).

    Each call uses its own short connection, never the request's session, so counting a hit
    neither commits nor rolls back anything a view is doing.
    """

    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with db.engine.begin() as conn:
            count = conn.execute(
                _HIT, {"key": key, "amount": amount, "expires": now + expiry, "now": now}
            ).scalar_one()
            if random.randrange(PURGE_ONE_IN) == 0:
                conn.execute(delete(counters).where(counters.c.expires_at <= now))
        return int(count)

    def get(self, key: str) -> int:
        with db.engine.connect() as conn:
            row = conn.execute(
                select(counters.c.count, counters.c.expires_at).where(counters.c.key == key)
            ).first()
        if row is None or row.expires_at <= time.time():
            return 0
        return int(row._mapping["count"])  # ``row.count`` is also the tuple method to mypy

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as conn:
            expires = conn.execute(
                select(counters.c.expires_at).where(counters.c.key == key)
            ).scalar()
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(counters)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(counters).where(counters.c.key == key))
