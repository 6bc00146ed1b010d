"""Filters and globals shared by every template (the catalogue adds its photo helpers)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, request

from marketplace import phones, regions, safe_text
from marketplace.i18n import (
    abroad_countries,
    country_name,
    current_locale,
    format_rupiah,
    format_when,
)


def language_url(lang: str) -> str:
    """This page in another language: a plain link (``?lang=``), so it works without JavaScript
    and pages stay free of per-visitor tokens (which lets anonymous pages be cached)."""
    # A page kept in the page cache under a normalised query names it (``g.canonical_args``).
    given = g.get("canonical_args")
    source = request.args.items() if given is None else given.items()
    args = {k: v for k, v in source if k != "lang"}
    return f"{request.path}?{urlencode({**args, 'lang': lang})}"


def _format_datetime(value, region_code: str | None = None, long: bool = False) -> str:
    """``{{ order.created_at|datetime(order.province_code) }}``: the time in the zone of the
    reader's place (a shop's province on seller pages, the shipping province on a buyer's
    order), labelled WIB / WITA / WIT; WIB without a place."""
    return format_when(value, region_code, long=long)


def _format_date(value, region_code: str | None = None, long: bool = False) -> str:
    """The day alone, in the same zone (a late-evening UTC time is already tomorrow in WITA)."""
    return format_when(value, region_code, with_time=False, long=long)


def wa_link(number: str | None, text: str = "") -> str:
    """A wa.me link for a template, or "" when the number is not valid.

    A page must not fail because one seller's stored number is odd; the template renders no
    button instead of a link WhatsApp would reject.
    """
    try:
        return phones.whatsapp_link(number or "", text)
    except ValueError:
        return ""


def mailbox(email: str | None) -> str:
    """The address to show for an account: "" for a phone-only account's placeholder."""
    from marketplace.auth.services import has_mailbox

    return str(email) if has_mailbox(email) else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.filters["datetime"] = _format_datetime
    app.jinja_env.filters["date"] = _format_date
    app.jinja_env.filters["region_name"] = regions.name
    app.jinja_env.filters["place_label"] = regions.place_label
    app.jinja_env.filters["wa_link"] = wa_link
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["mailbox"] = mailbox
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.finalize = safe_text.finalize

    # Globals, not a context processor: imported macros see globals but not the context.
    app.jinja_env.globals.update(
        current_locale=current_locale,
        abroad_countries=abroad_countries,
        language_url=language_url,
        languages=app.config["LANGUAGES"],
    )
