"""Dashboard arithmetic and report date ranges. Pure: no Flask, no DB, no clock.

Counting rules (the dashboard page states them too):
- booked: confirmed bookings; cancelled ones are counted apart; a rescheduled row is the old
  copy of a booking that moved, so only its confirmed replacement counts.
- attended: calls marked attended, won or lost (a won or lost call was held).
- no-show rate: no-shows / (attended + no-shows); None when no call has an outcome of that kind.
- revenue: the deal values of won calls summed per currency; currencies are never added together.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from scheduling.errors import InvalidRequest

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Far from date.min and date.max, so ranges and their instants never overflow.
FIRST_YEAR = 1900
LAST_YEAR = 2999
_DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class CallRow:
    """One booking in the period, reduced to what the figures need."""

    host_id: int
    status: str  # the booking's status: confirmed, cancelled or rescheduled
    outcome: str | None = None  # attended, no_show, won, lost, or None when not recorded
    deal_value: Decimal | None = None
    currency: str | None = None
    lost_reason: str | None = None  # the reason's label; None when it was removed
    meeting: int | None = None  # a collective meeting's id, shared by its hosts' rows


@dataclass(frozen=True)
class Figures:
    """The counts for one host or for everyone."""

    booked: int = 0
    cancelled: int = 0
    attended: int = 0
    no_shows: int = 0
    won: int = 0
    lost: int = 0
    without_outcome: int = 0
    revenue: tuple[tuple[str, Decimal], ...] = ()  # (currency, total), sorted by currency
    lost_by_reason: tuple[tuple[str | None, int], ...] = ()  # most frequent first

    @property
    def no_show_rate(self) -> Fraction | None:
        held_or_missed = self.attended + self.no_shows
        if not held_or_missed:
            return None
        return Fraction(self.no_shows, held_or_missed)

    @property
    def is_empty(self) -> bool:
        return not (self.booked or self.cancelled)


@dataclass(frozen=True)
class Summary:
    total: Figures
    by_host: tuple[tuple[int, Figures], ...]  # in the order of the host ids asked for


@dataclass
class _Tally:
    counts: Counter = field(default_factory=Counter)
    revenue: defaultdict = field(default_factory=lambda: defaultdict(Decimal))
    reasons: Counter = field(default_factory=Counter)

    def add(self, row: CallRow) -> None:
        if row.status == "cancelled":
            self.counts["cancelled"] += 1
            return
        if row.status != "confirmed":
            return
        self.counts["booked"] += 1
        if row.outcome is None:
            self.counts["without_outcome"] += 1
        elif row.outcome == "no_show":
            self.counts["no_shows"] += 1
        elif row.outcome in ("attended", "won", "lost"):
            self.counts["attended"] += 1
            if row.outcome == "won":
                self.counts["won"] += 1
                if row.deal_value is not None and row.currency:
                    self.revenue[row.currency] += row.deal_value
            elif row.outcome == "lost":
                self.counts["lost"] += 1
                self.reasons[row.lost_reason] += 1

    def freeze(self) -> Figures:
        reasons = sorted(
            self.reasons.items(), key=lambda item: (-item[1], item[0] is None, item[0] or "")
        )
        return Figures(
            booked=self.counts["booked"],
            cancelled=self.counts["cancelled"],
            attended=self.counts["attended"],
            no_shows=self.counts["no_shows"],
            won=self.counts["won"],
            lost=self.counts["lost"],
            without_outcome=self.counts["without_outcome"],
            revenue=tuple(sorted(self.revenue.items())),
            lost_by_reason=tuple(reasons),
        )


def one_row_per_meeting(rows: Iterable[CallRow]) -> list[CallRow]:
    """The rows with a collective meeting's hosts' rows reduced to one: the one whose outcome
    was recorded, else the first (everyone's totals count the call once, not once per host)."""
    kept: dict[int, CallRow] = {}
    result: list[CallRow | int] = []
    for row in rows:
        if row.meeting is None:
            result.append(row)
        elif row.meeting not in kept:
            kept[row.meeting] = row
            result.append(row.meeting)
        elif kept[row.meeting].outcome is None and row.outcome is not None:
            kept[row.meeting] = row
    return [kept[item] if isinstance(item, int) else item for item in result]


def summarise(rows: Iterable[CallRow], host_ids: Sequence[int] = ()) -> Summary:
    """Count the rows for everyone (a collective meeting once) and per host; hosts without
    rows get zeros."""
    rows = list(rows)
    total = _Tally()
    per_host: dict[int, _Tally] = {host_id: _Tally() for host_id in host_ids}
    for row in one_row_per_meeting(rows):
        total.add(row)
    for row in rows:
        per_host.setdefault(row.host_id, _Tally()).add(row)
    extra = sorted(set(per_host) - set(host_ids))
    order = [*dict.fromkeys(host_ids), *extra]
    return Summary(
        total=total.freeze(),
        by_host=tuple((host_id, per_host[host_id].freeze()) for host_id in order),
    )


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days, both ends included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The half-open instants [first 00:00 UTC, day after last 00:00 UTC)."""
        start = datetime.combine(self.first, time(), tzinfo=UTC)
        return start, start + timedelta(days=self.days)


def parse_day(text: str, name: str) -> date:
    """Read a YYYY-MM-DD date from a query string, or raise a clear InvalidRequest."""
    text = text.strip()
    if not _DAY_RE.fullmatch(text):
        raise InvalidRequest(
            f"The {name!r} date must be written as year-month-day, e.g. 2030-01-31.",
            {name: "format"},
        )
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"The {name!r} date {text} does not exist.", {name: "invalid"}
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidRequest(
            f"The {name!r} date must lie between the years {FIRST_YEAR} and {LAST_YEAR}.",
            {name: "out of range"},
        )
    return day


def date_range(
    first_text: str | None,
    last_text: str | None,
    today: date,
    default_days: int = DEFAULT_DAYS,
    max_days: int = MAX_DAYS,
) -> DateRange:
    """The range a report asks for; by default the last `default_days` days up to today."""
    last = parse_day(last_text, "to") if last_text else today
    first = parse_day(first_text, "from") if first_text else last - timedelta(days=default_days - 1)
    if last < first:
        raise InvalidRequest(
            f"The 'to' date ({last.isoformat()}) must not be before the 'from' date "
            f"({first.isoformat()}).",
            {"to": "order"},
        )
    chosen = DateRange(first, last)
    if chosen.days > max_days:
        raise InvalidRequest(
            f"Please choose at most {max_days} days (this range has {chosen.days}).",
            {"to": "range too long"},
        )
    return chosen
