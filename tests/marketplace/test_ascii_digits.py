"""Numbers typed into forms are ASCII digits only: "١٢" or "٣" is refused, never read as 12 or 3."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.forms import WholeNumberField, ascii_int
from orders.forms import AddToCartForm, QuantityForm
from orders.review_forms import ReviewForm

FOREIGN_DIGITS = ["١٢", "٣", "४", "１２", "²", "12\u0663"]


@pytest.mark.parametrize("raw", FOREIGN_DIGITS)
def test_ascii_int_refuses_other_scripts(raw):
    with pytest.raises(ValueError):
        ascii_int(raw)


def test_ascii_int_reads_plain_digits():
    assert ascii_int("12") == 12 and ascii_int(" 7 ") == 7 and ascii_int(3) == 3


@pytest.mark.parametrize("raw", FOREIGN_DIGITS)
@pytest.mark.parametrize(
    "form_class, field, extra",
    [
        (AddToCartForm, "quantity", {"product_id": "1"}),
        (AddToCartForm, "product_id", {"quantity": "1"}),
        (QuantityForm, "quantity", {}),
    ],
)
def test_number_fields_refuse_other_digits(app_ctx, raw, form_class, field, extra):
    with app_ctx.test_request_context("/?lang=id", method="POST"):
        form = form_class(formdata=MultiDict({field: raw, **extra}), meta={"csrf": False})
        assert not form.validate()
        assert getattr(form, field).data is None
        assert any("angka 0–9" in str(e) for e in getattr(form, field).errors)


@pytest.mark.parametrize("raw", ["٤", "４"])
def test_rating_refuses_other_digits(app_ctx, raw):
    with app_ctx.test_request_context("/", method="POST"):
        form = ReviewForm(
            formdata=MultiDict({"order_item_id": "1", "rating": raw}), meta={"csrf": False}
        )
        assert not form.validate()
        assert form.rating.errors


def test_every_integer_form_field_is_a_whole_number_field():
    """A new form written with WTForms' IntegerField would accept "١٢" again."""
    import wtforms

    from orders import forms as order_forms
    from orders import review_forms
    from sellers import forms as seller_forms

    for module in (order_forms, review_forms, seller_forms):
        for form in vars(module).values():
            if isinstance(form, type) and issubclass(form, wtforms.Form):
                for name, unbound in vars(form).items():
                    field_class = getattr(unbound, "field_class", None)
                    if field_class and issubclass(field_class, wtforms.IntegerField):
                        assert issubclass(field_class, WholeNumberField) or (
                            field_class.__name__ == "RupiahField"
                        ), f"{form.__name__}.{name}"
