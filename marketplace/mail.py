"""E-mail: one way to send a message, used by every package.

Mail is a side effect, never a condition: a mail server that is down is logged and the action
that wanted to tell someone stands. Without ``MAIL_SERVER`` (development, workshops, tests)
messages are appended to the ``MAIL_OUTBOX`` file instead, where a developer or trainer can read
them. Callers send after their commit, so nobody is told about something that did not happen.
"""

from __future__ import annotations

import fcntl
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

SMTP_TIMEOUT_SECONDS = 10  # mail is sent inside the request: a stuck server must not hang it
OUTBOX_SEPARATOR = "=" * 72


def send_mail(to: str, subject: str, body: str) -> None:
    """Send by SMTP when a server is configured, else append to the outbox file; never raise."""
    config = current_app.config
    if to.strip().lower().endswith(".invalid"):
        return  # a phone-only account's placeholder address (RFC 2606): nobody to reach
    try:
        if config.get("MAIL_SERVER"):
            _send_smtp(config, to, subject, body)
        else:
            _append_to_outbox(Path(config["MAIL_OUTBOX"]), to, subject, body)
    except Exception:
        current_app.logger.exception("could not send mail %r to %s", subject, to)


def _send_smtp(config, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid()
    message.set_content(body)
    with smtplib.SMTP(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS
    ) as smtp:
        if config.get("MAIL_USE_TLS"):
            # Raises if the server can't: better no mail than a password sent in clear.
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)


def _one_line(value: str) -> str:
    """A header with a newline could fake the start of another entry in the outbox."""
    return " ".join(value.split())


def _append_to_outbox(path: Path, to: str, subject: str, body: str) -> None:
    """One write under an exclusive lock, so entries from several workers never interleave."""
    entry = (
        f"{OUTBOX_SEPARATOR}\n"
        f"Date: {datetime.now().astimezone().isoformat(timespec='seconds')}\n"
        f"To: {_one_line(to)}\n"
        f"Subject: {_one_line(subject)}\n"
        f"\n{body.rstrip()}\n\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as outbox:
        fcntl.flock(outbox, fcntl.LOCK_EX)
        try:
            outbox.write(entry)
            outbox.flush()
        finally:
            fcntl.flock(outbox, fcntl.LOCK_UN)
