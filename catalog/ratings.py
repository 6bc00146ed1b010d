"""A product's or a shop's rating as buyers see it: the average of reviews and their number."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from babel.numbers import format_decimal


class Rating(NamedTuple):
    """An average (None without reviews) and how many reviews it rests on."""

    average: float | None
    count: int  # type: ignore[assignment]  # a field named like tuple.count, on purpose

    @property
    def rounded(self) -> Decimal | None:
        """One decimal, rounded half up, so the number shown and the stars drawn agree."""
        if self.average is None:
            return None
        return Decimal(repr(self.average)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def stars(self) -> int:
        """Whole stars to fill: 4.5 fills five, 4.4 fills four (as most shops draw them)."""
        if self.rounded is None:
            return 0
        return int(self.rounded.quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    def average_text(self, locale: str = "id") -> str:
        """``4,5`` in Indonesian, ``4.5`` in English."""
        if self.rounded is None:
            return ""
        return format_decimal(self.rounded, format="0.0", locale=locale)


NO_RATING = Rating(None, 0)
