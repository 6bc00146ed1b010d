"""The share kit: what a seller sends or prints to bring buyers to a product or the shop.

The promotion lesson tells sellers to start with WhatsApp and with a poster at the village
shop; this module makes those things from the listing itself, so the price and link are always
right and a seller never has to type a URL on a phone.

The message and poster texts are written for *buyers* in the language the seller picks for
each message, independent of the language the seller reads the back office in (a seller who
reads English may still sell to an Indonesian family group, and the other way round). They are
sales copy, so both languages are written here in full rather than looked up in the interface
catalogue: an Indonesian message can never come out half English because one catalogue entry
is missing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import quote

import segno
from flask import url_for
from markupsafe import Markup

from catalog.models import ProductStatus
from marketplace import regions
from marketplace.extensions import db
from marketplace.i18n import format_rupiah
from sellers.models import ShareChannel, ShareEvent
from sellers.workshops import practice

MESSAGE_LANGUAGES = ("id", "en")
DEFAULT_MESSAGE_LANGUAGE = "id"  # the buyers of village products are mostly Indonesian

WHATSAPP_SHARE = "https://wa.me/?text="

# Buyer-facing copy. ``{pitch}`` is the shop/village line, ``{place}`` village and regency.
_TEXTS = {
    "id": {
        "product": "*{title}*\n{price}\n{pitch}\nPesan di Migrant Mart: {url}",
        "pitch_place": "Buatan {shop} dari {place}.",
        "pitch": "Buatan {shop}.",
        "shop": "Kunjungi toko *{shop}* di Migrant Mart.\n{pitch}\n{url}",
        "shop_pitch_place": "Produk desa dari {place}, dibuat oleh purna PMI.",
        "shop_pitch": "Produk desa buatan purna PMI.",
        "scan_product": "Pindai untuk memesan",
        "scan_shop": "Pindai untuk melihat toko kami",
        "by": "oleh",
        "qr_title": "Kode QR ke {url}",
    },
    "en": {
        "product": "*{title}*\n{price}\n{pitch}\nOrder on Migrant Mart: {url}",
        "pitch_place": "Made by {shop} in {place}.",
        "pitch": "Made by {shop}.",
        "shop": "Visit *{shop}* on Migrant Mart.\n{pitch}\n{url}",
        "shop_pitch_place": "Village products from {place}, made by returned migrant workers.",
        "shop_pitch": "Village products made by returned migrant workers.",
        "scan_product": "Scan to order",
        "scan_shop": "Scan to visit our shop",
        "by": "by",
        "qr_title": "QR code for {url}",
    },
}


class Blocker(enum.StrEnum):
    """Why a link would not open for a buyer yet (the page explains each)."""

    PRODUCT_NOT_PUBLISHED = "product_not_published"
    SHOP_NOT_VERIFIED = "shop_not_verified"


@dataclass(frozen=True)
class Kit:
    """Everything the share page and the poster show for one product or shop."""

    url: str
    message: str
    whatsapp_url: str
    lang: str
    blockers: tuple[Blocker, ...]

    @property
    def live(self) -> bool:
        return not self.blockers

    def text(self, key: str) -> str:
        return _TEXTS[self.lang][key]


def message_language(value: str | None) -> str:
    """The requested message language, or Indonesian for anything unknown (never an error)."""
    return value if value in MESSAGE_LANGUAGES else DEFAULT_MESSAGE_LANGUAGE


def place(village_code: str) -> str:
    """ "Pringgasela, Lombok Timur": enough for a buyer to place it, short enough for a poster."""
    if not village_code:
        return ""
    codes = regions.chain(village_code)
    names = [
        regions.name(codes["village_code"]),
        regions.name(codes["regency_code"]).replace("Kabupaten ", ""),  # as regions.place_label
    ]
    return ", ".join(n for n in names if n)


def product_url(product) -> str:
    """The product's public page; a practice product's page in its workshop's market, so a
    participant practises sharing with the room's WhatsApp group (only members can open it)."""
    return practice.product_url(product, external=True)


def shop_url(seller) -> str:
    return url_for("catalog.shop", slug=seller.slug, _external=True)


def whatsapp_link(text: str) -> str:
    """A ``wa.me`` link that opens WhatsApp with ``text`` ready to send to any chat or group."""
    return WHATSAPP_SHARE + quote(text, safe="")


def product_blockers(product) -> tuple[Blocker, ...]:
    if product.practice_workshop_id is not None:  # its market needs no verified shop
        live = product.status == ProductStatus.PRACTICE
        return () if live else (Blocker.PRODUCT_NOT_PUBLISHED,)
    blockers = []
    if product.status != ProductStatus.PUBLISHED:
        blockers.append(Blocker.PRODUCT_NOT_PUBLISHED)
    if not product.seller.is_public:
        blockers.append(Blocker.SHOP_NOT_VERIFIED)
    return tuple(blockers)


def shop_blockers(seller) -> tuple[Blocker, ...]:
    return () if seller.is_public else (Blocker.SHOP_NOT_VERIFIED,)


def product_message(product, lang: str, url: str | None = None) -> str:
    texts = _TEXTS[message_language(lang)]
    where = place(product.village_code)
    shop = product.seller.shop_name
    pitch = (
        texts["pitch_place"].format(shop=shop, place=where)
        if where
        else texts["pitch"].format(shop=shop)
    )
    return texts["product"].format(
        title=product.title.strip(),
        price=format_rupiah(product.price, locale=lang),
        pitch=pitch,
        url=url or product_url(product),
    )


def shop_message(seller, lang: str, url: str | None = None) -> str:
    texts = _TEXTS[message_language(lang)]
    where = place(seller.village_code)
    pitch = texts["shop_pitch_place"].format(place=where) if where else texts["shop_pitch"]
    return texts["shop"].format(shop=seller.shop_name, pitch=pitch, url=url or shop_url(seller))


def product_kit(product, lang: str) -> Kit:
    lang = message_language(lang)
    url = product_url(product)
    message = product_message(product, lang, url)
    return Kit(url, message, whatsapp_link(message), lang, product_blockers(product))


def shop_kit(seller, lang: str) -> Kit:
    lang = message_language(lang)
    url = shop_url(seller)
    message = shop_message(seller, lang, url)
    return Kit(url, message, whatsapp_link(message), lang, shop_blockers(seller))


def record_share(seller_id: int, channel: ShareChannel, product_id: int | None = None) -> None:
    """Note that the seller sent a link out (read by a workshop's live board as "first share").

    Only what the button press proves is kept: that WhatsApp was opened with the message, not
    that it was sent; the seller's own word would be no better, and a share is cheap to redo.
    """
    db.session.add(ShareEvent(seller_id=seller_id, product_id=product_id, channel=channel.value))
    db.session.commit()


def qr_svg(url: str, title: str) -> Markup:
    """The QR code as inline SVG for a poster.

    ``svg_inline`` leaves out the XML declaration and namespace (not allowed / not needed inside
    HTML) and writes no style attributes, so the strict CSP has nothing to block; ``omitsize``
    drops width and height so the print stylesheet sets the printed size. Error correction
    "q" (25%) keeps the code readable on a creased or smudged poster in a village shop.
    """
    code = segno.make(url, error="q", micro=False)
    svg = code.svg_inline(
        scale=1,
        border=4,  # the quiet zone the QR standard asks for; phones miss codes without it
        dark="#000",
        light="#fff",
        omitsize=True,
        svgclass="qr-code",
        lineclass="qr-line",
        title=title,
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno output
