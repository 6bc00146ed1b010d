"""Checkout benchmark: concurrent order placement on PostgreSQL, then a check of the books.

    .venv/bin/python bench/checkout.py [--database-url URL] [--duration 15] [--clients 16]
        [--sellers 20] [--products-per-seller 10] [--scarce 20] [--scarce-stock 20] [--seed 7]

Creates a scratch database next to the one in ``--database-url`` (``bench_orders_<pid>``,
dropped at the end, so the test suite's tables are never touched), fills it with sellers in
several provinces, each with plenty-of-stock products and one scarce product, and lets N
client threads (each with its own app context and session, like gunicorn threads serving
requests) place orders through ``orders.checkout.place_order`` for the given time: random carts
of 1–3 lines from 1–2 shops, to buyers across Indonesia, paying by bank transfer.

Prints orders/s, p50/p95/p99 placement latency, out-of-stock refusals, and then checks the
invariants that overselling or a lost update would break: per product, stock taken equals
quantities ordered; every order's totals add up; there are as many orders as successes.
Prints figures; asserts nothing on time (the exit status is 1 only if an invariant fails).
The clients are Python threads in one process on the same machine as PostgreSQL, so figures
include GIL contention and a shared CPU: compare runs on one machine, not across machines.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from random import Random

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from catalog.models import Category, Product, ProductStatus
from marketplace import create_app, regions
from marketplace.auth.models import Role, User
from marketplace.config import normalise_database_url
from marketplace.extensions import db
from orders import shipping
from orders.checkout import Address, CheckoutError, place_order
from orders.models import Order, OrderItem, PaymentMethod, SellerOrder
from sellers.models import Seller, SellerStatus

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Where sellers live (many purna PMI come home to these) and where buyers order from.
SELLER_PROVINCES = ("52", "32", "33", "35", "53", "18", "51", "73")
BUYER_PROVINCES = ("31", "32", "33", "35", "36", "12", "52", "64", "73", "91")
PLENTY = 1_000_000
NO_PASSWORD = "!"  # noqa: S105 - not a valid hash: these accounts can never log in


@dataclass(frozen=True)
class Buyer:
    """What ``place_order`` reads of a logged-in buyer; avoids sharing ORM objects between
    the threads' sessions."""

    id: int
    is_authenticated: bool = True


@dataclass(frozen=True)
class Item:
    id: int
    seller_id: int
    province: str
    weight: int
    scarce: bool


# --- scratch database --------------------------------------------------------------------


def scratch_urls(url: str) -> tuple[str, str]:
    """The server's maintenance URL (to create/drop) and the scratch database's URL."""
    base = make_url(normalise_database_url(url))
    if base.get_backend_name() != "postgresql":
        sys.exit("this benchmark needs PostgreSQL (--database-url postgresql+psycopg://…)")
    name = f"bench_orders_{os.getpid()}"
    admin = base.set(database=base.database or "postgres")
    return admin.render_as_string(hide_password=False), base.set(database=name).render_as_string(
        hide_password=False
    )


