"""What the order history says about a step, in the language of whoever reads it.

A step the system takes (a receipt uploaded, a transfer confirmed, an order expired) is stored
as a code with its values (``coded``) and put into words only when shown (``describe``): the
buyer reads the same history in Indonesian or English, whichever they chose that day. Notes a
person typed (an admin's note, a seller's reason) are kept and shown as written.

Rows written before codes existed hold English sentences; the known ones are read back as their
codes, so old orders read in the reader's language too.
"""

from __future__ import annotations

import json
import re

from flask_babel import lazy_gettext as _l

from marketplace.i18n import format_rupiah

NOTE_LIMIT = 300  # OrderEvent.note

MESSAGES = {
    "receipt_uploaded": _l("receipt uploaded: %(filename)s"),
    "transfer_confirmed": _l("bank transfer confirmed"),
    "payment_time_ran_out": _l("payment time ran out"),
    "expired": _l("expired"),
    "completed_automatically": _l("completed automatically"),
    "received_by_buyer": _l("received, confirmed by the buyer"),
    "cancelled_by_buyer": _l("cancelled by the buyer"),
    "card_session_expired": _l("card payment %(ref)s: the payment page closed unpaid"),
    "card_payment_failed": _l("card payment %(ref)s: the delayed payment failed"),
    "card_payment_clearing": _l("card payment %(ref)s: the payment is clearing"),
    "card_refunded": _l("card payment %(ref)s: %(amount)s refunded in total"),
    "practice_paid": _l("practice payment (Latihan): no money moved"),
}

# The English sentences stored before codes, as (pattern, code, names of the values).
_LEGACY = [
    (re.compile(r"receipt uploaded: (.*)", re.S), "receipt_uploaded", ("filename",)),
    (re.compile(r"bank transfer confirmed"), "transfer_confirmed", ()),
    (re.compile(r"payment time ran out"), "payment_time_ran_out", ()),
    (re.compile(r"expired"), "expired", ()),
    (re.compile(r"completed automatically"), "completed_automatically", ()),
    (re.compile(r"received, confirmed by buyer"), "received_by_buyer", ()),
    (re.compile(r"cancelled by the buyer"), "cancelled_by_buyer", ()),
    (
        re.compile(r"stripe (\S*): checkout session expired unpaid"),
        "card_session_expired",
        ("ref",),
    ),
    (re.compile(r"stripe (\S*): delayed payment failed"), "card_payment_failed", ("ref",)),
    (re.compile(r"stripe (\S*): payment clearing"), "card_payment_clearing", ("ref",)),
    (
        re.compile(r"stripe (\S*): Rp (\d+) refunded in total"),
        "card_refunded",
        ("ref", "amount"),
    ),
]


def coded(code: str, **values) -> str:
    """The note to store for a step the system took (fits the 300-character column)."""
    if code not in MESSAGES:
        raise KeyError(code)
    while True:
        text = json.dumps({"code": code, **values}, ensure_ascii=False, separators=(",", ":"))
        excess = len(text) - NOTE_LIMIT
        texts = [k for k, v in values.items() if isinstance(v, str) and v]
        if excess <= 0 or not texts:
            return text
        # Cut the longest value rather than the JSON, which would no longer read as a code.
        longest = max(texts, key=lambda k: len(values[k]))
        values[longest] = values[longest][: max(0, len(values[longest]) - excess)]


def _decode(note: str) -> tuple[str, dict] | None:
    if note.startswith('{"code":'):
        try:
            data = json.loads(note)
        except ValueError:
            return None
        if isinstance(data, dict) and data.get("code") in MESSAGES:
            code = data.pop("code")
            return code, data
        return None
    for pattern, code, names in _LEGACY:
        match = pattern.fullmatch(note)
        if match:
            return code, dict(zip(names, match.groups(), strict=True))
    return None


def describe(note: str | None) -> str:
    """A stored note in the reader's language; a note a person typed, as they typed it."""
    note = note or ""
    decoded = _decode(note)
    if decoded is None:
        return note
    code, values = decoded
    if "amount" in values:
        values["amount"] = format_rupiah(int(values["amount"]))
    try:
        return str(MESSAGES[code]) % values
    except (KeyError, ValueError, TypeError):  # a damaged row: show what is stored
        return note
