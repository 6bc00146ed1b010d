"""The dashboard's sales charts as data for the SVG macro in ``templates/macros/charts.html``.

The bars are drawn on the server as plain SVG (no library, no script, no inline style: the
site's CSP allows neither), so a cheap phone shows them at once and a screen reader gets the
title, the description and the same numbers as a table under each chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import format_date

from marketplace.i18n import format_rupiah
from orders.sales_figures import Bucket


@dataclass(frozen=True)
class Bar:
    label: str  # the period in full, for the table and the bar's tooltip
    short: str  # under the bar: a few characters at 360 px
    value: int
    text: str  # the value as people read it (rupiah)
    orders: int


def _bar(bucket: Bucket, label: str, short: str) -> Bar:
    return Bar(label, short, bucket.gross, format_rupiah(bucket.gross), bucket.orders)


def week_bars(weeks: list[Bucket]) -> list[Bar]:
    """Each week as "30 Nov – 6 Des" in the table, "30/11" under its bar (every other one)."""
    return [
        _bar(
            b,
            f"{format_date(b.start, 'd MMM')} – "
            f"{format_date(b.start + timedelta(days=6), 'd MMM')}",
            format_date(b.start, "d/M"),
        )
        for b in weeks
    ]


def month_bars(months: list[Bucket]) -> list[Bar]:
    return [_bar(b, format_date(b.start, "MMM y"), format_date(b.start, "MMM")[:3]) for b in months]
