"""Product page views, counted per product and day without knowing anything about the visitor.

A seller wants to know which products people look at and how many of those looks become
orders. Writing a row on every page view would turn the cheapest request of the site (a
product page out of the page cache) into a database write, so each worker counts in memory
and a writer thread of its own writes the counts in batches: after ``VIEW_COUNT_BATCH`` views
or ``VIEW_COUNT_SECONDS`` seconds, whichever comes first, and when the worker exits. One batch
is one upsert per product and day into ``product_view_days``.

The count happens in an ``after_request`` hook, which Flask runs for every response, a page
served from the page cache included; it reads only the endpoint, the slug in the URL, the
response status and the ``User-Agent`` (to leave out crawlers and link previews). It never
touches the session (that would add ``Vary: Cookie`` and could cost the page its cache) and
keeps no address, cookie or time of day: only "this slug, this hour, one more". Hours are
folded into the shop's own calendar day when written (Indonesia's zones are whole hours).
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime

from flask import Flask, Response, current_app, request
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalog.models import Product, ProductViewDay
from catalog.shops import Seller
from marketplace.extensions import db
from marketplace.i18n import TIME_ZONES, zone_label

log = logging.getLogger(__name__)

PRODUCT_ENDPOINT = "catalog.product"
# Crawlers, link previews (WhatsApp, Telegram, Facebook fetch a page when a link is shared),
# monitors, command-line clients and automated browsers: none of them is a buyer looking.
# Plain substrings of the lower-cased agent: a regular expression with this many alternatives
# costs some 75 µs per request in Python, a substring scan about 2 µs.
BOT_WORDS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "archiver",
    "preview",
    "facebookexternalhit",
    "whatsapp",
    "telegram",
    "curl",
    "wget",
    "python",
    "httpclient",
    "http-client",
    "okhttp",
    "java/",
    "go-http",
    "node-fetch",
    "axios",
    "scrapy",
    "headless",
    "lighthouse",
    "phantomjs",
    "monitor",
    "uptime",
    "pingdom",
    "check_http",
    "feedfetcher",
)
EXTENSION_KEY = "view_counts"


@functools.lru_cache(maxsize=2048)
def is_bot(user_agent: str | None) -> bool:
    """True for a missing ``User-Agent`` or one that names a robot or a tool (remembered per
    agent string: a site sees a few hundred different ones a day)."""
    agent = (user_agent or "").strip().lower()
    return not agent or any(word in agent for word in BOT_WORDS)


def _prefetch(environ: dict) -> bool:
    """A browser fetching a link ahead of a click, which may never be seen."""
    purpose = environ.get("HTTP_SEC_PURPOSE") or environ.get("HTTP_PURPOSE") or ""
    return "prefetch" in purpose.lower()


class ViewCounter:
    """Counts held by one worker: ``(slug, UTC hour number) -> views``, behind one lock.

    A writer thread of the worker's own (started with the first view, so after gunicorn has
    forked) writes a batch when ``batch`` views are waiting or ``seconds`` have passed: the
    request that fills a batch only wakes it, and no request ever waits for the database.
    ``batch`` and ``seconds`` both 0: nothing is written until ``flush`` is called (tests).
    """

    def __init__(self, app: Flask, batch: int, seconds: float) -> None:
        self.app = app
        self.batch = batch
        self.seconds = seconds
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, int]] = Counter()
        self._pending = 0
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self.written = threading.Event()  # set after each batch the writer wrote
        # A forked worker has no writer thread (threads do not survive a fork) nor the
        # parent's counts: it starts its own with its first view.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._counts = Counter()
        self._pending = 0
        self._wake = threading.Event()
        self._writer = None

    def add(self, slug: str, hour: int) -> None:
        """Count one view; wake the writer when a full batch is waiting."""
        with self._lock:
            self._counts[(slug, hour)] += 1
            self._pending += 1
            if self._writer is None and (self.batch > 0 or self.seconds > 0):
                self._start_writer()
            full = self.batch > 0 and self._pending >= self.batch
            if full:
                self._pending = 0
        if full:
            self._wake.set()

    def _start_writer(self) -> None:
        self._writer = threading.Thread(target=self._write_forever, name="view-counts", daemon=True)
        self._writer.start()

    def _write_forever(self) -> None:
        while True:
            self._wake.wait(self.seconds if self.seconds > 0 else None)
            self._wake.clear()
            flush(self.app, self)
            self.written.set()

    def take(self) -> Counter[tuple[str, int]]:
        """Everything counted so far, leaving the counter empty."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._pending = 0
            return counts

    def give_back(self, counts: Counter[tuple[str, int]]) -> None:
        """Counts a failed write could not store, kept for the next batch."""
        with self._lock:
            self._counts.update(counts)

    def pending(self) -> int:
        with self._lock:
            return sum(self._counts.values())


