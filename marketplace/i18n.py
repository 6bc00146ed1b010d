"""Language choice, money and time formatting.

Bahasa Indonesia is the default; a visitor's choice is kept in the session (and on the account)
so it survives navigation. Money is integer rupiah, formatted only here. Times are shown in the
reader's own Indonesian time zone, named, because Lombok sellers live in WITA and a Papua buyer
in WIT: "14.05" alone would be an hour or two off for them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from marketplace.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and cron jobs: the product's default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    try:
        return str(get_locale() or "id")
    except RuntimeError:  # outside a request (CLI): Indonesian is the product's language
        return "id"


def format_rupiah(amount: int | None, locale: str | None = None) -> str:
    """``Rp 25.000`` in Indonesian, ``Rp 25,000`` in English; rupiah have no minor unit in use."""
    if amount is None:
        return ""
    loc = locale or current_locale()
    return "Rp " + format_decimal(int(amount), format="#,##0", locale=loc)


# Province codes (Kemendagri, as in ``marketplace.regions``) outside Western Indonesia Time.
WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})
TIME_ZONES = {
    "WIB": ZoneInfo("Asia/Jakarta"),
    "WITA": ZoneInfo("Asia/Makassar"),
    "WIT": ZoneInfo("Asia/Jayapura"),
}
# Indonesian writes the hour with a dot (14.05); English readers expect 14:05, not 2:05 PM.
_TIME_PATTERNS = {"id": "HH.mm"}


def zone_label(region_code: str | None) -> str:
    """WIB, WITA or WIT for a province code or any code below it ("52.03.12.2002");
    WIB, the zone of most Indonesians, when the place is unknown."""
    province = (region_code or "").split(".", 1)[0].strip()
    if province in WITA_PROVINCES:
        return "WITA"
    if province in WIT_PROVINCES:
        return "WIT"
    return "WIB"


def format_when(
    value: datetime | date | None,
    region_code: str | None = None,
    *,
    with_time: bool = True,
    long: bool = False,
    locale: str | None = None,
) -> str:
    """``3 Des 2026, 14.05 WITA`` (``3 Dec 2026, 14:05 WITA`` in English) in the zone of
    ``region_code``; the day alone with ``with_time=False``, the month written out with ``long``.

    Stored times are UTC; SQLite hands them back without a zone, so a naive value is UTC too.
    A plain date has no zone to convert and is shown as it is.
    """
    if value is None or value == "":
        return ""
    loc = locale or current_locale()
    label = zone_label(region_code)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = aware.astimezone(TIME_ZONES[label])
        day = local.date()
    else:
        local, day, with_time = None, value, False
    text = format_date(day, "d MMMM y" if long else "d MMM y", locale=loc)
    if not with_time or local is None:
        return text
    clock = format_time(local.time(), _TIME_PATTERNS.get(loc[:2], "HH:mm"), locale=loc)
    return f"{text}, {clock} {label}"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _remember_query_locale() -> None:
        # ``?lang=en`` lets a shared link open in the sender's language.
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"] and session.get("locale") != lang:
            session["locale"] = lang
            if current_user.is_authenticated and current_user.locale != lang:
                from marketplace.auth import services as auth_services

                auth_services.set_locale(current_user, lang)
