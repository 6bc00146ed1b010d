"""Indonesian banks that sellers are paid out to, with their account-number lengths.

A mistyped account number means a seller's money goes nowhere for weeks, so the form checks the
number of digits each bank uses (as printed in its passbooks) before anything is saved.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from marketplace.text import is_digits

# Banks' own names stay as the banks write them; only words of ours are translated.
BANKS: dict[str, tuple[str | LazyString, tuple[int, ...]]] = {
    "BRI": ("Bank Rakyat Indonesia (BRI)", (15,)),
    "BNI": ("Bank Negara Indonesia (BNI)", (10,)),
    "Mandiri": ("Bank Mandiri", (13,)),
    "BCA": ("Bank Central Asia (BCA)", (10,)),
    "BSI": ("Bank Syariah Indonesia (BSI)", (10,)),
    "BTN": ("Bank Tabungan Negara (BTN)", (16,)),
    "NTB Syariah": ("Bank NTB Syariah", (13,)),
    "BPD": (_l("Another regional development bank (BPD)"), tuple(range(9, 17))),
}


def account_length_ok(bank: str, number: str) -> bool:
    lengths = BANKS.get(bank, ("", ()))[1]
    return is_digits(number) and len(number) in lengths


def expected_lengths(bank: str) -> str:
    lengths = BANKS.get(bank, ("", ()))[1]
    if not lengths:
        return ""
    if len(lengths) == 1:
        return str(lengths[0])
    return f"{lengths[0]}–{lengths[-1]}"
