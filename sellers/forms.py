"""Seller back-office forms."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    EmailField,
    MonthField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from marketplace import phones
from marketplace.forms import (
    MOBILE_MESSAGE,
    PHONE,
    RegionPickerMixin,
    RupiahField,
    WholeNumberField,
    compact_phone,
    new_password_field,
    repeat_password_field,
)
from marketplace.i18n import format_rupiah
from marketplace.text import is_digits
from sellers.banks import BANKS, account_length_ok, expected_lengths
from sellers.models import STORY_MIN_LENGTH


def _digits_only(value):
    """Passbooks print "0021-01-000123-50-1"; only the digits matter."""
    return "".join(ch for ch in value if is_digits(ch)) if value else value


def _strip_spaces(value):
    """The OSS certificate prints the NIB in groups; the spaces are not part of it."""
    return "".join(value.split()) if isinstance(value, str) else value


def _optional_int(value):
    """Category ids are ints; the empty placeholder option stays ``None`` (HTML needs it)."""
    return None if value in ("", None) else int(value)


def _bank_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [
        SelectChoice(code, label) for code, (label, _lengths) in BANKS.items()
    ]


class WhatsAppNumber:
    """An Indonesian mobile number, stored as E.164 ("+6281234567890").

    Buyers' "Ask the seller" buttons link to wa.me, which only takes the international form;
    normalising here (``field.data`` is replaced) means every page and message can trust the
    stored value, whichever of "0812…", "+62 812-…" or "62812…" the seller typed.
    """

    def __init__(self, message=MOBILE_MESSAGE):
        self.message = message

    def __call__(self, form, field) -> None:
        e164 = phones.to_e164(field.data)
        if e164 is None or phones.region_of(e164) != "ID" or not phones.is_mobile(e164):
            raise ValidationError(self.message)
        field.data = e164


class BankAccountChecks:
    """Per-bank account-number length and a holder name, shared by the back office and wizard.

    A mistyped number sends a seller's money nowhere for weeks, so it is caught at the form.
    """

    # The form this is mixed into declares these fields.
    bank_name: Any
    bank_account_number: Any

    def validate_bank_account_number(self, field) -> None:
        bank = self.bank_name.data or ""
        if not bank and not field.data:
            return
        if bank not in BANKS:  # none chosen, or a value the list never offered
            raise ValidationError(_l("Choose the bank of this account."))
        if not account_length_ok(bank, field.data or ""):
            raise ValidationError(
                _l(
                    "%(bank)s account numbers have %(n)s digits.",
                    bank=bank,
                    n=expected_lengths(bank),
                )
            )

    def validate_bank_account_holder(self, field) -> None:
        if self.bank_account_number.data and not (field.data or "").strip():
            raise ValidationError(_l("Write the name on the account."))


class ShopForm(BankAccountChecks, RegionPickerMixin, FlaskForm):
    shop_name = StringField(_l("Shop name"), validators=[DataRequired(), Length(min=3, max=80)])
    whatsapp = TelField(
        _l("WhatsApp number"),
        validators=[DataRequired(), WhatsAppNumber()],
        filters=[compact_phone],
    )
    country_abroad = StringField(
        _l("Country where you worked"), validators=[Optional(), Length(max=60)]
    )
    years_abroad = WholeNumberField(
        _l("Years abroad"), validators=[Optional(), NumberRange(min=0, max=50)]
    )
    story = TextAreaField(
        _l("Your story (Bahasa Indonesia)"), validators=[Optional(), Length(max=2000)]
    )
    story_en = TextAreaField(
        _l("Your story in English (optional)"), validators=[Optional(), Length(max=2000)]
    )
    bank_name = SelectField(
        _l("Bank for your payouts"), choices=_bank_choices(), validators=[Optional()]
    )
    bank_account_number = StringField(
        _l("Account number"), validators=[Optional(), Length(max=30)], filters=[_digits_only]
    )
    bank_account_holder = StringField(
        _l("Account holder name (as in the passbook)"), validators=[Optional(), Length(max=120)]
    )
    # ASCII digits only ([0-9], not \d): a bank compares it with the OSS registry character
    # by character, and Arabic-Indic or full-width digits would look right and never match.
    nib = StringField(
        _l("NIB (business identification number, optional)"),
        validators=[
            Optional(),
            Regexp(r"^[0-9]{13}$", message=_l("An NIB has exactly 13 digits (0-9).")),
        ],
        filters=[_strip_spaces],
    )


class SellerAccountForm(FlaskForm):
    """The wizard's first screen for a newcomer: an account that can sell from the start.

    The phone number is required here (unlike the buyer sign-up): it is how the programme team
    reaches a new seller, and it fills in the shop's WhatsApp number on the next screen.
    """

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(min=2, max=120)])
    phone = TelField(
        _l("Mobile number"),
        validators=[DataRequired(), Regexp(PHONE, message=MOBILE_MESSAGE)],
        filters=[compact_phone],
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = new_password_field()
    confirm = repeat_password_field()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ProfileForm(RegionPickerMixin, FlaskForm):
    """The wizard's shop profile: who is behind the shop, where, and how buyers reach them."""

    shop_name = StringField(_l("Shop name"), validators=[DataRequired(), Length(min=3, max=80)])
    whatsapp = TelField(
        _l("WhatsApp number"),
        validators=[DataRequired(), WhatsAppNumber()],
        filters=[compact_phone],
    )
    country_abroad = StringField(
        _l("Country where you worked"),
        validators=[DataRequired(message=_l("Write the country, e.g. Malaysia.")), Length(max=60)],
        filters=[_strip],
    )
    years_abroad = WholeNumberField(
        _l("Years abroad"),
        validators=[
            InputRequired(message=_l("Write the number of years, e.g. 5.")),
            NumberRange(min=0, max=50, message=_l("Write a number from 0 to 50.")),
        ],
    )
    story = TextAreaField(
        _l("What you make now, and your story"),
        validators=[
            DataRequired(message=_l("Tell buyers about yourself and what you make.")),
            Length(
                min=STORY_MIN_LENGTH,
                max=2000,
                message=_l(
                    "Write at least %(min)s characters (a few sentences), at most %(max)s.",
                    min=STORY_MIN_LENGTH,
                    max=2000,
                ),
            ),
        ],
        filters=[_strip],
    )
    story_en = TextAreaField(
        _l("Your story in English (optional)"), validators=[Optional(), Length(max=2000)]
    )


