"""Enrolling a list of people at once, and the login cards they use instead of a password.

Programme teams often arrive with a list of names and numbers (from the village office or a
registration sheet) and a room of people who will not type a password on a small screen. The
trainer uploads the list as CSV; every row is checked and reported (the good rows imported, the
bad ones named with their reason) in one transaction, with set-based lookups whatever the
number of rows. Each imported person gets a printed card with a one-time sign-in code.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from marketplace import audit, phones
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role, User, hash_secret, utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from sellers.workshops import services
from sellers.workshops.models import Workshop, WorkshopMember
from sellers.workshops.records import SignInCode

MAX_IMPORT_ROWS = 200  # a workshop is a room, not a registry; larger lists are split
MAX_IMPORT_BYTES = 256 * 1024
NAME_MAX = 120
SIGN_IN_CODE_LIFETIME = timedelta(days=7)
# Read off a card and typed on a phone keyboard: the join-code alphabet (no look-alikes).
SIGN_IN_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
SIGN_IN_CODE_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HEADER_WORDS = {"name", "nama", "phone", "telepon", "hp", "no hp", "nomor", "email", "e-mail"}


class ImportRefused(DomainError):
    """The file as a whole cannot be read (encoding, size, no rows): nothing was imported."""

    def __init__(self, reason: str, **values) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass
class RowResult:
    line: int  # the line number in the file, as a spreadsheet shows it
    name: str
    phone: str
    problem: str = ""  # a key the page turns to words; "" for an imported row
    detail: str = ""  # e.g. the earlier line of a duplicate


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def imported(self) -> list[RowResult]:
        return [r for r in self.rows if not r.problem]

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if r.problem]


def decode(data: bytes) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was read with.

    UTF-8 first (what Google Sheets and "CSV UTF-8" in Excel write), then Windows-1252, which
    is what Excel on an Indonesian Windows writes for plain "CSV". A file that is neither (a
    spreadsheet file renamed .csv, a photo) is refused as a whole.
    """
    if not data.strip():
        raise ImportRefused("empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportRefused("encoding") from None
    if b"\x00" in data or data.startswith(b"PK\x03\x04"):
        raise ImportRefused("encoding")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding.removesuffix("-sig")
        except UnicodeDecodeError:
            continue
    raise ImportRefused("encoding")


def _rows(text: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _is_header(row: list[str]) -> bool:
    cells = {c.strip().lower() for c in row if c.strip()}
    return bool(cells) and cells <= _HEADER_WORDS | {""}


def _clean_name(raw: str) -> str:
    return " ".join((raw or "").split())[:NAME_MAX]


def parse(data: bytes) -> tuple[list[tuple[int, str, str, str]], str]:
    """``(line, name, phone, email)`` for each non-blank row, and the encoding used."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused("too_big", kb=MAX_IMPORT_BYTES // 1024)
    text, encoding = decode(data)
    parsed = []
    for line, row in enumerate(_rows(text), start=1):
        if not any(cell.strip() for cell in row):
            continue
        if line == 1 and _is_header(row):
            continue
        cells = [*row, "", "", ""]
        parsed.append((line, cells[0], cells[1].strip(), cells[2].strip()))
    if not parsed:
        raise ImportRefused("empty")
    if len(parsed) > MAX_IMPORT_ROWS:
        raise ImportRefused("too_many", rows=len(parsed), limit=MAX_IMPORT_ROWS)
    return parsed, encoding


def import_members(workshop: Workshop, data: bytes, trainer: User) -> ImportReport:
    """Check every row, create accounts for the good ones and enrol them; one commit.

    Existing accounts are never enrolled from a list: whoever owns the number joins with the
    code and logs in, so a list cannot put somebody's account into a workshop they did not
    choose. Lookups are one query per kind (phones, e-mails, members), not one per row.
    """
    parsed, encoding = parse(data)
    report = ImportReport(encoding=encoding)
    seen_phones: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    candidates: list[tuple[RowResult, str, str]] = []
    for line, raw_name, raw_phone, raw_email in parsed:
        name = _clean_name(raw_name)
        result = RowResult(line=line, name=name, phone=raw_phone[:40])
        report.rows.append(result)
        e164 = phones.to_e164(raw_phone)
        email = auth_services.normalise_email(raw_email) if raw_email else ""
        if not name:
            result.problem = "empty_name"
        elif e164 is None:
            result.problem = "bad_phone"
        elif email and (not _EMAIL.match(email) or len(email) > 254):
            result.problem = "bad_email"
        elif e164 in seen_phones:
            result.problem, result.detail = "duplicate_in_file", str(seen_phones[e164])
        elif email and email in seen_emails:
            result.problem, result.detail = "duplicate_in_file", str(seen_emails[email])
        if result.problem:
            continue
        assert e164 is not None
        seen_phones[e164] = line
        if email:
            seen_emails[email] = line
        result.phone = e164
        candidates.append((result, e164, email))

    taken_phones = set(
        db.session.scalars(select(User.phone).where(User.phone.in_(list(seen_phones))))
    )
    taken_emails = set(
        db.session.scalars(
            select(func.lower(User.email)).where(func.lower(User.email).in_(list(seen_emails)))
        )
    )
    room = max(0, workshop.capacity - services.member_count(workshop))
    new_users: list[tuple[RowResult, User]] = []
    for result, e164, email in candidates:
        if e164 in taken_phones or (email and email in taken_emails):
            result.problem = "account_exists"
            continue
        if len(new_users) >= room:
            result.problem = "full"
            continue
        user = User(
            name=result.name,
            email=email or auth_services.placeholder_email(e164),
            phone=e164,
            # No password yet: the card's one-time code logs them in and offers to set one.
            password_hash="",
            locale="id",
        )
        user.add_role(Role.BUYER)
        user.add_role(Role.SELLER)
        new_users.append((result, user))
    db.session.add_all([user for _result, user in new_users])
    db.session.flush()
    db.session.add_all(
        [
            WorkshopMember(workshop_id=workshop.id, user_id=u.id, source="import")
            for _r, u in new_users
        ]
    )
    audit.record(
        trainer.id,
        "workshop.imported",
        f"workshop:{workshop.id}",
        f"{len(new_users)} imported, {len(report.refused)} refused",
    )
    db.session.commit()
    return report


# --- login cards and one-time sign-in codes ----------------------------------------------------


@dataclass(frozen=True)
class Card:
    user: User
    code: str


def _new_code() -> str:
    return "".join(secrets.choice(SIGN_IN_CODE_ALPHABET) for _ in range(SIGN_IN_CODE_LENGTH))


def normalise_code(raw: str | None) -> str:
    code = "".join(ch for ch in (raw or "").upper() if ch not in " -")
    if len(code) != SIGN_IN_CODE_LENGTH or any(ch not in SIGN_IN_CODE_ALPHABET for ch in code):
        return ""
    return code


def issue_cards(workshop: Workshop, users: list[User], trainer: User) -> list[Card]:
    """A fresh sign-in code for each of these members; their earlier unused codes stop working.

    The codes exist in clear only in the returned cards (the print page shows them once);
    the table keeps hashes.
    """
    if not users:
        return []
    now = utcnow()
    ids = [u.id for u in users]
    db.session.execute(
        update(SignInCode)
        .where(
            SignInCode.workshop_id == workshop.id,
            SignInCode.user_id.in_(ids),
            SignInCode.used_at.is_(None),
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    cards = []
    for user in users:
        code = _new_code()
        db.session.add(
            SignInCode(
                user_id=user.id,
                workshop_id=workshop.id,
                code_hash=hash_secret(code),
                expires_at=now + SIGN_IN_CODE_LIFETIME,
            )
        )
        cards.append(Card(user=user, code=code))
    audit.record(
        trainer.id, "workshop.cards", f"workshop:{workshop.id}", f"{len(cards)} login card(s)"
    )
    db.session.commit()
    return cards


class InvalidSignInCode(DomainError):
    """Wrong, used or expired: the answer is the same for each."""


def sign_in_with_code(phone: str, raw_code: str) -> User:
    """The account a card belongs to; its code is spent (single use). Raises
    ``InvalidSignInCode``.

    Candidates are the live codes of accounts with that phone (usually one), each checked
    against its hash; spending is a compare-and-set update, so two phones scanning the same
    card at once cannot both get in.
    """
    e164 = phones.to_e164(phone)
    code = normalise_code(raw_code)
    if e164 is None or not code:
        hash_secret(raw_code or "x")  # the same work as a real check
        raise InvalidSignInCode()
    now = datetime.now(UTC)
    rows = db.session.execute(
        select(SignInCode, User)
        .join(User, User.id == SignInCode.user_id)
        .where(
            User.phone == e164,
            User.is_active_account.is_(True),
            SignInCode.used_at.is_(None),
            SignInCode.expires_at > now,
        )
    ).all()
    for row, user in rows:
        if check_password_hash(row.code_hash, code):
            spent = db.session.execute(
                update(SignInCode)
                .where(SignInCode.id == row.id, SignInCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if spent.rowcount != 1:  # type: ignore[attr-defined]
                break
            db.session.commit()
            return user
    db.session.rollback()
    raise InvalidSignInCode()


def needs_password(user: User) -> bool:
    """An account made from a list has no password until its owner chooses one."""
    return not user.password_hash


def set_first_password(user: User, password: str) -> None:
    user.set_password(password)
    db.session.commit()
