"""Indonesian banks that sellers are paid out to, with their account-number lengths.

A mistyped account number means a seller's money goes nowhere for weeks, so the form checks the
number of digits each bank uses (as printed in its passbooks) before anything is saved.
"""

from __future__ import annotations

from marketplace.text import is_digits

BANKS: dict[str, tuple[str, tuple[int, ...]]] = {
    "BRI": ("Bank Rakyat Indonesia (BRI)", (15,)),
    "BNI": ("Bank Negara Indonesia (BNI)", (10,)),
    "Mandiri": ("Bank Mandiri", (13,)),
    "BCA": ("Bank Central Asia (BCA)", (10,)),
    "BSI": ("Bank Syariah Indonesia (BSI)", (10,)),
    "BTN": ("Bank Tabungan Negara (BTN)", (16,)),
    "NTB Syariah": ("Bank NTB Syariah", (13,)),
    "BPD": ("Bank Pembangunan Daerah (BPD) lain", tuple(range(9, 17))),
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
