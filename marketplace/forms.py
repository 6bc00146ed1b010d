"""Form pieces shared by several packages: rupiah input, the region picker, phone and password
fields, and the empty form behind state-changing buttons."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError
from wtforms.widgets import TextInput

from marketplace import regions
from marketplace.text import is_digits

_RUPIAH_NOISE = re.compile(r"(?i)^\s*rp\.?\s*|[\s.,]")

# An Indonesian mobile number as people type it: 0812…, 62812… or +62812… (after compact_phone).
PHONE = r"^(\+62|62|0)8[0-9]{7,12}$"
MOBILE_MESSAGE = _l("Use an Indonesian mobile number, e.g. 0812 3456 7890.")


def compact_phone(value):
    """Spaces and dashes are how people group digits, not part of the number."""
    return value.replace(" ", "").replace("-", "") if value else value


def new_password_field(label=None) -> PasswordField:
    """The one rule for a password someone chooses (sign-up, reset, change, seller wizard)."""
    return PasswordField(
        label or _l("Password"),
        validators=[
            DataRequired(),
            Length(min=8, max=200, message=_l("Use at least 8 characters.")),
        ],
    )


def repeat_password_field() -> PasswordField:
    """The confirmation beside ``new_password_field``; the form's field must be ``password``."""
    return PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token, for buttons that change state."""


def ascii_int(value) -> int:
    """``int()`` for form input that accepts ASCII digits only.

    Python's ``int("١٢")`` is 12: Arabic-Indic or other script digits would pass as numbers the
    user never meant (and that no other screen shows the same way). A ``coerce`` for choice
    fields; raises ``ValueError`` like ``int``.
    """
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not is_digits(text.removeprefix("-")):
        raise ValueError(f"not a whole number: {value!r}")
    return int(text)


class WholeNumberField(IntegerField):
    """WTForms' ``IntegerField`` with ASCII digits only, and its message in the user's language."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = ascii_int(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Write a whole number using the digits 0–9.")) from None


class RupiahField(IntegerField):
    """Accepts what sellers type: ``25000``, ``25.000``, ``Rp 25.000``; stores integer rupiah.

    Rendered as a text input (with a numeric keyboard): a number input would read ``25.000``
    as twenty-five, the opposite of what an Indonesian seller means.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0]
        self.raw_data = [raw]
        cleaned = _RUPIAH_NOISE.sub("", raw or "")
        if not cleaned:
            self.data = None
            return
        if not is_digits(cleaned) or len(cleaned) > 12:
            self.data = None
            raise ValueError(_l("Enter the price in rupiah, for example 25000."))
        self.data = int(cleaned)


class RegionPickerMixin:
    """Four cascading selects; the choices are filled per request from the chosen parents.

    Without JavaScript the form's "refresh choices" button re-renders it with the next level's
    options; with JavaScript the next select fills itself from ``/regions/<code>``.
    """

    province_code = SelectField(_l("Province"), validate_choice=False, default="")
    regency_code = SelectField(_l("Regency / city"), validate_choice=False, default="")
    district_code = SelectField(_l("District (kecamatan)"), validate_choice=False, default="")
    village_code = SelectField(_l("Village (desa / kelurahan)"), validate_choice=False, default="")

    def fill_region_choices(self) -> None:
        blank = [SelectChoice("", "—")]
        self.province_code.choices = blank + [
            SelectChoice(r.code, r.name) for r in regions.children(None)
        ]
        levels = [
            (self.province_code, self.regency_code),
            (self.regency_code, self.district_code),
            (self.district_code, self.village_code),
        ]
        for parent, child in levels:
            code = parent.data or ""
            parent_ok = code and regions.get(code) is not None
            child.choices = blank + (
                [SelectChoice(r.code, r.name) for r in regions.children(code)] if parent_ok else []
            )
            if not parent_ok or not (child.data or "").startswith(code + "."):
                child.data = ""

    def validate_village_code(self, field) -> None:
        code = field.data or ""
        if not regions.is_valid_village(code):
            raise ValidationError(_l("Choose the village (desa / kelurahan)."))
        chain = regions.chain(code)
        if any((getattr(self, name).data or "") != value for name, value in chain.items()):
            raise ValidationError(_l("The village does not belong to the chosen district."))
