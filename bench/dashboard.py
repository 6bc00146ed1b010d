"""Dashboard benchmark: a shop with 5,000 orders over 12 months, and what counting views costs.

    .venv/bin/python bench/dashboard.py [--orders 5000] [--repeat 20] [--duration 10]
        [--connections 16] [--workers 2] [--rounds 2] [--database-url postgresql+psycopg://…]

Builds a throw-away marketplace (SQLite by default; with ``--database-url`` a scratch database
``bench_dashboard_<pid>`` beside the given PostgreSQL one, dropped at the end): the demo store,
whose first shop gets about ``--orders`` paid orders spread over the last twelve months through
the demo sales generator (refunds, deliveries, reviews and payouts included). Then it prints:

- the seller's dashboard (``GET /seller/``) render time and its number of SQL queries;
- a 12-month sales statement: issuing it (figures computed from the ledger), its page, its PDF;
- what the counting hook costs a request: alone (µs per call), and through the test client;
- requests/s of a public product page under gunicorn + wrk (phone User-Agent, so views are
  counted) with view counting off and on, page cache on (as anonymous buyers get it) and off,
  in turns for ``--rounds`` rounds, and the counting server with a crawler's User-Agent (the
  same processes, nothing counted); the cost of counting in percent.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storefront import free_port, run_wrk, serve, throwaway_instance, wait_up

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


def scratch_postgres(url: str) -> tuple[str, Callable[[], None]]:
    """A new database beside ``url``'s, and how to drop it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from marketplace.config import normalise_database_url

    base = make_url(normalise_database_url(url))
    name = f"bench_dashboard_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = base.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return scratch, drop


def build_store(orders: int) -> tuple[str, str]:
    """Schema, demo store and the busy shop's year of orders; returns its e-mail and a
    product slug."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from catalog.models import Product
    from marketplace import create_app
    from marketplace.demo import sales
    from marketplace.demo.data import SELLERS
    from marketplace.demo.loader import load
    from marketplace.extensions import db
    from orders.models import SellerOrder
    from sellers.models import Seller

    app = create_app()
    with app.app_context():
        upgrade()
        # The demo generator grows a shop from half its rate a year ago to its full rate now,
        # and gives the month under way its share: the rate that makes ``orders`` in all.
        now = datetime.now(UTC)
        starts = sales._month_starts(now)
        weight = 0.0
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else now
            share = min(1.0, (end - start) / timedelta(days=30))
            weight += (0.5 + 0.5 * i / (len(starts) - 1)) * share
        sales.BUSY_SHOP_ORDERS = round(orders / weight)
        start = time.perf_counter()
        load(photo_size=320)
        shop = db.session.scalar(select(Seller).where(Seller.slug == SELLERS[0].slug))
        count = db.session.scalar(
            select(func.count(SellerOrder.id)).where(SellerOrder.seller_id == shop.id)
        )
        print(
            f"store built in {time.perf_counter() - start:.0f} s: "
            f"{count} orders for {shop.shop_name}"
        )
        slug = db.session.scalar(
            select(Product.slug).where(Product.seller_id == shop.id).order_by(Product.id)
        )
        email = shop.owner.email
        db.session.remove()
        db.engine.dispose()
    return email, slug


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median and best milliseconds of ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def render_times(email: str, repeat: int) -> None:
    import re

    from sqlalchemy import event

    from marketplace import create_app
    from marketplace.demo.loader import demo_password
    from marketplace.extensions import db

    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    response = client.post("/account/login", data={"email": email, "password": demo_password()})
    assert response.status_code == 302, response.status_code

    def get(url: str):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    queries = 0

    def count(*_args, **_kwargs):
        nonlocal queries
        queries += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    get("/seller/?lang=en")()
    event.remove(engine, "before_cursor_execute", count)
    dashboard = timed(get("/seller/?lang=en"), repeat)

    today = datetime.now(UTC)
    last = today.strftime("%Y-%m")
    index = today.year * 12 + today.month - 1 - 11
    first = f"{index // 12}-{index % 12 + 1:02d}"
    issued: list[str] = []

    def issue():
        response = client.post("/seller/statements", data={"month_from": first, "month_to": last})
        assert response.status_code == 302, response.status_code
        issued.append(response.headers["Location"])

    issuing = timed(issue, max(3, repeat // 4))
    page_url = issued[-1]
    statement_id = re.search(r"/(\d+)$", page_url).group(1)
    page = timed(get(page_url), repeat)
    pdf = timed(get(f"/seller/statements/{statement_id}.pdf"), max(3, repeat // 4))

    print(f"\n{'in-process, one request at a time':44} {'median ms':>10} {'best ms':>9}")
    print(
        f"{f'dashboard GET /seller/ ({queries} queries)':44} "
        f"{dashboard[0]:10.1f} {dashboard[1]:9.1f}"
    )
    print(f"{'statement, 12 months: issue (POST)':44} {issuing[0]:10.1f} {issuing[1]:9.1f}")
    print(f"{'statement page':44} {page[0]:10.1f} {page[1]:9.1f}")
    print(f"{'statement PDF':44} {pdf[0]:10.1f} {pdf[1]:9.1f}")


def hook_cost(slug: str, rounds: int = 10, batch: int = 400) -> None:
    """The same cached product page through two in-process apps, counting on and off, in
    alternating batches: the difference is what the counting hook adds to each request, with
    less noise than two servers under wrk on a shared machine."""
    from marketplace import create_app

    headers = {"User-Agent": PHONE_AGENT}
    # Counted views stay in memory here (no writer): the writer thread's cost is part of the
    # gunicorn figures below.
    settings = {"PAGE_CACHE_SECONDS": 300, "VIEW_COUNT_BATCH": 0, "VIEW_COUNT_SECONDS": 0}
    apps = {on: create_app({**settings, "VIEW_COUNTING": on}) for on in (False, True)}
    clients = {on: app.test_client() for on, app in apps.items()}
    for client in clients.values():
        for _ in range(50):
            assert client.get(f"/p/{slug}", headers=headers).status_code == 200
    per_request: dict[bool, list[float]] = {False: [], True: []}
    for _round in range(rounds):
        for on, client in clients.items():
            start = time.perf_counter()
            for _ in range(batch):
                client.get(f"/p/{slug}", headers=headers)
            per_request[on].append((time.perf_counter() - start) / batch * 1e6)
    counted = apps[True].extensions["view_counts"].take()
    off, on = statistics.median(per_request[False]), statistics.median(per_request[True])
    print(
        f"\nin-process, cached product page (test client, {rounds} x {batch} requests each): "
        f"counting off {off:.0f} µs, on {on:.0f} µs per request: "
        f"{on - off:+.0f} µs ({(on - off) / off * 100:+.1f} %); {sum(counted.values())} counted"
    )


CRAWLER_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def hook_alone(slug: str, calls: int = 100_000) -> None:
    """The counting hook by itself, called on a product page's request: µs per call."""
    from flask import Response

    from marketplace import create_app

    app = create_app({"VIEW_COUNT_BATCH": 0, "VIEW_COUNT_SECONDS": 0})
    hook = next(
        f
        for f in app.after_request_funcs[None]
        if getattr(f, "__name__", "") == "_count_product_view"
    )
    response = Response("page")
    for agent in (PHONE_AGENT, CRAWLER_AGENT):
        with app.test_request_context(f"/p/{slug}", headers={"User-Agent": agent}):
            start = time.perf_counter()
            for _ in range(calls):
                hook(response)
            took = (time.perf_counter() - start) / calls * 1e6
        kind = "counted" if agent == PHONE_AGENT else "crawler, not counted"
        print(f"counting hook alone ({kind}): {took:.2f} µs per request")
    app.extensions["view_counts"].take()


