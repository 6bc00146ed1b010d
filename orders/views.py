"""Buyer pages: cart, checkout and order status.

Checkout is two short screens so it works on a phone without JavaScript: the address first
(the courier prices depend on the destination), then shipping per shop, payment method and a
last look at the totals. Nothing about prices is taken from the browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, user_logged_in
from flask_wtf import FlaskForm

from catalog import page_extras
from catalog.images import ImageRejected
from marketplace import regions
from marketplace.errors import NotFound
from marketplace.extensions import csrf
from marketplace.i18n import current_locale, format_rupiah
from marketplace.request_hygiene import safe_redirect_target
from marketplace.templating import wa_link
from orders import access, fulfilment, guest_join, labels, reviews
from orders import bank_transfer as transfers
from orders import cart as carts
from orders.checkout import (
    Address,
    CheckoutError,
    place_order,
    practice_payment_allowed,
    practice_workshop_of,
    shipping_options,
    start_card_payment,
    stripe_available,
)
from orders.checkout import pay_by_card as pay_by_card_service
from orders.forms import (
    AddressForm,
    AddToCartForm,
    CancelForm,
    QuantityForm,
    ReceiptForm,
    ReceivedForm,
)
from orders.models import PaymentMethod
from orders.payments import PaymentError
from orders.review_forms import ReviewForm
from orders.states import FulfilmentStatus, InvalidTransition, OrderStatus, PaymentStatus

bp = Blueprint("orders", __name__)

CHECKOUT_KEY = "checkout_address"
CART_ERRORS = {
    "quantity": lambda: _("Choose a quantity between 1 and 999."),
    "unavailable": lambda: _("This product is not for sale right now."),
    "out_of_stock": lambda: _("Sorry, this product is sold out."),
    "too_many_lines": lambda: _("Your cart is full. Check out first, then shop again."),
    "not_in_cart": lambda: _("That product is not in your cart."),
    "practice_mixed": lambda: _(
        "Practice products (Latihan) and real products cannot be in one cart. Check out or "
        "empty your cart first."
    ),
    "practice_other_workshop": lambda: _(
        "Your cart holds another workshop's practice products. Check out or empty your cart first."
    ),
}
CHECKOUT_ERRORS = {
    "empty": lambda items: _("Your cart is empty."),
    "address": lambda items: _("Please check the delivery address."),
    "postal_code": lambda items: _("This postal code does not belong to the chosen village."),
    "payment_method": lambda items: _("Choose a payment method."),
    "unavailable": lambda items: _("Some products are no longer for sale; your cart was updated."),
    "out_of_stock": lambda items: _(
        "Not enough stock left for: %(items)s. Your cart was updated.", items=", ".join(items)
    ),
    "shipping": lambda items: _("Choose a delivery service for %(shops)s.", shops=", ".join(items)),
    "quantity": lambda items: _("Choose a quantity between 1 and 999."),
    "practice_mixed": lambda items: _(
        "Practice products (Latihan) and real products cannot be in one order."
    ),
}


RECENT_REVIEWS = 5  # shown under a product or a shop; the rest stay in the average
# The catalogue's product and shop pages show what buyers said (reviews belong to orders).
page_extras.provide(
    bp, "product", lambda product: {"reviews": reviews.recent_reviews(product.id, RECENT_REVIEWS)}
)
page_extras.provide(
    bp,
    "shop",
    lambda seller: {
        "rating": reviews.seller_rating(seller.id),
        "reviews": reviews.recent_shop_reviews(seller.id, RECENT_REVIEWS),
    },
)


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals["cart_count"] = lambda: carts.count(current_user, session)
    state.app.jinja_env.globals["status_label"] = _status_label


def _status_label(machine: str, value: str) -> str:
    tables: dict[str, Mapping[Any, object]] = {
        "order": labels.ORDER_STATUS,
        "payment": labels.PAYMENT_STATUS,
        "fulfilment": labels.FULFILMENT_STATUS,
    }
    table = tables.get(machine, {})
    return str(table.get(value, value))


@user_logged_in.connect
def _merge_cart_at_login(sender, user, **extra) -> None:
    carts.merge_guest_cart(user, session)


def _store():
    return carts.store_for(current_user, session)


def _same_origin() -> bool:
    """For forms that may come without a CSRF token: the browser must say the post comes from
    this site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is not None:  # any that is sent must agree ("null" included: it never does)
        return urlsplit(origin).netloc == request.host
    if fetch_site is not None:
        return True
    referer = request.headers.get("Referer")
    if referer is None:
        return True  # old browsers send neither; SameSite=Lax still keeps the cookie home
    return urlsplit(referer).netloc == request.host


