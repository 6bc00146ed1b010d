"""Forms of the workshop pages: the trainer's workshop form and the participant's join forms."""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields import DateField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace import phones
from marketplace.forms import (
    MOBILE_MESSAGE,
    PHONE,
    RegionPickerMixin,
    WholeNumberField,
    compact_phone,
    new_password_field,
    repeat_password_field,
)
from marketplace.text import is_digits

MAX_CAPACITY = 200


def _ascii_parts(value: str, separator: str) -> bool:
    """Python's date parsing reads other scripts' digits ("٢٠٢٦"): only 0-9 are accepted."""
    parts = (value or "").strip().split(separator)
    return all(part and is_digits(part) for part in parts)


class AsciiDateField(DateField):
    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] and not _ascii_parts(valuelist[0], "-"):
            self.data = None
            raise ValueError(_l("Write the date as on a calendar, e.g. 2026-12-20."))
        super().process_formdata(valuelist)


class AsciiTimeField(TimeField):
    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] and not _ascii_parts(valuelist[0], ":"):
            self.data = None
            raise ValueError(_l("Write the time like 09:30."))
        super().process_formdata(valuelist)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _phone_readable(form, field):
    if field.data and phones.to_e164(field.data) is None:
        raise ValidationError(MOBILE_MESSAGE)


class WorkshopForm(RegionPickerMixin, FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=120)])
    day = AsciiDateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Choose the date."))],
        format="%Y-%m-%d",
    )
    start = AsciiTimeField(
        _l("Starts at (local time of the village)"),
        validators=[InputRequired(message=_l("Choose the time."))],
        format="%H:%M",
    )
    modules = MultiCheckboxField(_l("Modules to cover"), choices=[], validate_choice=True)
    capacity = WholeNumberField(
        _l("Places (participants)"),
        default=25,
        validators=[
            InputRequired(),
            NumberRange(min=1, max=MAX_CAPACITY, message=_l("Between 1 and 200.")),
        ],
    )

    def fill_module_choices(self, modules) -> None:
        self.modules.choices = [SelectChoice(m.slug, m.title) for m in modules]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class JoinCodeForm(FlaskForm):
    code = StringField(
        _l("Workshop code"), validators=[DataRequired(), Length(max=20)], filters=[_strip]
    )


class JoinForm(FlaskForm):
    """A new participant: what it takes to get a room of phones in within a minute."""

    name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(min=2, max=120)], filters=[_strip]
    )
    phone = TelField(
        _l("Mobile number (your login)"),
        validators=[DataRequired(), Regexp(PHONE, message=MOBILE_MESSAGE), _phone_readable],
        filters=[compact_phone],
    )
    password = new_password_field()
    language = RadioField(
        _l("Language"),
        choices=[SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")],
        default="id",
        validators=[DataRequired()],
    )


class JoinLoginForm(FlaskForm):
    """Someone who already has an account: log in, then they are enrolled."""

    identifier = StringField(
        _l("Email or mobile number"), validators=[DataRequired(), Length(max=254)]
    )
    secret = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ImportForm(FlaskForm):
    file = FileField(_l("List of participants (CSV file)"), validators=[FileRequired()])


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Private note"), validators=[DataRequired(), Length(max=2000)], filters=[_strip]
    )


class CardSignInForm(FlaskForm):
    phone = TelField(
        _l("Mobile number"),
        validators=[DataRequired(), Length(max=40)],
        filters=[compact_phone],
    )
    code = StringField(_l("Code on your card"), validators=[DataRequired(), Length(max=20)])


class FirstPasswordForm(FlaskForm):
    password = new_password_field()
    confirm = repeat_password_field()


def combine(day: date, start: time) -> datetime:
    """The naive local moment of a date and time field (the caller gives it its zone)."""
    return datetime.combine(day, start)
