"""The seller back office: shop profile, product create/edit/publish/archive, photos."""

import io

from sqlalchemy import select

from catalog import services as catalog
from catalog.models import Product, ProductImage
from marketplace.auth.models import Role
from marketplace.extensions import db
from sellers.models import Seller
from sellers.services import unique_shop_slug
from tests.conftest import csrf_from, get_csrf, login
from tests.factories import (
    PASSWORD,
    jpeg_bytes,
    make_category,
    make_product,
    make_seller,
    make_user,
)


def _seller_client(client):
    seller = make_seller()
    login(client, seller.owner.email, PASSWORD)
    return seller


def test_shop_profile_created_with_region_chain(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    login(client, user.email, PASSWORD)
    token = get_csrf(client, "/seller/shop")
    form = {
        "csrf_token": token,
        "shop_name": "Gula Semut Bu Aminah",
        "whatsapp": "0812-3456-7890",
        "country_abroad": "Malaysia",
        "years_abroad": "5",
        "story": "Cerita saya.",
        "story_en": "",
        "province_code": "52",
        "regency_code": "52.01",
        "district_code": "52.01.09",
        "village_code": "",
    }
    # Without JavaScript the seller asks for the next list: nothing is saved, input is kept.
    response = client.post("/seller/shop", data={**form, "refresh_regions": "1"})
    html = response.get_data(as_text=True)
    assert db.session.scalar(select(Seller)) is None
    assert 'value="Gula Semut Bu Aminah"' in html
    villages = client.get("/regions/52.01.09").get_json()
    form["village_code"] = villages[0]["code"]
    response = client.post("/seller/shop", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    seller = db.session.scalar(select(Seller))
    assert seller.shop_name == "Gula Semut Bu Aminah" and seller.slug == "gula-semut-bu-aminah"
    assert seller.whatsapp == "+6281234567890"
    assert (seller.province_code, seller.regency_code, seller.district_code) == (
        "52",
        "52.01",
        "52.01.09",
    )
    assert seller.village_code == villages[0]["code"] and seller.status == "draft"


def test_shop_profile_rejects_bad_phone_and_mismatched_village(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    login(client, user.email, PASSWORD)
    response = client.post(
        "/seller/shop",
        data={
            "csrf_token": get_csrf(client, "/seller/shop"),
            "shop_name": "Toko Saya",
            "whatsapp": "12345",
            "province_code": "52",
            "regency_code": "52.03",
            "district_code": "52.03.12",
            "village_code": "32.76.01.1001",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="whatsapp-error"' in html and 'id="village_code-error"' in html
    assert 'value="Toko Saya"' in html
    assert db.session.scalar(select(Seller)) is None


def _bank_form(token, **bank):
    return {
        "csrf_token": token,
        "shop_name": "Toko Saya",
        "whatsapp": "081234567890",
        "province_code": "52",
        "regency_code": "52.03",
        "district_code": "52.03.12",
        "village_code": "52.03.12.2002",
        **bank,
    }


def test_payout_bank_account_length_is_checked_per_bank(client):
    user = make_user(roles=(Role.BUYER, Role.SELLER))
    login(client, user.email, PASSWORD)
    client.get("/?lang=en")
    token = get_csrf(client, "/seller/shop")
    response = client.post(
        "/seller/shop",
        data=_bank_form(
            token, bank_name="BCA", bank_account_number="0021-0100-0123", bank_account_holder="Siti"
        ),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="bank_account_number-error"' in html and "10 digits" in html
    assert db.session.scalar(select(Seller)) is None
    response = client.post(
        "/seller/shop",
        data=_bank_form(
            token, bank_name="BCA", bank_account_number="012-345-6789", bank_account_holder="Siti"
        ),
    )
    assert response.status_code == 302
    seller = db.session.scalar(select(Seller))
    assert (seller.bank_name, seller.bank_account_number) == ("BCA", "0123456789")


def _product_form(token, category_id, **overrides):
    data = {
        "csrf_token": token,
        "title": "Gula Semut Aren Organik 250 g",
        "category_id": str(category_id),
        "price": "Rp 25.000",
        "stock": "12",
        "weight_grams": "300",
        "net_weight": "250 g",
        "description": "Gula semut dari nira aren.",
        "pirt_number": "2065203010045-28",
        "bpom_number": "",
        "halal_number": "",
        "ingredients": "Nira aren",
        "best_before": "12 bulan",
    }
    data.update(overrides)
    return data


def test_create_edit_publish_archive_own_product(client):
    seller = _seller_client(client)
    category = make_category(parent=make_category())
    token = get_csrf(client, "/seller/products/new")
    response = client.post("/seller/products/new", data=_product_form(token, category.id))
    assert response.status_code == 302
    product = db.session.scalar(select(Product))
    assert product.seller_id == seller.id and product.price == 25000 and product.status == "draft"
    edit_url = f"/seller/products/{product.id}/edit"

    # Publishing without a photo is refused with the reason.
    page = client.get(edit_url).get_data(as_text=True)
    assert "Tambahkan setidaknya satu foto" in page
    client.post(
        f"/seller/products/{product.id}/status",
        data={"csrf_token": csrf_from(page), "action": "publish"},
    )
    db.session.refresh(product)
    assert product.status == "draft"

    photo = (io.BytesIO(jpeg_bytes(900, 900)), "foto.jpg")
    response = client.post(
        f"/seller/products/{product.id}/photos",
        data={"csrf_token": csrf_from(page), "photos": [photo], "alt_text": "Gula semut di toples"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.refresh(product)
    assert len(product.images) == 1 and product.images[0].alt_text == "Gula semut di toples"

    client.post(
        f"/seller/products/{product.id}/status",
        data={"csrf_token": csrf_from(page), "action": "publish"},
    )
    db.session.refresh(product)
    assert product.status == "published"
    assert client.get(f"/p/{product.slug}").status_code == 200

    response = client.post(
        edit_url, data=_product_form(csrf_from(page), category.id, price="30000", stock="0")
    )
    assert response.status_code == 302
    db.session.refresh(product)
    assert product.price == 30000 and product.stock == 0

    client.post(
        f"/seller/products/{product.id}/status",
        data={"csrf_token": csrf_from(page), "action": "archive"},
    )
    db.session.refresh(product)
    assert product.status == "archived"
    assert client.get(f"/p/{product.slug}").status_code == 404


def test_product_form_errors_keep_input(client):
    _seller_client(client)
    category = make_category(parent=make_category())
    token = get_csrf(client, "/seller/products/new")
    response = client.post(
        "/seller/products/new",
        data=_product_form(
            token, category.id, price="dua puluh ribu", weight_grams="", bpom_number="XX1"
        ),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (
        'id="price-error"' in html
        and 'id="weight_grams-error"' in html
        and 'id="bpom_number-error"' in html
    )
    assert 'value="Gula Semut Aren Organik 250 g"' in html
    assert 'value="dua puluh ribu"' in html
    assert db.session.scalar(select(Product)) is None


def test_bad_upload_refused_with_reason_and_nothing_written(client, app_ctx):
    seller = _seller_client(client)
    product = make_product(seller=seller)
    page = client.get(f"/seller/products/{product.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/seller/products/{product.id}/photos",
        data={
            "csrf_token": csrf_from(page),
            "photos": [
                (io.BytesIO(jpeg_bytes(900, 900)), "ok.jpg"),
                (io.BytesIO(b"this is not an image"), "surat.jpg"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "bukan gambar" in response.get_data(as_text=True).lower()
    assert db.session.scalar(select(ProductImage)) is None
    media_root = app_ctx.config["MEDIA_ROOT"]
    import pathlib

    assert not [p for p in pathlib.Path(media_root).rglob("*") if p.is_file() and "tmp" in p.name]


def test_photo_limit_is_enforced(client, app_ctx):
    app_ctx.config["MAX_IMAGES_PER_PRODUCT"] = 2
    try:
        seller = _seller_client(client)
        product = make_product(seller=seller)
        page = client.get(f"/seller/products/{product.id}/edit").get_data(as_text=True)
        files = [(io.BytesIO(jpeg_bytes(400 + i * 10, 400)), f"{i}.jpg") for i in range(3)]
        response = client.post(
            f"/seller/products/{product.id}/photos",
            data={"csrf_token": csrf_from(page), "photos": files},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400
        assert "paling banyak 2 foto" in response.get_data(as_text=True)
        assert db.session.scalar(select(ProductImage)) is None
    finally:
        app_ctx.config["MAX_IMAGES_PER_PRODUCT"] = 8


def test_buyer_cannot_open_back_office(client):
    buyer = make_user()
    login(client, buyer.email, PASSWORD)
    assert client.get("/seller/products").status_code == 403
    assert client.get("/seller/products/new").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/seller/products")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_same_titles_and_shop_names_get_distinct_slugs(app_ctx):
    seller = make_seller()
    category = make_category()
    data = catalog.ProductData(
        title="Gula Semut Aren 250 g", category_id=category.id, price=25000, weight_grams=280
    )
    first = catalog.create_product(seller, data)
    second = catalog.create_product(seller, data)
    assert (first.slug, second.slug) == ("gula-semut-aren-250-g", "gula-semut-aren-250-g-2")
    catalog.update_product(first, data)  # keeping its own title keeps its own slug
    assert first.slug == "gula-semut-aren-250-g"
    assert unique_shop_slug("Terasi Bu Nur") == "terasi-bu-nur"
    make_seller(slug="terasi-bu-nur")
    assert unique_shop_slug("Terasi Bu Nur!") == "terasi-bu-nur-2"
