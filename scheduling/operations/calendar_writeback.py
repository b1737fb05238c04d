"""Bookings written into the Google / Microsoft calendar a host chose ("receives bookings").

Like the CalDAV write-back, every message makes the remote copies match the meeting's latest
state: created (Google: events.import with the booking's iCalUID; Microsoft: the booking's UID as
transactionId, so a repeat after a crash creates no duplicate), updated on reschedule, deleted
when cancelled or moved to another host (404/410 on delete count as done). The remote id is kept
in CalendarCopy.href. Planning and recording touch the database (flush only); the provider calls
in between run with no transaction open.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, or_, select

from scheduling.extensions import db
from scheduling.ical import CalendarEvent
from scheduling.models import CONNECTED_KINDS, Booking, CalendarCopy, CalendarSource, ImportedBusy
from scheduling.remote import google_calendar, microsoft_calendar
from scheduling.remote.busy_changes import rfc3339
from scheduling.remote.provider_http import Api

from . import outbox
from .caldav_writeback import current_rows
from .calendar_feeds import answers_by_uid, feed_event, row_of

KIND = "calendar_copy"  # outbox messages that sync one meeting's Google / Microsoft copies

_WANTED = select(
    or_(
        exists().where(
            CalendarSource.host_id == bindparam("host_id"),
            CalendarSource.write_back.is_(True),
            CalendarSource.kind.in_(CONNECTED_KINDS),
        ),
        exists().where(
            CalendarCopy.ical_uid == bindparam("ical_uid"),
            CalendarCopy.source_id == CalendarSource.id,
            CalendarSource.kind.in_(CONNECTED_KINDS),
        ),
    )
)


def enqueue_calendar_copy(booking: Booking, now: datetime) -> None:
    """Queue a sync when the host has a receiving calendar, or copies of the meeting exist."""
    wanted = db.session.scalar(_WANTED, {"host_id": booking.host_id, "ical_uid": booking.ical_uid})
    if not wanted:
        return
    outbox.enqueue_once(
        booking.organisation_id,
        KIND,
        "booking.sync",
        {"booking_id": booking.id},
        f"{KIND}:{booking.ical_uid}:{booking.sequence}:{booking.status}:{booking.id}",
        now,
        booking_id=booking.id,
    )


@dataclass(frozen=True)
class Step:
    """One provider call: write (`event` set) or delete the copy in one calendar."""

    source_id: int
    connection_id: int
    provider: str
    remote_calendar_id: str
    remote_id: str
    ical_uid: str
    sequence: int
    event: dict | None = None


def _google_event(item: CalendarEvent) -> dict:
    return {
        "summary": item.summary,
        "description": item.description,
        "location": item.location,
        "start": {"dateTime": rfc3339(item.start)},
        "end": {"dateTime": rfc3339(item.end)},
        "transparency": "opaque",
        "visibility": "private" if item.private else "default",
    }


def _graph_event(item: CalendarEvent) -> dict:
    return {
        "subject": item.summary,
        "body": {"contentType": "text", "content": item.description},
        "start": {"dateTime": rfc3339(item.start)[:-1], "timeZone": "UTC"},
        "end": {"dateTime": rfc3339(item.end)[:-1], "timeZone": "UTC"},
        "location": {"displayName": item.location},
        "showAs": "busy",
        "sensitivity": "private" if item.private else "normal",
    }


def _step(source: CalendarSource, remote_id: str, uid: str, sequence: int, event=None) -> Step:
    return Step(
        source.id,
        source.connection_id,
        source.kind,
        source.remote_calendar_id,
        remote_id,
        uid,
        sequence,
        event,
    )


def plan(booking_id: int) -> list[Step]:
    """What to call so the remote copies match the meeting's latest state (reads only)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return []
    # Each host of the meeting (several for a collective one) gets a copy of their own row.
    rows = [row for row in current_rows(booking.ical_uid) if row.is_confirmed]
    host_rows = {row.host_id: row for row in rows}
    copies = {
        copy.source_id: copy
        for copy in db.session.scalars(
            select(CalendarCopy)
            .join(CalendarSource, CalendarSource.id == CalendarCopy.source_id)
            .where(
                CalendarCopy.ical_uid == booking.ical_uid,
                CalendarSource.kind.in_(CONNECTED_KINDS),
            )
        )
    }
    targets = []
    if host_rows:
        targets = list(
            db.session.scalars(
                select(CalendarSource).where(
                    CalendarSource.host_id.in_(host_rows),
                    CalendarSource.write_back.is_(True),
                    CalendarSource.kind.in_(CONNECTED_KINDS),
                )
            )
        )
    steps = []
    wanted = {source.id for source in targets}
    for source_id, copy in copies.items():
        if source_id not in wanted:
            steps.append(_step(copy.source, copy.href, copy.ical_uid, copy.sequence))
    if not targets:
        return steps
    first = rows[0]
    busy_only = first.organisation.feed_busy_only
    answers = {} if busy_only else answers_by_uid(Booking.ical_uid == first.ical_uid)
    for source in targets:
        row = host_rows[source.host_id]
        copy = copies.get(source.id)
        if copy is not None and copy.sequence == row.sequence:
            continue  # already there in this version
        item = feed_event(row_of(row), busy_only, answers.get(row.ical_uid, []))
        event = _google_event(item) if source.kind == "google" else _graph_event(item)
        remote_id = copy.href if copy is not None else ""
        steps.append(_step(source, remote_id, row.ical_uid, row.sequence, event))
    return steps


def call(api: Api, step: Step) -> str:
    """Write or delete the copy at the provider; returns the remote id ("" once deleted)."""
    if step.event is None:
        if step.provider == "google":
            google_calendar.delete_event(api, step.remote_calendar_id, step.remote_id)
        else:
            microsoft_calendar.delete_event(api, step.remote_id)
        return ""
    if step.provider == "google":
        return google_calendar.put_event(
            api, step.remote_calendar_id, step.remote_id, step.ical_uid, step.event
        )
    return microsoft_calendar.put_event(
        api, step.remote_calendar_id, step.remote_id, step.ical_uid, step.event
    )


def record(step: Step, remote_id: str, now: datetime) -> None:
    """Keep (or forget) the copy after the call; its synced busy row is not ours to count."""
    copy = db.session.scalar(
        select(CalendarCopy).where(
            CalendarCopy.source_id == step.source_id, CalendarCopy.ical_uid == step.ical_uid
        )
    )
    if step.event is None:
        if copy is not None:
            db.session.delete(copy)
        db.session.flush()
        return
    if db.session.get(CalendarSource, step.source_id) is None:
        return  # the calendar was disconnected meanwhile
    if copy is None:
        copy = CalendarCopy(source_id=step.source_id, ical_uid=step.ical_uid)
        db.session.add(copy)
    copy.href = remote_id
    copy.sequence = step.sequence
    copy.updated_at = now
    # The booking blocks the time itself; its copy read back by the sync must not count twice.
    db.session.execute(
        delete(ImportedBusy).where(
            ImportedBusy.source_id == step.source_id, ImportedBusy.remote_event_id == remote_id
        )
    )
    db.session.flush()


def own_remote_ids(source_id: int) -> set[str]:
    """The remote ids of the booking copies written into this calendar (the sync skips them)."""
    return set(
        db.session.scalars(select(CalendarCopy.href).where(CalendarCopy.source_id == source_id))
    )