class BankForm(BankAccountChecks, FlaskForm):
    """The wizard's payout screen: here every part of the account is required."""

    bank_name = SelectField(
        _l("Bank for your payouts"),
        choices=_bank_choices(),
        validators=[DataRequired(message=_l("Choose your bank."))],
    )
    bank_account_number = StringField(
        _l("Account number"),
        validators=[DataRequired(message=_l("Write the account number.")), Length(max=30)],
        filters=[_digits_only],
    )
    bank_account_holder = StringField(
        _l("Account holder name (as in the passbook)"),
        validators=[DataRequired(message=_l("Write the name on the account.")), Length(max=120)],
    )


class DocumentForm(FlaskForm):
    """One verification photo. Each kind gets its own form (``prefix=kind``) on one screen."""

    photo = FileField(_l("Photo"), validators=[FileRequired(message=_l("Choose a photo."))])


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (the seller sees this)"),
        validators=[
            DataRequired(message=_l("Write the reason, so the seller knows what to fix.")),
            Length(max=1000),
        ],
    )


class ProductForm(FlaskForm):
    title = StringField(_l("Product name"), validators=[DataRequired(), Length(min=5, max=120)])
    category_id = SelectField(
        _l("Category"),
        coerce=_optional_int,
        validators=[InputRequired(message=_l("Choose a category."))],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    price = RupiahField(
        _l("Price (Rp)"),
        validators=[
            InputRequired(message=_l("Enter the price in rupiah, for example 25000.")),
            NumberRange(
                min=1000,
                max=100_000_000,
                message=_l(
                    "The price must be between %(min)s and %(max)s.",
                    min=LazyString(format_rupiah, 1000),
                    max=LazyString(format_rupiah, 100_000_000),
                ),
            ),
        ],
    )
    stock = WholeNumberField(
        _l("Stock"),
        validators=[InputRequired(), NumberRange(min=0, max=100_000)],
        default=0,
    )
    weight_grams = WholeNumberField(
        _l("Shipping weight (grams)"),
        validators=[InputRequired(), NumberRange(min=1, max=50_000)],
    )
    net_weight = StringField(
        _l("Net weight / size (e.g. 250 g)"), validators=[Optional(), Length(max=40)]
    )
    pirt_number = StringField(
        _l("P-IRT number"),
        validators=[
            Optional(),
            Regexp(
                r"^[0-9][0-9 .-]{9,20}$",
                message=_l("A P-IRT number has 15 digits, e.g. 2065203010045-28."),
            ),
        ],
    )
    bpom_number = StringField(
        _l("BPOM number (MD / ML)"),
        validators=[
            Optional(),
            Regexp(
                r"^(?i:MD|ML)\s?[0-9]{9,15}$",
                message=_l("A BPOM number looks like MD 224512001234."),
            ),
        ],
    )
    halal_number = StringField(
        _l("Halal certificate number"),
        validators=[
            Optional(),
            Regexp(
                r"^(?i:ID)[0-9]{8,20}$",
                message=_l("A halal certificate number looks like ID52110001234560824."),
            ),
        ],
    )
    ingredients = TextAreaField(_l("Ingredients"), validators=[Optional(), Length(max=1000)])
    best_before = StringField(
        _l("Best before / shelf life"), validators=[Optional(), Length(max=120)]
    )


class PhotoForm(FlaskForm):
    photos = MultipleFileField(_l("Add photos"))
    alt_text = StringField(
        _l("Describe the photo (for blind buyers and search)"),
        validators=[Optional(), Length(max=200)],
    )


class StatementForm(FlaskForm):
    """The months a sales statement covers; the period rules live in ``sellers.statements``."""

    month_from = MonthField(
        _l("From month"), validators=[InputRequired(message=_l("Choose the first month."))]
    )
    month_to = MonthField(
        _l("To month"), validators=[InputRequired(message=_l("Choose the last month."))]
    )
