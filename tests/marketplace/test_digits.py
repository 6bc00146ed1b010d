"""Numbers typed into forms and URLs are the ASCII digits 0-9 only: ``str.isdigit`` also accepts
superscripts and other scripts' digits, which ``int`` refuses (a 500) or banks cannot read."""

import pytest

from marketplace.text import is_digits
from orders.checkout import postal_code_matches
from sellers.banks import account_length_ok


@pytest.mark.parametrize(
    ("value", "expected"),
    [("25000", True), ("0", True), ("", False), ("³", False), ("٢٥٠٠٠", False), ("25.000", False)],
)
def test_is_digits(value, expected):
    assert is_digits(value) is expected


def test_bank_accounts_and_postal_codes_take_ascii_digits_only():
    assert account_length_ok("BNI", "0123456789")
    assert not account_length_ok("BNI", "٠١٢٣٤٥٦٧٨٩")  # ten Arabic-Indic digits
    assert postal_code_matches("52.03.12.2002", "83660")  # Pringgasela
    assert not postal_code_matches("52.03.12.2002", "٨٣٦٦٠")
