"""Rupiah are grouped without calling Babel for every price, with exactly Babel's output."""

from __future__ import annotations

import random

import pytest
from babel.numbers import format_decimal

from marketplace.i18n import format_rupiah


def _babel(amount: int, locale: str) -> str:
    return "Rp " + format_decimal(amount, format="#,##0", locale=locale)


def _amounts() -> list[int]:
    rng = random.Random(2026)
    edges = [0, 1, -1, 9, 10, 99, 100, 999, 1000, -1000, 999_999, 1_000_000, 25_000, -25_000]
    powers = [sign * 10**k + d for k in range(1, 18) for d in (-1, 0, 1) for sign in (1, -1)]
    huge = [2**31 - 1, 2**31, 2**63 - 1, -(2**63), 10**18 - 1, 10**18, -(10**18), 10**24]
    spread = [rng.randint(-(10**15), 10**15) for _ in range(2000)]
    spread += [rng.randint(0, 10 ** rng.randint(1, 17)) for _ in range(2000)]
    return edges + powers + huge + spread


@pytest.mark.parametrize("locale", ["id", "en"])
def test_fast_grouping_matches_babel(locale):
    for amount in _amounts():
        assert format_rupiah(amount, locale) == _babel(amount, locale), amount


def test_values_are_taken_as_whole_rupiah_like_before():
    assert format_rupiah(None) == ""
    assert format_rupiah(True, "id") == _babel(1, "id")
    assert format_rupiah("25000", "id") == "Rp 25.000"
    assert format_rupiah(1500000.0, "en") == "Rp 1,500,000"
    assert format_rupiah(-7, "id") == "Rp -7"


def test_other_locales_fall_back_to_babel():
    for locale in ("de", "fr_CH", "hi", "ar"):
        for amount in (0, 1234567, -1234567, 10**12):
            assert format_rupiah(amount, locale) == _babel(amount, locale), (locale, amount)
