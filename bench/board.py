"""Live board benchmark: a workshop of 20 participants, its board polled as in the room.

    .venv/bin/python bench/board.py [--duration 30] [--workers 2] [--postgres URL]

Builds a throw-away marketplace (SQLite; with ``--postgres`` a scratch database
``bench_board_<pid>`` beside the given one, dropped at the end), seeds a trainer and a workshop
of 20 participants at different steps, serves it with gunicorn on 127.0.0.1 and then:

1. the room: 21 clients (20 participants' screens and the trainer's projector) each poll the
   board's state endpoint every 3 s the way ``static/js/board.js`` does (If-None-Match with the
   last ETag), while one participant reaches a new step every 4 s (``--step-seconds``);
   prints requests/s, p50/p99 and the share of 304 answers;
2. capacity: clients poll without pause (1 and 8 answered 304, 8 answered 200 as they send
   no ETag), for what one server can take;
3. the cost of one board refresh in queries: the data service alone and a whole request.

Prints figures; asserts nothing. The clients run in this process, on the same machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
import urllib.parse
from datetime import timedelta

from storefront import ROOT, VENV_BIN, free_port, serve, throwaway_instance, wait_up

PARTICIPANTS = 20
POLL_SECONDS = 3.0
MODULES = ["buka-toko", "foto-produk", "harga", "promosi"]
TRAINER_EMAIL = "pelatih.bench@example.id"
PASSWORD = "bench-pass-2026"  # noqa: S105 - throw-away accounts on 127.0.0.1
STORY = "Saya bekerja enam tahun di Taiwan dan kini membuat gula semut aren di desa."


# --- data ---------------------------------------------------------------------------------------


def seed() -> int:
    """The trainer, the workshop and its 20 participants at different steps; the workshop id."""
    from catalog.models import Category, Product, ProductImage, ProductStatus
    from marketplace.auth.models import Role, User, utcnow
    from marketplace.extensions import db
    from orders.models import Order, OrderItem, Review, SellerOrder
    from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
    from sellers.models import Seller, ShareEvent
    from sellers.training.progress import mark_completed_for_demo
    from sellers.workshops.models import Workshop, WorkshopMember

    trainer = User(email=TRAINER_EMAIL, name="Pelatih Bench")
    trainer.set_password(PASSWORD)
    trainer.add_role(Role.TRAINER)
    buyer = User(email="pembeli.bench@example.id", name="Pembeli Latihan")
    buyer.set_password(PASSWORD)
    category = Category(slug="bench-pangan", name_id="Pangan", name_en="Food")
    db.session.add_all([trainer, buyer, category])
    db.session.flush()
    now = utcnow()
    workshop = Workshop(
        trainer_id=trainer.id,
        title="Pelatihan Jualan Online Desa Pringgasela",
        starts_at=now,
        modules=MODULES,
        join_code="K7MQ4P",
    )
    db.session.add(workshop)
    db.session.flush()
    for n in range(PARTICIPANTS):
        user = User(email=f"peserta{n}@example.id", name=f"Peserta Latihan {n + 1}")
        user.set_password(PASSWORD)
        user.add_role(Role.SELLER)
        db.session.add(user)
        db.session.flush()
        db.session.add(
            WorkshopMember(
                workshop_id=workshop.id, user_id=user.id, joined_at=now + timedelta(minutes=n)
            )
        )
        seller = Seller(
            owner_id=user.id,
            shop_name=f"Toko Latihan {n + 1}",
            slug=f"toko-latihan-{n + 1}",
            story=STORY if n % 3 else "",
            village_code="52.03.12.2002",
            whatsapp="+6281234567890",
        )
        db.session.add(seller)
        db.session.flush()
        mark_completed_for_demo(user, MODULES[: n % 5])
        if n % 2 == 0:
            continue
        product = Product(
            seller_id=seller.id,
            category_id=category.id,
            title=f"Gula Semut Latihan {n + 1}",
            slug=f"gula-semut-latihan-{n + 1}",
            price=25_000,
            stock=10,
            weight_grams=300,
            status=ProductStatus.DRAFT.value,
            practice_workshop_id=workshop.id,
        )
        db.session.add(product)
        db.session.flush()
        for position in range(3):
            db.session.add(
                ProductImage(
                    product_id=product.id,
                    position=position,
                    key=f"{n:02d}{position}".ljust(64, "0"),
                    width=800,
                    height=600,
                    widths="320,640",
                )
            )
        db.session.add(ShareEvent(seller_id=seller.id, product_id=product.id, channel="whatsapp"))
        shipped = n % 4 == 1
        part = SellerOrder(
            seller_id=seller.id,
            items_total=25_000,
            weight_grams=300,
            shipping_service="jne_reg",
            shipping_label="JNE REG",
            shipping_cost=15_000,
            commission=0,
            status=(FulfilmentStatus.SHIPPED if shipped else FulfilmentStatus.NEW).value,
            shipped_at=now if shipped else None,
        )
        item = OrderItem(
            product_id=product.id,
            title=product.title,
            unit_price=25_000,
            quantity=1,
            weight_grams=300,
        )
        part.items.append(item)
        order = Order(
            number=f"MM-2026-{800000 + n:06d}",
            payment_reference=f"MM26{800000 + n:06d}",
            buyer_id=buyer.id,
            contact_name="Pembeli Latihan",
            email=buyer.email,
            phone="081234567890",
            province_code="52",
            regency_code="52.03",
            district_code="52.03.12",
            village_code="52.03.12.2002",
            street="Jl. Latihan 1",
            postal_code="83662",
            items_total=25_000,
            shipping_total=15_000,
            total=40_000,
            payment_method="practice",
            status=OrderStatus.PAID.value,
            payment_status=PaymentStatus.PAID.value,
            expires_at=now + timedelta(hours=24),
            paid_at=now,
            practice_workshop_id=workshop.id,
            seller_orders=[part],
        )
        db.session.add(order)
        if shipped:
            db.session.flush()
            db.session.add(
                Review(
                    order_item_id=item.id,
                    product_id=product.id,
                    seller_id=seller.id,
                    buyer_id=buyer.id,
                    rating=5,
                    practice_workshop_id=workshop.id,
                )
            )
    db.session.commit()
    return workshop.id


def scratch_database(url: str) -> tuple[str, str]:
    """Create ``bench_board_<pid>`` on the server of ``url``; its URL and the server's."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from marketplace.config import normalise_database_url

    base = make_url(normalise_database_url(url))
    admin = base.set(database=base.database or "postgres").render_as_string(hide_password=False)
    name = f"bench_board_{os.getpid()}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False), admin


