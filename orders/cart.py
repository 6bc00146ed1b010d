"""The cart: a guest's lives in the signed session cookie, a buyer's in the database.

Both stores hold only ``product id → quantity``. Prices, stock and availability are read fresh
from the catalogue every time the cart is shown, so nothing the browser sends or remembers can
change what an item costs. At login the guest cart is merged into the account's.

A cart holds either real products or one workshop's practice products, never both, so an
order is wholly real (real money) or wholly practice (no money). Practice products are for
sale only to logged-in members of their open workshop (``orders.practice``).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import ColumnElement, ScalarSelect, and_, bindparam, func, or_, select

from catalog.models import Product, ProductStatus
from catalog.shops import Seller, SellerStatus
from marketplace.auth import signed_in
from marketplace.errors import DomainError
from marketplace.extensions import db
from orders import notifications, practice
from orders.models import Cart, CartItem

SESSION_KEY = "cart"
MAX_LINES = 50
MAX_QUANTITY = 999


class CartError(DomainError):
    pass


class SessionStore:
    """A guest cart in Flask's signed session (tamper-proof, no table rows for bots to fill)."""

    user_id: int | None = None  # a guest: never a workshop member

    def __init__(self, session: MutableMapping) -> None:
        self.session = session

    def items(self) -> dict[int, int]:
        raw = self.session.get(SESSION_KEY) or {}
        out: dict[int, int] = {}
        for key, qty in raw.items():
            try:
                out[int(key)] = int(qty)
            except (TypeError, ValueError):
                continue
        return out

    def replace(self, items: dict[int, int]) -> None:
        self.session[SESSION_KEY] = {str(k): v for k, v in items.items() if v > 0}

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)

    def clear_on_commit(self) -> None:
        """Empty the cart once the transaction commits: a failed order keeps the buyer's cart."""
        notifications.after_commit(self.clear)


class DatabaseStore:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def _cart(self, create: bool = False) -> Cart | None:
        cart = db.session.scalar(select(Cart).where(Cart.user_id == self.user_id))
        if cart is None and create:
            cart = Cart(user_id=self.user_id)
            db.session.add(cart)
        return cart

    def items(self) -> dict[int, int]:
        cart = self._cart()
        return {item.product_id: item.quantity for item in cart.items} if cart else {}

    def replace(self, items: dict[int, int]) -> None:
        self._set(items)
        db.session.commit()

    def clear(self) -> None:
        self.replace({})

    def clear_on_commit(self) -> None:
        """Empty the cart within the caller's transaction, so it empties with the order."""
        self._set({})

    def _set(self, items: dict[int, int]) -> None:
        cart = cast(Cart, self._cart(create=True))  # create=True always gives one
        existing = {item.product_id: item for item in cart.items}
        for product_id, item in existing.items():
            if items.get(product_id, 0) <= 0:
                cart.items.remove(item)
        for product_id, quantity in items.items():
            if quantity <= 0:
                continue
            if product_id in existing:
                existing[product_id].quantity = quantity
            else:
                cart.items.append(CartItem(product_id=product_id, quantity=quantity))


def store_for(user, session: MutableMapping):
    if user is not None and user.is_authenticated:
        return DatabaseStore(user.id)
    return SessionStore(session)


@dataclass
class Line:
    product: Product
    quantity: int

    @property
    def line_total(self) -> int:
        return self.product.price * self.quantity

    @property
    def weight_grams(self) -> int:
        return self.product.weight_grams * self.quantity


@dataclass
class SellerGroup:
    seller: Seller
    lines: list[Line] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def weight_grams(self) -> int:
        return sum(line.weight_grams for line in self.lines)


@dataclass
class CartView:
    groups: list[SellerGroup]
    # Titles of items dropped (no longer sold) or cut to the stock left, to tell the buyer.
    removed: list[str] = field(default_factory=list)
    reduced: list[str] = field(default_factory=list)
    # Still for sale, but none left: "sold out" tells the buyer it may come back.
    sold_out: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(group.subtotal for group in self.groups)

    @property
    def count(self) -> int:
        return sum(line.quantity for group in self.groups for line in group.lines)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def quantities(self) -> dict[int, int]:
        return {line.product.id: line.quantity for g in self.groups for line in g.lines}


def purchasable(product_ids, user_id: int | None = None) -> dict[int, Product]:
    """Products a buyer may order now: published, from a verified shop; or, for a member of an
    open workshop (``user_id``), that workshop's practice products listed in its market (any
    shop not suspended: participants practise before they are verified)."""
    if not product_ids:
        return {}
    real = and_(
        Product.status == ProductStatus.PUBLISHED.value,
        Seller.status == SellerStatus.VERIFIED.value,
        Product.practice_workshop_id.is_(None),
    )
    condition = real
    if user_id is not None:
        condition = or_(
            real,
            and_(
                Product.status == ProductStatus.PRACTICE.value,
                Product.practice_workshop_id.is_not(None),
                Seller.status != SellerStatus.SUSPENDED.value,
            ),
        )
    rows = db.session.scalars(
        select(Product).join(Product.seller).where(Product.id.in_(list(product_ids)), condition)
    )
    allowed: dict[int | None, bool] = {None: True}
    found = {}
    for product in rows:
        workshop = product.practice_workshop_id
        if workshop not in allowed:
            allowed[workshop] = practice.may_practise(user_id, workshop)
        if allowed[workshop]:
            found[product.id] = product
    return found


