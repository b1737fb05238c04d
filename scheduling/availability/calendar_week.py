"""A week of bookings, blocks and free slots by local day and hour. Pure: no Flask, no DB, no clock.

Entries are absolute intervals; the week is seven local dates (Monday first) in one zone. An entry
that spans midnight appears on each day it touches, cut at the day's edges; a free slot only on
the day it starts. Hours are wall-clock
hours, so on a daylight-saving day the grid still reads 00:00 to 24:00.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import local_day_range

KINDS = ("booking", "block", "free")
BUSY_KINDS = ("booking", "block")
DEFAULT_HOURS = (8, 18)
FIRST_DAY = date(2000, 1, 3)  # a Monday; weeks outside these years are refused as input
LAST_DAY = date(2100, 12, 27)


@dataclass(frozen=True)
class Entry:
    """Something on the calendar: kind is one of KINDS; ref is the booking or block id."""

    kind: str
    start: datetime
    end: datetime
    label: str = ""
    ref: int | None = None
    host_id: int | None = None
    host_name: str = ""


@dataclass(frozen=True)
class Piece:
    """The part of an entry shown on one local day, in minutes after local midnight."""

    entry: Entry
    start: datetime  # local, cut to the day
    end: datetime  # local, cut to the day
    start_minute: int
    end_minute: int  # 1440 when it runs to midnight or beyond

    @property
    def starts_earlier(self) -> bool:
        return self.start > self.entry.start

    @property
    def ends_later(self) -> bool:
        return self.end < self.entry.end


@dataclass
class Cell:
    day: date
    pieces: list[Piece] = field(default_factory=list)  # those starting in this hour
    busy: bool = False  # a booking or block covers part of this hour


@dataclass
class HourRow:
    hour: int
    cells: list[Cell]


@dataclass
class Day:
    day: date
    pieces: list[Piece]

    @property
    def busy(self) -> list[Piece]:
        return [piece for piece in self.pieces if piece.entry.kind in BUSY_KINDS]

    @property
    def free(self) -> list[Piece]:
        return [piece for piece in self.pieces if piece.entry.kind == "free"]


@dataclass
class Week:
    first: date
    tz: str
    days: list[Day]
    rows: list[HourRow]

    @property
    def last(self) -> date:
        return self.first + timedelta(days=6)

    @property
    def previous(self) -> date | None:
        earlier = self.first - timedelta(days=7)
        return earlier if earlier >= FIRST_DAY else None

    @property
    def next(self) -> date | None:
        later = self.first + timedelta(days=7)
        return later if later <= LAST_DAY else None

    @property
    def is_empty(self) -> bool:
        return not any(day.pieces for day in self.days)


@dataclass
class TeamCell:
    day: date
    busy: list[Piece]
    free_count: int


@dataclass
class TeamRow:
    host_id: int
    host_name: str
    cells: list[TeamCell]


def monday_of(day: date) -> date:
    """The Monday of the week a date falls in."""
    return day - timedelta(days=day.weekday())


def week_range(first: date, tz: str) -> tuple[datetime, datetime]:
    """Absolute [start, end) of the seven local dates from first, in zone tz."""
    return local_day_range(tz, first, first + timedelta(days=6))


def _minute(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def split_by_day(entries: Iterable[Entry], first: date, tz: str) -> list[Day]:
    """Each day of the week with the pieces of the entries that touch it, by start then kind."""
    zone = ZoneInfo(tz)
    days = []
    ordered = sorted(entries, key=lambda e: (e.start, KINDS.index(e.kind), e.host_name, e.ref or 0))
    for offset in range(7):
        day = first + timedelta(days=offset)
        day_start, day_end = local_day_range(tz, day, day)
        pieces = []
        for entry in ordered:
            if entry.kind == "free":  # a free slot belongs to the day it starts on
                if not day_start <= entry.start < day_end:
                    continue
            elif entry.start >= day_end or entry.end <= day_start:
                continue
            start = max(entry.start, day_start).astimezone(zone)
            end = min(entry.end, day_end).astimezone(zone)
            start_minute = 0 if entry.start <= day_start else _minute(start)
            end_minute = 1440 if entry.end >= day_end else _minute(end)
            pieces.append(Piece(entry, start, end, start_minute, max(end_minute, start_minute)))
        days.append(Day(day, pieces))
    return days


def build_week(
    first: date, tz: str, entries: Iterable[Entry], hours: tuple[int, int] = DEFAULT_HOURS
) -> Week:
    """Lay out a host's week: days, and hour rows from `hours` widened to fit every entry."""
    days = split_by_day(entries, first, tz)
    low, high = hours
    for day in days:
        for piece in day.pieces:
            low = min(low, piece.start_minute // 60)
            high = max(high, -(-max(piece.end_minute, piece.start_minute + 1) // 60))
    high = min(high, 24)
    rows = []
    for hour in range(low, high):
        cells = []
        for day in days:
            cell = Cell(day.day)
            for piece in day.pieces:
                if piece.start_minute // 60 == hour:
                    cell.pieces.append(piece)
                if (
                    piece.entry.kind in BUSY_KINDS
                    and piece.start_minute < (hour + 1) * 60
                    and piece.end_minute > hour * 60
                ):
                    cell.busy = True
            cells.append(cell)
        rows.append(HourRow(hour, cells))
    return Week(first, tz, days, rows)


def build_team_week(
    first: date, tz: str, hosts: Sequence[tuple[int, str]], entries: Iterable[Entry]
) -> tuple[Week, list[TeamRow]]:
    """Lay out several hosts' week: per day (for narrow screens) and per host and day."""
    entries = list(entries)
    week = Week(first, tz, split_by_day(entries, first, tz), [])
    rows = []
    for host_id, host_name in hosts:
        cells = []
        for day in week.days:
            mine = [piece for piece in day.pieces if piece.entry.host_id == host_id]
            cells.append(
                TeamCell(
                    day.day,
                    [piece for piece in mine if piece.entry.kind in BUSY_KINDS],
                    sum(1 for piece in mine if piece.entry.kind == "free"),
                )
            )
        rows.append(TeamRow(host_id, host_name, cells))
    return week, rows
