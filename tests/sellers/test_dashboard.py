"""The seller's dashboard: figures checked against orders made here and summed here, practice
rows left out, a fixed number of queries, and the "Siap KUR" checklist in each state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, update

from catalog.models import ProductStatus, ProductViewDay
from marketplace.auth.models import Role, utcnow
from marketplace.extensions import db
from orders import fulfilment, notifications, settlement
from orders.models import LedgerEntry, Order, PaymentMethod, Review
from sellers import dashboard, statements
from sellers.models import SellerStatus
from sellers.workshops.models import Workshop
from tests.conftest import login
from tests.factories import PASSWORD, make_product, make_seller, make_user
from tests.orders.factories import make_order

LOMBOK = ZoneInfo("Asia/Makassar")  # the factories' shop is in Lombok Timur (WITA)


@pytest.fixture(autouse=True)
def quiet_mail(app_ctx, monkeypatch, tmp_path):
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(tmp_path / "outbox.log"))
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: None)


def local_today() -> date:
    return datetime.now(UTC).astimezone(LOMBOK).date()


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=LOMBOK).astimezone(UTC)


def paid(seller, lines, *, when: datetime | None = None, province: str = "32", buyer=None):
    """A paid order of ``lines`` [(product, quantity)], booked (ledger and payment) at ``when``."""
    order = make_order(lines, buyer=buyer, payment_method=PaymentMethod.BANK_TRANSFER)
    order.province_code = province
    settlement.settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()
    if when is not None:
        order.paid_at = when
        db.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.seller_order_id == order.seller_orders[0].id)
            .values(created_at=when)
        )
        db.session.commit()
    return order


def make_practice(order: Order) -> Workshop:
    """Mark an order and its ledger lines as made inside a workshop."""
    workshop = Workshop(
        trainer_id=make_user(roles=(Role.BUYER, Role.TRAINER)).id,
        title="Latihan jualan",
        starts_at=utcnow(),
        join_code="ACDEFG",
    )
    db.session.add(workshop)
    db.session.flush()
    order.practice_workshop_id = workshop.id
    db.session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.seller_order_id.in_([p.id for p in order.seller_orders]))
        .values(practice_workshop_id=workshop.id)
    )
    db.session.commit()
    return workshop


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_index(day: date) -> int:
    return day.year * 12 + day.month


@pytest.fixture()
def shop(app_ctx):
    return make_seller()


def test_figures_come_from_the_orders_refunds_and_payouts_made_here(shop):
    today = local_today()
    sugar = make_product(shop, price=50000, stock=100, title="Gula Semut 250 g")
    salt = make_product(shop, price=20000, stock=100, title="Garam Krosok 1 kg")
    buyer = make_user()
    # (lines, local day, buyer's province)
    plan = [
        ([(sugar, 2)], today, "52"),
        ([(salt, 1)], today - timedelta(days=3), "32"),
        ([(sugar, 1), (salt, 3)], today - timedelta(days=10), "52"),
        ([(sugar, 1)], today - timedelta(days=40), "35"),
        ([(salt, 2)], today - timedelta(days=100), "52"),
        ([(sugar, 4)], today - timedelta(days=200), "32"),
        ([(sugar, 9)], today - timedelta(days=400), "52"),  # over a year ago
    ]
    orders = []
    for lines, day, province in plan:
        when = utcnow() if day == today else noon(day)
        orders.append((paid(shop, lines, when=when, province=province, buyer=buyer), day))
    # One refund (a part cancelled today), one delivered part (payable), one payout.
    cancelled, _day = orders[1]
    settlement.cancel_part(cancelled.seller_orders[0], actor_id=None, reason="Stok habis")
    delivered = orders[3][0].seller_orders[0]
    fulfilment.mark_shipped(delivered, shop.owner, "JNE", "JNE123456789")
    settlement.deliver(delivered, actor_id=None)
    db.session.commit()
    # Practice: a big pretend sale today that must change nothing.
    practice = paid(shop, [(sugar, 7)], province="11")
    make_practice(practice)

    board = dashboard.build(shop)

    # Expected figures, summed here from the orders themselves.
    weeks = {week_of(today) - timedelta(weeks=n): [0, 0, 0] for n in range(12)}
    months = {month_index(today) - n: [0, 0, 0] for n in range(12)}
    for order, day in orders:
        part = order.seller_orders[0]
        for bucket in (weeks.get(week_of(day)), months.get(month_index(day))):
            if bucket is not None:
                bucket[0] += part.items_total + part.shipping_cost
                bucket[1] += 1
    refund = cancelled.seller_orders[0]
    refunded = refund.items_total + refund.shipping_cost - refund.commission
    weeks[week_of(today)][2] += refunded
    months[month_index(today)][2] += refunded
    assert [(b.start, [b.gross, b.orders, b.refunds]) for b in board.weeks] == sorted(weeks.items())
    assert [(month_index(b.start), [b.gross, b.orders, b.refunds]) for b in board.months] == sorted(
        months.items()
    )
    assert all(b.start.weekday() == 0 for b in board.weeks)

    # Top products and provinces: the last 12 months, cancelled parts and practice left out.
    counted = [(o, d) for o, d in orders if o is not cancelled and d > today - timedelta(days=330)]
    sold: dict[str, list[int]] = {}
    for order, _d in counted:
        for item in order.seller_orders[0].items:
            row = sold.setdefault(item.title, [0, 0])
            row[0] += item.quantity
            row[1] += item.unit_price * item.quantity
    assert {p.title: [p.quantity, p.revenue] for p in board.top_products} == sold
    assert board.top_products[0].title == "Gula Semut 250 g"
    provinces: dict[str, int] = {}
    for order, _d in counted:
        provinces[order.province_code] = provinces.get(order.province_code, 0) + 1
    assert dict(board.provinces) == provinces and "11" not in provinces

    # Money: every real sale less its commission, less the refund; payable = delivered only.
    real = [o.seller_orders[0] for o, _d in orders]
    balance = sum(p.items_total + p.shipping_cost - p.commission for p in real) - refunded
    assert board.money.balance == balance
    assert board.money.payable == delivered.items_total + delivered.shipping_cost - (
        delivered.commission
    )
    assert board.money.on_the_way == balance - board.money.payable

    # To do: every real part still new is to pack; the practice one is not.
    assert board.todo.to_pack == len(orders) - 2
    assert board.todo.to_ship == board.todo.awaiting_buyer == 0


def test_practice_only_shop_shows_no_figures(shop):
    sugar = make_product(shop, price=80000, stock=50)
    order = paid(shop, [(sugar, 2)], province="52")
    make_practice(order)
    db.session.add(
        Review(
            order_item_id=order.seller_orders[0].items[0].id,
            product_id=sugar.id,
            seller_id=shop.id,
            rating=5,
            practice_workshop_id=order.practice_workshop_id,
        )
    )
    db.session.commit()
    board = dashboard.build(shop)
    assert board.year_gross == 0 and board.year_orders == 0
    assert board.money.balance == 0 and board.money.payable == 0
    assert board.top_products == [] and board.provinces == []
    assert board.todo.to_pack == 0
    running = next(c for c in board.kur if c.key == "running")
    assert running.since is None and not running.done


def test_to_do_counts_each_step_and_low_stock(shop):
    product = make_product(shop, price=10000, stock=100)
    parts = [paid(shop, [(product, 1)]).seller_orders[0] for _ in range(4)]
    fulfilment.mark_packed(parts[0], shop.owner)
    fulfilment.mark_shipped(parts[1], shop.owner, "JNE", "JNE123456789")
    settlement.cancel_part(parts[2], actor_id=None, reason="Habis")
    db.session.commit()
    make_product(shop, stock=2)  # nearly sold out
    make_product(shop, stock=3)  # at the threshold
    make_product(shop, stock=0, status=ProductStatus.DRAFT)  # not on sale: not a worry
    make_product(make_seller(), stock=1)  # another shop's
    todo = dashboard.build(shop).todo
    assert (todo.to_pack, todo.to_ship, todo.awaiting_buyer, todo.low_stock) == (1, 1, 1, 2)
    assert todo.unanswered_reviews == 0
    fulfilment.mark_packed(parts[3], shop.owner)
    todo = dashboard.build(shop).todo
    assert (todo.to_pack, todo.to_ship) == (0, 2)


def _queries(work) -> int:
    count = 0

    def counter(*_args, **_kwargs):
        nonlocal count
        count += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def test_the_number_of_queries_does_not_grow_with_orders(shop):
    products = [make_product(shop, price=15000, stock=1000) for _ in range(3)]
    today = local_today()
    paid(shop, [(products[0], 1)], when=noon(today - timedelta(days=5)))
    db.session.expire_all()
    few = _queries(lambda: dashboard.build(shop))
    for n in range(24):
        paid(
            shop,
            [(products[n % 3], 1 + n % 2)],
            when=noon(today - timedelta(days=13 * n)),
            province=("52", "32", "35")[n % 3],
        )
    db.session.expire_all()
    many = _queries(lambda: dashboard.build(shop))
    assert many == few


# --- Siap KUR ------------------------------------------------------------------------------


def _checks(seller) -> dict[str, bool]:
    return {c.key: c.done for c in dashboard.kur_checklist(seller)}


def test_kur_checklist_of_a_new_shop_lists_what_is_missing(client, shop):
    assert _checks(shop) == {
        "running": False,
        "identity": True,
        "nib": False,
        "statement": False,
    }
    login(client, shop.owner.email, PASSWORD)
    html = client.get("/seller/?lang=en").get_data(as_text=True)
    assert "No paid order yet." in html
    assert 'href="/seller/shop"' in html and "Add your NIB" in html
    assert 'href="/seller/statements"' in html and "Issue a sales statement" in html
    assert 'href="/learn/siap-kur"' in html


def test_kur_checklist_complete_after_six_months_nib_and_a_statement(shop):
    product = make_product(shop, price=30000, stock=100)
    today = local_today()
    first_day = dashboard.add_months(today, -7)
    paid(shop, [(product, 1)], when=noon(first_day))
    shop.nib = "9120001234567"
    db.session.commit()
    statement = statements.issue(shop, first_day, today)
    checks = dashboard.kur_checklist(shop)
    assert all(c.done for c in checks), checks
    running = checks[0]
    assert running.since == first_day and running.ready_on == dashboard.add_months(first_day, 6)
    # A revoked statement no longer counts.
    statements.revoke(statement)
    assert _checks(shop)["statement"] is False


def test_kur_running_counts_from_the_first_paid_real_order(shop):
    product = make_product(shop, price=30000, stock=100)
    today = local_today()
    old_practice = paid(shop, [(product, 1)], when=noon(dashboard.add_months(today, -9)))
    make_practice(old_practice)
    recent = dashboard.add_months(today, -2)
    paid(shop, [(product, 1)], when=noon(recent))
    running = dashboard.kur_checklist(shop)[0]
    assert (running.done, running.since) == (False, recent)
    assert running.ready_on == dashboard.add_months(recent, 6) > today


def test_kur_identity_waits_for_verification(app_ctx):
    seller = make_seller(status=SellerStatus.SUBMITTED)
    assert _checks(seller)["identity"] is False


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert dashboard.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert dashboard.add_months(date(2026, 1, 15), -7) == date(2025, 6, 15)


# --- the page -----------------------------------------------------------------------------


def test_dashboard_page_shows_charts_tables_and_links(client, shop):
    product = make_product(shop, price=45000, stock=2, title="Terasi Rebon 250 g")
    paid(shop, [(product, 1)], province="52")
    login(client, shop.owner.email, PASSWORD)
    response = client.get("/seller/?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for chart in ("chart-weeks", "chart-months"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert "style=" not in html  # the CSP allows no inline style
    assert html.count("Rp 60,000") >= 3  # this week's and month's bars, the year's total
    for link in ("status=new", "status=packed", "status=shipped"):
        assert f"/seller/orders?{link}" in html
    assert 'href="/seller/products"' in html and 'href="/seller/money"' in html
    assert "Terasi Rebon 250 g" in html and "Nusa Tenggara Barat" in html


def test_dashboard_is_for_sellers_only(client, app_ctx):
    buyer = make_user()
    login(client, buyer.email, PASSWORD)
    assert client.get("/seller/").status_code == 403


def test_dashboard_without_a_shop_asks_for_one(client, app_ctx):
    owner = make_user(roles=(Role.BUYER, Role.SELLER))
    login(client, owner.email, PASSWORD)
    response = client.get("/seller/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/seller/shop")


def test_views_against_orders_per_product_over_the_last_30_days(shop):
    today = local_today()
    looked_at = make_product(shop, price=20000, stock=100, title="Kopi Sembalun")
    sold = make_product(shop, price=35000, stock=100, title="Tenun Pringgasela")
    make_product(shop, status=ProductStatus.DRAFT, title="Draft")  # not on sale, never seen
    db.session.add_all(
        [
            ProductViewDay(product_id=looked_at.id, day=today, views=40),
            ProductViewDay(product_id=looked_at.id, day=today - timedelta(days=29), views=2),
            ProductViewDay(product_id=looked_at.id, day=today - timedelta(days=30), views=500),
            ProductViewDay(product_id=sold.id, day=today - timedelta(days=3), views=9),
        ]
    )
    db.session.commit()
    paid(shop, [(sold, 1)], when=noon(today - timedelta(days=2)))
    paid(shop, [(sold, 2), (looked_at, 1)], when=noon(today - timedelta(days=20)))
    paid(shop, [(sold, 1)], when=noon(today - timedelta(days=45)))  # before the 30 days
    funnel = [(r.title, r.views, r.orders) for r in dashboard.build(shop).funnel]
    assert funnel == [("Kopi Sembalun", 42, 1), ("Tenun Pringgasela", 9, 2)]
