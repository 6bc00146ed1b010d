"""Small text helpers shared by several packages."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(value: str, max_length: int = 80) -> str:
    """ASCII, lowercase, hyphenated: safe in URLs and readable when shared on WhatsApp."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def unique_slug(model, value: str, exclude_id: int | None = None, max_length: int = 80) -> str:
    """``slugify(value)``, suffixed ``-2``, ``-3``… until no other row of ``model`` has it."""
    from sqlalchemy import select

    from marketplace.extensions import db

    base = slugify(value, max_length=max_length)
    slug, n = base, 2
    while True:
        query = select(model.id).where(model.slug == slug)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if db.session.scalar(query) is None:
            return slug
        slug, n = f"{base}-{n}", n + 1


def is_digits(value: str) -> bool:
    """Only the ASCII digits 0-9, at least one.

    ``str.isdigit`` also says yes to "³" or "٣" (other scripts' digits), which ``int`` refuses
    or banks and couriers would not read: every number typed into a form or a URL is checked
    with this instead.
    """
    return value.isascii() and value.isdigit()
