"""Funnel and attribution report arithmetic. Pure: no Flask, no DB, no clock."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from .touches import channel

NOT_ATTRIBUTED = ("", "", "")


@dataclass(frozen=True)
class FunnelRow:
    """One widget view, lead or booking, with the touches stored for it (None: no consent)."""

    views: int = 0
    qualified: int = 0
    disqualified: int = 0
    booked: int = 0
    attended: int = 0
    won: int = 0
    revenue: Decimal = Decimal(0)
    currency: str = ""
    first_touch: dict | None = None
    last_touch: dict | None = None


@dataclass
class FunnelTotals:
    views: int = 0
    qualified: int = 0
    disqualified: int = 0
    booked: int = 0
    attended: int = 0
    won: int = 0
    revenue: dict = field(default_factory=dict)  # currency -> Decimal

    def add(self, row: FunnelRow) -> None:
        self.views += row.views
        self.qualified += row.qualified
        self.disqualified += row.disqualified
        self.booked += row.booked
        self.attended += row.attended
        self.won += row.won
        if row.revenue and row.currency:
            self.revenue[row.currency] = self.revenue.get(row.currency, Decimal(0)) + row.revenue


def aggregate_funnel(
    rows, touch: str = "last"
) -> tuple[list[tuple[tuple, FunnelTotals]], FunnelTotals]:
    """Totals per (source, medium, campaign) of the first or last touch, and overall.

    Rows without touches land under NOT_ATTRIBUTED (never guessed). Groups are sorted by
    bookings, then views, then name; NOT_ATTRIBUTED comes last.
    """
    if touch not in ("first", "last"):
        raise ValueError("touch is 'first' or 'last'")
    groups: dict[tuple, FunnelTotals] = defaultdict(FunnelTotals)
    total = FunnelTotals()
    for row in rows:
        key = channel(row.first_touch if touch == "first" else row.last_touch)
        groups[key].add(row)
        total.add(row)
    ordered = sorted(
        groups.items(),
        key=lambda item: (item[0] == NOT_ATTRIBUTED, -item[1].booked, -item[1].views, item[0]),
    )
    return ordered, total


def not_attributed_share(rows) -> Fraction | None:
    """Share of bookings stored without attribution (no consent); None when nothing was booked."""
    booked = [row for row in rows if row.booked]
    if not booked:
        return None
    return Fraction(sum(1 for row in booked if not row.last_touch), len(booked))


def without_consent(rows) -> tuple[int, int]:
    """(views, bookings) stored without touches: the visitor had not consented (or not yet)."""
    views = sum(row.views for row in rows if not row.last_touch)
    bookings = sum(row.booked for row in rows if not row.last_touch)
    return views, bookings
