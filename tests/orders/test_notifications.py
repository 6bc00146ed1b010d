"""Mail goes out by SMTP or to the outbox and never breaks an order; notifications wait for the
commit; WhatsApp links work whichever way a seller typed the number."""

from __future__ import annotations

import base64
import logging
import socket
import socketserver
import threading
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from marketplace.extensions import db
from orders.notifications import OUTBOX_SEPARATOR, after_commit, send_mail, whatsapp_link


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server = self.server
        sender, recipients = None, []
        self.reply("220 localhost test SMTP")
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-localhost")
                self.reply("250 AUTH PLAIN")
            elif verb == "HELO" or verb in ("NOOP", "RSET"):
                self.reply("250 OK")
            elif verb == "AUTH":
                _mechanism, credentials = command.split(" ")[1:3]
                _identity, user, password = base64.b64decode(credentials).decode().split("\0")
                server.logins.append((user, password))
                self.reply("235 Authentication successful")
            elif verb == "MAIL":
                sender = command.split(":", 1)[1].strip()
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) != b".\r\n":
                    lines.append(data[1:] if data.startswith(b"..") else data)
                server.messages.append((sender, recipients, b"".join(lines)))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[str, str]] = []


@pytest.fixture()
def smtp_server():
    server = _SMTPServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture()
def mail_app(tmp_path):
    """A bare app: sending mail needs configuration and a logger, not a database."""
    app = Flask("mail_test")
    app.config.update(
        MAIL_SERVER="",
        MAIL_PORT=587,
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
        MAIL_USE_TLS=False,
        MAIL_FROM="Migrant Mart <pesanan@migrantmart.test>",
        MAIL_OUTBOX=str(tmp_path / "mail" / "outbox" / "outbox.log"),
    )
    with app.app_context():
        yield app


def _outbox(app: Flask) -> str:
    return Path(app.config["MAIL_OUTBOX"]).read_text(encoding="utf-8")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_without_a_server_mail_goes_to_the_outbox(mail_app):
    send_mail("ani@example.test", "Pesanan MM-2026-000123 diterima", "Terima kasih, Ani.\nSalam.")
    send_mail("budi@example.test", "Pesanan MM-2026-000124 dikirim", "Resi: JNE123")

    text = _outbox(mail_app)
    entries = text.split(OUTBOX_SEPARATOR + "\n")[1:]
    assert len(entries) == 2
    assert "To: ani@example.test\nSubject: Pesanan MM-2026-000123 diterima\n" in entries[0]
    assert "Terima kasih, Ani.\nSalam." in entries[0]
    assert entries[0].startswith("Date: 20")
    assert "Subject: Pesanan MM-2026-000124 dikirim" in entries[1] and "Resi: JNE123" in entries[1]


def test_a_subject_cannot_fake_another_outbox_entry(mail_app):
    send_mail("ani@example.test", f"Halo\n{OUTBOX_SEPARATOR}\nTo: someone", "isi")
    text = _outbox(mail_app)
    assert text.count(OUTBOX_SEPARATOR + "\n") == 1


def test_outbox_entries_from_parallel_senders_stay_whole(mail_app):
    bodies = [chr(ord("a") + n) * 200_000 for n in range(6)]

    def send(body: str) -> None:
        with mail_app.app_context():
            send_mail("x@example.test", f"bulk {body[0]}", body)

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    entries = _outbox(mail_app).split(OUTBOX_SEPARATOR)
    assert sorted(e.split("\n\n", 1)[1].strip() for e in entries[1:]) == bodies


def test_smtp_delivers_the_message(mail_app, smtp_server):
    mail_app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.server_address[1],
        MAIL_USERNAME="mailer",
        MAIL_PASSWORD="s3cret",
    )
    send_mail("ani@example.test", "Pesanan diterima", "Pesanan Anda sedang dikemas.")

    assert smtp_server.logins == [("mailer", "s3cret")]
    [(sender, recipients, raw)] = smtp_server.messages
    assert sender == "<pesanan@migrantmart.test>"
    assert recipients == ["<ani@example.test>"]
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Pesanan diterima"
    assert message["To"] == "ani@example.test"
    assert message["From"] == mail_app.config["MAIL_FROM"]
    assert message.get_content().strip() == "Pesanan Anda sedang dikemas."
    assert open_or_none(mail_app.config["MAIL_OUTBOX"]) is None


def open_or_none(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def test_tls_required_but_not_offered_sends_nothing_and_logs(mail_app, smtp_server, caplog):
    mail_app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.server_address[1],
        MAIL_USE_TLS=True,
        MAIL_USERNAME="mailer",
        MAIL_PASSWORD="s3cret",
    )
    with caplog.at_level(logging.ERROR):
        send_mail("ani@example.test", "Pesanan diterima", "isi")
    assert smtp_server.messages == [] and smtp_server.logins == []
    assert any("could not send mail" in r.getMessage() and r.exc_info for r in caplog.records)


def test_smtp_server_down_does_not_raise_and_logs(mail_app, caplog):
    mail_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port())
    with caplog.at_level(logging.ERROR):
        send_mail("ani@example.test", "Pesanan diterima", "isi")
    [record] = [r for r in caplog.records if "could not send mail" in r.getMessage()]
    assert record.exc_info and issubclass(record.exc_info[0], ConnectionRefusedError)
    assert open_or_none(mail_app.config["MAIL_OUTBOX"]) is None


def test_after_commit_sends_mail_with_keyword_arguments(app_ctx, tmp_path, monkeypatch):
    outbox = tmp_path / "outbox.log"
    monkeypatch.setitem(app_ctx.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app_ctx.config, "MAIL_OUTBOX", str(outbox))
    db.session.execute(db.text("SELECT 1"))
    after_commit(send_mail, "ani@example.test", subject="Pesanan diterima", body="isi")
    assert not outbox.exists()
    db.session.commit()
    assert "Subject: Pesanan diterima" in outbox.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "number",
    [
        "+62 812-3456-7890",
        "0812 3456 7890",
        "6281234567890",
        "(0812) 3456.7890",
        "812 3456 7890",
        "0062 812 3456 7890",
    ],
)
def test_whatsapp_numbers_are_normalised(number):
    link = whatsapp_link(number, "Halo")
    assert urlsplit(link).netloc == "wa.me"
    assert urlsplit(link).path == "/6281234567890"


def test_whatsapp_text_is_url_encoded():
    text = "Halo, saya mau pesan Gula Semut 250 g & Terasi #2?"
    link = whatsapp_link("081234567890", text)
    query = urlsplit(link).query
    assert " " not in query and "&" not in query.removeprefix("text=")
    assert parse_qs(query) == {"text": [text]}


def test_whatsapp_number_without_digits_is_refused():
    with pytest.raises(ValueError):
        whatsapp_link("-", "Halo")
