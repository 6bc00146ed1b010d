"""Phone numbers: one way to read them, store them and link to them on WhatsApp.

Indonesians write the same mobile number as "0812…", "+62 812-…", "62812…", "812…" or
"0062…". WhatsApp's wa.me links only work with the international form in digits
(``https://wa.me/6281234567890``); a national "0812…" opens an error page. So numbers are
parsed once with ``phonenumbers`` (Google's libphonenumber metadata), stored in E.164
("+6281234567890", which fits the String(20) column) and formatted from there.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import phonenumbers

# What people type between digit groups: spaces, dashes (also the typographic ones a phone
# keyboard or a copied text brings), dots, slashes and brackets around the area code.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212./()]+")
_PLAIN_NUMBER = re.compile(r"\+?[0-9]+")


def to_e164(raw: str | None, region: str = "ID") -> str | None:
    """``raw`` as E.164 ("+6281234567890"), or ``None`` when it is not a valid number.

    Only the ASCII digits 0-9 are accepted: ``phonenumbers`` would quietly read "٠٨١٢…" or
    full-width digits, but such a value would then be shown back differently from what the
    seller typed, and letters (vanity numbers like "0800-FLOWERS") are not WhatsApp numbers.
    "0062…" is handled here because libphonenumber only knows Indonesia's carrier-specific
    international prefixes (001, 007, 008…), not the plain "00" many people type.
    """
    if not raw:
        return None
    compact = _SEPARATORS.sub("", raw)
    if not _PLAIN_NUMBER.fullmatch(compact):
        return None
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Whether an E.164 number can be a mobile one (WhatsApp runs on phones, not landlines)."""
    number = phonenumbers.parse(e164)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def region_of(e164: str) -> str | None:
    """The two-letter region of an E.164 number ("ID"), ``None`` if unknown."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))


def display(e164: str) -> str:
    """International format for people to read: "+62 812-3456-7890".

    International rather than national, because buyers abroad (family of migrant workers)
    read the page too, and the "+62" form dials from anywhere.
    """
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def whatsapp_link(number: str, text: str = "") -> str:
    """``https://wa.me/<digits>``, with ``?text=`` (fully URL-encoded) only when text is given.

    WhatsApp wants the country code and digits only, no "+" or leading 0. An invalid number
    raises ``ValueError``: a link to nobody is a bug in the caller (templates use the
    ``wa_link`` filter, which renders nothing instead).
    """
    e164 = to_e164(number)
    if e164 is None:
        raise ValueError(f"not a valid phone number: {number!r}")
    link = f"https://wa.me/{e164.removeprefix('+')}"
    return f"{link}?text={quote(text, safe='')}" if text else link
