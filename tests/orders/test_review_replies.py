"""A shop answers its reviews: the answer shows under the review on public pages (at once, even
from the page cache), only the shop itself can answer, and the dashboard counts the unanswered."""

from __future__ import annotations

import pytest

from marketplace.auth.models import Role
from marketplace.extensions import cache, db
from orders import fulfilment, notifications, reviews, settlement
from orders.models import PaymentMethod, Review
from sellers import dashboard
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_product, make_seller, make_user
from tests.orders.factories import make_order


@pytest.fixture(autouse=True)
def quiet_mail(app_ctx, monkeypatch):
    monkeypatch.setattr(notifications, "send_mail", lambda to, s, b: None)


def reviewed(seller, text: str = "Manis dan harum.", rating: int = 4) -> Review:
    """A delivered order of one of the shop's products, reviewed by its buyer."""
    buyer = make_user(name="Dewi Lestari")
    product = make_product(seller, price=30000, stock=10)
    order = make_order([(product, 1)], buyer=buyer, payment_method=PaymentMethod.BANK_TRANSFER)
    settlement.settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()
    part = order.seller_orders[0]
    fulfilment.mark_shipped(part, seller.owner, "JNE", "JNE123456789")
    settlement.deliver(part, actor_id=None)
    db.session.commit()
    return reviews.add_review(buyer, part.items[0].id, rating, text)


def post_reply(client, review: Review, text: str):
    page = client.get("/seller/reviews").get_data(as_text=True)
    return client.post(
        f"/seller/reviews/{review.id}/reply",
        data={"csrf_token": csrf_from(page), f"review-{review.id}-reply": text},
    )


@pytest.fixture()
def shop(client):
    seller = make_seller()
    login(client, seller.owner.email, PASSWORD)
    return seller


def test_the_shop_answers_and_buyers_see_it_at_once(client, shop):
    review = reviewed(shop)
    client.application.config["PAGE_CACHE_SECONDS"] = 30
    cache.clear()
    try:
        slug = review.order_item.product.slug
        anonymous = client.application.test_client()
        assert "Answer from the shop" not in anonymous.get(f"/p/{slug}?lang=en").get_data(
            as_text=True
        )
        assert dashboard.build(shop).todo.unanswered_reviews == 1
        response = post_reply(client, review, "  Terima kasih, Bu Dewi!  ")
        assert response.status_code == 303
        db.session.refresh(review)
        assert review.reply == "Terima kasih, Bu Dewi!" and review.replied_at is not None
        page = anonymous.get(f"/p/{slug}?lang=en").get_data(as_text=True)
        assert "Answer from the shop:</strong> Terima kasih, Bu Dewi!" in page
        shop_page = anonymous.get(f"/shop/{shop.slug}?lang=en").get_data(as_text=True)
        assert "Terima kasih, Bu Dewi!" in shop_page
    finally:
        client.application.config["PAGE_CACHE_SECONDS"] = 0
        cache.clear()
    assert dashboard.build(shop).todo.unanswered_reviews == 0
    listing = client.get("/seller/reviews?lang=en").get_data(as_text=True)
    assert "Your answer:</strong> Terima kasih, Bu Dewi!" in listing


def test_an_empty_or_long_answer_is_refused_beside_the_field(client, shop):
    review = reviewed(shop)
    response = post_reply(client, review, "   ")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="review-{review.id}-reply-error"' in html
    long = "Terima kasih " * 100
    response = post_reply(client, review, long)
    assert response.status_code == 400
    assert long.strip()[:50] in response.get_data(as_text=True)  # what was typed is kept
    db.session.refresh(review)
    assert review.reply == ""


def test_only_the_shop_itself_may_answer(client, app_ctx):
    other = make_seller()
    review = reviewed(other)
    intruder = make_seller()
    login(client, intruder.owner.email, PASSWORD)
    assert post_reply(client, review, "Bukan toko saya").status_code == 404
    token = csrf_from(client.get("/seller/reviews").get_data(as_text=True))
    assert (
        client.post("/seller/reviews/999999/reply", data={"csrf_token": token}).status_code == 404
    )
    db.session.refresh(review)
    assert review.reply == ""
    buyer = make_user(roles=(Role.BUYER,))
    client.post(
        "/account/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    login(client, buyer.email, PASSWORD)
    assert client.get("/seller/reviews").status_code == 403
    token = csrf_from(client.get("/account/").get_data(as_text=True))
    response = client.post(f"/seller/reviews/{review.id}/reply", data={"csrf_token": token})
    assert response.status_code == 403


def test_unanswered_reviews_come_first(app_ctx):
    seller = make_seller()
    first = reviewed(seller, "Pertama")
    second = reviewed(seller, "Kedua")
    reviews.reply(second, "Terima kasih")
    third = reviewed(seller, "Ketiga")
    assert [r.id for r in reviews.shop_reviews(seller.id)] == [third.id, first.id, second.id]
    with pytest.raises(reviews.ReviewError):
        reviews.reply(first, "x" * (reviews.MAX_REPLY + 1))
