"""Listing quality score: each check on real rows, the score maths, and the lesson links."""

from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale

from catalog.models import ProductImage, ProductStatus
from marketplace.extensions import db
from sellers import quality
from sellers.training.content_loader import get_module
from tests.conftest import login
from tests.factories import PASSWORD, make_category, make_product, make_seller

GOOD_DESCRIPTION = (
    "Gula semut dari nira aren murni, dimasak dengan tungku kayu oleh kelompok ibu-ibu purna "
    "PMI di Sesaot, Lombok. Butirannya halus dan mudah larut. Simpan di wadah tertutup rapat."
)
FOOD_CODES = [
    "photos",
    "photo_size",
    "title",
    "description",
    "price",
    "weight",
    "net_weight",
    "permit",
    "ingredients",
    "stock",
]


@pytest.fixture()
def food(app_ctx):
    """olahan-pangan → gula-aren → gula-semut: a grandchild of a food root is food too."""
    root = make_category("olahan-pangan")
    child = make_category("gula-aren", parent=root)
    return make_category("gula-semut", parent=child)


@pytest.fixture()
def cloth(app_ctx):
    return make_category("tenun-songket", parent=make_category("kain-tenun"))


def _photos(product, *sizes):
    for position, (width, height) in enumerate(sizes):
        db.session.add(
            ProductImage(
                product=product,
                position=position,
                key=f"{product.id:04d}{position:02d}" + "a" * 58,
                width=width,
                height=height,
                widths="320,640",
            )
        )
    db.session.commit()
    db.session.refresh(product)
    return product


def _complete(category, **fields):
    """A listing that passes every check, so each test changes exactly one thing."""
    values = {
        "title": "Gula Semut Aren Lombok 250 g",
        "description": GOOD_DESCRIPTION,
        "price": 25_000,
        "stock": 10,
        "weight_grams": 300,
        "net_weight": "250 g",
        "pirt_number": "2065203010123-27",
        "ingredients": "Nira aren",
        **fields,
    }
    product = make_product(category=category, **values)
    return _photos(product, (1200, 1200), (1200, 1200), (1200, 1200))


def _check(product, code):
    return next(c for c in quality.score(product).checks if c.code == code)


def _en(text) -> str:
    """A lazy message as English reads it (the assertions quote the English source)."""
    with force_locale("en"):
        return str(text)


def _failed_codes(product):
    return [c.code for c in quality.score(product).failed]


def test_complete_food_listing_scores_full_marks(food):
    result = quality.score(_complete(food))
    assert [c.code for c in result.checks] == FOOD_CODES
    assert (result.points, result.max_points, result.percent) == (10, 10, 100)
    assert result.failed == [] and result.level == "good"


def test_non_food_listing_leaves_out_permit_and_ingredients(cloth):
    product = _complete(cloth, pirt_number="", ingredients="", net_weight="200 × 60 cm")
    result = quality.score(product)
    codes = [c.code for c in result.checks]
    assert "permit" not in codes and "ingredients" not in codes
    assert (result.points, result.max_points) == (8, 8)


def test_is_food_follows_the_category_chain(food, cloth):
    assert quality.is_food(make_product(category=food))
    assert quality.is_food(make_product(category=food.parent.parent))
    assert not quality.is_food(make_product(category=cloth))


def test_fewer_than_three_photos_fails(food):
    product = make_product(category=food)
    _photos(product, (1200, 1200), (1200, 1200))
    check = _check(product, "photos")
    assert not check.ok and "2 photos" in _en(check.message)
    _photos(product, (1200, 1200))
    assert _check(product, "photos").ok


def test_photo_size_judges_the_longer_side(food):
    product = make_product(category=food)
    _photos(product, (1200, 500), (500, 800), (800, 800))
    assert _check(product, "photo_size").ok


def test_small_photo_fails_and_is_named(food):
    product = make_product(category=food)
    _photos(product, (1200, 1200), (799, 600), (640, 640))
    check = _check(product, "photo_size")
    assert not check.ok
    assert "2, 3" in _en(check.message) and "WhatsApp" in _en(check.message)


def test_no_photos_fails_both_photo_checks(food):
    product = make_product(category=food)
    assert {"photos", "photo_size"} <= set(_failed_codes(product))


@pytest.mark.parametrize(
    ("title", "ok", "hint"),
    [
        ("Gula Semut Aren Lombok 250 g", True, ""),
        ("Gula Semut 250 g", False, "short"),  # 16 characters
        ("Gula Semut Aren Asli " * 5, False, "long"),  # 105 characters
        ("GULA SEMUT AREN LOMBOK 250 G", False, "CAPITAL"),
        ("GulaSemutArenLombokAsli", False, "two words"),
        ("  Gula Semut Aren Lombok 250 g  ", True, ""),  # surrounding spaces do not count
    ],
)
def test_title_check(food, title, ok, hint):
    check = _check(_complete(food, title=title), "title")
    assert check.ok is ok
    assert hint in _en(check.message)


def test_description_needs_150_characters_not_counting_spaces_around(food):
    assert _check(_complete(food, description="x" * 150), "description").ok
    check = _check(_complete(food, description="  " + "x" * 149 + "\n\n"), "description")
    assert not check.ok and "149" in _en(check.message)


