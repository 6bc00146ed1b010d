"""The seller's order pages and the admin money pages, through HTTP as a browser uses them."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import Role
from marketplace.extensions import db
from orders import bank_transfer, fulfilment, ledger, notifications, payouts, settlement
from orders.models import LedgerEntry, Order, PaymentMethod, PayoutBatch, SellerOrder
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
from tests.conftest import csrf_from, login, use_private_root
from tests.factories import jpeg_bytes, make_product, make_seller, make_user
from tests.orders.factories import make_order

BANK = {"bank_name": "BRI", "bank_account_number": "0123456789", "bank_account_holder": "Aminah"}
POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


@pytest.fixture(autouse=True)
def isolated_files(app_ctx, monkeypatch, tmp_path):
    use_private_root(app_ctx, monkeypatch, tmp_path / "private")
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(tmp_path / "outbox.log"))


@pytest.fixture()
def mails(monkeypatch):
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: sent.append((to, s, b)))
    return sent


@pytest.fixture()
def shop(app_ctx):
    return make_seller(shop_name="Gula Semut Bu Aminah", **BANK)


@pytest.fixture()
def admin(app_ctx):
    return make_user(email="admin@example.id", roles=(Role.ADMIN,))


def paid_order(seller, quantity: int = 2, **kwargs) -> Order:
    buyer = make_user(name="Dewi Lestari")
    order = make_order(
        [(make_product(seller, title="Gula Semut 250 g"), quantity)], buyer=buyer, **kwargs
    )
    settlement.settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()
    return order


def sign_in(client, email: str):
    """Log in — on a fresh client, as a browser of its own — and read the pages in English,
    the language the messages are written in. Returns the logged-in client."""
    client = client.application.test_client()
    login(client, email)
    client.get("/?lang=en")
    return client


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def assert_every_post_form_has_csrf(text: str) -> None:
    forms = POST_FORM.findall(text)
    assert forms, "no form on the page"
    for body in forms:
        assert 'name="csrf_token"' in body, body[:300]


def part_status(part_id: int) -> str:
    return db.session.scalar(select(SellerOrder.status).where(SellerOrder.id == part_id))


# --- seller pages --------------------------------------------------------------------------------


def test_seller_order_list_shows_what_is_needed_to_ship(client, shop):
    order = paid_order(shop)
    part = order.seller_orders[0]
    unpaid = make_order([(make_product(shop), 1)])
    client = sign_in(client, shop.owner.email)

    response = client.get("/seller/orders")
    text = page(response)
    assert response.status_code == 200
    assert order.number in text and unpaid.number not in text
    assert "Dewi Lestari" in text and order.phone in text
    assert "Jl. Merdeka No. 5" in text and "003/007" in text and order.postal_code in text
    assert "2 × Gula Semut 250 g" in text
    assert "JNE REG" in text
    assert f"/seller/orders/{part.id}" in text

    assert order.number not in page(client.get("/seller/orders?status=shipped"))
    assert client.get("/seller/orders?status=nonsense").status_code == 200


def test_part_page_has_csrf_on_every_form(client, shop):
    part = paid_order(shop).seller_orders[0]
    client = sign_in(client, shop.owner.email)
    text = page(client.get(f"/seller/orders/{part.id}"))
    assert_every_post_form_has_csrf(text)
    assert f"/seller/orders/{part.id}/pack" in text
    assert f"/seller/orders/{part.id}/ship" in text
    assert f"/seller/orders/{part.id}/cancel" in text
    assert '<option selected value="JNE">' in text  # preselected from the JNE REG service


def test_other_sellers_parts_are_404_and_others_are_kept_out(client, shop):
    part = paid_order(shop).seller_orders[0]
    unpaid = make_order([(make_product(shop), 1)]).seller_orders[0]
    assert client.get("/seller/orders").status_code == 302  # anonymous: to the login page

    intruder = make_seller()
    client = sign_in(client, intruder.owner.email)
    assert client.get(f"/seller/orders/{part.id}").status_code == 404
    token = csrf_from(page(client.get("/seller/orders")))
    response = client.post(f"/seller/orders/{part.id}/pack", data={"csrf_token": token})
    assert response.status_code == 404
    assert part_status(part.id) == FulfilmentStatus.NEW

    client = sign_in(client, shop.owner.email)
    assert client.get(f"/seller/orders/{unpaid.id}").status_code == 404

    buyer = make_user()
    client = sign_in(client, buyer.email)
    assert client.get("/seller/orders").status_code == 403


def test_pack_and_ship_through_the_forms(client, shop, mails):
    part = paid_order(shop).seller_orders[0]
    client = sign_in(client, shop.owner.email)
    url = f"/seller/orders/{part.id}"
    token = csrf_from(page(client.get(url)))

    assert client.post(f"{url}/pack", data={}).status_code == 400  # no token: refused
    assert part_status(part.id) == FulfilmentStatus.NEW
    assert client.post(f"{url}/pack", data={"csrf_token": token}).status_code == 303
    assert part_status(part.id) == FulfilmentStatus.PACKED

    bad = client.post(
        f"{url}/ship", data={"csrf_token": token, "courier": "SiCepat", "tracking_number": "SC 12"}
    )
    text = page(bad)
    assert bad.status_code == 400
    assert re.search(r'<p class="error" id="tracking_number-error">[^<]*6 to 40 letters', text)
    assert 'value="SC 12"' in text  # what the seller typed is kept
    assert '<option selected value="SiCepat">' in text
    assert part_status(part.id) == FulfilmentStatus.PACKED

    ok = client.post(
        f"{url}/ship",
        data={"csrf_token": token, "courier": "SiCepat", "tracking_number": "SCP1234567890"},
    )
    assert ok.status_code == 303
    db.session.expire_all()
    part = db.session.get(SellerOrder, part.id)
    assert (part.status, part.courier, part.tracking_number) == (
        "shipped",
        "SiCepat",
        "SCP1234567890",
    )
    assert any("SCP1234567890" in body for _, _, body in mails)
    assert "SCP1234567890" in page(client.get("/seller/orders?status=shipped"))
    detail = page(client.get(url))
    assert "SCP1234567890" in detail and "Shipped" in detail
    assert f"{url}/ship" not in detail and f"{url}/cancel" not in detail


def test_shipping_a_cancelled_part_shows_why_and_changes_nothing(client, shop):
    part = paid_order(shop).seller_orders[0]
    fulfilment.seller_cancel(part, shop.owner, "Stok habis")
    client = sign_in(client, shop.owner.email)
    token = csrf_from(page(client.get("/seller/orders")))

    response = client.post(
        f"/seller/orders/{part.id}/ship",
        data={"csrf_token": token, "courier": "JNE", "tracking_number": "JP1234567890"},
        follow_redirects=True,
    )
    assert "This order can't be shipped: it is Cancelled." in page(response)
    db.session.expire_all()
    part = db.session.get(SellerOrder, part.id)
    assert part.status == FulfilmentStatus.CANCELLED and part.tracking_number == ""


def test_cancel_needs_a_reason_then_restocks(client, shop, mails):
    order = paid_order(shop, quantity=3)
    part = order.seller_orders[0]
    product = part.items[0].product
    client = sign_in(client, shop.owner.email)
    url = f"/seller/orders/{part.id}"
    token = csrf_from(page(client.get(url)))

    empty = client.post(f"{url}/cancel", data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 400
    assert '<p class="error" id="reason-error">Tell the buyer why you cancel.</p>' in page(empty)
    assert part_status(part.id) == FulfilmentStatus.NEW

    stock_before = product.stock
    done = client.post(f"{url}/cancel", data={"csrf_token": token, "reason": "Gula habis"})
    assert done.status_code == 303
    db.session.expire_all()
    assert part_status(part.id) == FulfilmentStatus.CANCELLED
    assert db.session.get(type(product), product.id).stock == stock_before + 3
    assert ledger.balance(shop.id) == 0


def test_money_page_shows_balances_entries_and_payouts(client, shop, admin):
    order = paid_order(shop)
    part = order.seller_orders[0]
    fulfilment.mark_shipped(part, shop.owner, "JNE", "JP1234567890")
    fulfilment.confirm_received(order, order.buyer)
    payouts.create_batch(admin)
    second = paid_order(shop).seller_orders[0]
    client = sign_in(client, shop.owner.email)

    response = client.get("/seller/money")
    text = page(response)
    assert response.status_code == 200
    assert "Ready for your next payout" in text
    assert "Sale" in text and "Platform commission" in text and "Payout to your bank" in text
    assert order.number in text
    assert "BRI 0123456789" in text
    assert ledger.balance(shop.id) == second.payout_amount
    assert payouts.payable_balance(shop.id) == 0


# --- admin: transfers ----------------------------------------------------------------------------


def upload(order) -> None:
    bank_transfer.upload_receipt(order, jpeg_bytes(), "bukti.jpg")


def test_admin_pages_are_for_admins_only(client, shop):
    for url in ("/admin/payments", "/admin/orders", "/admin/payouts"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    client = sign_in(client, shop.owner.email)
    for url in ("/admin/payments", "/admin/orders", "/admin/payouts"):
        assert client.get(url).status_code == 403


def test_payments_page_lists_transfers_with_receipt_and_both_forms(client, shop, admin):
    order = make_order([(make_product(shop), 1)], buyer=make_user(name="Dewi"))
    upload(order)
    client = sign_in(client, admin.email)
    text = page(client.get("/admin/payments"))
    assert order.number in text and order.payment_reference in text
    assert order.email in text
    assert f"/admin/payments/{order.payments[0].id}/receipt" in text
    assert f"/admin/orders/{order.number}/confirm-transfer" in text
    assert f"/admin/orders/{order.number}/reject-transfer" in text
    assert_every_post_form_has_csrf(text)
    assert f'id="reason-{order.id}"' in text and f'for="reason-{order.id}"' in text


def test_receipt_is_served_privately_to_admins_only(client, shop, admin):
    order = make_order([(make_product(shop), 1)], buyer=make_user())
    upload(order)
    payment = order.payments[0]
    url = f"/admin/payments/{payment.id}/receipt"

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    client = sign_in(client, order.buyer.email)
    assert client.get(url).status_code == 403
    client = sign_in(client, shop.owner.email)
    assert client.get(url).status_code == 403

    client = sign_in(client, admin.email)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    stored = Path(client.application.config["PRIVATE_ROOT"]) / payment.receipt_key
    assert response.data == stored.read_bytes()
    assert client.get(f"/media/{payment.receipt_key}").status_code == 404

    no_receipt = make_order([(make_product(shop), 1)]).payments[0]
    assert client.get(f"/admin/payments/{no_receipt.id}/receipt").status_code == 404
    assert client.get("/admin/payments/999999/receipt").status_code == 404


def test_confirm_transfer_pays_once(client, shop, admin, mails):
    order = make_order([(make_product(shop), 1)], buyer=make_user())
    upload(order)
    client = sign_in(client, admin.email)
    token = csrf_from(page(client.get("/admin/payments")))
    url = f"/admin/orders/{order.number}/confirm-transfer"

    assert client.post(url, data={"note": "no token"}).status_code == 400
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT

    first = client.post(url, data={"csrf_token": token, "note": "BRI 12/05"}, follow_redirects=True)
    assert f"Order {order.number} is paid" in page(first)
    second = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "This transfer was already confirmed." in page(second)

    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID
    assert (
        db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.seller_id == shop.id)
        )
        == 2
    )
    assert order.number not in page(client.get("/admin/payments"))
    assert (
        client.post(
            "/admin/orders/MM-0000-000000/confirm-transfer", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_reject_transfer_needs_a_reason_and_lets_the_buyer_try_again(client, shop, admin, mails):
    order = make_order([(make_product(shop), 1)], buyer=make_user())
    upload(order)
    client = sign_in(client, admin.email)
    token = csrf_from(page(client.get("/admin/payments")))
    url = f"/admin/orders/{order.number}/reject-transfer"

    empty = client.post(url, data={"csrf_token": token, "reason": ""})
    text = page(empty)
    assert empty.status_code == 400
    assert (
        f'<p class="error" id="reason-{order.id}-error">'
        "Tell the buyer why the transfer is not accepted.</p>"
    ) in text
    assert db.session.get(Order, order.id).payment_status == PaymentStatus.PROCESSING

    done = client.post(url, data={"csrf_token": token, "reason": "Dana belum masuk"})
    assert done.status_code == 303
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.payment_status == PaymentStatus.FAILED
    assert any("Dana belum masuk" in body for to, _, body in mails if to == order.email)

    upload(order)
    db.session.expire_all()
    assert db.session.get(Order, order.id).payment_status == PaymentStatus.PROCESSING


def test_admin_orders_list_filters_by_status(client, shop, admin):
    paid = paid_order(shop)
    unpaid = make_order([(make_product(shop), 1)])
    upload(unpaid)
    client = sign_in(client, admin.email)
    everything = page(client.get("/admin/orders"))
    assert paid.number in everything and unpaid.number in everything
    assert f"/admin/payments/{unpaid.payments[0].id}/receipt" in everything
    only_paid = page(client.get("/admin/orders?status=paid"))
    assert paid.number in only_paid and unpaid.number not in only_paid
    assert client.get("/admin/orders?status=<script>").status_code == 200


# --- admin: payouts ------------------------------------------------------------------------------


def test_payout_batch_and_reference_through_the_pages(client, shop, admin):
    order = paid_order(shop)
    part = order.seller_orders[0]
    fulfilment.mark_shipped(part, shop.owner, "JNE", "JP1234567890")
    fulfilment.confirm_received(order, order.buyer)
    no_bank = make_seller(shop_name="Terasi Jerowaru")
    other = paid_order(no_bank)
    fulfilment.mark_shipped(other.seller_orders[0], no_bank.owner, "JNE", "JP0987654321")
    fulfilment.confirm_received(other, other.buyer)
    client = sign_in(client, admin.email)

    text = page(client.get("/admin/payouts"))
    assert "Gula Semut Bu Aminah" in text and "Terasi Jerowaru" in text
    assert_every_post_form_has_csrf(text)
    token = csrf_from(text)

    created = client.post("/admin/payouts", data={"csrf_token": token}, follow_redirects=True)
    text = page(created)
    assert "Payout batch #" in text
    assert "no bank account on file: Terasi Jerowaru" in text
    batch = db.session.scalar(select(PayoutBatch))
    assert [p.amount for p in batch.payouts] == [part.payout_amount]
    assert_every_post_form_has_csrf(text)

    again = client.post("/admin/payouts", data={"csrf_token": token}, follow_redirects=True)
    assert "Nothing to pay out right now." in page(again)
    assert db.session.scalar(select(func.count(PayoutBatch.id))) == 1

    url = f"/admin/payouts/{batch.id}/reference"
    empty = client.post(url, data={"csrf_token": token, "reference": " "})
    assert empty.status_code == 400
    assert (
        f'<p class="error" id="reference-{batch.id}-error">'
        "Enter the bank's reference for this transfer.</p>"
    ) in page(empty)
    saved = client.post(url, data={"csrf_token": token, "reference": "BRI-TRX-001"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(PayoutBatch, batch.id).bank_reference == "BRI-TRX-001"
    assert (
        client.post(
            "/admin/payouts/999999/reference", data={"csrf_token": token, "reference": "x"}
        ).status_code
        == 404
    )

    client = sign_in(client, shop.owner.email)
    assert "BRI-TRX-001" in page(client.get("/seller/money"))


def test_card_orders_are_not_on_the_transfer_list(client, shop, admin):
    card = make_order([(make_product(shop), 1)], payment_method=PaymentMethod.STRIPE)
    client = sign_in(client, admin.email)
    assert card.number not in page(client.get("/admin/payments"))


def test_admin_is_told_the_buyer_reads_the_confirm_note_and_reject_reason(client, shop, admin):
    order = make_order([(make_product(shop), 1)], buyer=make_user())
    upload(order)
    client = sign_in(client, admin.email)
    text = page(client.get("/admin/payments?lang=en"))
    assert "The buyer sees this note in the order history." in text
    assert "The buyer sees this reason in the order history." in text
    text = page(client.get("/admin/payments?lang=id"))
    assert "Pembeli melihat catatan ini di riwayat pesanan." in text
