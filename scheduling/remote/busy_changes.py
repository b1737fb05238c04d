"""What a provider client hands back: calendars, busy-time changes, sync state. No Flask, no DB.

Only start, end and busy/free ever leave the client: titles, guests and descriptions are never
read into these values, so nothing downstream can store them.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class RemoteCalendar:
    remote_id: str
    name: str
    primary: bool = False
    writable: bool = False
    owner: str = ""  # the mailbox's address where the provider names it (Graph)


@dataclass(frozen=True)
class Change:
    """One remote event now: busy between start and end, or gone (removed, cancelled, free)."""

    remote_id: str
    start: datetime | None = None
    end: datetime | None = None
    busy: bool = False

    @property
    def blocks(self) -> bool:
        return (
            self.busy and self.start is not None and self.end is not None and self.end > self.start
        )


@dataclass
class SyncResult:
    """`full`: the changes describe the whole window (drop everything stored before)."""

    changes: list[Change] = field(default_factory=list)
    sync_state: str = ""
    full: bool = False
    calls: int = 0


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def parse_instant(value: str, tz_name: str | None = None, fallback_tz: str = "UTC") -> datetime:
    """An aware UTC datetime from an ISO 8601 date-time (naive ones are read in tz_name)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz_name, fallback_tz))
    return parsed.astimezone(UTC)


def parse_day(value: str, tz_name: str) -> datetime:
    """Midnight of an all-day event's date in the host's zone, as UTC."""
    return datetime.combine(date.fromisoformat(value), time(0), zone(tz_name)).astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
