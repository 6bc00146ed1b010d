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
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this phone"))


class RegisterForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(min=2, max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = TelField(
        _l("Mobile number (optional)"),
        validators=[
            Optional(),
            Regexp(
                r"^(\+62|62|0)8[0-9]{7,12}$",
                message=_l("Use an Indonesian mobile number, e.g. 0812 3456 7890."),
            ),
        ],
        filters=[lambda v: v.replace(" ", "").replace("-", "") if v else v],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(min=8, max=200, message=_l("Use at least 8 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    account_type = RadioField(
        _l("I want to"),
        choices=[
            SelectChoice("buyer", _l("Buy products")),
            SelectChoice("seller", _l("Sell my products")),
        ],
        default="buyer",
        validators=[DataRequired()],
    )