def drop_database(url: str, admin: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def next_step(step: int) -> None:
    """One participant reaches something new (a share), as happens every few seconds."""
    from sqlalchemy import select

    from marketplace.extensions import db
    from sellers.models import Seller, ShareEvent

    seller_ids = list(
        db.session.scalars(select(Seller.id).where(Seller.slug.like("toko-latihan-%")))
    )
    db.session.add(ShareEvent(seller_id=seller_ids[step % len(seller_ids)], channel="poster"))
    db.session.commit()


def queries_per_refresh(app, workshop_id: int) -> tuple[int, int]:
    """Statements for one board refresh: the data service alone, and one whole state request."""
    from sqlalchemy import event

    from marketplace.extensions import db
    from sellers.workshops import board
    from sellers.workshops.models import Workshop

    statements: list[str] = []

    def count(*_args):
        statements.append("")

    with app.app_context():
        engine = db.engine
        workshop = db.session.get(Workshop, workshop_id)
        event.listen(engine, "before_cursor_execute", count)
        board.board(workshop)
        event.remove(engine, "before_cursor_execute", count)
        service = len(statements)
        db.session.remove()

    # Outside that context, so the request loads its user and workshop as in production.
    client = app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(
        "/account/login",
        data={"email": TRAINER_EMAIL, "password": PASSWORD, "csrf_token": token},
    )
    statements.clear()
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(f"/trainer/workshops/{workshop_id}/board/state")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    if response.status_code != 200:
        raise RuntimeError(f"board state answered {response.status_code}")
    request = len(statements)
    return service, request


# --- clients ------------------------------------------------------------------------------------


def login_cookie(port: int) -> str:
    """The trainer's session cookie, logged in through the real form."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/account/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"email": TRAINER_EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    conn.request(
        "POST",
        "/account/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login refused: {response.status}")
    conn.close()
    return response.getheader("Set-Cookie", "").split(";", 1)[0]


class Poller(threading.Thread):
    """One open board: asks every ``interval`` seconds (0: without pause), like board.js."""

    def __init__(self, port, path, cookie, until, interval, conditional=True, start_at=0.0):
        super().__init__(daemon=True)
        self.port, self.path, self.cookie = port, path, cookie
        self.until, self.interval, self.conditional = until, interval, conditional
        self.start_at = start_at
        self.results: list[tuple[float, int]] = []  # (seconds, status)
        self.errors = 0

    def run(self) -> None:
        etag = ""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        next_at = time.monotonic() + self.start_at
        while True:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() >= self.until:
                break
            headers = {"Cookie": self.cookie, "Accept": "text/html"}
            if self.conditional and etag:
                headers["If-None-Match"] = etag
            started = time.perf_counter()
            try:
                conn.request("GET", self.path, headers=headers)
                response = conn.getresponse()
                response.read()
            except OSError:
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            else:
                self.results.append((time.perf_counter() - started, response.status))
                if response.status == 200:
                    etag = response.getheader("ETag", "")
                elif response.status != 304:
                    self.errors += 1
            next_at += self.interval
        conn.close()


def db_engine_dispose() -> None:
    from marketplace.extensions import db

    db.session.remove()
    db.engine.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(name: str, pollers: list[Poller], seconds: float) -> None:
    results = [r for p in pollers for r in p.results]
    times = [t * 1000 for t, _ in results]
    not_modified = sum(1 for _, status in results if status == 304)
    errors = sum(p.errors for p in pollers)
    print(
        f"{name:34} {len(results) / seconds:8.1f} {statistics.median(times) if times else 0:8.1f} "
        f"{percentile(times, 0.99):8.1f} {100 * not_modified / max(1, len(results)):7.1f}% "
        f"{errors:7d}"
    )


def run(pollers: list[Poller], seconds: float, during=None) -> None:
    for p in pollers:
        p.start()
    if during is not None:
        during(time.monotonic() + seconds)
    for p in pollers:
        p.join()


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of the room scenario")
    parser.add_argument("--capacity-seconds", type=int, default=10)
    parser.add_argument(
        "--step-seconds", type=float, default=4.0, help="how often someone reaches a new step"
    )
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2))
    parser.add_argument(
        "--postgres", help="any database on a PostgreSQL server: a scratch one is made beside it"
    )
    args = parser.parse_args()

    instance, env = throwaway_instance("mm-board-bench-")
    env["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"  # noqa: S105 - quick throw-away logins
    admin = ""
    if args.postgres:
        env["DATABASE_URL"], admin = scratch_database(args.postgres)
    os.environ.update(env)
    server = None
    try:
        flask = [str(VENV_BIN / "flask"), "--app", "marketplace"]
        subprocess.run(
            [*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        from marketplace import create_app

        app = create_app()
        with app.app_context():
            workshop_id = seed()
        service_queries, request_queries = queries_per_refresh(app, workshop_id)
        with app.app_context():
            db_engine_dispose()

        port = free_port()
        server = serve("marketplace:create_app()", port, env, args.workers)
        wait_up(f"http://127.0.0.1:{port}/healthz")
        cookie = login_cookie(port)
        path = f"/trainer/workshops/{workshop_id}/board/state"
        database = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"\nworkshop of {PARTICIPANTS} participants, {len(MODULES)} modules; {database}; "
            f"gunicorn {args.workers} workers (sync)\n"
        )
        print(f"{'scenario':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'304':>8} {'errors':>7}")

        until = time.monotonic() + args.duration
        room = [
            Poller(port, path, cookie, until, POLL_SECONDS, start_at=n * POLL_SECONDS / 21)
            for n in range(PARTICIPANTS + 1)
        ]

        def steps(deadline: float) -> None:
            step = 0
            with app.app_context():
                while time.monotonic() + args.step_seconds < deadline:
                    time.sleep(args.step_seconds)
                    next_step(step)
                    step += 1

        run(room, args.duration, steps)
        report(f"room: 21 boards every {POLL_SECONDS:.0f} s", room, args.duration)

        capacity = (
            ("capacity: 1 client, all 304", 1, True),
            ("capacity: 8 clients, all 304", 8, True),
            ("capacity: 8 clients, all 200", 8, False),
        )
        for name, clients, conditional in capacity:
            until = time.monotonic() + args.capacity_seconds
            busy = [Poller(port, path, cookie, until, 0, conditional) for _ in range(clients)]
            run(busy, args.capacity_seconds)
            report(name, busy, args.capacity_seconds)

        print(
            f"\nqueries per board refresh: {service_queries} (data service), "
            f"{request_queries} (whole state request, login and workshop lookup included)"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if admin:  # WITH (FORCE) also closes this process's connections
            drop_database(env["DATABASE_URL"], admin)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
