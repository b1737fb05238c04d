"""Collective meetings: the times at which every one of several hosts is free.

Pure: no Flask, no DB, no clock. Each host is judged alone by the slot engine (own hours, days
off, holidays, busy time, bookings with buffers, limits, minimum gap); a collective start is one
that every host's own answer offers, so adding a host can only take starts away.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .model import Interval, Schedule, SlotSettings
from .slots import compute_slot_seconds, datetimes_from_seconds
from .zones import ceil_seconds, require_aware


@dataclass(frozen=True)
class MemberCalendar:
    """What the engine needs about one host of a collective meeting (see compute_slot_seconds)."""

    schedule: Schedule
    busy: Sequence[Interval] = ()
    booked_starts: Sequence[datetime] = ()
    busy_seconds: Sequence[tuple[int, int]] = ()
    meetings: Sequence[Interval] = field(default_factory=tuple)


def intersect_starts(per_host: Iterable[Sequence[int]]) -> list[int]:
    """Starts (sorted, unique seconds) present in every list; no list at all gives none."""
    common: set[int] | None = None
    for starts in per_host:
        common = set(starts) if common is None else common.intersection(starts)
        if not common:
            return []
    return sorted(common) if common else []


def compute_collective_slot_seconds(
    members: Sequence[MemberCalendar],
    settings: SlotSettings,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[int]:
    """Return the starts in [start, end) that every member's own calendar offers (epoch seconds).

    No member gives no slots: a meeting of nobody is not offered.
    """
    if not members:
        return []

    layouts: dict = {}  # members with the same hours share their laid-out grid

    def each():
        for member in members:
            yield compute_slot_seconds(
                member.schedule,
                settings,
                start,
                end,
                now,
                member.busy,
                member.booked_starts,
                member.busy_seconds,
                member.meetings,
                layouts,
            )

    return intersect_starts(each())


def compute_collective_slots(
    members: Sequence[MemberCalendar],
    settings: SlotSettings,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[datetime]:
    """Return the starts in [start, end) that every member is free for, as UTC datetimes."""
    return datetimes_from_seconds(
        compute_collective_slot_seconds(members, settings, start, end, now)
    )


def busy_members(
    members: Sequence[MemberCalendar], settings: SlotSettings, slot_start: datetime, now: datetime
) -> list[int]:
    """Indexes of the members who cannot take `slot_start` (off hours, busy, at a limit).

    Empty means the collective meeting can be booked then; no member is never bookable.
    """
    if not members:
        return [0]
    require_aware(slot_start)
    try:
        end = slot_start + timedelta(microseconds=1)
    except OverflowError:
        return list(range(len(members)))
    wanted = [ceil_seconds(slot_start)] if slot_start.microsecond == 0 else None
    out = []
    for index, member in enumerate(members):
        found = compute_collective_slot_seconds([member], settings, slot_start, end, now)
        if found != wanted:
            out.append(index)
    return out
