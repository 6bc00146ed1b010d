"""Language choice, money and time formatting.

Bahasa Indonesia is the default; a visitor's choice is kept in the session (and on the account)
so it survives navigation. Money is integer rupiah, formatted only here. Times are shown in the
reader's own Indonesian time zone, named, because Lombok sellers live in WITA and a Papua buyer
in WIT: "14.05" alone would be an hour or two off for them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user

from marketplace.auth import signed_in
from marketplace.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and cron jobs: the product's default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    known = signed_in.lookup_on_cached_pages()  # no account loaded for a cached page
    if known is not None:
        user_locale = known.locale
    else:
        user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return str(user_locale)
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    try:
        return str(get_locale() or "id")
    except RuntimeError:  # outside a request (CLI): Indonesian is the product's language
        return "id"


def format_rupiah(amount: int | None, locale: str | None = None) -> str:
    """``Rp 25.000`` in Indonesian, ``Rp 25,000`` in English; rupiah have no minor unit in use.

    A page prints dozens of prices and Babel parses its pattern on every call, so the locale's
    grouping and minus signs are looked up once and whole rupiah grouped here; amounts beyond
    any real price go through Babel as before.
    """
    if amount is None:
        return ""
    loc = locale or current_locale()
    value = int(amount)
    signs = _rupiah_signs(loc)
    if signs is None or not -_FAST_LIMIT < value < _FAST_LIMIT:
        return "Rp " + format_decimal(value, format="#,##0", locale=loc)
    group, minus = signs
    grouped = f"{abs(value):,}"
    if group != ",":
        grouped = grouped.replace(",", group)
    return ("Rp " + minus + grouped) if value < 0 else ("Rp " + grouped)


_FAST_LIMIT = 10**18


@lru_cache(maxsize=32)
def _rupiah_signs(locale: str) -> tuple[str, str] | None:
    """The locale's group and minus signs, when grouping with them gives Babel's output (checked
    on a sample, so an unusual locale falls back to Babel instead of being printed wrongly)."""
    try:
        symbols = Locale.parse(locale).number_symbols["latn"]
        group, minus = symbols["group"], symbols["minusSign"]
    except (ValueError, KeyError, TypeError, UnknownLocaleError):
        return None
    sample = -1234567
    expected = format_decimal(sample, format="#,##0", locale=locale)
    return (group, minus) if expected == minus + "1,234,567".replace(",", group) else None


# Where purna PMI most often worked, first in the list of suggestions under the country field.
ABROAD_COUNTRIES = ("MY", "HK", "TW", "SA", "SG", "KR", "JP", "AE", "BN", "QA", "KW", "OM")
# Everyday names where CLDR's formal ones read oddly ("Hong Kong SAR China").
_SHORT_NAMES = {"HK": {"id": "Hong Kong", "en": "Hong Kong"}, "MO": {"id": "Makau", "en": "Macau"}}
# Spellings sellers type that CLDR does not list, in either language.
_ALIASES = {
    "saudi": "SA",
    "uea": "AE",
    "uae": "AE",
    "emirat arab": "AE",
    "dubai": "AE",
    "korea": "KR",
    "korsel": "KR",
    "brunei": "BN",
    "hongkong": "HK",
    "singapur": "SG",
    "amerika": "US",
    "usa": "US",
    "turkey": "TR",
    "makao": "MO",
}


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace(".", " ").split())


@lru_cache(maxsize=1)
def _country_codes() -> dict[str, str]:
    codes: dict[str, str] = {}
    for lang in ("id", "en"):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():  # countries, not continents ("001")
                codes[_fold(name)] = code
    for code, names in _SHORT_NAMES.items():
        codes.update({_fold(name): code for name in names.values()})
    codes.update(_ALIASES)
    return codes


@cache
def _country(code: str, locale: str) -> str:
    return _SHORT_NAMES.get(code, {}).get(locale) or Locale.parse(locale).territories[code]


def country_name(text: str | None, locale: str | None = None) -> str:
    """The country a seller typed, named in the reader's language ("Arab Saudi" in Indonesian,
    "Saudi Arabia" in English). The field is free text, so what is not a known country name
    (a city, a spelling of their own) is shown as written."""
    code = _country_codes().get(_fold(text or ""))
    if code is None:
        return text or ""
    return _country(code, locale or current_locale())


def abroad_countries() -> list[str]:
    """Suggestions for the "country where you worked" field, in the visitor's language."""
    locale = current_locale()
    return [_country(code, locale) for code in ABROAD_COUNTRIES]


class FormTranslations:
    """WTForms' own messages ("This field is required.", …) read from our catalogue.

    WTForms ships no Indonesian catalogue, so on the default language every built-in message
    would be English. Their Indonesian text lives in our ``messages.po`` beside the rest of
    the interface. Looked up on each call, so the language is the one the request settled on.
    """

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)

    # The names Flask-WTF calls on a request's translations object.
    ugettext = gettext
    ungettext = ngettext


form_translations = FormTranslations()

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


def _page_translations() -> Translations | NullTranslations:
    """The translations of the language in force, found once per request and language.

    Flask-Babel looks them up anew for every ``_()`` a template calls (the request's context,
    the locale, its name, the catalogue cache: about as long as the rest of printing the text,
    twenty-odd times a page). They are kept beside Flask-Babel's own per-request locale and
    used while that locale object is the one in force, so ``force_locale`` (mails in the
    recipient's language) still switches them.
    """
    state = g.get("_flask_babel")  # Flask-Babel's per-request namespace
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return get_translations()
    kept = getattr(state, "page_translations", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state.page_translations = (locale, translations)
    return translations


def _template_gettext(string: str) -> str:
    return _page_translations().ugettext(string)


def _template_ngettext(singular: str, plural: str, n: int) -> str:
    return _page_translations().ungettext(singular, plural, n)


def _template_pgettext(context: str, string: str) -> str:
    return _page_translations().upgettext(context, string)


def _template_npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _page_translations().unpgettext(context, singular, plural, n)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # In place of the callables Flask-Babel installed: the same texts, found more cheaply.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext,
        _template_ngettext,
        newstyle=True,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )

    @app.before_request
    def _use_our_form_messages() -> None:
        # Flask-WTF looks for a request's translations in ``request.wtforms_translations``
        # before loading WTForms' own catalogues: every ``FlaskForm`` picks these up, including
        # forms that do not know about this module.
        request.wtforms_translations = form_translations  # type: ignore[attr-defined]

    @app.before_request
    def _remember_query_locale() -> None:
        # ``?lang=en`` lets a shared link open in the sender's language.
        lang = request.args.get("lang", "")
        if lang in app.config["LANGUAGES"] and session.get("locale") != lang:
            session["locale"] = lang
            if current_user.is_authenticated and current_user.locale != lang:
                from marketplace.auth import services as auth_services

                auth_services.set_locale(current_user, lang)