# --- cart -----------------------------------------------------------------------------------


def _settle_cart_changes(view: carts.CartView) -> bool:
    """Tell the buyer what changed in the cart since they filled it, and keep the cart as shown.

    Returns whether anything changed, so checkout can send the buyer back to look first.
    """
    for title in view.removed:
        flash(_("%(title)s is no longer available and was removed.", title=title), "info")
    for title in view.sold_out:
        flash(_("%(title)s is sold out and was removed from your cart.", title=title), "info")
    for title in view.reduced:
        flash(_("Only a few %(title)s are left; the quantity was lowered.", title=title), "info")
    changed = bool(view.removed or view.reduced or view.sold_out)
    if changed:
        _store().replace(view.quantities())
    return changed


@bp.get("/cart")
def cart():
    view = carts.view(_store())
    _settle_cart_changes(view)
    return render_template("orders/cart.html", cart=view, form=QuantityForm())


@bp.post("/cart/items")
@csrf.exempt  # see AddToCartForm: the token is checked when sent, same-origin always
def add_item():
    if not _same_origin():
        abort(400)
    if "csrf_token" in request.form:
        csrf.protect()  # a wrong, foreign or expired token: 400
    form = AddToCartForm()
    if not form.validate():
        flash(CART_ERRORS["quantity"](), "error")
        return redirect(safe_redirect_target(request.referrer, url_for("orders.cart")), 303)
    try:
        kept = carts.add(_store(), form.product_id.data, form.quantity.data)
    except carts.CartError as error:
        flash(CART_ERRORS[str(error)](), "error")
        return redirect(url_for("orders.cart"), 303)
    if kept < form.quantity.data:
        flash(_("Only %(n)s left in stock; your cart has all of them.", n=kept), "info")
    else:
        flash(_("Added to your cart."), "success")
    return redirect(url_for("orders.cart"), 303)


@bp.post("/cart/items/<int:product_id>")
def update_item(product_id: int):
    form = QuantityForm()
    if not form.validate_on_submit():
        flash(CART_ERRORS["quantity"](), "error")
        return redirect(url_for("orders.cart"), 303)
    wanted = form.quantity.data
    try:
        kept = carts.set_quantity(_store(), product_id, wanted)
    except carts.CartError as error:
        flash(CART_ERRORS[str(error)](), "error")
    else:
        if wanted and not kept:
            flash(CART_ERRORS["out_of_stock"](), "error")
        elif kept < wanted:
            flash(_("Only %(n)s left in stock; your cart has all of them.", n=kept), "info")
    return redirect(url_for("orders.cart"), 303)


# --- checkout -------------------------------------------------------------------------------


def _address_from_session() -> dict | None:
    data = session.get(CHECKOUT_KEY)
    if not data or not regions.is_valid_village(data.get("village_code", "")):
        return None
    return data


def _prefill(form: AddressForm) -> None:
    saved = session.get(CHECKOUT_KEY) or {}
    if saved:
        form.process(data=saved)
    elif current_user.is_authenticated:
        form.contact_name.data = current_user.name
        form.email.data = current_user.email
        form.phone.data = current_user.phone


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    view = carts.view(_store())
    if _settle_cart_changes(view):
        return redirect(url_for("orders.cart"), 303)
    if view.is_empty:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("orders.cart"))
    step = request.values.get("step", "address")
    if step == "shipping":
        return _shipping_step(view)
    form = AddressForm()
    if request.method == "GET":
        _prefill(form)
    form.fill_region_choices()
    if request.method == "POST" and not request.form.get("refresh_regions"):
        if form.validate_on_submit():
            session[CHECKOUT_KEY] = {
                name: getattr(form, name).data
                for name in (
                    "contact_name",
                    "email",
                    "phone",
                    "street",
                    "rt_rw",
                    "postal_code",
                    "province_code",
                    "regency_code",
                    "district_code",
                    "village_code",
                )
            }
            return redirect(url_for("orders.checkout", step="shipping"), 303)
        return render_template("orders/checkout_address.html", form=form, cart=view), 400
    return render_template("orders/checkout_address.html", form=form, cart=view)