def check_mix(product: Product, other_ids) -> None:
    """Refuse a practice product next to real ones, or next to another workshop's.

    ``CartError("practice_mixed")``: practice and real together; ``"practice_other_workshop"``:
    two workshops' practice products together.
    """
    others = practice.workshops_of(set(other_ids) - {product.id})
    if not others or others == {product.practice_workshop_id}:
        return
    if product.practice_workshop_id is None or None in others:
        raise CartError("practice_mixed")
    raise CartError("practice_other_workshop")


def view(store) -> CartView:
    """The cart as it stands now, quantities capped by today's stock, grouped by shop."""
    items = store.items()
    products = purchasable(items.keys(), store.user_id)
    groups: dict[int, SellerGroup] = {}
    removed, reduced, sold_out = [], [], []
    for product_id, quantity in items.items():
        product = products.get(product_id)
        if product is None:
            removed.append(product_id)
            continue
        if product.stock <= 0:
            sold_out.append(product.title)
            continue
        if quantity > product.stock:
            quantity = product.stock
            reduced.append(product.title)
        group = groups.setdefault(product.seller_id, SellerGroup(product.seller))
        group.lines.append(Line(product, quantity))
    ordered = sorted(groups.values(), key=lambda g: g.seller.shop_name.lower())
    titles = (
        dict(
            db.session.execute(
                select(Product.id, Product.title).where(Product.id.in_(removed))
            ).all()
        )
        if removed
        else {}
    )
    return CartView(ordered, [titles[i] for i in removed if i in titles], reduced, sold_out)


def add(store, product_id: int, quantity: int) -> int:
    """Add to the cart; returns the quantity now in it (capped by stock)."""
    if quantity < 1 or quantity > MAX_QUANTITY:
        raise CartError("quantity")
    product = purchasable([product_id], store.user_id).get(product_id)
    if product is None:
        raise CartError("unavailable")
    if product.stock <= 0:
        raise CartError("out_of_stock")
    items = store.items()
    check_mix(product, items.keys())
    if product_id not in items and len(items) >= MAX_LINES:
        raise CartError("too_many_lines")
    new_quantity = min(items.get(product_id, 0) + quantity, product.stock)
    items[product_id] = new_quantity
    store.replace(items)
    return new_quantity


def set_quantity(store, product_id: int, quantity: int) -> int:
    """Change a line; 0 removes it. Returns the quantity kept (capped by stock)."""
    if quantity < 0 or quantity > MAX_QUANTITY:
        raise CartError("quantity")
    items = store.items()
    if product_id not in items:
        raise CartError("not_in_cart")
    if quantity == 0:
        items.pop(product_id)
        store.replace(items)
        return 0
    product = purchasable([product_id], store.user_id).get(product_id)
    kept = min(quantity, product.stock) if product else 0
    if kept:
        items[product_id] = kept
    else:
        items.pop(product_id)
    store.replace(items)
    return kept


def merge_guest_cart(user, session: MutableMapping) -> None:
    """At login, add what the guest collected to the account's cart (larger quantity wins)."""
    guest = SessionStore(session)
    guest_items = guest.items()
    if not guest_items:
        return
    account = DatabaseStore(user.id)
    items = account.items()
    available = purchasable(guest_items.keys())
    if practice.workshops_of(items.keys()) - {None}:
        available = {}  # the account holds a practice cart: real items cannot join it
    for product_id, quantity in guest_items.items():
        product = available.get(product_id)
        if product is None:
            continue
        items[product_id] = min(max(items.get(product_id, 0), quantity), product.stock)
    account.replace({k: v for k, v in list(items.items())[:MAX_LINES]})
    guest.clear()


def _cart_size(user_id: ColumnElement[int]) -> ScalarSelect:
    return (
        select(func.coalesce(func.sum(CartItem.quantity), 0))
        .join(Cart, CartItem.cart_id == Cart.id)
        .where(Cart.user_id == user_id)
        .scalar_subquery()
    )


def _guest_cart_size(session: MutableMapping) -> int:
    return sum(SessionStore(session).items().values())


# Pages from the page cache learn the count in the query that finds the logged-in visitor.
signed_in.provide_cart_size(_cart_size, _guest_cart_size)
# Built once: constructing the statement cost more than running it.
_COUNT_QUERY = select(_cart_size(bindparam("user_id")))


def count(user, session: MutableMapping) -> int:
    """Items in the cart for the header badge: no catalogue lookups, just the stored numbers."""
    if user is not None and user.is_authenticated:
        # One small query for the header of a page that loaded the user (pages from the cache
        # count the cart in their visitor lookup), not the cart and its items as two.
        return int(db.session.scalar(_COUNT_QUERY, {"user_id": user.id}) or 0)
    return _guest_cart_size(session)
