"""The seller's WhatsApp buttons link to the international number wa.me accepts."""

import html as html_lib
import re

from marketplace.extensions import db
from tests.factories import make_product, make_seller


def _wa_links(page: str) -> list[str]:
    return [
        html_lib.unescape(href)
        for href in re.findall(r'href="(https://wa\.me/[^"]*)"', page)
        if not href.startswith("https://wa.me/?")  # the "share" button has no number
    ]


def test_product_and_shop_pages_link_to_the_international_number(client):
    seller = make_seller()
    seller.whatsapp = "0812 3456 7890"  # as typed before numbers were stored in E.164
    db.session.commit()
    product = make_product(seller=seller)

    product_links = _wa_links(client.get(f"/p/{product.slug}").get_data(as_text=True))
    assert len(product_links) == 1
    assert product_links[0].startswith("https://wa.me/6281234567890?text=")

    shop_links = _wa_links(client.get(f"/shop/{seller.slug}").get_data(as_text=True))
    assert shop_links == ["https://wa.me/6281234567890"]


def test_an_invalid_number_renders_no_button(client):
    seller = make_seller()
    seller.whatsapp = "12345"
    db.session.commit()
    product = make_product(seller=seller)
    assert _wa_links(client.get(f"/p/{product.slug}").get_data(as_text=True)) == []
    assert _wa_links(client.get(f"/shop/{seller.slug}").get_data(as_text=True)) == []