def test_weight_and_net_weight(food):
    assert not _check(_complete(food, weight_grams=0), "weight").ok
    assert not _check(_complete(food, net_weight="   "), "net_weight").ok
    assert _check(_complete(food, net_weight="250 g"), "net_weight").ok


@pytest.mark.parametrize("field", ["pirt_number", "bpom_number", "halal_number"])
def test_any_one_permit_number_is_enough(food, field):
    product = _complete(food, **{"pirt_number": "", field: "MD 123456789012"})
    assert _check(product, "permit").ok


def test_food_without_permit_or_ingredients_fails_both(food):
    product = _complete(food, pirt_number=" ", ingredients="")
    assert _failed_codes(product) == ["permit", "ingredients"]


@pytest.mark.parametrize(
    ("price", "ok", "hint"),
    [
        (25_000, True, ""),
        (1_000, True, ""),
        (50_000_000, True, ""),
        (0, False, "Set a price"),
        (25, False, "whole rupiah"),
        (60_000_000, False, "extra zero"),
        (25_050, False, "hundreds"),
    ],
)
def test_price_sanity(food, price, ok, hint):
    check = _check(_complete(food, price=price), "price")
    assert check.ok is ok
    assert hint in _en(check.message)


def test_price_message_formats_rupiah_in_the_page_language(food, app_ctx):
    check = _check(_complete(food, price=25_050), "price")
    with app_ctx.test_request_context("/"):
        with force_locale("id"):
            assert "Rp 25.050" in str(check.message) and "Rp 25.000" in str(check.message)
        with force_locale("en"):
            assert "Rp 25,050" in str(check.message) and "Rp 25,000" in str(check.message)


def test_out_of_stock_fails(food):
    assert _failed_codes(_complete(food, stock=0)) == ["stock"]


def test_score_maths(food):
    product = _complete(food, stock=0, ingredients="", description="Pendek.")
    result = quality.score(product)
    assert (result.points, result.max_points, result.percent) == (7, 10, 70)
    assert result.level == "fair"
    assert [c.code for c in result.failed] == ["description", "ingredients", "stock"]
    assert len(result.passed) == 7
    bare = make_product(category=food, price=0, stock=0, weight_grams=0, title="X")
    low = quality.score(bare)
    assert low.points == 0 and low.percent == 0 and low.level == "low"


EXPECTED_MODULE = {
    "photos": "foto-produk",
    "photo_size": "foto-produk",
    "title": "judul-deskripsi",
    "description": "judul-deskripsi",
    "price": "harga",
    "weight": "harga",
    "net_weight": "izin-kepercayaan",
    "permit": "izin-kepercayaan",
    "ingredients": "izin-kepercayaan",
    "stock": "kemas-kirim",
}


@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_failed_check_links_to_an_existing_lesson(app_ctx, food, locale):
    bare = make_product(category=food, title="X", description="", price=0, stock=0, weight_grams=0)
    failed = quality.score(bare).failed
    assert [c.code for c in failed] == FOOD_CODES
    with app_ctx.test_request_context("/"), force_locale(locale):
        for check in failed:
            url = urlsplit(check.lesson_url)
            module = EXPECTED_MODULE[check.code]
            assert url.path == f"/learn/{module}", check.code
            lesson_ids = {lesson.id for lesson in get_module(module, locale).lessons}
            assert url.fragment in lesson_ids, (check.code, url.fragment)


def test_lesson_link_falls_back_to_module_then_course(app_ctx):
    with app_ctx.test_request_context("/"):
        assert quality.LessonRef("harga", ("no-such-lesson",)).url == "/learn/harga"
        assert quality.LessonRef("no-such-module", ("x",)).url == "/learn"


def test_editor_shows_panel_with_failed_checks_first_and_lesson_links(client, food):
    product = _complete(food, stock=0, halal_number="", pirt_number="")
    login(client, product.seller.owner.email, PASSWORD)
    html = client.get(f"/seller/products/{product.id}/edit?lang=en").get_data(as_text=True)
    panel = html[html.index('id="quality"') : html.index("</section>", html.index('id="quality"'))]
    assert "8 of 10" in panel
    assert '<meter aria-labelledby="quality-heading quality-score" min="0" max="10" value="8"' in (
        panel
    )
    todo = panel[: panel.index("<details>")]
    assert 'href="/learn/izin-kepercayaan#p-irt-for-home-made-processed-food"' in todo
    assert "/learn/kemas-kirim#" in todo
    assert todo.count("Learn how") == 2
    assert "✓</span> At least 3 photos" in panel[panel.index("<details>") :]


def test_product_list_shows_a_quality_badge_per_row(client, food):
    seller = make_seller()
    good = _complete(food, seller=seller)
    weak = make_product(seller=seller, category=food, status=ProductStatus.DRAFT, title="X")
    login(client, seller.owner.email, PASSWORD)
    html = client.get("/seller/products?lang=en").get_data(as_text=True)
    assert f'href="/seller/products/{good.id}/edit#quality"' in html
    assert "</span>10 of 10</a>" in html
    weak_score = quality.score(weak)
    assert f"</span>{weak_score.points} of 10</a>" in html
    assert f'href="/seller/products/{weak.id}/share"' in html
