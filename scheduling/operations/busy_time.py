"""Busy time read for slot listings and bookings: bookings, blocks, imported busy time, booked
starts of limited event types and the host's meetings, each as one prebuilt statement."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (
    BigInteger,
    Integer,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal_column,
    select,
    union_all,
)

from scheduling import availability as av
from scheduling.extensions import db
from scheduling.models import (
    Booking,
    BusyBlock,
    EventType,
    ImportedBusy,
)

from .rawtime import as_utc, raw

# Longest buffer or meeting we look around a range for, so bookings just outside still count.
RANGE_PAD = timedelta(days=2)
# With a weekly limit, the starts of whole local weeks around a range count (zones included).
_WEEK_PAD = timedelta(days=9)


def _starts_pad(event_type: EventType) -> timedelta:
    return _WEEK_PAD if event_type.weekly_limit is not None else RANGE_PAD


def _limited(event_type: EventType) -> bool:
    """True when the event type counts its bookings (a daily or a weekly limit)."""
    return event_type.daily_limit is not None or event_type.weekly_limit is not None


@cache
def _busy_statement(exclude: bool, starts: bool):
    """One read of busy time near a range: (kind, host id, from, until) as stored.

    kind 0: confirmed bookings widened by buffers, blocked and imported time; kind 1 (starts):
    starts of confirmed bookings of one event type, for its per-day limit. Built once per
    variant with bound parameters: building a statement and its cache key costs more than
    running it.
    """
    zero, one = literal_column("0"), literal_column("1")
    lo, hi = bindparam("lo"), bindparam("hi")
    query = select(
        zero, Booking.host_id, raw(Booking.occupied_from), raw(Booking.occupied_until)
    ).where(
        Booking.host_id.in_(bindparam("ids_b", expanding=True)),
        Booking.status == "confirmed",
        Booking.occupied_until > lo,
        Booking.occupied_from < hi,
    )
    if exclude:
        query = query.where(Booking.id != bindparam("exclude_id"))
    blocks = select(zero, BusyBlock.host_id, raw(BusyBlock.start_at), raw(BusyBlock.end_at)).where(
        BusyBlock.host_id.in_(bindparam("ids_x", expanding=True)),
        BusyBlock.end_at > lo,
        BusyBlock.start_at < hi,
    )
    # Read from the database only: the slots endpoint never waits on a remote calendar.
    imported = select(
        zero, ImportedBusy.host_id, raw(ImportedBusy.start_at), raw(ImportedBusy.end_at)
    ).where(
        ImportedBusy.host_id.in_(bindparam("ids_i", expanding=True)),
        ImportedBusy.end_at > lo,
        ImportedBusy.start_at < hi,
    )
    parts = [query, blocks, imported]
    if starts:
        booked = select(one, Booking.host_id, raw(Booking.start_at), raw(Booking.start_at)).where(
            Booking.event_type_id == bindparam("event_type_id"),
            Booking.host_id.in_(bindparam("ids_s", expanding=True)),
            Booking.status == "confirmed",
            Booking.start_at >= bindparam("starts_lo"),
            Booking.start_at < bindparam("starts_hi"),
        )
        if exclude:
            booked = booked.where(Booking.id != bindparam("exclude_id"))
        parts.append(booked)
    return union_all(*parts)


def _epoch(column, dialect: str, *, up: bool):
    """An instant column as whole epoch seconds, rounded down (or up), computed by the database."""
    if dialect == "postgresql":
        return cast((func.ceil if up else func.floor)(extract("epoch", column)), BigInteger)
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds, plus one for a fraction.
    whole = cast(func.strftime("%s", column), Integer)
    if not up:
        return whole
    return whole + case((cast(func.substr(column, 21), Integer) > 0, 1), else_=0)


@cache
def _busy_seconds_statement(exclude: bool, dialect: str):
    """Busy time near a range as (host id, start rounded down, end rounded up) epoch seconds.

    The same rows as _busy_statement() without booked starts, minus empty intervals (which
    block nothing), for the engine's busy_seconds: no datetime per row in Python.
    """
    lo, hi = bindparam("lo"), bindparam("hi")
    parts = []
    for name, table, begin, finish in (
        ("ids_b", Booking, Booking.occupied_from, Booking.occupied_until),
        ("ids_x", BusyBlock, BusyBlock.start_at, BusyBlock.end_at),
        ("ids_i", ImportedBusy, ImportedBusy.start_at, ImportedBusy.end_at),
    ):
        part = select(
            table.host_id,
            _epoch(begin, dialect, up=False),
            _epoch(finish, dialect, up=True),
        ).where(
            table.host_id.in_(bindparam(name, expanding=True)),
            finish > lo,
            begin < hi,
            finish > begin,
        )
        if table is Booking:
            part = part.where(Booking.status == "confirmed")
            if exclude:
                part = part.where(Booking.id != bindparam("exclude_id"))
        parts.append(part)
    return union_all(*parts)


def busy_seconds_by_host(
    host_ids: Sequence[int], start: datetime, end: datetime, exclude_booking_id: int | None = None
) -> dict[int, list[tuple[int, int]]]:
    """busy_by_host() as the engine's busy_seconds: (start down, end up) epoch seconds."""
    busy: dict[int, list[tuple[int, int]]] = {host_id: [] for host_id in host_ids}
    _, params = _busy_query(host_ids, start, end, exclude_booking_id)
    dialect = db.session.get_bind().dialect.name
    statement = _busy_seconds_statement(exclude_booking_id is not None, dialect)
    for host_id, head, tail in _busy_rows((statement, params)):
        busy[host_id].append((head, tail))
    return busy


