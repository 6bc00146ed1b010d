"""Account forms. Labels and messages are lazy so they render in the visitor's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    TelField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace import phones
from marketplace.forms import (
    MOBILE_MESSAGE,
    PHONE,
    compact_phone,
    new_password_field,
    repeat_password_field,
)


def _phone_readable(form, field):
    if field.data and phones.to_e164(field.data) is None:
        raise ValidationError(MOBILE_MESSAGE)


def _password_fields():
    return new_password_field(_l("New password")), repeat_password_field()


class LoginForm(FlaskForm):
    # Named "email" for the clients that post it; it takes a phone number as well.
    email = StringField(_l("Email or mobile number"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this phone"))


class RegisterForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(min=2, max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = TelField(
        _l("Mobile number (optional)"),
        validators=[
            Optional(),
            Regexp(PHONE, message=MOBILE_MESSAGE),
            _phone_readable,
        ],
        filters=[compact_phone],
    )
    password = new_password_field()
    confirm = repeat_password_field()
    account_type = RadioField(
        _l("I want to"),
        choices=[
            SelectChoice("buyer", _l("Buy products")),
            SelectChoice("seller", _l("Sell my products")),
        ],
        default="buyer",
        validators=[DataRequired()],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


class ResetPasswordForm(FlaskForm):
    password, confirm = _password_fields()


class ResetCodeForm(FlaskForm):
    identifier = StringField(
        _l("Email or mobile number"), validators=[DataRequired(), Length(max=254)]
    )
    code = StringField(
        _l("Code from the Migrant Mart team"), validators=[DataRequired(), Length(max=20)]
    )
    password, confirm = _password_fields()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password, confirm = _password_fields()