def counting_cost(env: dict, slug: str, args) -> None:
    """Two servers per page-cache setting, counting off and on, loaded in turns (ABBA), and the
    counting server also with a crawler's User-Agent (same process, nothing counted)."""
    phone = ["-H", f"User-Agent: {PHONE_AGENT}"]
    crawler = ["-H", f"User-Agent: {CRAWLER_AGENT}"]
    caches = {"cache on": {}, "cache off": {"PAGE_CACHE_SECONDS": "0"}}
    ports = {(c, on): free_port() for c in caches for on in (False, True)}
    servers = [
        serve(
            "marketplace:create_app()",
            ports[(c, on)],
            {**env, **caches[c], "VIEW_COUNTING": "true" if on else "false"},
            args.workers,
        )
        for c in caches
        for on in (False, True)
    ]
    runs: dict[tuple[str, str], list[float]] = {}
    try:
        for port in ports.values():
            wait_up(f"http://127.0.0.1:{port}/healthz")
        for number in range(args.rounds):
            for cache in caches:
                plan = [("off", False, phone), ("on", True, phone), ("on, crawler", True, crawler)]
                if number % 2:
                    plan.reverse()  # ABBA: neither side always goes first
                for name, on, headers in plan:
                    url = f"http://127.0.0.1:{ports[(cache, on)]}/p/{slug}"
                    run_wrk(url, 2, args.connections, extra=headers)  # warm-up
                    run = run_wrk(url, args.duration, args.connections, extra=headers)
                    runs.setdefault((cache, name), []).append(run["rps"])
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)
    print(
        f"\nwrk on /p/{slug}: {args.connections} connections, {args.duration} s, "
        f"{args.workers} workers, {args.rounds} rounds in turns (phone User-Agent unless said)"
    )
    print(
        f"{'page cache':10} {'off req/s':>10} {'on req/s':>9} {'cost':>6} "
        f"{'on, crawler':>12} {'cost':>6}  rounds off/on/crawler"
    )
    for cache in caches:
        off, on, same = (
            statistics.mean(runs[(cache, name)]) for name in ("off", "on", "on, crawler")
        )
        rounds = ", ".join(
            "/".join(f"{v:.0f}" for v in values)
            for values in zip(
                runs[(cache, "off")], runs[(cache, "on")], runs[(cache, "on, crawler")], strict=True
            )
        )
        print(
            f"{cache:10} {off:10.0f} {on:9.0f} {(off - on) / off * 100:5.1f}% "
            f"{same:12.0f} {(same - on) / same * 100:5.1f}%  {rounds}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    instance, env = throwaway_instance("mm-bench-dashboard-")
    drop = None
    if args.database_url:
        env["DATABASE_URL"], drop = scratch_postgres(args.database_url)
    os.environ.update({k: env[k] for k in ("INSTANCE_PATH", "DATABASE_URL", "MEDIA_ROOT")})
    os.environ["RATELIMIT_ENABLED"] = "false"
    try:
        email, slug = build_store(args.orders)
        render_times(email, args.repeat)
        hook_alone(slug)
        hook_cost(slug)
        counting_cost(env, slug, args)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
