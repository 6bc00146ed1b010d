"""Seller and buyer order use cases: pack, ship, cancel, receive — and what each refuses."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from catalog.models import Product
from marketplace.audit import AuditEvent
from marketplace.errors import NotFound
from marketplace.extensions import db
from orders import fulfilment, ledger, notifications, settlement
from orders.models import (
    LedgerEntry,
    LedgerKind,
    Order,
    OrderEvent,
    PaymentMethod,
    SellerOrder,
)
from orders.payments import PaymentError
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
from tests.factories import make_product, make_seller, make_user
from tests.orders.factories import make_order


@pytest.fixture()
def mails(app_ctx, monkeypatch, tmp_path):
    """Every message that would leave, as (to, subject, body), after its commit."""
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(tmp_path / "outbox.log"))
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: sent.append((to, s, b)))
    return sent


def pay(order: Order) -> Order:
    payment = settlement.payment_for(order, order.payment_method)
    settlement.settle_paid(order, payment, amount=order.total)
    db.session.commit()
    return order


def paid_order(*lines, buyer=None, method=PaymentMethod.BANK_TRANSFER) -> Order:
    buyer = buyer or make_user(name="Dewi")
    return pay(make_order(list(lines), buyer=buyer, payment_method=method))


def stock_of(product: Product) -> int:
    return db.session.scalar(select(Product.stock).where(Product.id == product.id))


def status_of(part: SellerOrder) -> str:
    return db.session.scalar(select(SellerOrder.status).where(SellerOrder.id == part.id))


class FakeCardProvider:
    name = PaymentMethod.STRIPE

    def __init__(self, fail: bool = False) -> None:
        self.refunds: list[tuple[int, str]] = []
        self.fail = fail

    def refund(self, payment, amount: int, *, idempotency_key: str) -> str:
        if self.fail:
            raise PaymentError("card network down")
        self.refunds.append((amount, idempotency_key))
        return f"re_{len(self.refunds)}"


@pytest.fixture()
def card(app_ctx):
    provider = FakeCardProvider()
    providers = app_ctx.extensions.setdefault("payment_providers", {})
    previous = providers.get(PaymentMethod.STRIPE)
    providers[PaymentMethod.STRIPE] = provider
    yield provider
    if previous is None:
        providers.pop(PaymentMethod.STRIPE, None)
    else:
        providers[PaymentMethod.STRIPE] = previous


# --- reading ---------------------------------------------------------------------------------


def test_seller_sees_only_paid_parts_of_their_own(app_ctx):
    seller, other = make_seller(), make_seller()
    mine, theirs = make_product(seller), make_product(other)
    unpaid = make_order([(mine, 1)])
    order = paid_order((mine, 1), (theirs, 2))
    part = next(p for p in order.seller_orders if p.seller_id == seller.id)

    assert [p.id for p in fulfilment.parts_for_seller(seller)] == [part.id]
    assert fulfilment.parts_for_seller(seller, FulfilmentStatus.PACKED) == []
    assert fulfilment.part_counts(seller) == {"new": 1}
    assert fulfilment.get_part_for_seller(seller, part.id) is part
    with pytest.raises(NotFound):
        fulfilment.get_part_for_seller(other, part.id)
    with pytest.raises(NotFound):  # unpaid: not to be shipped, address not to be seen
        fulfilment.get_part_for_seller(seller, unpaid.seller_orders[0].id)
    with pytest.raises(NotFound):
        fulfilment.get_part_for_seller(seller, 999_999)


# --- packing and shipping --------------------------------------------------------------------


def test_pack_then_ship_tells_the_buyer_courier_and_tracking(app_ctx, mails):
    seller = make_seller()
    buyer = make_user(email="dewi@example.id")
    order = paid_order((make_product(seller), 2), buyer=buyer)
    part = order.seller_orders[0]
    owner = seller.owner
    mails.clear()  # the payment's own messages

    fulfilment.mark_packed(part, owner)
    assert status_of(part) == FulfilmentStatus.PACKED
    assert mails == []

    fulfilment.mark_shipped(part, owner, "J&T Express", "  JP1234567890 ")
    db.session.expire_all()
    assert part.status == FulfilmentStatus.SHIPPED
    assert (part.courier, part.tracking_number) == ("J&T Express", "JP1234567890")
    assert part.shipped_at is not None
    moves = db.session.scalars(
        select(OrderEvent.to_status)
        .where(OrderEvent.seller_order_id == part.id)
        .order_by(OrderEvent.id)
    ).all()
    assert moves == ["new", "packed", "shipped"]
    [(to, subject, body)] = mails
    assert to == "dewi@example.id"
    assert order.number in subject
    assert "J&T Express" in body and "JP1234567890" in body


def test_a_new_part_can_ship_without_being_marked_packed(app_ctx, mails):
    seller = make_seller()
    part = paid_order((make_product(seller), 1)).seller_orders[0]
    fulfilment.mark_shipped(part, seller.owner, "JNE", "CGK-0123456789")
    assert status_of(part) == FulfilmentStatus.SHIPPED


@pytest.mark.parametrize(
    ("courier", "tracking", "code"),
    [
        ("JNE", "12345", "tracking"),  # too short
        ("JNE", "X" * 41, "tracking"),  # too long
        ("JNE", "JP 1234 5678", "tracking"),  # spaces
        ("JNE", "JP12345<script>", "tracking"),
        ("JNE", "ÜBER123456", "tracking"),  # letters outside A-Z
        ("JNE", "", "tracking"),
        ("DHL Mars", "JP1234567890", "courier"),
        ("", "JP1234567890", "courier"),
    ],
)
def test_bad_courier_or_tracking_is_refused_and_changes_nothing(
    app_ctx, mails, courier, tracking, code
):
    seller = make_seller()
    part = paid_order((make_product(seller), 1)).seller_orders[0]
    mails.clear()
    with pytest.raises(fulfilment.FulfilmentError) as refused:
        fulfilment.mark_shipped(part, seller.owner, courier, tracking)
    assert refused.value.code == code
    db.session.expire_all()
    assert part.status == FulfilmentStatus.NEW
    assert part.tracking_number == "" and part.shipped_at is None
    assert mails == []


def test_shipping_a_cancelled_part_gives_a_clear_message_and_no_change(app_ctx, mails):
    seller = make_seller()
    part = paid_order((make_product(seller), 1)).seller_orders[0]
    fulfilment.seller_cancel(part, seller.owner, "Stok habis")
    mails.clear()

    with pytest.raises(fulfilment.FulfilmentError) as refused:
        fulfilment.mark_shipped(part, seller.owner, "JNE", "JP1234567890")
    assert refused.value.code == "not_allowed"
    with force_locale("en"):
        assert "Cancelled" in str(refused.value.message)
    db.session.expire_all()
    assert part.status == FulfilmentStatus.CANCELLED
    assert part.tracking_number == "" and part.shipped_at is None
    assert mails == []


def test_packing_twice_or_after_shipping_is_refused(app_ctx, mails):
    seller = make_seller()
    part = paid_order((make_product(seller), 1)).seller_orders[0]
    fulfilment.mark_packed(part, seller.owner)
    with pytest.raises(fulfilment.FulfilmentError, match="not_allowed"):
        fulfilment.mark_packed(part, seller.owner)
    fulfilment.mark_shipped(part, seller.owner, "JNE", "JP1234567890")
    with pytest.raises(fulfilment.FulfilmentError) as refused:
        fulfilment.mark_packed(part, seller.owner)
    with force_locale("en"):
        assert "Shipped" in str(refused.value.message)
    assert status_of(part) == FulfilmentStatus.SHIPPED


def test_another_seller_cannot_act_on_a_part(app_ctx, mails):
    seller, intruder = make_seller(), make_seller()
    part = paid_order((make_product(seller), 1)).seller_orders[0]
    with pytest.raises(NotFound):
        fulfilment.mark_packed(part, intruder.owner)
    with pytest.raises(NotFound):
        fulfilment.mark_shipped(part, intruder.owner, "JNE", "JP1234567890")
    with pytest.raises(NotFound):
        fulfilment.seller_cancel(part, intruder.owner, "bukan punya saya")
    assert status_of(part) == FulfilmentStatus.NEW


# --- seller cancels ----------------------------------------------------------------------------


def test_seller_cancel_restocks_refunds_the_ledger_and_asks_for_a_manual_refund(app_ctx, mails):
    seller = make_seller()
    product = make_product(seller, stock=10)
    buyer = make_user(email="buyer@example.id")
    order = paid_order((product, 3), buyer=buyer)
    part = order.seller_orders[0]
    assert stock_of(product) == 7
    assert ledger.balance(seller.id) == part.payout_amount
    mails.clear()

    fulfilment.seller_cancel(part, seller.owner, "  Stok   habis, maaf ")

    db.session.expire_all()
    assert part.status == FulfilmentStatus.CANCELLED
    assert stock_of(product) == 10
    refund = db.session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.seller_order_id == part.id, LedgerEntry.kind == LedgerKind.REFUND
        )
    )
    assert refund.amount == -part.payout_amount
    assert ledger.balance(seller.id) == 0
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "refund.manual"))
    assert audit.subject == order.number and str(part.total) in audit.detail
    assert order.status == OrderStatus.CANCELLED  # its only part is cancelled
    assert order.payment_status == PaymentStatus.REFUNDED
    note = db.session.scalar(
        select(OrderEvent.note).where(
            OrderEvent.seller_order_id == part.id, OrderEvent.to_status == "cancelled"
        )
    )
    assert note == "Stok habis, maaf"
    recipients = {to for to, _, _ in mails}
    assert recipients == {"buyer@example.id", seller.owner.email}
    buyer_body = next(b for to, _, b in mails if to == "buyer@example.id")
    assert "Stok habis, maaf" in buyer_body


def test_seller_cancel_of_a_card_order_refunds_through_the_provider(app_ctx, mails, card):
    seller, other = make_seller(), make_seller()
    order = paid_order(
        (make_product(seller), 1), (make_product(other), 1), method=PaymentMethod.STRIPE
    )
    part = next(p for p in order.seller_orders if p.seller_id == seller.id)

    fulfilment.seller_cancel(part, seller.owner, "Rusak saat dikemas")

    assert card.refunds == [(part.total, f"refund-part-{part.id}")]
    db.session.expire_all()
    assert order.status == OrderStatus.PAID  # the other shop's part still goes out
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "refund.manual")
        )
        == 0
    )


def test_a_failed_card_refund_changes_nothing(app_ctx, mails, card):
    seller = make_seller()
    product = make_product(seller, stock=5)
    order = paid_order((product, 1), method=PaymentMethod.STRIPE)
    part = order.seller_orders[0]
    card.fail = True
    mails.clear()
    with pytest.raises(PaymentError):
        fulfilment.seller_cancel(part, seller.owner, "Stok habis")
    db.session.expire_all()
    assert part.status == FulfilmentStatus.NEW
    assert stock_of(product) == 4
    assert ledger.balance(seller.id) == part.payout_amount
    assert mails == []


def test_seller_cancel_needs_a_reason_and_an_unshipped_part(app_ctx, mails):
    seller = make_seller()
    part = paid_order((make_product(seller), 1)).seller_orders[0]
    with pytest.raises(fulfilment.FulfilmentError) as refused:
        fulfilment.seller_cancel(part, seller.owner, "   ")
    assert refused.value.code == "reason"
    with pytest.raises(fulfilment.FulfilmentError):
        fulfilment.seller_cancel(part, seller.owner, "x" * 301)
    fulfilment.mark_shipped(part, seller.owner, "JNE", "JP1234567890")
    with pytest.raises(fulfilment.FulfilmentError) as refused:
        fulfilment.seller_cancel(part, seller.owner, "Berubah pikiran")
    assert refused.value.code == "not_allowed"
    assert status_of(part) == FulfilmentStatus.SHIPPED
    assert ledger.balance(seller.id) == part.payout_amount


# --- buyer confirms receipt ---------------------------------------------------------------------


def test_confirm_received_delivers_shipped_parts_and_completes_the_order(app_ctx, mails):
    first, second = make_seller(), make_seller()
    first.owner.locale = second.owner.locale = "en"  # e-mails go out in each seller's language
    buyer = make_user()
    order = paid_order((make_product(first), 1), (make_product(second), 1), buyer=buyer)
    part_a, part_b = order.seller_orders
    mails.clear()

    with pytest.raises(fulfilment.FulfilmentError, match="nothing_shipped"):
        fulfilment.confirm_received(order, buyer)

    fulfilment.mark_shipped(part_a, first.owner, "JNE", "JP0000000001")
    assert fulfilment.confirm_received(order, buyer) == 1
    db.session.expire_all()
    assert part_a.status == FulfilmentStatus.DELIVERED and part_a.delivered_at is not None
    assert part_b.status == FulfilmentStatus.NEW
    assert order.status == OrderStatus.PAID

    fulfilment.mark_shipped(part_b, second.owner, "SiCepat", "SCP000000002")
    fulfilment.confirm_received(order, buyer)
    db.session.expire_all()
    assert part_b.status == FulfilmentStatus.DELIVERED
    assert order.status == OrderStatus.COMPLETED
    assert {to for to, subject, _ in mails if "received" in subject} == {
        first.owner.email,
        second.owner.email,
    }


def test_only_the_buyer_confirms_or_cancels(app_ctx, mails):
    seller = make_seller()
    buyer, stranger = make_user(), make_user()
    order = paid_order((make_product(seller), 1), buyer=buyer)
    fulfilment.mark_shipped(order.seller_orders[0], seller.owner, "JNE", "JP1234567890")
    with pytest.raises(NotFound):
        fulfilment.confirm_received(order, stranger)
    with pytest.raises(NotFound):
        fulfilment.confirm_received(order, None)
    with pytest.raises(NotFound):
        fulfilment.buyer_cancel(make_order([(make_product(seller), 1)], buyer=buyer), stranger)
    assert status_of(order.seller_orders[0]) == FulfilmentStatus.SHIPPED


# --- buyer cancels -------------------------------------------------------------------------------


def test_buyer_cancels_an_unpaid_order(app_ctx, mails):
    seller = make_seller()
    product = make_product(seller, stock=4)
    buyer = make_user()
    order = make_order([(product, 2)], buyer=buyer)
    assert stock_of(product) == 2

    fulfilment.buyer_cancel(order, buyer)

    db.session.expire_all()
    assert order.status == OrderStatus.CANCELLED
    assert order.seller_orders[0].status == FulfilmentStatus.CANCELLED
    assert stock_of(product) == 4
    assert ledger.entries(seller.id) == []
    assert mails == []  # the seller never saw an unpaid order


def test_a_guest_order_is_cancelled_by_whoever_the_view_let_in(app_ctx, mails):
    order = make_order([(make_product(), 1)])
    fulfilment.buyer_cancel(order, None)
    assert db.session.get(Order, order.id).status == OrderStatus.CANCELLED


def test_buyer_cancels_a_paid_order_before_packing(app_ctx, mails):
    seller = make_seller()
    seller.owner.locale = "en"  # e-mails go out in the seller's language
    buyer = make_user()
    order = paid_order((make_product(seller), 1), buyer=buyer)
    mails.clear()

    fulfilment.buyer_cancel(order, buyer)

    db.session.expire_all()
    assert order.status == OrderStatus.CANCELLED
    assert order.payment_status == PaymentStatus.REFUNDED
    assert ledger.balance(seller.id) == 0
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "refund.manual")
        )
        == 1
    )
    [(to, subject, body)] = mails
    assert to == seller.owner.email and order.number in subject and "not send" in body


def test_buyer_cannot_cancel_once_a_seller_packed(app_ctx, mails):
    first, second = make_seller(), make_seller()
    product = make_product(first, stock=5)
    buyer = make_user()
    order = paid_order((product, 1), (make_product(second), 1), buyer=buyer)
    fulfilment.mark_packed(order.seller_orders[0], first.owner)
    mails.clear()

    assert not fulfilment.can_buyer_cancel(order)
    with pytest.raises(fulfilment.FulfilmentError, match="not_allowed"):
        fulfilment.buyer_cancel(order, buyer)
    db.session.expire_all()
    assert order.status == OrderStatus.PAID
    assert [p.status for p in order.seller_orders] == ["packed", "new"]
    assert stock_of(product) == 4
    assert mails == []


def test_cancel_while_a_receipt_waits_flags_the_money_for_a_check(app_ctx, mails):
    buyer = make_user()
    order = make_order([(make_product(), 1)], buyer=buyer)
    settlement.mark_processing(order, order.payments[0])
    db.session.commit()

    fulfilment.buyer_cancel(order, buyer)

    flagged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "refund.check"))
    assert flagged is not None and flagged.subject == order.number


def test_recent_orders_filters_by_status(app_ctx):
    unpaid = make_order([(make_product(), 1)])
    paid = paid_order((make_product(), 1))
    assert [o.id for o in fulfilment.recent_orders()] == [paid.id, unpaid.id]
    assert [o.id for o in fulfilment.recent_orders("paid")] == [paid.id]