def run_admin(admin_url: str, sql: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


# --- data ---------------------------------------------------------------------------------


def first_village(province: str) -> regions.Region:
    code = province
    for _level in range(3):
        code = regions.children(code)[0].code
    return regions.get(code)


def seed(args, rng: Random) -> tuple[list[Item], dict[int, int], list[Buyer]]:
    """Sellers, products and buyers in one commit; returns items, initial stock, buyers."""
    category = Category(slug="bench", name_id="Bench", name_en="Bench")
    db.session.add(category)
    sellers = []
    for n in range(args.sellers):
        village = first_village(SELLER_PROVINCES[n % len(SELLER_PROVINCES)])
        owner = User(
            email=f"seller{n}@bench.invalid", name=f"Penjual {n}", password_hash=NO_PASSWORD
        )
        owner.add_role(Role.SELLER)
        seller = Seller(
            owner=owner,
            shop_name=f"Toko Bench {n}",
            slug=f"toko-bench-{n}",
            status=SellerStatus.VERIFIED.value,
            **regions.chain(village.code),
        )
        sellers.append(seller)
        for p in range(args.products_per_seller + 1):
            scarce = p == args.products_per_seller and n < args.scarce
            if p == args.products_per_seller and not scarce:
                continue
            db.session.add(
                Product(
                    seller=seller,
                    category=category,
                    title=f"{'Langka' if scarce else 'Produk'} {n}-{p}",
                    slug=f"bench-{n}-{p}",
                    price=rng.randrange(5_000, 250_000, 500),
                    stock=args.scarce_stock if scarce else PLENTY,
                    weight_grams=rng.choice((100, 250, 500, 800, 1200, 2500)),
                    status=ProductStatus.PUBLISHED.value,
                )
            )
    buyers = [
        User(email=f"buyer{n}@bench.invalid", name=f"Pembeli {n}", password_hash=NO_PASSWORD)
        for n in range(args.clients * 4)
    ]
    db.session.add_all([*sellers, *buyers])
    db.session.commit()
    rows = db.session.execute(
        select(
            Product.id, Product.seller_id, Seller.province_code, Product.weight_grams, Product.stock
        ).join(Seller, Product.seller_id == Seller.id)
    ).all()
    items = [Item(pid, sid, prov, grams, stock != PLENTY) for pid, sid, prov, grams, stock in rows]
    initial = {row[0]: row[4] for row in rows}
    return items, initial, [Buyer(u.id) for u in buyers]


def addresses() -> list[tuple[Address, str]]:
    found = []
    for n, province in enumerate(BUYER_PROVINCES):
        village = first_village(province)
        postal = village.postal_code or "10110"
        found.append(
            (
                Address(
                    contact_name=f"Pembeli {n}",
                    email=f"pembeli{n}@bench.invalid",
                    phone="081234567890",
                    village_code=village.code,
                    street="Jl. Contoh No. 1",
                    rt_rw="001/002",
                    postal_code=postal,
                ),
                province,
            )
        )
    return found


def random_cart(rng: Random, by_seller: dict[int, list[Item]], scarce_share: float):
    """1–3 lines from 1–2 shops; some carts reach for a scarce product."""
    shops = rng.sample(sorted(by_seller), rng.choice((1, 1, 2)))
    lines = rng.randint(len(shops), 3)
    picks: dict[int, Item] = {}
    for n in range(lines):
        shop = shops[n % len(shops)]
        pool = by_seller[shop]
        scarce = [i for i in pool if i.scarce]
        item = (
            rng.choice(scarce)
            if scarce and rng.random() < scarce_share
            else rng.choice([i for i in pool if not i.scarce])
        )
        picks[item.id] = item
    return {pid: rng.randint(1, 3) for pid in picks}, picks


# --- load ---------------------------------------------------------------------------------


@dataclass
class ClientResult:
    latencies_ms: list[float]
    refused_ms: list[float]
    outcomes: Counter


def choose_services(rng: Random, quantities, picks, province: str) -> dict[int, str] | None:
    """A courier service per shop, as the buyer would pick one from the offered options."""
    services = {}
    for seller_id in sorted({i.seller_id for i in picks.values()}):
        lines = [i for i in picks.values() if i.seller_id == seller_id]
        weight = sum(i.weight * quantities[i.id] for i in lines)
        options = shipping.rates().options(lines[0].province, province, weight)
        if not options:
            return None
        services[seller_id] = rng.choice(options).service
    return services


def client(
    app,
    n: int,
    args,
    by_seller,
    buyers,
    places,
    start: threading.Barrier,
    done: threading.Event,
    out: list[ClientResult],
) -> None:
    rng = Random(args.seed * 1000 + n)
    result = ClientResult([], [], Counter())
    start.wait()
    while not done.is_set():
        quantities, picks = random_cart(rng, by_seller, args.scarce_share)
        address, province = rng.choice(places)
        services = choose_services(rng, quantities, picks, province)
        if services is None:
            result.outcomes["skipped: no courier serves the route"] += 1
            continue
        began = time.perf_counter()
        with app.app_context():  # one "request": its own context and session
            try:
                place_order(
                    buyer=rng.choice(buyers),
                    quantities=quantities,
                    address=address,
                    services=services,
                    payment_method=PaymentMethod.BANK_TRANSFER,
                )
                result.latencies_ms.append((time.perf_counter() - began) * 1000)
                result.outcomes["placed"] += 1
            except CheckoutError as exc:
                result.refused_ms.append((time.perf_counter() - began) * 1000)
                result.outcomes[f"refused: {exc.code}"] += 1
            except Exception as exc:  # noqa: BLE001 - reported, never hidden
                result.outcomes[f"error: {type(exc).__name__}: {str(exc)[:120]}"] += 1
            finally:
                db.session.remove()
    out.append(result)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


# --- invariants ---------------------------------------------------------------------------


def check_books(initial: dict[int, int], placed: int) -> list[tuple[str, bool, str]]:
    sold = dict(
        db.session.execute(
            select(OrderItem.product_id, func.sum(OrderItem.quantity)).group_by(
                OrderItem.product_id
            )
        ).all()
    )
    stock = dict(db.session.execute(select(Product.id, Product.stock)).all())
    wrong_stock = [pid for pid, first in initial.items() if first - stock[pid] != sold.get(pid, 0)]
    negative = [pid for pid, s in stock.items() if s < 0]

    items_by_order = (
        select(SellerOrder.order_id, func.sum(OrderItem.unit_price * OrderItem.quantity).label("s"))
        .join(OrderItem, OrderItem.seller_order_id == SellerOrder.id)
        .group_by(SellerOrder.order_id)
        .subquery()
    )
    parts_by_order = (
        select(
            SellerOrder.order_id,
            func.sum(SellerOrder.items_total).label("items"),
            func.sum(SellerOrder.shipping_cost).label("shipping"),
        )
        .group_by(SellerOrder.order_id)
        .subquery()
    )
    bad_totals = db.session.scalar(
        select(func.count(Order.id))
        .join(items_by_order, items_by_order.c.order_id == Order.id)
        .join(parts_by_order, parts_by_order.c.order_id == Order.id)
        .where(
            (Order.total != Order.items_total + Order.shipping_total)
            | (Order.items_total != items_by_order.c.s)
            | (Order.items_total != parts_by_order.c["items"])
            | (Order.shipping_total != parts_by_order.c.shipping)
        )
    )
    orders = db.session.scalar(select(func.count(Order.id)))
    without_items = db.session.scalar(
        select(func.count(Order.id)).where(~Order.id.in_(select(items_by_order.c.order_id)))
    )
    sold_out = sum(1 for pid, first in initial.items() if first != PLENTY and stock[pid] == 0)
    return [
        (
            "stock taken == quantity ordered, per product",
            not wrong_stock,
            f"{len(initial) - len(wrong_stock)}/{len(initial)} products agree"
            + (f"; wrong: {wrong_stock[:10]}" if wrong_stock else ""),
        ),
        (
            "no negative stock",
            not negative,
            f"{len(negative)} negative; {sold_out} scarce products sold out",
        ),
        (
            "order total == items + shipping (and parts add up)",
            bad_totals == 0 and without_items == 0,
            f"{bad_totals} orders off, {without_items} orders without items",
        ),
        ("orders in database == successes", orders == placed, f"{orders} vs {placed}"),
    ]


# --- main ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL,
        help="any database on the PostgreSQL server to use; a scratch one is created beside it",
    )
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--sellers", type=int, default=20)
    parser.add_argument("--products-per-seller", type=int, default=10)
    parser.add_argument("--scarce", type=int, default=20, help="sellers with one scarce product")
    parser.add_argument("--scarce-stock", type=int, default=20)
    parser.add_argument(
        "--scarce-share",
        type=float,
        default=0.15,
        help="chance a cart line reaches for a scarce product",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    admin_url, bench_url = scratch_urls(args.database_url)
    name = make_url(bench_url).database
    instance = Path(tempfile.mkdtemp(prefix="mm-bench-orders-"))
    os.environ["INSTANCE_PATH"] = str(instance)
    run_admin(admin_url, f'CREATE DATABASE "{name}"')
    app, done, threads = None, threading.Event(), []
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": bench_url,
                # One pooled connection per client (and a few spare): clients must not queue on
                # the pool, or the figures measure the pool instead of checkout.
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": args.clients + 4, "max_overflow": 0},
                "MEDIA_ROOT": str(instance / "media"),
                "SEARCH_INDEX_DIR": str(instance / "search-index"),
                "PAGE_CACHE_SECONDS": 0,
                "RATELIMIT_ENABLED": False,
            }
        )
        rng = Random(args.seed)
        with app.app_context():
            with db.engine.begin() as conn:
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            db.create_all()
            items, initial, buyers = seed(args, rng)
            db.session.remove()
        by_seller: dict[int, list[Item]] = {}
        for item in items:
            by_seller.setdefault(item.seller_id, []).append(item)
        places = addresses()
        print(
            f"database: {name} (scratch, dropped afterwards); {args.sellers} sellers, "
            f"{len(items)} products ({sum(i.scarce for i in items)} scarce, "
            f"{args.scarce_stock} each); {args.clients} clients for {args.duration:g} s"
        )

        results: list[ClientResult] = []
        start = threading.Barrier(args.clients + 1)
        threads = [
            threading.Thread(
                target=client,
                args=(app, n, args, by_seller, buyers, places, start, done, results),
            )
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.monotonic()
        time.sleep(args.duration)
        done.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began

        outcomes = sum((r.outcomes for r in results), Counter())
        latencies = [ms for r in results for ms in r.latencies_ms]
        refused = [ms for r in results for ms in r.refused_ms]
        placed = outcomes["placed"]
        print(f"\nplaced: {placed} orders in {elapsed:.1f} s = {placed / elapsed:.1f} orders/s")
        print(
            f"placement latency ms: p50 {percentile(latencies, 50):.1f}  "
            f"p95 {percentile(latencies, 95):.1f}  p99 {percentile(latencies, 99):.1f}  "
            f"max {max(latencies, default=float('nan')):.1f}"
        )
        print(
            f"refusals: {sum(v for k, v in outcomes.items() if k.startswith('refused'))} "
            f"(p50 {percentile(refused, 50):.1f} ms)"
        )
        for outcome, count in sorted(outcomes.items()):
            if outcome != "placed":
                print(f"  {outcome}: {count}")

        with app.app_context():
            checks = check_books(initial, placed)
            db.session.remove()
        print("\ninvariants:")
        for label, ok, detail in checks:
            print(f"  {'OK  ' if ok else 'FAIL'} {label}: {detail}")
        errors = sum(v for k, v in outcomes.items() if k.startswith("error"))
        return 0 if all(ok for _l, ok, _d in checks) and not errors else 1
    finally:
        done.set()  # also on Ctrl-C: clients stop before their database goes away
        for thread in threads:
            thread.join(timeout=30)
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        run_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
