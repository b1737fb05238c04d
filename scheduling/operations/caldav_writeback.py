"""Write bookings into hosts' CalDAV calendars marked "add bookings here" (one resource per UID).

Both entry points make the calendars match the meeting's latest state (the newest row of its
iCal UID; for a collective meeting, each host's row of that version): PUT when confirmed on a host
with such a calendar, DELETE otherwise (cancelled, or moved to another host). So they are
idempotent and order does not matter: an outbox may run them again
after a crash, or out of order. Network errors raise FetchError for the caller to retry; copies
already written are recorded (flush only).
"""

from datetime import datetime

from sqlalchemy import bindparam, exists, or_, select

from scheduling.extensions import db
from scheduling.ical import render_calendar
from scheduling.models import Booking, CalendarCopy, CalendarSource
from scheduling.remote import caldav
from scheduling.security import secretbox

from . import outbox
from .calendar_feeds import answers_by_uid, feed_event, row_of
from .calendar_import import PASSWORD_PURPOSE, Settings, settings

KIND = "caldav"  # outbox messages that sync one meeting's copies


# One read for both questions, built once: a write-back calendar, or copies already written?
_WRITEBACK_WANTED = select(
    or_(
        exists().where(
            CalendarSource.host_id == bindparam("host_id"),
            CalendarSource.write_back.is_(True),
            CalendarSource.kind == KIND,
        ),
        exists().where(
            CalendarCopy.ical_uid == bindparam("ical_uid"),
            CalendarCopy.source_id == CalendarSource.id,
            CalendarSource.kind == KIND,
        ),
    )
)


def enqueue_writeback(booking: Booking, now) -> None:
    """Queue a sync when the host writes bookings to a calendar, or copies of the meeting exist."""
    wanted = db.session.scalar(
        _WRITEBACK_WANTED, {"host_id": booking.host_id, "ical_uid": booking.ical_uid}
    )
    if not wanted:
        return
    key = f"caldav:{booking.ical_uid}:{booking.sequence}:{booking.status}:{booking.id}"
    outbox.enqueue_once(
        booking.organisation_id,
        KIND,
        "booking.sync",
        {"booking_id": booking.id},
        key,
        now,
        booking_id=booking.id,
    )


def _account(source: CalendarSource, config: Settings) -> caldav.Account:
    password = ""
    if source.password_encrypted:
        password = (
            secretbox.decrypt(config.secret_key, PASSWORD_PURPOSE, source.password_encrypted) or ""
        )
    return caldav.Account(source.url, source.username, password)


def latest_of(ical_uid: str) -> Booking | None:
    """The current state of a meeting: the newest row of its UID (reschedules add rows)."""
    return db.session.scalars(
        select(Booking)
        .where(Booking.ical_uid == ical_uid)
        .order_by(Booking.sequence.desc(), Booking.id.desc())
    ).first()


def current_rows(ical_uid: str) -> list[Booking]:
    """The meeting's current rows: the newest row of its UID, and for a collective meeting
    every host's row of that version (one per host, all moved or cancelled together)."""
    latest = latest_of(ical_uid)
    if latest is None or latest.meeting_id is None:
        return [latest] if latest is not None else []
    return list(
        db.session.scalars(
            select(Booking).where(Booking.meeting_id == latest.meeting_id).order_by(Booking.id)
        )
    )


def _copies(ical_uid: str) -> list[CalendarCopy]:
    """The meeting's CalDAV copies (Google / Microsoft copies belong to calendar_writeback.py)."""
    return list(
        db.session.scalars(
            select(CalendarCopy)
            .join(CalendarSource, CalendarSource.id == CalendarCopy.source_id)
            .where(CalendarCopy.ical_uid == ical_uid, CalendarSource.kind == KIND)
        )
    )


def _remove_copy(copy: CalendarCopy, config: Settings) -> None:
    caldav.delete_event(_account(copy.source, config), copy.href, config.policy)
    db.session.delete(copy)
    db.session.flush()


def push_booking(booking_id: int, now: datetime) -> int:
    """After a booking or reschedule: write it where it belongs; returns resources changed."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return 0
    return _sync(booking.ical_uid, now)


def remove_booking(booking_id: int, now: datetime) -> int:
    """After a cancellation: remove the copies (kept if a newer row of the meeting is live)."""
    return push_booking(booking_id, now)


def _sync(ical_uid: str, now: datetime) -> int:
    rows = [row for row in current_rows(ical_uid) if row.is_confirmed]
    config = settings()
    if not rows:
        copies = _copies(ical_uid)
        for copy in copies:
            _remove_copy(copy, config)
        return len(copies)
    latest = rows[0]
    host_rows = {row.host_id: row for row in rows}
    targets = list(
        db.session.scalars(
            select(CalendarSource).where(
                CalendarSource.host_id.in_(host_rows),
                CalendarSource.write_back.is_(True),
                CalendarSource.kind == KIND,
            )
        )
    )
    target_ids = {source.id for source in targets}
    existing = {copy.source_id: copy for copy in _copies(latest.ical_uid)}
    for source_id, copy in list(existing.items()):
        if source_id not in target_ids:  # reassigned to another host, or write-back switched off
            _remove_copy(copy, config)
            del existing[source_id]
    busy_only = latest.organisation.feed_busy_only
    answers = {} if busy_only else answers_by_uid(Booking.ical_uid == latest.ical_uid)
    written = 0
    for source in targets:
        row = host_rows[source.host_id]  # each host's copy is that host's own row
        copy = existing.get(source.id)
        if copy is not None and copy.sequence == row.sequence:
            continue  # already there in this version
        body = render_calendar(
            [feed_event(row_of(row), busy_only, answers.get(row.ical_uid, []))], "PUBLISH"
        )
        account = _account(source, config)
        href = copy.href if copy is not None else caldav.resource_url(account, row.ical_uid)
        caldav.put_event(account, href, body, config.policy)
        if copy is None:
            copy = CalendarCopy(source_id=source.id, ical_uid=row.ical_uid, href=href)
            db.session.add(copy)
        copy.sequence = row.sequence
        copy.updated_at = now
        db.session.flush()
        written += 1
    return written
