"""What every ``{{ … }}`` in a template passes through before it is written into a page.

Two classes of user text that looked harmless were not:

* A translated message built lazily (``lazy_gettext("… %(bank)s …", bank=user_input)``) counts
  as safe markup to Jinja, because Flask-Babel's lazy strings have ``__html__``. Whatever the user
  typed then reached the page unescaped. None of our messages holds HTML, so a lazy string is
  turned into plain text here and escaped like any other value.
* Bidirectional control characters (``Budi \\u202eSantoso``) reverse the text after them: a name
  could mirror the phone number or amount that follows it on another person's screen. They are
  dropped from everything a page shows; ordinary right-to-left text (Arabic names) stays as it is,
  since its direction comes from the letters themselves.
"""

from __future__ import annotations

from flask_babel.speaklater import LazyString
from markupsafe import Markup

#: Embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI).
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_CONTROL_CHARS = tuple(map(chr, BIDI_CONTROLS))


def _has_bidi_controls(text: str) -> bool:
    """Checked before translating: ``str.translate`` walks a non-ASCII text character by
    character in Python, and every expression of a page passes here, a rendered product grid
    (tens of kilobytes with "★" and "·") once per template level it is printed through. Nine
    substring searches run at memory speed; one regular-expression character class over the
    same text took seven times as long."""
    return not text.isascii() and any(control in text for control in _CONTROL_CHARS)


def strip_bidi_controls(text: str) -> str:
    return text.translate(BIDI_CONTROLS) if _has_bidi_controls(text) else text


class CheckedMarkup(Markup):
    """Markup made only of values that went through ``finalize`` already (a rendered product
    card, a grid of them): printing it again needs no second look for control characters."""

    __slots__ = ()


def finalize(value):
    """Jinja's ``finalize`` hook: runs on each expression's value, before autoescaping."""
    if type(value) is CheckedMarkup:
        return value
    if isinstance(value, LazyString):
        return strip_bidi_controls(str(value))
    if isinstance(value, Markup):
        if not _has_bidi_controls(value):
            return value
        return Markup(str.translate(value, BIDI_CONTROLS))  # noqa: S704 (already escaped; only removes characters)
    if isinstance(value, str):
        return strip_bidi_controls(value)
    return value
