"""Cart and checkout: totals from the server, stock taken once, clear refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from orders import cart as carts
from orders import shipping
from orders.checkout import Address, CheckoutError, commission_for, place_order
from orders.models import Order, OrderEvent, PaymentMethod
from orders.states import FulfilmentStatus, OrderStatus
from tests.conftest import csrf_from, get_csrf, login
from tests.factories import make_product, make_seller, make_user
from tests.orders.factories import BUYER_VILLAGE

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def address(**overrides) -> Address:
    data = dict(
        contact_name="Dewi Lestari",
        email="dewi@example.id",
        phone="081234567890",
        village_code=BUYER_VILLAGE,
        street="Jl. Merdeka No. 5",
        rt_rw="003/007",
        postal_code="40152",
    )
    data.update(overrides)
    return Address(**data)


def cheapest(product, destination="32") -> str:
    options = shipping.rates().options(
        product.seller.province_code, destination, product.weight_grams
    )
    return options[0].service


class FakeSession(dict):
    pass


def test_place_order_computes_everything_on_the_server(app_ctx):
    a = make_product(price=25000, stock=5, weight_grams=400)
    b = make_product(price=40000, stock=3, weight_grams=900)
    buyer = make_user()
    order = place_order(
        buyer=buyer,
        quantities={a.id: 2, b.id: 1},
        address=address(),
        services={a.seller_id: cheapest(a), b.seller_id: cheapest(b)},
        payment_method=PaymentMethod.BANK_TRANSFER,
    )
    assert order.number.startswith("MM-") and order.number.endswith(f"{order.id:06d}")
    assert order.items_total == 2 * 25000 + 40000
    assert len(order.seller_orders) == 2
    for part in order.seller_orders:
        expected = shipping.find_option(
            shipping.rates().options(part.seller.province_code, "32", part.weight_grams),
            part.shipping_service,
        )
        assert part.shipping_cost == expected.cost
        assert part.commission == commission_for(part.items_total)
        assert part.status == FulfilmentStatus.AWAITING_PAYMENT
    assert order.total == order.items_total + sum(p.shipping_cost for p in order.seller_orders)
    db.session.refresh(a)
    db.session.refresh(b)
    assert (a.stock, b.stock) == (3, 2)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert (
        db.session.scalar(select(func.count(OrderEvent.id)).where(OrderEvent.order_id == order.id))
        == 1
    )


def _place(product, cart, buyer=None):
    return place_order(
        buyer=buyer,
        quantities={product.id: 1},
        address=address(),
        services={product.seller_id: cheapest(product)},
        payment_method=PaymentMethod.BANK_TRANSFER,
        cart=cart,
    )


@pytest.fixture()
def sent(app_ctx, monkeypatch):
    from orders import notifications

    mails: list[tuple[str, str, str]] = []
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: mails.append((to, s, b)))
    return mails


def test_placing_an_order_empties_the_cart_and_mails_the_buyer_in_its_one_commit(sent):
    a = make_product(stock=5)
    buyer = make_user(email="dewi@example.id")
    account_cart = carts.DatabaseStore(buyer.id)
    account_cart.replace({a.id: 1})
    guest_session = FakeSession(cart={str(a.id): 1})

    first = _place(a, account_cart, buyer=buyer)
    second = _place(a, carts.SessionStore(guest_session))
    numbers = [first.number, second.number]

    db.session.expire_all()
    assert account_cart.items() == {}
    assert "cart" not in guest_session
    assert [to for to, _, _ in sent] == ["dewi@example.id"] * 2
    assert all(number in subject for (_, subject, _), number in zip(sent, numbers, strict=True))


def test_an_order_that_fails_to_commit_keeps_the_cart_and_mails_nobody(sent, monkeypatch):
    a = make_product(stock=5)
    buyer = make_user()
    account_cart = carts.DatabaseStore(buyer.id)
    account_cart.replace({a.id: 1})
    guest_session = FakeSession(cart={str(a.id): 1})

    def refused():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", refused)
    for cart in (account_cart, carts.SessionStore(guest_session)):
        with pytest.raises(RuntimeError):
            _place(a, cart, buyer=buyer)
    monkeypatch.undo()

    db.session.expire_all()
    assert account_cart.items() == {a.id: 1}
    assert guest_session == {"cart": {str(a.id): 1}}
    assert sent == []
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert db.session.get(type(a), a.id).stock == 5


def test_commission_is_five_percent_rounded_half_up(app_ctx):
    assert commission_for(25000) == 1250
    assert commission_for(10) == 1  # 0.5 rounds up
    assert commission_for(9) == 0


def test_more_than_stock_is_refused_and_nothing_changes(app_ctx):
    a = make_product(stock=2)
    with pytest.raises(CheckoutError) as error:
        place_order(
            buyer=None,
            quantities={a.id: 3},
            address=address(),
            services={a.seller_id: cheapest(a)},
            payment_method="bank_transfer",
        )
    assert error.value.code == "out_of_stock"
    db.session.refresh(a)
    assert a.stock == 2
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_a_later_item_out_of_stock_rolls_back_the_earlier_ones(app_ctx):
    seller = make_seller()
    a = make_product(seller=seller, stock=5)
    b = make_product(seller=seller, stock=1)
    b.stock = 0  # sold out after it went into the cart
    db.session.commit()
    with pytest.raises(CheckoutError):
        place_order(
            buyer=None,
            quantities={a.id: 1, b.id: 1},
            address=address(),
            services={seller.id: cheapest(a)},
            payment_method="bank_transfer",
        )
    db.session.refresh(a)
    assert a.stock == 5


@pytest.mark.parametrize(
    ("overrides", "code"),
    [({"postal_code": "99999"}, "postal_code"), ({"village_code": "32.73.01"}, "address")],
)
def test_bad_address_is_refused(app_ctx, overrides, code):
    a = make_product()
    with pytest.raises(CheckoutError) as error:
        place_order(
            buyer=None,
            quantities={a.id: 1},
            address=address(**overrides),
            services={a.seller_id: cheapest(a)},
            payment_method="bank_transfer",
        )
    assert error.value.code == code


def test_unknown_courier_and_card_without_keys_are_refused(app_ctx):
    a = make_product()
    with pytest.raises(CheckoutError) as error:
        place_order(
            buyer=None,
            quantities={a.id: 1},
            address=address(),
            services={a.seller_id: "teleport"},
            payment_method="bank_transfer",
        )
    assert error.value.code == "shipping"
    with pytest.raises(CheckoutError) as error:
        place_order(
            buyer=None,
            quantities={a.id: 1},
            address=address(),
            services={a.seller_id: cheapest(a)},
            payment_method="stripe",
        )
    assert error.value.code == "payment_method"


def test_cart_caps_quantities_by_stock_and_groups_by_seller(app_ctx):
    a = make_product(stock=2, price=10000)
    b = make_product(stock=9, price=5000)
    store = carts.SessionStore(FakeSession())
    assert carts.add(store, a.id, 5) == 2
    carts.add(store, b.id, 1)
    carts.add(store, b.id, 2)
    view = carts.view(store)
    assert view.count == 5
    assert view.total == 2 * 10000 + 3 * 5000
    assert {g.seller.id for g in view.groups} == {a.seller_id, b.seller_id}
    a.stock = 1
    db.session.commit()
    assert carts.view(store).reduced == [a.title]


def test_unpublished_products_cannot_go_into_the_cart(app_ctx):
    from catalog.models import ProductStatus

    draft = make_product(status=ProductStatus.DRAFT)
    with pytest.raises(carts.CartError):
        carts.add(carts.SessionStore(FakeSession()), draft.id, 1)


def _add(client, product, quantity=1):
    return client.post(
        "/cart/items", data={"product_id": product.id, "quantity": quantity}, headers=SAME_ORIGIN
    )


def test_guest_cart_is_merged_into_the_account_at_login(client):
    a = make_product(stock=4)
    user = make_user(email="dewi@example.id")
    assert _add(client, a, 2).status_code == 303
    login(client, "dewi@example.id")
    assert carts.DatabaseStore(user.id).items() == {a.id: 2}
    page = client.get("/cart").get_data(as_text=True)
    assert a.title in page


def test_cross_site_add_to_cart_is_refused(client):
    a = make_product()
    response = client.post(
        "/cart/items",
        data={"product_id": a.id, "quantity": 1},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 400
    assert carts.SessionStore({}).items() == {}


def test_bad_quantity_gives_a_message_not_an_error(client):
    client.get("/?lang=en")  # the messages below are checked in English
    a = make_product()
    response = _add(client, a, "lots")
    assert response.status_code == 303
    assert "1 and 999" in client.get("/cart").get_data(as_text=True)


def _address_form(client, **overrides):
    token = csrf_from(client.get("/checkout").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "step": "address",
        "contact_name": "Dewi Lestari",
        "email": "dewi@example.id",
        "phone": "0812 3456 7890",
        "province_code": "32",
        "regency_code": "32.73",
        "district_code": "32.73.01",
        "village_code": BUYER_VILLAGE,
        "street": "Jl. Merdeka No. 5",
        "rt_rw": "003/007",
        "postal_code": "40152",
    }
    data.update(overrides)
    return client.post("/checkout", data=data)


def test_guest_checkout_end_to_end_with_bank_transfer(client, app_ctx):
    a = make_product(price=25000, stock=5)
    _add(client, a, 2)
    assert _address_form(client).status_code == 303
    page = client.get("/checkout?step=shipping").get_data(as_text=True)
    assert "JNE REG" in page
    token = csrf_from(page)
    service = cheapest(a)
    import re

    total = re.search(r'name="expected_total" value="(\d+)"', page).group(1)
    response = client.post(
        "/checkout",
        data={
            "csrf_token": token,
            "step": "shipping",
            f"service-{a.seller_id}": service,
            "payment_method": "bank_transfer",
            "expected_total": total,
            "price": "1",  # ignored: prices never come from the browser
        },
    )
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert order.total == int(total) and order.items_total == 50000
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert order.number in page and order.payment_reference in page
    with client.session_transaction() as session:
        assert carts.SessionStore(session).items() == {}
    outbox = app_ctx.config["MAIL_OUTBOX"]
    from pathlib import Path

    assert order.number in Path(outbox).read_text()


def test_changed_courier_without_seeing_the_total_is_not_placed(client):
    client.get("/?lang=en")  # the messages below are checked in English
    a = make_product(price=25000, stock=5)
    _add(client, a)
    _address_form(client)
    page = client.get("/checkout?step=shipping").get_data(as_text=True)
    options = shipping.rates().options(a.seller.province_code, "32", a.weight_grams)
    response = client.post(
        "/checkout",
        data={
            "csrf_token": csrf_from(page),
            "step": "shipping",
            f"service-{a.seller_id}": options[-1].service,
            "payment_method": "bank_transfer",
            "expected_total": "1",
        },
    )
    assert response.status_code == 400
    assert "total changed" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_wrong_postal_code_rerenders_with_input_kept(client):
    client.get("/?lang=en")  # the messages below are checked in English
    a = make_product()
    _add(client, a)
    response = _address_form(client, postal_code="12345")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "does not belong to the chosen village" in html
    assert "Jl. Merdeka No. 5" in html


def test_another_buyers_order_is_404(client):
    a = make_product()
    owner = make_user(email="owner@example.id")
    order = place_order(
        buyer=owner,
        quantities={a.id: 1},
        address=address(),
        services={a.seller_id: cheapest(a)},
        payment_method="bank_transfer",
    )
    make_user(email="other@example.id")
    login(client, "other@example.id")
    assert client.get(f"/orders/{order.number}").status_code == 404
    assert client.get("/orders/MM-2026-999999").status_code == 404


def test_guest_order_opens_with_its_signed_link_only(client, app_ctx):
    from orders.access import guest_token

    a = make_product()
    order = place_order(
        buyer=None,
        quantities={a.id: 1},
        address=address(),
        services={a.seller_id: cheapest(a)},
        payment_method="bank_transfer",
    )
    with app_ctx.test_request_context():
        token = guest_token(order)
    assert client.get(f"/orders/{order.number}").status_code == 404
    assert client.get(f"/orders/{order.number}?t=forged").status_code == 404
    assert client.get(f"/orders/{order.number}?t={token}").status_code == 200


def test_account_orders_lists_the_buyers_orders(client):
    a = make_product()
    buyer = make_user(email="dewi@example.id")
    order = place_order(
        buyer=buyer,
        quantities={a.id: 1},
        address=address(),
        services={a.seller_id: cheapest(a)},
        payment_method="bank_transfer",
    )
    login(client, "dewi@example.id")
    assert order.number in client.get("/account/orders").get_data(as_text=True)
    assert get_csrf(client, f"/orders/{order.number}")


def test_a_product_that_sold_out_meanwhile_is_named_sold_out_in_the_cart(client):
    from catalog.models import ProductStatus

    client.get("/?lang=en")
    sold, withdrawn = make_product(stock=3), make_product(stock=3)
    _add(client, sold)
    _add(client, withdrawn)
    sold.stock = 0
    withdrawn.status = ProductStatus.ARCHIVED.value
    db.session.commit()
    page = client.get("/cart").get_data(as_text=True)
    assert f"{sold.title} is sold out and was removed from your cart." in page
    assert f"{withdrawn.title} is no longer available and was removed." in page
    assert f"{sold.title} is no longer available" not in page


def test_raising_a_quantity_above_the_stock_says_how_many_are_left(client):
    client.get("/?lang=en")
    a = make_product(stock=3)
    _add(client, a)
    token = get_csrf(client, "/cart")
    response = client.post(f"/cart/items/{a.id}", data={"quantity": 10, "csrf_token": token})
    assert response.status_code == 303
    assert "Only 3 left in stock" in client.get("/cart").get_data(as_text=True)
    assert carts.SessionStore(_session_of(client)).items() == {a.id: 3}


def _session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def _shipping_post(client, product) -> dict:
    import re

    page = client.get("/checkout?step=shipping").get_data(as_text=True)
    total = re.search(r'name="expected_total" value="(\d+)"', page).group(1)
    return {
        "csrf_token": csrf_from(page),
        "step": "shipping",
        f"service-{product.seller_id}": cheapest(product),
        "payment_method": "bank_transfer",
        "expected_total": total,
    }


def test_sold_out_before_the_shipping_step_is_posted_is_said_in_the_cart(client):
    client.get("/?lang=en")
    a = make_product(stock=2)
    _add(client, a)
    _address_form(client)
    form = _shipping_post(client, a)
    a.stock = 0
    db.session.commit()
    response = client.post("/checkout", data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert f"{a.title} is sold out" in client.get("/cart").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_losing_the_last_unit_while_the_order_is_placed_is_said_in_the_cart(client, monkeypatch):
    """Another buyer takes the last unit between the page check and the stock update."""
    import orders.views
    from catalog.models import Product

    client.get("/?lang=en")
    a = make_product(stock=1)
    _add(client, a)
    _address_form(client)
    form = _shipping_post(client, a)
    real_place_order = orders.views.place_order

    def place_after_another_buyer(**kwargs):
        with db.engine.begin() as other_buyer:
            other_buyer.execute(Product.__table__.update().values(stock=0))
        return real_place_order(**kwargs)

    monkeypatch.setattr(orders.views, "place_order", place_after_another_buyer)
    response = client.post("/checkout", data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    page = client.get("/cart").get_data(as_text=True)
    assert f"{a.title} is sold out" in page
    assert db.session.scalar(select(func.count(Order.id))) == 0
