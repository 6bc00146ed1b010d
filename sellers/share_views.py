"""The share kit: ready WhatsApp messages, links and printable QR posters.

Seller-only pages under ``/seller``. Products are loaded through the same "own product or
404" service as the product editor, so another seller's product id is "not found", never a
peek. Everything here is a GET, hence no CSRF token; the only writes are share records
(``share.record_share``) when a seller presses "Send on WhatsApp" or opens the poster. The
WhatsApp button is a link through ``/share/whatsapp``, which records the share and redirects to
``wa.me``: a link works without JavaScript, and a form could not do it (the content-security
policy's ``form-action 'self'`` also covers where a form's redirect leads). A forged request can
at most record a share the seller did not make, which changes nothing but their board tick.

This blueprint also gives templates ``listing_quality(product)``: the product editor and list
belong to the ``sellers`` blueprint, and a template global lets them show the score without
each view having to compute and pass it.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalog import services as catalog
from catalog.models import Product, ProductStatus
from marketplace.auth.models import Role
from marketplace.auth.permissions import role_required
from marketplace.i18n import format_rupiah
from sellers import quality, services, share
from sellers.models import Seller, ShareChannel

bp = Blueprint("share", __name__)

PROMOTION_LESSON = quality.LessonRef("promosi", ("whatsapp",))


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals["listing_quality"] = quality.score


def _seller() -> Seller | None:
    seller = services.seller_for(current_user)
    if seller is None:
        flash(_("First tell buyers about your shop."), "info")
    return seller


def _own_product(product_id: int) -> Product:
    return catalog.get_own_product(services.seller_for(current_user), product_id)


def _lang() -> str:
    # Not ``lang``: that parameter switches the whole site's language (marketplace.i18n).
    return share.message_language(request.args.get("msg_lang"))


def _poster_photo(seller: Seller):
    """The shop poster's picture: the cover of the newest published product that has one."""
    for product in catalog.seller_products(seller):
        if product.status == ProductStatus.PUBLISHED and product.cover:
            return product.cover
    return None


def _poster_qr(kit: share.Kit):
    """No code on a poster whose link does not open yet: a dead QR code loses a buyer for good."""
    return share.qr_svg(kit.url, kit.text("qr_title").format(url=kit.url)) if kit.live else None


@bp.get("/seller/products/<int:product_id>/share")
@role_required(Role.SELLER)
def product(product_id: int):
    item = _own_product(product_id)
    kit = share.product_kit(item, _lang())
    return render_template(
        "seller/share.html",
        kit=kit,
        name=item.title,
        product=item,
        back_url=url_for("sellers.edit_product", product_id=item.id),
        back_label=_("Back to the product"),
        send_url=url_for("share.product_whatsapp", product_id=item.id, msg_lang=kit.lang),
        poster_url=url_for("share.product_poster", product_id=item.id, msg_lang=kit.lang),
        promotion_url=PROMOTION_LESSON.url,
    )


@bp.get("/seller/products/<int:product_id>/share/whatsapp")
@role_required(Role.SELLER)
def product_whatsapp(product_id: int):
    item = _own_product(product_id)
    kit = share.product_kit(item, _lang())
    if not kit.live:  # the page explains why there is no button yet
        return redirect(url_for("share.product", product_id=item.id, msg_lang=kit.lang))
    share.record_share(item.seller_id, ShareChannel.WHATSAPP, product_id=item.id)
    return redirect(kit.whatsapp_url, code=303)


@bp.get("/seller/products/<int:product_id>/poster")
@role_required(Role.SELLER)
def product_poster(product_id: int):
    item = _own_product(product_id)
    kit = share.product_kit(item, _lang())
    if kit.live:
        share.record_share(item.seller_id, ShareChannel.POSTER, product_id=item.id)
    return render_template(
        "seller/poster.html",
        kit=kit,
        name=item.title,
        price=format_rupiah(item.price, locale=kit.lang),
        shop_name=item.seller.shop_name,
        place=share.place(item.village_code),
        photo=item.cover,
        scan=kit.text("scan_product"),
        qr=_poster_qr(kit),
        back_url=url_for("share.product", product_id=item.id, msg_lang=kit.lang),
    )


@bp.get("/seller/shop/share")
@role_required(Role.SELLER)
def shop():
    seller = _seller()
    if seller is None:
        return redirect(url_for("sellers.shop_profile"))
    kit = share.shop_kit(seller, _lang())
    return render_template(
        "seller/share.html",
        kit=kit,
        name=seller.shop_name,
        product=None,
        products=catalog.seller_products(seller),
        back_url=url_for("sellers.products"),
        back_label=_("My products"),
        send_url=url_for("share.shop_whatsapp", msg_lang=kit.lang),
        poster_url=url_for("share.shop_poster", msg_lang=kit.lang),
        promotion_url=PROMOTION_LESSON.url,
    )


@bp.get("/seller/shop/share/whatsapp")
@role_required(Role.SELLER)
def shop_whatsapp():
    seller = _seller()
    if seller is None:
        return redirect(url_for("sellers.shop_profile"))
    kit = share.shop_kit(seller, _lang())
    if not kit.live:
        return redirect(url_for("share.shop", msg_lang=kit.lang))
    share.record_share(seller.id, ShareChannel.WHATSAPP)
    return redirect(kit.whatsapp_url, code=303)


@bp.get("/seller/shop/poster")
@role_required(Role.SELLER)
def shop_poster():
    seller = _seller()
    if seller is None:
        return redirect(url_for("sellers.shop_profile"))
    kit = share.shop_kit(seller, _lang())
    if kit.live:
        share.record_share(seller.id, ShareChannel.POSTER)
    return render_template(
        "seller/poster.html",
        kit=kit,
        name=seller.shop_name,
        price=None,
        shop_name=None,
        place=share.place(seller.village_code),
        photo=_poster_photo(seller),
        scan=kit.text("scan_shop"),
        qr=_poster_qr(kit),
        back_url=url_for("share.shop", msg_lang=kit.lang),
    )
