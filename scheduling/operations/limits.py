"""Count-based limits: what a booking locks before it counts, and team members' cap counts.

The event type's daily and weekly limits count a host's bookings on the slot's local day and
ISO week, its minimum gap reads the host's meetings around the slot, a team member's
caps count all the host's bookings on that day and ISO week, and round-robin fairness counts the
team's assignments. The names below are the lock names (locking.hold_count_locks) that cover
exactly those counts, so two bookings that could push the same count over its limit wait for
each other, and all others run in parallel.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm.util import identity_key

from scheduling.extensions import db
from scheduling.models import Absence, Booking, EventType, Host, PoolMember

from .locking import hold_count_locks, takes_count_locks, transaction_memo


def _local_day(tz: str, moment: datetime) -> datetime:
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    return datetime(local.year, local.month, local.day, tzinfo=zone)


def lock_names(
    hosts: Iterable[tuple[int, str]],
    start: datetime,
    *,
    pool_id: int | None = None,
    weekly_host_ids: Iterable[int] = (),
    whole_hosts: bool = False,
) -> list[str]:
    """Lock names for a booking at `start` by one of `hosts` ((id, time zone) pairs).

    weekly_host_ids: hosts whose local ISO week is counted (a team cap or the event type's
    weekly limit); whole_hosts: lock each host outright (the minimum gap looks at meetings of
    any event type on either side, across day and week boundaries).
    """
    weekly = set(weekly_host_ids)
    names = [f"pool:{pool_id}"] if pool_id is not None else []
    for host_id, tz in hosts:
        day = _local_day(tz, start)
        names.append(f"host-day:{host_id}:{day.date().isoformat()}")
        if host_id in weekly:
            year, week, _ = day.isocalendar()
            names.append(f"host-week:{host_id}:{year}-{week}")
        if whole_hosts:
            names.append(f"host:{host_id}")
    return names


def host_zones(host_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, time zone) of the hosts that exist; those this transaction loaded need no read."""
    zones: dict[int, str] = {}
    missing = []
    identity_map = db.session.identity_map
    for host_id in dict.fromkeys(host_ids):
        host = identity_map.get(identity_key(Host, host_id))
        if host is not None and "tz" in host.__dict__:  # loaded and not expired
            zones[host_id] = host.tz
        else:
            missing.append(host_id)
    if missing:
        query = select(Host.id, Host.tz).where(Host.id.in_(missing))
        zones.update((host_id, tz) for host_id, tz in db.session.execute(query))
    return list(zones.items())


def lock_for_booking(
    host_ids: Sequence[int],
    start: datetime,
    *,
    pool_id: int | None = None,
    members: Iterable[PoolMember] = (),
    event_type: EventType | None = None,
) -> None:
    """Take the locks over every count a booking of one of these hosts at `start` checks.

    Call before reading any count, once per transaction, with every host the booking may go to
    (and the same event type at every call: its weekly limit and minimum gap add locks).
    """
    if not takes_count_locks(db.session):
        return  # SQLite: acquire_booking_lock already admits one writer at a time
    if event_type is not None and not event_type.is_collective:
        # A colleague covering an absent host takes that host's bookings: their counts and
        # gap are checked too, so they are locked with the rest.
        host_ids = [*host_ids, *covering_host_ids(host_ids, start)]
    weekly = [m.host_id for m in members if m.weekly_cap]
    if event_type is not None and event_type.weekly_limit is not None:
        weekly = list(host_ids)
    names = lock_names(
        host_zones(host_ids),
        start,
        pool_id=pool_id,
        weekly_host_ids=weekly,
        whole_hosts=event_type is not None and bool(event_type.min_gap),
    )
    hold_count_locks(db.session, names)


_ABSENCES = "delegated_absences"  # transaction memo: day -> (hosts asked, absences)


def delegated_absences(host_ids: Iterable[int], start: datetime) -> list[Absence]:
    """Absences with a covering colleague of these hosts around `start`: a day either side, so
    that the slot's local date is among them whatever the host's zone (callers narrow it).

    A booking asks twice in one transaction (the route's hosts, then the chosen one): the first
    answer is kept for the transaction and serves any subset of its hosts on the same day.
    """
    host_ids = set(host_ids)
    if not host_ids:
        return []
    day = start.date()
    memo = transaction_memo(db.session).setdefault(_ABSENCES, {})
    asked, found = memo.get(day, (frozenset(), []))
    if not host_ids <= asked:
        query = select(Absence).where(
            Absence.host_id.in_(sorted(host_ids)),
            Absence.delegate_id.is_not(None),
            Absence.first_day <= day + timedelta(days=1),
            Absence.last_day >= day - timedelta(days=1),
        )
        asked, found = frozenset(host_ids), list(db.session.scalars(query))
        memo[day] = (asked, found)
    return [absence for absence in found if absence.host_id in host_ids]


def covering_host_ids(host_ids: Sequence[int], start: datetime) -> list[int]:
    """Colleagues who may take a booking at `start` for one of these hosts (locked with them)."""
    delegates = {absence.delegate_id for absence in delegated_absences(host_ids, start)}
    return sorted(delegates - set(host_ids))


def cap_counts(members: Iterable[PoolMember], moment: datetime) -> tuple[dict, dict]:
    """Confirmed bookings per capped member on the slot's local day and ISO week (host's zone)."""
    today: dict[int, int] = {}
    week: dict[int, int] = {}
    for member in members:
        if not (member.daily_cap or member.weekly_cap):
            continue
        day_start = _local_day(member.host.tz, moment)
        week_start = day_start - timedelta(days=day_start.weekday())
        bounds = {
            "day": (day_start, day_start + timedelta(days=1)),
            "week": (week_start, week_start + timedelta(days=7)),
        }
        for key, (lo, hi) in bounds.items():
            count = db.session.scalar(
                select(func.count())
                .select_from(Booking)
                .where(
                    Booking.host_id == member.host_id,
                    Booking.status == "confirmed",
                    Booking.start_at >= lo,
                    Booking.start_at < hi,
                )
            )
            (today if key == "day" else week)[member.host_id] = count
    return today, week


def capped_host_ids(members: Iterable[PoolMember], moment: datetime) -> set[int]:
    """Members already at their daily or weekly cap on the slot's day."""
    members = list(members)
    today, week = cap_counts(members, moment)
    return {
        m.host_id
        for m in members
        if (m.daily_cap and today.get(m.host_id, 0) >= m.daily_cap)
        or (m.weekly_cap and week.get(m.host_id, 0) >= m.weekly_cap)
    }
