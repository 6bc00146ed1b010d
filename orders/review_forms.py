"""The review form on a buyer's order page (one per delivered, unreviewed item).

The form only shapes input; ``orders.reviews.add_review`` decides whether the buyer may review
the item, so a tampered hidden ``order_item_id`` is refused there, not trusted here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from marketplace.forms import WholeNumberField, ascii_int
from marketplace.request_hygiene import MAX_ID
from orders.reviews import MAX_TEXT

# Best first: on a phone the first choice is the one under the thumb, and most buyers are happy.
RATING_CHOICES = [
    SelectChoice(5, _l("5 — Excellent")),
    SelectChoice(4, _l("4 — Good")),
    SelectChoice(3, _l("3 — Okay")),
    SelectChoice(2, _l("2 — Poor")),
    SelectChoice(1, _l("1 — Very poor")),
]


class ReviewForm(FlaskForm):
    order_item_id = WholeNumberField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)]
    )
    rating = RadioField(
        _l("Your rating"),
        choices=RATING_CHOICES,
        coerce=ascii_int,
        validators=[InputRequired(message=_l("Choose from 1 to 5 stars."))],
    )
    text = TextAreaField(
        _l("Your review (optional)"),
        description=_l("How was the product, the packing and the delivery?"),
        validators=[Length(max=MAX_TEXT)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