def _busy_query(
    host_ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude_booking_id: int | None,
    starts_of: EventType | None = None,
):
    """_busy_statement() for these hosts and this range, with its parameters."""
    ids = list(host_ids)
    lo, hi = start - RANGE_PAD, end + RANGE_PAD
    params = {"ids_b": ids, "ids_x": ids, "ids_i": ids, "lo": lo, "hi": hi}
    if exclude_booking_id is not None:
        params["exclude_id"] = exclude_booking_id
    if starts_of is not None:
        params["ids_s"] = ids
        params["event_type_id"] = starts_of.id
        pad = _starts_pad(starts_of)
        params["starts_lo"], params["starts_hi"] = start - pad, end + pad
    statement = _busy_statement(exclude_booking_id is not None, starts_of is not None)
    return statement, params


def _busy_rows(query) -> list[tuple]:
    # Core execution on the session's connection: plain rows, no ORM loading machinery per row.
    # It skips autoflush, so flush here: pending changes (a reschedule) must count.
    db.session.flush()
    result = db.session.connection().execute(*query)
    # The driver's plain tuples: the columns need no processing, so Row objects are waste.
    rows = result.cursor.fetchall()
    result.close()
    return rows


def busy_by_host(
    host_ids: Sequence[int], start: datetime, end: datetime, exclude_booking_id: int | None = None
) -> dict[int, list[av.Interval]]:
    """Busy time near a range: confirmed bookings widened by buffers, blocked and imported time."""
    busy: dict[int, list[av.Interval]] = {host_id: [] for host_id in host_ids}
    interval = av.Interval
    for _, host_id, busy_from, busy_until in _busy_rows(
        _busy_query(host_ids, start, end, exclude_booking_id)
    ):
        busy[host_id].append(interval(as_utc(busy_from), as_utc(busy_until)))
    return busy


def _busy_and_starts(
    event_type: EventType,
    host_ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude_booking_id: int | None,
) -> tuple[dict[int, list[av.Interval]], dict[int, list[datetime]]]:
    """busy_by_host() and booked_starts_by_host() in one read."""
    busy: dict[int, list[av.Interval]] = {host_id: [] for host_id in host_ids}
    starts: dict[int, list[datetime]] = {host_id: [] for host_id in host_ids}
    interval = av.Interval
    limited = event_type if _limited(event_type) else None
    for kind, host_id, busy_from, busy_until in _busy_rows(
        _busy_query(host_ids, start, end, exclude_booking_id, limited)
    ):
        if kind == 0:
            busy[host_id].append(interval(as_utc(busy_from), as_utc(busy_until)))
        else:
            starts[host_id].append(as_utc(busy_from))
    return busy, starts


def booked_starts_by_host(
    event_type: EventType,
    host_ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude_booking_id: int | None = None,
) -> dict[int, list[datetime]]:
    """Starts of confirmed bookings of this event type, for the per-day and per-week limits."""
    starts: dict[int, list[datetime]] = {host_id: [] for host_id in host_ids}
    if not _limited(event_type):
        return starts
    pad = _starts_pad(event_type)
    query = select(Booking.host_id, Booking.start_at).where(
        Booking.event_type_id == event_type.id,
        Booking.host_id.in_(host_ids),
        Booking.status == "confirmed",
        Booking.start_at >= start - pad,
        Booking.start_at < end + pad,
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    for host_id, start_at in db.session.execute(query):
        starts[host_id].append(start_at)
    return starts


def meetings_by_host(
    event_type: EventType,
    host_ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude_booking_id: int | None = None,
) -> dict[int, list[av.Interval]]:
    """The hosts' confirmed meetings (any event type, without buffers), for the minimum gap.

    Nothing is read when the event type asks for no gap.
    """
    meetings: dict[int, list[av.Interval]] = {host_id: [] for host_id in host_ids}
    if not event_type.min_gap:
        return meetings
    query = select(Booking.host_id, Booking.start_at, Booking.end_at).where(
        Booking.host_id.in_(host_ids),
        Booking.status == "confirmed",
        Booking.end_at > start - RANGE_PAD,
        Booking.start_at < end + RANGE_PAD,
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    db.session.flush()  # a reschedule's pending changes count
    for host_id, start_at, end_at in db.session.execute(query):
        meetings[host_id].append(av.Interval(start_at, end_at))
    return meetings