def _shipping_step(view):
    address = _address_from_session()
    if address is None:
        return redirect(url_for("orders.checkout"))
    destination = address["province_code"]
    options = {g.seller.id: shipping_options(g, destination) for g in view.groups}
    chosen = {
        seller_id: request.form.get(f"service-{seller_id}") or (opts[0].service if opts else "")
        for seller_id, opts in options.items()
    }
    shipping_total = sum(
        next((o.cost for o in opts if o.service == chosen[sid]), 0) for sid, opts in options.items()
    )
    total = view.total + shipping_total
    practice_cart = practice_workshop_of(view.groups) is not None
    practice_ok = practice_cart and practice_payment_allowed(current_user, view.groups)
    card_ok = stripe_available(total) and not practice_cart
    default = PaymentMethod.PRACTICE if practice_cart else PaymentMethod.BANK_TRANSFER
    method = request.form.get("payment_method") or default
    errors: list[str] = []
    if request.method == "POST" and request.form.get("recalculate"):
        pass  # show the new total for the couriers chosen
    elif request.method == "POST" and request.form.get("expected_total") != str(total):
        # The buyer changed a courier (or the cart changed) since the total was shown: never
        # charge an amount they have not seen.
        errors.append(
            _(
                "The total changed to %(total)s. Please check it and place the order.",
                total=format_rupiah(total),
            )
        )
    elif request.method == "POST":
        try:
            order = place_order(
                buyer=current_user,
                quantities=view.quantities(),
                address=Address(
                    **{
                        k: address[k]
                        for k in (
                            "contact_name",
                            "email",
                            "phone",
                            "village_code",
                            "street",
                            "rt_rw",
                            "postal_code",
                        )
                    }
                ),
                services=chosen,
                payment_method=method,
                locale=current_locale(),
                cart=_store(),
            )
        except CheckoutError as error:
            errors.append(CHECKOUT_ERRORS[error.code](error.items))
            if error.code in ("unavailable", "out_of_stock"):
                # Another buyer took the last units while this one chose a courier: say which.
                if not _settle_cart_changes(carts.view(_store())):
                    flash(errors[-1], "error")
                return redirect(url_for("orders.cart"), 303)
        else:
            return _after_placing(order)
    return render_template(
        "orders/checkout_shipping.html",
        cart=view,
        address=address,
        options=options,
        chosen=chosen,
        shipping_total=shipping_total,
        total=total,
        card_ok=card_ok,
        practice_cart=practice_cart,
        practice_ok=practice_ok,
        method=method,
        errors=errors,
    ), (400 if errors else 200)


def _after_placing(order):
    session.pop(CHECKOUT_KEY, None)
    if order.buyer_id is None:
        access.remember_guest_order(session, order)
    if order.payment_method == PaymentMethod.STRIPE:
        return _start_card_payment(order)
    flash(_("Thank you! Your order %(number)s is placed.", number=order.number), "success")
    return redirect(_order_link(order), 303)


def _order_link(order, **extra) -> str:
    args = dict(extra)
    if order.buyer_id is None:
        args["t"] = access.guest_token(order)
    return url_for("orders.order_page", number=order.number, **args)


def _card_urls(order) -> dict[str, str]:
    """Where Stripe sends the buyer back: a guest's links carry the order's token."""
    token = {"t": access.guest_token(order)} if order.buyer_id is None else {}
    success = url_for("orders.card_return", number=order.number, _external=True, **token)
    success += ("&" if "?" in success else "?") + "session_id={CHECKOUT_SESSION_ID}"
    cancel = url_for(
        "orders.order_page", number=order.number, payment="cancelled", _external=True, **token
    )
    return {"success_url": success, "cancel_url": cancel}


def _start_card_payment(order, start=start_card_payment):
    """Send the buyer to Stripe Checkout, or back to the order when a card cannot pay now."""
    try:
        url = start(order, **_card_urls(order))
    except NotFound:
        abort(404)
    except CheckoutError:
        flash(_("This order cannot be paid by card now."), "error")
        return redirect(_order_link(order), 303)
    except PaymentError:
        flash(_("Card payment is not available right now. You can pay by bank transfer."), "error")
        return redirect(_order_link(order), 303)
    return redirect(url or _order_link(order), 303)


