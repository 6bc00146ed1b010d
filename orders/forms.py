"""Buyer forms: add to cart, change a quantity, the checkout address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, HiddenField, StringField, TelField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.forms import (
    MOBILE_MESSAGE,
    PHONE,
    RegionPickerMixin,
    WholeNumberField,
    compact_phone,
)
from marketplace.request_hygiene import MAX_ID
from orders.cart import MAX_QUANTITY
from orders.checkout import postal_code_matches


class AddToCartForm(FlaskForm):
    """Posted from product pages, which come from the page cache. The page's CSRF token is
    filled in per visitor (``marketplace.page_cache``) once the visitor has a session, and the
    view checks it whenever it is sent. A first visit's page carries none, so opening a shared
    link starts no session: posts without a token are refused unless the browser says they come
    from this site, and the session cookie is SameSite=Lax, so a foreign site cannot post into a
    visitor's cart."""

    class Meta:
        csrf = False  # checked by the view, see above

    product_id = WholeNumberField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    quantity = WholeNumberField(
        _l("Quantity"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)],
    )


class QuantityForm(FlaskForm):
    quantity = WholeNumberField(
        _l("Quantity"), validators=[InputRequired(), NumberRange(min=0, max=MAX_QUANTITY)]
    )


class AddressForm(RegionPickerMixin, FlaskForm):
    contact_name = StringField(
        _l("Recipient name"), validators=[DataRequired(), Length(min=2, max=120)]
    )
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    phone = TelField(
        _l("Mobile / WhatsApp number"),
        validators=[
            DataRequired(),
            Regexp(PHONE, message=MOBILE_MESSAGE),
        ],
        filters=[compact_phone],
    )
    street = TextAreaField(
        _l("Street, house number, landmarks"), validators=[DataRequired(), Length(min=5, max=200)]
    )
    rt_rw = StringField(
        _l("RT/RW (optional)"),
        validators=[
            Optional(),
            Regexp(r"^\d{1,3}/\d{1,3}$", message=_l("Write RT/RW like 003/007.")),
        ],
    )
    postal_code = StringField(
        _l("Postal code"),
        validators=[DataRequired(), Regexp(r"^\d{5}$", message=_l("A postal code has 5 digits."))],
    )

    def validate_postal_code(self, field) -> None:
        village = self.village_code.data or ""
        if village and field.data and not postal_code_matches(village, field.data):
            raise ValidationError(_l("This postal code does not belong to the chosen village."))


class ReceiptForm(FlaskForm):
    receipt = FileField(_l("Photo or screenshot of the transfer receipt"))


class CancelForm(FlaskForm):
    reason = HiddenField(default="buyer")


class ReceivedForm(FlaskForm):
    """ "My parcel arrived" for one shop's part (each shop's parcel arrives on its own day).

    Without ``part_id`` every shipped part is confirmed, as older pages posted; a part of
    another order matches nothing in ``fulfilment.confirm_received``.
    """

    part_id = WholeNumberField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
