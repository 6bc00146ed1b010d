"""Reviews: only the buyer, only after delivery, once per item; averages buyers can trust; and
the product and shop pages show them, also to anonymous visitors served from the page cache."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select

from marketplace.extensions import db
from orders import reviews
from orders.models import Review
from orders.review_forms import ReviewForm
from orders.reviews import NO_RATING, Rating, ReviewError
from orders.settlement import deliver, settle_paid
from orders.states import FulfilmentStatus, transition
from tests.factories import make_product, make_seller, make_user
from tests.orders.factories import make_order


def _pay(order) -> None:
    settle_paid(order, order.payments[0], amount=order.total)
    db.session.commit()


def _ship(part) -> None:
    transition(part, FulfilmentStatus.SHIPPED, machine="fulfilment")
    db.session.commit()


def _deliver_all(order) -> None:
    for part in order.seller_orders:
        deliver(part, actor_id=None)
    db.session.commit()


def delivered_order(lines, buyer):
    order = make_order(lines, buyer=buyer)
    _pay(order)
    for part in order.seller_orders:
        _ship(part)
    _deliver_all(order)
    return order


def _item(order, product):
    return next(i for p in order.seller_orders for i in p.items if i.product_id == product.id)


@pytest.fixture()
def bought(app_ctx):
    """Siti bought one product; her order is delivered."""
    buyer = make_user(email="siti@example.id", name="Siti Rahmawati")
    product = make_product(title="Gula Semut Longseran")
    order = delivered_order([(product, 1)], buyer)
    return buyer, product, order


def _refused(code: str, *args, **kwargs) -> None:
    with pytest.raises(ReviewError) as caught:
        reviews.add_review(*args, **kwargs)
    assert caught.value.code == code


# --- who may review what, and when --------------------------------------------------------


def test_only_delivered_items_can_be_reviewed(app_ctx):
    buyer = make_user()
    product = make_product()
    order = make_order([(product, 2)], buyer=buyer)
    item = _item(order, product)

    _refused("not_delivered", buyer, item.id, 5, "")
    assert reviews.reviewable_items(order, buyer) == []
    _pay(order)
    _refused("not_delivered", buyer, item.id, 5, "")
    _ship(order.seller_orders[0])
    _refused("not_delivered", buyer, item.id, 5, "")
    assert reviews.reviewable_items(order, buyer) == []

    _deliver_all(order)
    assert [i.id for i in reviews.reviewable_items(order, buyer)] == [item.id]
    review = reviews.add_review(buyer, item.id, 4, "  Manis, wangi aren.  ")
    assert (review.rating, review.text) == (4, "Manis, wangi aren.")
    assert (review.product_id, review.seller_id, review.buyer_id) == (
        product.id,
        product.seller_id,
        buyer.id,
    )
    assert reviews.reviewable_items(order, buyer) == []


def test_only_delivered_parts_of_a_split_order_are_reviewable(app_ctx):
    buyer = make_user()
    fast, slow = make_product(), make_product()
    order = make_order([(fast, 1), (slow, 1)], buyer=buyer)
    _pay(order)
    fast_part = next(p for p in order.seller_orders if p.seller_id == fast.seller_id)
    _ship(fast_part)
    deliver(fast_part, actor_id=None)
    db.session.commit()

    assert [i.product_id for i in reviews.reviewable_items(order, buyer)] == [fast.id]
    _refused("not_delivered", buyer, _item(order, slow).id, 5)


def test_another_user_cannot_review_or_even_see_the_item(bought):
    buyer, product, order = bought
    item = _item(order, product)
    stranger = make_user(email="bukan.pembeli@example.id")

    _refused("not_found", stranger, item.id, 1, "menjatuhkan pesaing")
    _refused("not_found", None, item.id, 1)
    assert reviews.reviewable_items(order, stranger) == []
    assert reviews.reviewable_items(order, None) == []
    _refused("not_found", buyer, 999_999, 5)  # an unknown item looks the same as someone else's
    assert db.session.scalar(select(Review.id)) is None


def test_a_guest_order_cannot_be_reviewed(app_ctx):
    product = make_product()
    order = delivered_order([(product, 1)], buyer=None)
    anyone = make_user()
    _refused("not_found", anyone, _item(order, product).id, 5)


def test_each_item_is_reviewed_once(bought):
    buyer, product, order = bought
    item = _item(order, product)
    reviews.add_review(buyer, item.id, 5, "Enak")
    _refused("already_reviewed", buyer, item.id, 1, "berubah pikiran")
    assert db.session.scalars(select(Review.rating)).all() == [5]


def test_a_review_that_lands_between_check_and_commit_is_refused_cleanly(bought):
    """Two submissions at once: the other one commits after our check, the unique constraint
    stops ours, and the buyer is told it was already reviewed (not a server error)."""
    buyer, product, order = bought
    item = _item(order, product)

    @event.listens_for(db.session(), "before_flush", once=True)
    def _other_request_commits_first(_session, _context, _instances):
        with db.engine.begin() as other:
            other.execute(
                insert(Review).values(
                    order_item_id=item.id,
                    product_id=product.id,
                    seller_id=product.seller_id,
                    buyer_id=buyer.id,
                    rating=3,
                    text="the other tab",
                )
            )

    _refused("already_reviewed", buyer, item.id, 5, "this tab")
    assert db.session.scalars(select(Review.text)).all() == ["the other tab"]


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, "5", True, None])
def test_rating_must_be_a_whole_number_from_one_to_five(bought, rating):
    buyer, product, order = bought
    _refused("rating", buyer, _item(order, product).id, rating)


def test_text_is_optional_stripped_and_at_most_2000_characters(bought):
    buyer, product, order = bought
    item = _item(order, product)
    _refused("too_long", buyer, item.id, 5, "a" * 2001)
    review = reviews.add_review(buyer, item.id, 5, "  " + "a" * 2000 + "\n ")
    assert review.text == "a" * 2000


def test_no_text_is_fine(bought):
    buyer, product, order = bought
    assert reviews.add_review(buyer, _item(order, product).id, 3, None).text == ""


# --- ratings --------------------------------------------------------------------------------


def _reviews_for(product, ratings):
    for n, rating in enumerate(ratings):
        buyer = make_user(name=f"Pembeli{n} Uji")
        order = delivered_order([(product, 1)], buyer)
        reviews.add_review(buyer, _item(order, product).id, rating, f"ulasan {n}")


def test_averages_per_product_and_per_shop(app_ctx):
    seller = make_seller()
    sugar, salt = make_product(seller=seller), make_product(seller=seller)
    unrated = make_product(seller=seller)
    _reviews_for(sugar, [5, 4])
    _reviews_for(salt, [3])

    assert reviews.product_rating(sugar.id) == (4.5, 2)
    assert reviews.product_rating(salt.id) == (3.0, 1)
    assert reviews.product_rating(unrated.id) == (None, 0)
    assert reviews.seller_rating(seller.id) == (4.0, 3)
    assert reviews.seller_rating(make_seller().id) == (None, 0)


def test_the_product_keeps_its_rating_as_reviews_are_written(app_ctx):
    sugar, unrated = make_product(), make_product()
    _reviews_for(sugar, [5, 4, 4])

    db.session.refresh(sugar)
    assert (sugar.rating_count, sugar.rating_sum) == (3, 13)
    assert sugar.rating == reviews.product_rating(sugar.id)
    assert unrated.rating == NO_RATING


def test_a_refused_second_review_leaves_the_product_totals_alone(app_ctx):
    buyer, sugar = make_user(), make_product()
    order = delivered_order([(sugar, 1)], buyer)
    reviews.add_review(buyer, _item(order, sugar).id, 5, "")
    with pytest.raises(ReviewError):
        reviews.add_review(buyer, _item(order, sugar).id, 1, "")

    db.session.refresh(sugar)
    assert (sugar.rating_count, sugar.rating_sum) == (1, 5)


def test_ratings_for_many_products_take_one_query(app_ctx):
    sugar, salt, unrated = make_product(), make_product(), make_product()
    _reviews_for(sugar, [5, 4, 4])
    _reviews_for(salt, [1])
    ids = [sugar.id, salt.id, unrated.id, sugar.id]  # read before counting: ids are expired
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = reviews.ratings_for_products(ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert found[sugar.id].count == 3
    assert found[sugar.id].average == pytest.approx(13 / 3)
    assert found[salt.id] == (1.0, 1)
    assert found[unrated.id] == NO_RATING
    assert reviews.ratings_for_products([]) == {}


def test_rating_rounds_half_up_and_formats_per_language():
    assert Rating(13 / 3, 3).average_text("id") == "4,3"
    assert Rating(4.45, 20).average_text("en") == "4.5"
    assert Rating(4.45, 20).stars == 5
    assert Rating(4.44, 20).stars == 4
    assert Rating(2.5, 2).stars == 3  # half up, not Python's round-half-to-even
    assert NO_RATING.stars == 0 and NO_RATING.average_text() == ""


def test_recent_reviews_newest_first_with_first_names_only(app_ctx):
    product = make_product()
    _reviews_for(product, [5, 2, 4])
    shown = reviews.recent_reviews(product.id, limit=2)
    assert [(r.first_name, r.rating, r.text) for r in shown] == [
        ("Pembeli2", 4, "ulasan 2"),
        ("Pembeli1", 2, "ulasan 1"),
    ]
    assert reviews.recent_shop_reviews(product.seller_id, 5)[0].item_title == product.title
    assert reviews.recent_reviews(make_product().id) == []


# --- pages ----------------------------------------------------------------------------------


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_product_page_shows_the_rating_and_the_latest_reviews(client, bought):
    buyer, product, order = bought
    reviews.add_review(buyer, _item(order, product).id, 5, "Manisnya pas,\nkemasan rapi.")
    other = make_user(name="Wayan Sudarta")
    reviews.add_review(other, _item(delivered_order([(product, 1)], other), product).id, 4, "")

    html = _page(client, f"/p/{product.slug}?lang=en")
    assert "4.5 out of 5 (2 reviews)" in html
    assert "★★★★★" in html  # 4.5 fills five stars
    assert "<p>Manisnya pas,</p><p>kemasan rapi.</p>" in html
    assert "Siti" in html and "Wayan" in html
    assert "Rahmawati" not in html and "Sudarta" not in html  # first names only
    assert buyer.email not in html
    assert '"aggregateRating"' in html

    indonesian = _page(client, f"/p/{product.slug}?lang=id")
    assert "4,5" in indonesian


def test_product_page_without_reviews_says_so(client, app_ctx):
    product = make_product()
    html = _page(client, f"/p/{product.slug}?lang=en")
    assert "No reviews yet" in html
    assert "out of 5" not in html
    assert "aggregateRating" not in html


def test_review_text_is_escaped(client, bought):
    buyer, product, order = bought
    reviews.add_review(buyer, _item(order, product).id, 1, '<script>alert("x")</script>')
    html = _page(client, f"/p/{product.slug}")
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def test_shop_page_shows_the_shop_rating_and_reviews(client, app_ctx):
    seller = make_seller(slug="tenun-pringgasela")
    _reviews_for(make_product(seller=seller, title="Tenun Ikat"), [5, 3])
    html = _page(client, "/shop/tenun-pringgasela?lang=en")
    assert "4.0 out of 5 (2 reviews)" in html
    assert "Tenun Ikat" in html and "ulasan 1" in html
    assert "1 out of 5" not in html.replace("4.0 out of 5", "")


def test_a_new_review_appears_on_cached_pages_at_once(client, bought, cached):
    buyer, product, order = bought
    urls = [f"/p/{product.slug}?lang=en", f"/shop/{product.seller.slug}?lang=en"]
    for url in urls:
        assert "Kopi tubruk" not in _page(client, url)
        assert "Kopi tubruk" not in _page(client, url)  # now served from the cache
    reviews.add_review(buyer, _item(order, product).id, 5, "Kopi tubruk jadi enak")
    for url in urls:
        html = _page(client, url)
        assert "Kopi tubruk jadi enak" in html, url
        assert "5.0 out of 5 (1 review)" in html, url


# --- the form -------------------------------------------------------------------------------


def test_review_form_accepts_one_to_five_and_limits_the_text(app_ctx):
    def form(**data):
        with app_ctx.test_request_context(method="POST", data=data):
            f = ReviewForm(meta={"csrf": False})
            return f.validate(), f

    ok, f = form(order_item_id="7", rating="4", text="  bagus  ")
    assert ok, f.errors
    assert (f.order_item_id.data, f.rating.data, f.text.data) == (7, 4, "bagus")
    assert form(order_item_id="7", rating="4")[0]  # text is optional
    assert not form(order_item_id="7", rating="6")[0]
    assert not form(order_item_id="7")[0]
    assert not form(rating="4")[0]
    assert not form(order_item_id="7", rating="4", text="a" * 2001)[0]
    with app_ctx.test_request_context():
        html = str(ReviewForm(meta={"csrf": False}).rating)
    assert html.count('type="radio"') == 5


def test_product_cards_show_the_rating_on_category_and_search_pages(client, app_ctx):
    product = make_product(title="Terasi Udang Jerowaru")
    unrated = make_product(category=product.category, title="Terasi Udang Pijak")
    _reviews_for(product, [5, 4])
    html = _page(client, f"/c/{product.category.slug}?lang=en")
    card = html.split(product.title, 1)[1].split("</li>", 1)[0]
    assert "4.5 out of 5" in card and "(2)" in card
    other = html.split(unrated.title, 1)[1].split("</li>", 1)[0]
    assert "out of 5" not in other
    found = _page(client, "/search?q=terasi&lang=en")
    assert "4.5 out of 5" in found
