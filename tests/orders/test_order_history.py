"""The order's history: one timeline row per bank-transfer step, and per-shop rows that name
the shop on the buyer's order page."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.auth.models import Role
from marketplace.extensions import db
from orders import bank_transfer, notifications
from orders.models import Order, OrderEvent
from tests.conftest import login, use_private_root
from tests.factories import jpeg_bytes, make_product, make_seller, make_user
from tests.orders.factories import make_order


@pytest.fixture()
def private_root(app_ctx, monkeypatch, tmp_path) -> Path:
    root = tmp_path / "private"
    use_private_root(app_ctx, monkeypatch, root)
    return root


@pytest.fixture()
def mails(app_ctx, monkeypatch, tmp_path):
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(tmp_path / "outbox.log"))
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: sent.append((to, s, b)))
    return sent


@pytest.fixture()
def admin(app_ctx):
    return make_user(email="admin@example.id", roles=(Role.ADMIN,))


def steps(order: Order) -> Counter:
    rows = db.session.execute(
        select(OrderEvent.machine, OrderEvent.to_status, OrderEvent.seller_order_id).where(
            OrderEvent.order_id == order.id
        )
    )
    return Counter((machine, status, part is not None) for machine, status, part in rows)


def test_upload_and_confirm_write_one_row_each(app_ctx, private_root, mails, admin):
    shops = [make_seller(shop_name="Tenun Pringgasela"), make_seller(shop_name="Kopi Sembalun")]
    order = make_order([(make_product(s), 1) for s in shops], buyer=make_user())

    bank_transfer.upload_receipt(order, jpeg_bytes(), "struk.jpg")
    db.session.expire_all()
    assert steps(order) == Counter(
        {("order", "awaiting_payment", False): 1, ("payment", "processing", False): 1}
    )

    assert bank_transfer.confirm_transfer(db.session.get(Order, order.id), admin)
    db.session.expire_all()
    assert steps(order) == Counter(
        {
            ("order", "awaiting_payment", False): 1,
            ("payment", "processing", False): 1,
            ("payment", "paid", False): 1,
            ("order", "paid", False): 1,
            ("fulfilment", "new", True): 2,  # one per shop's part
        }
    )
    notes = db.session.scalars(
        select(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.to_status == "processing"
        )
    ).all()
    assert [e.note_text for e in notes] == ["bukti transfer diunggah: struk.jpg"]


def test_reject_writes_one_row(app_ctx, private_root, mails, admin):
    order = make_order([(make_product(make_seller()), 2)], buyer=make_user())
    bank_transfer.upload_receipt(order, jpeg_bytes(), "struk.jpg")
    bank_transfer.reject_transfer(db.session.get(Order, order.id), admin, "Nominal tidak sesuai")
    db.session.expire_all()
    assert steps(order) == Counter(
        {
            ("order", "awaiting_payment", False): 1,
            ("payment", "processing", False): 1,
            ("payment", "failed", False): 1,
        }
    )
    failed = db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.to_status == "failed")
    ).all()
    assert [(e.note, e.actor_id) for e in failed] == [("Nominal tidak sesuai", admin.id)]


def test_order_page_names_the_shop_in_its_lines(client, private_root, mails, admin):
    buyer = make_user(email="dewi@example.id")
    shops = [make_seller(shop_name="Tenun Pringgasela"), make_seller(shop_name="Kopi Sembalun")]
    order = make_order([(make_product(s), 1) for s in shops], buyer=buyer)
    bank_transfer.upload_receipt(order, jpeg_bytes(), "struk.jpg")
    bank_transfer.confirm_transfer(db.session.get(Order, order.id), admin)

    login(client, "dewi@example.id")
    html = client.get(f"/orders/{order.number}").get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S).group(1)
    lines = re.findall(r"<li>(.*?)</li>", timeline, re.S)
    assert len(lines) == 6  # created, receipt, paid, order paid, and one per shop
    shop_lines = [line for line in lines if "Tenun Pringgasela" in line or "Kopi Sembalun" in line]
    assert len(shop_lines) == 2
    assert any("Tenun Pringgasela:" in line for line in shop_lines)
    assert any("Kopi Sembalun:" in line for line in shop_lines)