# --- the order page ---------------------------------------------------------------------------


def _guest_token() -> str | None:
    """The guest link's token from the query or a form field: forms carry it themselves, so a
    guest acts from any phone that opened the e-mailed link, without the session that placed
    the order."""
    return request.args.get("t") or request.form.get("t")


def _order_and_access(number: str):
    """The order and who is asking (buyer or guest); 404 unless something proves the right.

    A genuine link that no longer opens the order (expired, or the order joined an account)
    gets a page saying what to do instead of a bare error.
    """
    order, found = access.order_access(number, current_user, session, _guest_token())
    if found in (access.Access.EXPIRED, access.Access.JOINED):
        abort(_link_gone(order, found))
    if order is None:
        abort(404)
    return order, found


def _visible_order_or_404(number: str):
    return _order_and_access(number)[0]


def _link_gone(order, found):
    support = wa_link(
        current_app.config.get("SUPPORT_WHATSAPP"),
        _("Hello Migrant Mart, I need help with my order %(number)s.", number=order.number),
    )
    page = render_template(
        "orders/link_gone.html",
        order=order,
        joined=found == access.Access.JOINED,
        days=current_app.config["GUEST_LINK_DAYS"],
        support=support,
    )
    return current_app.response_class(page, status=410)


@bp.get("/orders/<number>")
def order_page(number: str):
    order, found = _order_and_access(number)
    guest = found == access.Access.GUEST
    if request.args.get("payment") == "cancelled" and order.status == OrderStatus.AWAITING_PAYMENT:
        flash(
            _("The card payment was cancelled. You can try again or pay by bank transfer."), "info"
        )
    bank = current_app.config
    reviewable = reviews.reviewable_items(order, current_user, guest=guest)
    seller_links = {
        part.id: wa_link(
            part.seller.whatsapp,
            _(
                "Hello %(shop)s, about my order %(number)s on Migrant Mart:",
                shop=part.seller.shop_name,
                number=order.number,
            ),
        )
        for part in order.seller_orders
        if part.seller.whatsapp
    }
    seller_links = {part_id: link for part_id, link in seller_links.items() if link}
    return render_template(
        "orders/order.html",
        order=order,
        # A guest's forms carry the link's token, also when the page was opened from the
        # session that placed the order (the token then works on any phone).
        token=access.guest_token(order) if guest else None,
        bank=bank,
        receipt_form=ReceiptForm(),
        cancel_form=CancelForm(),
        review_form=ReviewForm(),
        reviewable=reviewable,
        seller_links=seller_links,
        card_ok=stripe_available(order.total),
        can_cancel=fulfilment.can_buyer_cancel(order),
        confirmable={p.id for p in order.seller_orders if p.status == FulfilmentStatus.SHIPPED},
        awaiting_transfer=order.status == OrderStatus.AWAITING_PAYMENT
        and order.payment_method == PaymentMethod.BANK_TRANSFER,
        PaymentStatus=PaymentStatus,
    )


@bp.post("/orders/<number>/receipt")
def upload_receipt(number: str):
    order = _visible_order_or_404(number)
    form = ReceiptForm()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("receipt")
    if upload is None or not upload.filename:
        flash(_("Choose the photo of your transfer receipt."), "error")
        return redirect(_order_link(order), 303)
    try:
        transfers.upload_receipt(order, upload.read(), upload.filename)
    except ImageRejected as rejected:
        flash(str(rejected.message), "error")
    except InvalidTransition:
        flash(_("This order no longer needs a receipt."), "info")
    else:
        flash(_("Thank you! We will check your transfer soon."), "success")
    return redirect(_order_link(order), 303)


@bp.post("/orders/<number>/pay")
def pay_by_card(number: str):
    order = _visible_order_or_404(number)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    return _start_card_payment(order, start=pay_by_card_service)


@bp.get("/orders/<number>/paid")
def card_return(number: str):
    """Stripe sends the buyer back here; we ask Stripe ourselves rather than trust the URL."""
    order = _visible_order_or_404(number)
    session_id = request.args.get("session_id", "")
    if session_id:
        from orders.payments import stripe_events

        try:
            stripe_events.fulfil_from_return(session_id)
        except PaymentError:
            flash(_("We could not confirm the payment yet; this page will update."), "info")
    return redirect(_order_link(order), 303)


