"""E-mail to buyers and sellers, WhatsApp links, and running them only after a commit.

Mail is a side effect of an order, never a condition for it: a mail server that is down is
logged and the order stands. Side effects also wait for the transaction (DESIGN §4.5): a
notification scheduled with ``after_commit`` (the core's event bus, ``marketplace.events``)
runs once the database has the order, and is dropped if the transaction rolls back, so nobody
is told about an order that does not exist.

Without ``MAIL_SERVER`` (development, workshops, tests) messages are appended to the
``MAIL_OUTBOX`` file instead, where a developer or trainer can read them.
"""

from __future__ import annotations

from marketplace import phones
from marketplace.events import after_commit  # noqa: F401  (kept importable here)
from marketplace.mail import OUTBOX_SEPARATOR, send_mail  # noqa: F401  (kept importable here)


def whatsapp_link(number: str, text: str) -> str:
    """A wa.me link to ``number`` with ``text`` prefilled; see ``marketplace.phones``.

    Kept here for the order views that import it; the parsing of "0812…", "+62 812-…",
    "62812…", "812…" and "0062…" lives in one place. An invalid number raises ``ValueError``:
    a link to nobody is a bug in the caller.
    """
    return phones.whatsapp_link(number, text)
