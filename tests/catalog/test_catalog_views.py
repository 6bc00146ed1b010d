"""Buyer-facing pages: home, category listing, product page, storefront, language, rupiah."""

import json
import re

from catalog.models import ProductStatus
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.i18n import format_rupiah
from sellers.models import SellerStatus
from tests.conftest import login
from tests.factories import make_category, make_product, make_seller, make_user


def test_rupiah_format():
    assert format_rupiah(25000, "id") == "Rp 25.000"
    assert format_rupiah(1500000, "id") == "Rp 1.500.000"
    assert format_rupiah(25000, "en") == "Rp 25,000"
    assert format_rupiah(0, "id") == "Rp 0"


def test_home_lists_categories_and_public_products_only(client):
    top = make_category("olahan-pangan")
    child = make_category("gula-pemanis", parent=top)
    visible = make_product(category=child, title="Gula Semut Aren", featured=True)
    make_product(category=child, title="Produk Draf", status=ProductStatus.DRAFT)
    unverified = make_seller(status=SellerStatus.SUBMITTED)
    make_product(seller=unverified, category=child, title="Toko Belum Diverifikasi")
    html = client.get("/").get_data(as_text=True)
    assert "Gula Semut Aren" in html and visible.slug in html
    assert "Produk Draf" not in html
    assert "Toko Belum Diverifikasi" not in html
    assert "/c/gula-pemanis" in html
    assert "Rp 25.000" in html
    assert "Pringgasela" in html  # the village list


def test_category_sorting_and_pagination(client):
    top = make_category("kerajinan")
    child = make_category("tas-anyaman", parent=top)
    prices = [50000, 15000, 90000, 30000, 70000, 10000]
    for i, price in enumerate(prices):
        make_product(category=child, title=f"Tas Ketak {i}", price=price)
    page1 = client.get("/c/kerajinan?sort=price_asc").get_data(as_text=True)
    shown = [int(p.replace(".", "")) for p in re.findall(r'class="price">Rp ([\d.]+)<', page1)]
    assert shown == [10000, 15000, 30000, 50000]  # 4 per page in tests, cheapest first
    assert "Halaman 1 dari 2" in page1
    page2 = client.get("/c/kerajinan?sort=price_asc&page=2").get_data(as_text=True)
    shown2 = [int(p.replace(".", "")) for p in re.findall(r'class="price">Rp ([\d.]+)<', page2)]
    assert shown2 == [70000, 90000]
    desc = client.get("/c/tas-anyaman?sort=price_desc").get_data(as_text=True)
    assert re.findall(r'class="price">Rp ([\d.]+)<', desc)[0] == "90.000"


def test_category_bad_input_never_errors(client):
    make_category("garam")
    for query in ("?page=abc", "?page=-5", "?page=99999999999", "?sort=evil'--", "?page=10000"):
        assert client.get(f"/c/garam{query}").status_code == 200
    assert client.get("/c/tidak-ada").status_code == 404


def test_product_page_details(client):
    seller = make_seller(
        country_abroad="Malaysia", years_abroad=6, story="Saya bekerja di kebun sawit di Malaysia."
    )
    product = make_product(
        seller=seller,
        title="Terasi Udang Jerowaru 100 g",
        price=15000,
        stock=3,
        pirt_number="2065203010045-28",
        halal_number="ID52110001234560824",
        description="Terasi udang rebon asli.",
    )
    response = client.get(f"/p/{product.slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Terasi Udang Jerowaru 100 g" in html
    assert "Rp 15.000" in html
    assert "Tinggal 3" in html
    assert "2065203010045-28" in html and "ID52110001234560824" in html
    assert "Pringgasela, Lombok Timur, Nusa Tenggara Barat" in html
    assert "Malaysia" in html and "kebun sawit" in html
    assert 'property="og:title" content="Terasi Udang Jerowaru 100 g"' in html
    assert "https://wa.me/?text=" in html
    jsonld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )
    assert jsonld["@type"] == "Product"
    assert jsonld["offers"]["price"] == 15000 and jsonld["offers"]["priceCurrency"] == "IDR"
    assert jsonld["offers"]["availability"].endswith("InStock")


def test_sold_out_product_is_marked(client):
    product = make_product(stock=0)
    html = client.get(f"/p/{product.slug}").get_data(as_text=True)
    assert "Habis" in html
    assert "OutOfStock" in html


def test_hidden_products_are_404(client):
    draft = make_product(status=ProductStatus.DRAFT)
    archived = make_product(status=ProductStatus.ARCHIVED)
    suspended = make_product(seller=make_seller(status=SellerStatus.SUSPENDED))
    for product in (draft, archived, suspended):
        assert client.get(f"/p/{product.slug}").status_code == 404
    assert client.get("/p/no-such-product").status_code == 404


def test_storefront(client):
    seller = make_seller(shop_name="Tenun Pringgasela", country_abroad="Hong Kong", years_abroad=4)
    make_product(seller=seller, title="Kain Tenun Songket")
    html = client.get(f"/shop/{seller.slug}").get_data(as_text=True)
    assert "Tenun Pringgasela" in html and "Kain Tenun Songket" in html and "Hong Kong" in html
    draft_shop = make_seller(status=SellerStatus.DRAFT)
    assert client.get(f"/shop/{draft_shop.slug}").status_code == 404
    assert client.get("/shop/nobody").status_code == 404


def test_language_switch_persists_and_formats_money(client):
    product = make_product(price=1500000)
    html = client.get(f"/p/{product.slug}").get_data(as_text=True)
    assert 'lang="id"' in html and "Rp 1.500.000" in html and "Deskripsi" in html
    assert f'href="/p/{product.slug}?lang=en"' in html  # the switch is a plain link
    html = client.get(f"/p/{product.slug}?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "Rp 1,500,000" in html and "Description" in html
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html  # the choice persists across pages
    assert 'href="/?lang=id"' in html


def test_language_link_keeps_the_other_query_arguments(client):
    category = make_category("garam")
    html = client.get("/c/garam?sort=price_asc&page=1").get_data(as_text=True)
    assert category.slug in html
    assert 'href="/c/garam?sort=price_asc&amp;page=1&amp;lang=en"' in html


def test_language_choice_is_saved_on_the_account(client, app_ctx):
    user = make_user(email="ani@example.id")
    login(client, "ani@example.id")
    client.get("/?lang=en")
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    client.get("/?lang=zz")  # unknown languages are ignored
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"


def test_simple_search_escapes_and_finds(client):
    make_product(title="Garam Laut Pemongkong")
    html = client.get("/search?q=garam").get_data(as_text=True)
    assert "Garam Laut Pemongkong" in html
    html = client.get('/search?q=<script>alert(1)</script> %25 "').get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert client.get("/search?q=" + "a" * 2000).status_code == 200


def test_sellers_indonesian_text_is_marked_as_indonesian_on_english_pages(client):
    seller = make_seller(story="Saya menenun sejak kecil bersama ibu di Pringgasela.", story_en="")
    product = make_product(seller=seller, description="Kain tenun ikat.", ingredients="Benang")
    english = client.get(f"/p/{product.slug}?lang=en").get_data(as_text=True)
    assert '<p lang="id">Kain tenun ikat.</p>' in english
    assert '<p lang="id">Benang</p>' in english
    assert 'lang="id">Saya menenun' in english
    assert 'lang="id">Saya menenun' in client.get(f"/shop/{seller.slug}").get_data(as_text=True)
    indonesian = client.get(f"/p/{product.slug}?lang=id").get_data(as_text=True)
    assert '<p lang="id">' not in indonesian