@bp.post("/orders/<number>/cancel")
def cancel(number: str):
    order = _visible_order_or_404(number)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        fulfilment.buyer_cancel(order, current_user if current_user.is_authenticated else None)
    except (InvalidTransition, fulfilment.FulfilmentError):
        flash(_("This order can no longer be cancelled. Please contact the seller."), "error")
    except PaymentError:
        flash(_("The refund could not be started; please try again later."), "error")
    else:
        flash(_("Your order is cancelled."), "success")
    return redirect(_order_link(order), 303)


@bp.post("/orders/<number>/received")
def received(number: str):
    order = _visible_order_or_404(number)
    form = ReceivedForm()
    if not form.validate_on_submit():
        abort(400)
    buyer = current_user if current_user.is_authenticated else None
    try:
        fulfilment.confirm_received(order, buyer, part_id=form.part_id.data)
    except (InvalidTransition, fulfilment.FulfilmentError):
        flash(_("Nothing to confirm yet."), "info")
    else:
        flash(_("Thank you! Tell others what you think of your purchase."), "success")
    return redirect(_order_link(order), 303)


@bp.post("/orders/<number>/reviews")
def review(number: str):
    order, found = _order_and_access(number)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("Choose a rating from 1 to 5 stars."), "error")
        return redirect(_order_link(order), 303)
    guest = found == access.Access.GUEST
    try:
        reviews.add_review(
            None if guest else current_user,
            int(form.order_item_id.data or 0),
            int(form.rating.data),
            form.text.data or "",
            guest_order=order if guest else None,
        )
    except (reviews.ReviewError, ValueError):
        flash(_("This item cannot be reviewed (already reviewed, or not delivered yet)."), "error")
    else:
        flash(_("Thank you for your review!"), "success")
    return redirect(_order_link(order), 303)


# --- guest orders joining an account ------------------------------------------------------------


@user_logged_in.connect
def _offer_join_at_login(sender, user, **extra) -> None:
    guest_join.offer_at_login(user)


@bp.get("/account/orders")
@login_required
def my_orders():
    """The buyer's orders, under their account (the page the account menu links to)."""
    return render_template(
        "account/orders.html",
        orders=access.orders_for_buyer(current_user),
        # Guest orders placed with the account's address, offered to join it.
        waiting=guest_join.waiting_count(current_user),
    )


@bp.post("/account/orders/join")
@login_required
def send_join_link():
    if not FlaskForm().validate_on_submit():
        abort(400)
    result = guest_join.send_join_link(current_user)
    if result == guest_join.SendResult.SENT:
        flash(
            _(
                "We sent a link to %(email)s. Open it while logged in to this account to add "
                "your orders.",
                email=current_user.email,
            ),
            "success",
        )
    elif result == guest_join.SendResult.TOO_SOON:
        flash(
            _(
                "We already sent the link to %(email)s today. Please look in your inbox (and "
                "the spam folder); you can ask again tomorrow.",
                email=current_user.email,
            ),
            "info",
        )
    else:
        flash(_("There are no orders to add."), "info")
    return redirect(url_for("orders.my_orders"), 303)


@bp.get("/account/orders/join/<token>")
@login_required
def join_guest_orders(token: str):
    joined = guest_join.join_orders(current_user, token)
    result = joined.result
    if result == guest_join.JoinResult.JOINED:
        flash(
            ngettext(
                "%(num)d order was added to your account.",
                "%(num)d orders were added to your account.",
                len(joined.numbers),
            ),
            "success",
        )
    elif result == guest_join.JoinResult.NOTHING:
        flash(_("These orders are already in your account."), "info")
    elif result == guest_join.JoinResult.EXPIRED:
        flash(
            _("This link has expired. Ask for a new one below; nothing was changed."),
            "error",
        )
    elif result == guest_join.JoinResult.OTHER_ACCOUNT:
        flash(
            _(
                "This link was sent for another account. Log in with the account whose "
                "e-mail address received it; nothing was changed."
            ),
            "error",
        )
    else:
        flash(_("This link is not valid; nothing was changed."), "error")
    return redirect(url_for("orders.my_orders"), 303)