def counter(app: Flask | None = None) -> ViewCounter:
    return (app or current_app).extensions[EXTENSION_KEY]


def _day_rows(counts: Counter[tuple[str, int]]) -> dict[tuple[int, date], int]:
    """``(product id, shop's local day) -> views`` for the counted slugs (one query)."""
    slugs = sorted({slug for slug, _hour in counts})
    found = {
        slug: (product_id, TIME_ZONES[zone_label(province)])
        for product_id, slug, province in db.session.execute(
            select(Product.id, Product.slug, Seller.province_code)
            .join(Seller, Seller.id == Product.seller_id)
            .where(Product.slug.in_(slugs))
        )
    }
    rows: Counter[tuple[int, date]] = Counter()
    for (slug, hour), views in counts.items():
        if slug not in found:  # renamed or deleted since: nothing to count it against
            continue
        product_id, zone = found[slug]
        day = datetime.fromtimestamp(hour * 3600, UTC).astimezone(zone).date()
        rows[(product_id, day)] += views
    return dict(rows)


def _upsert(rows: dict[tuple[int, date], int]) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ProductViewDay)
    statement = statement.on_conflict_do_update(
        index_elements=[ProductViewDay.product_id, ProductViewDay.day],
        set_={"views": ProductViewDay.views + statement.excluded.views},
    )
    db.session.execute(
        statement,
        [{"product_id": pid, "day": day, "views": views} for (pid, day), views in rows.items()],
    )


def flush(app: Flask | None = None, views_counter: ViewCounter | None = None) -> int:
    """Write the counted views (one upsert per product and day); returns how many views.

    Runs in its own application context and session (the writer thread's, or the caller's
    at exit), never inside a request. A failed write keeps the counts for the next batch.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    views_counter = views_counter or counter(app)
    views = views_counter.take()
    if not views:
        return 0
    try:
        with app.app_context():
            try:
                rows = _day_rows(views)
                if rows:
                    _upsert(rows)
                db.session.commit()
            finally:
                db.session.remove()
    except Exception:
        log.exception("product views not written; kept for the next batch")
        views_counter.give_back(views)
        return 0
    return sum(views.values())


def views_since(product_ids: list[int], since: date) -> dict[int, int]:
    """Views per product from day ``since`` on (read by the sellers' dashboard)."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        select(ProductViewDay.product_id, func.sum(ProductViewDay.views))
        .where(ProductViewDay.product_id.in_(product_ids), ProductViewDay.day >= since)
        .group_by(ProductViewDay.product_id)
    )
    return {product_id: int(total) for product_id, total in rows}


def _hour_now() -> int:
    return int(time.time() // 3600)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = ViewCounter(
        app, app.config.get("VIEW_COUNT_BATCH", 500), app.config.get("VIEW_COUNT_SECONDS", 60)
    )

    if not app.config.get("VIEW_COUNTING", True):
        return

    views = counter(app)

    @app.after_request
    def _count_product_view(response: Response) -> Response:
        # The WSGI environ is read directly: Flask's header objects cost microseconds a call.
        environ = request.environ
        if (
            request.endpoint == PRODUCT_ENDPOINT
            and response.status_code == 200
            and environ["REQUEST_METHOD"] == "GET"
            and not is_bot(environ.get("HTTP_USER_AGENT"))
            and not _prefetch(environ)
        ):
            slug = (request.view_args or {}).get("slug", "")
            if slug:
                views.add(slug, _hour_now())
        return response

    if not app.testing:  # a test flushes when it means to, into its own tables
        atexit.register(flush, app)
