"""Every form speaks the visitor's language, its built-in WTForms messages included.

Indonesian is the default; WTForms ships no Indonesian catalogue, so its own messages ("This
field is required.") go through ours (``marketplace.i18n.FormTranslations``). Each form page is
posted empty and with bad input in both languages, and the answer must not carry a message of
the other language.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import flask_wtf
import pytest
import wtforms
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "marketplace/translations/id/LC_MESSAGES/messages.po"


def _builtin_messages() -> list[str | tuple[str, str]]:
    """Every message WTForms and Flask-WTF translate, read from the installed sources."""
    found = []
    for package in (wtforms, flask_wtf):
        for _f, _l, message, _c, _ctx in extract_from_dir(
            os.path.dirname(package.__file__),
            [("**.py", "python")],
            keywords={"gettext": None, "ngettext": (1, 2)},
        ):
            if message not in found:
                found.append(message)
    return found


BUILTIN = _builtin_messages()


def _as_pattern(message: str) -> str:
    """A built-in message as a regular expression matching it with any values filled in."""
    parts = re.split(r"%\(\w+\)[sd]|%s|\{\w+\}", message)
    return ".+?".join(re.escape(part) for part in parts)


# The English built-in messages with their values filled in, as a page would show them.
ENGLISH_BUILTIN = re.compile(
    "|".join(
        _as_pattern(text)
        for message in BUILTIN
        for text in (message if isinstance(message, tuple) else (message,))
    )
)

# Phrases of our own English text that once leaked into the Indonesian interface.
ENGLISH_PHRASES = [
    "receipt uploaded",
    "bank transfer confirmed",
    "payment time ran out",
    "completed automatically",
    "confirmed by buyer",
    "cancelled by the buyer",
    "Please ",
    "must be",
    "is required",
    "Invalid",
    "Not a valid",
    "Choose the",
    "Write the",
    "Enter the",
    "Use an Indonesian",
    "Saudi Arabia",
]

# Words of Indonesian text that must not show on the English interface (whole words).
INDONESIAN_WORDS = [
    "tidak",
    "wajib",
    "harus",
    "silakan",
    "isian",
    "kolom",
    "tulis",
    "pilih",
    "masukkan",
    "lain",
    "yang",
    "dengan",
    "untuk",
    "atau",
    "dan",
    "angka",
    "bulat",
    "karakter",
    "Arab Saudi",
    "diterima",
]
INDONESIAN = re.compile(r"\b(" + "|".join(INDONESIAN_WORDS) + r")\b", re.IGNORECASE)


class _VisibleText(HTMLParser):
    """The text a visitor reads (and hears: titles, labels, placeholders), minus any part the
    page itself marks as written in another language (``lang="…"``)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    SPOKEN = ("title", "aria-label", "placeholder", "alt")

    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []  # (tag, shown in another language or hidden)
        self.chunks: list[str] = []

    def _foreign(self) -> bool:
        return any(flag for _tag, flag in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        other = (lang is not None and lang != self.page_lang) or tag in ("script", "style")
        if tag == "html":
            other = False
        if not (other or self._foreign()):
            self.chunks.extend(attrs[a] for a in self.SPOKEN if attrs.get(a))
        if tag not in self.VOID:
            self.stack.append((tag, other))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._foreign() and data.strip():
            self.chunks.append(" ".join(data.split()))


def visible_text(html: str, lang: str) -> str:
    parser = _VisibleText(lang)
    parser.feed(html)
    return "\n".join(parser.chunks)


def wrong_language(html: str, lang: str) -> list[str]:
    """Snippets of the other language found on a page answered in ``lang``."""
    text = visible_text(html, lang)
    if lang == "id":
        found = [m.group(0) for m in ENGLISH_BUILTIN.finditer(text)]
        found += [p for p in ENGLISH_PHRASES if p in text]
    else:
        found = [m.group(0) for m in INDONESIAN.finditer(text)]
    return found


def test_detectors_catch_each_language():
    """The checks below would fail on a page in the wrong language."""
    english = (
        '<html lang="id"><p class="error">Field must be between 2 and 120 characters long.</p>'
    )
    assert "Field must be between 2 and 120 characters long." in wrong_language(english, "id")
    indonesian = '<html lang="en"><p class="error">Kolom ini wajib diisi.</p>'
    assert wrong_language(indonesian, "en") == ["Kolom", "wajib"]
    marked = '<html lang="en"><a lang="id" href="?lang=id">Bahasa Indonesia dan lain</a>'
    assert wrong_language(marked, "en") == []


# --- the catalogue ------------------------------------------------------------------------


def test_every_builtin_wtforms_message_has_an_indonesian_translation():
    with open(PO, "rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in BUILTIN:
        entry = catalog.get(message)
        strings = (
            (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ()
        )
        if not strings or not all(strings):
            missing.append(message)
    assert len(BUILTIN) > 30
    assert missing == []


class _PlainForm(FlaskForm):
    """A form that knows nothing of our code, like any form added later."""

    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired(), Length(min=2, max=5)])
    email = StringField("Email", validators=[DataRequired(), Email()])
    count = IntegerField("Count", validators=[NumberRange(min=1, max=9)])
    colour = SelectField("Colour", choices=[SelectChoice("r", "Red")])


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            {
                "name": ["Isian harus antara 2 dan 5 karakter."],
                "email": ["Alamat e-mail tidak valid."],
                "count": ["Bukan bilangan bulat yang valid.", "Angka harus antara 1 dan 9."],
                "colour": ["Pilihan tidak valid."],
            },
        ),
        (
            "en",
            {
                "name": ["Field must be between 2 and 5 characters long."],
                "email": ["Invalid email address."],
                "count": ["Not a valid integer value.", "Number must be between 1 and 9."],
                "colour": ["Not a valid choice."],
            },
        ),
    ],
)
def test_any_flask_form_gets_builtin_messages_in_the_visitors_language(app_ctx, lang, expected):
    data = {"name": "abcdefgh", "email": "not-an-address", "count": "x", "colour": "blue"}
    with app_ctx.test_request_context(f"/?lang={lang}", method="POST", data=data):
        app_ctx.preprocess_request()
        form = _PlainForm()
        assert not form.validate()
        assert form.errors == expected


def test_required_message_follows_the_language_switch(client):
    from tests.conftest import get_csrf

    token = get_csrf(client)
    indonesian = client.post("/account/login", data={"csrf_token": token})
    assert "Kolom ini wajib diisi." in indonesian.get_data(as_text=True)
    english = client.post("/account/login?lang=en", data={"csrf_token": token})
    assert "This field is required." in english.get_data(as_text=True)
    assert "Kolom ini wajib diisi." not in english.get_data(as_text=True)
