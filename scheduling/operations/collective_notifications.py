"""Outbox messages of a collective meeting: the invitee hears once, every host gets their own.

The invitee's confirmation, reminders and links come from the primary row; each host's
invitation (with every host an attendee of the .ics) from that host's row; one webhook per
meeting, whose booking lists all hosts; a calendar copy per host. Same transaction as the change.
"""

from datetime import datetime

from scheduling.models import Booking

from . import outbox
from .caldav_writeback import enqueue_writeback
from .calendar_writeback import enqueue_calendar_copy
from .notifications import (
    AFTER_MEETING,
    REMINDER,
    _after_meeting,
    _email,
    _reminders,
    emit_booking_event,
)


def _emails(rows: list[Booking], template: str, now: datetime, *, follow_ups: bool) -> None:
    primary = rows[0]
    messages = [
        _email(
            primary,
            template,
            "invitee",
            now,
            f"email:{template}:{primary.uid}:{primary.sequence}:invitee",
        )
    ]
    for row in rows:
        key = f"email:{template}:{row.uid}:{row.sequence}:host"
        messages.append(_email(row, template, "host", now, key))
    if follow_ups:
        messages += [*_reminders(primary, now), _after_meeting(primary, now)]
    outbox.enqueue_rows(messages)


def meeting_created(rows: list[Booking], now: datetime) -> None:
    """Confirmations (the invitee once, each host), reminders, one booking.created, copies."""
    primary = rows[0]
    for row in rows:
        enqueue_writeback(row, now)
        enqueue_calendar_copy(row, now)
    _emails(rows, "booking.confirmation", now, follow_ups=True)
    emit_booking_event("booking.created", primary, now)


def _drop_follow_ups(rows: list[Booking], now: datetime) -> None:
    for row in rows:
        outbox.drop_pending(row.id, REMINDER, now)
        outbox.drop_pending(row.id, AFTER_MEETING, now)


def meeting_rescheduled(old_rows: list[Booking], new_rows: list[Booking], now: datetime) -> None:
    """Reminders move to the new time; every host's notice keeps the UID, SEQUENCE goes up."""
    _drop_follow_ups(old_rows, now)
    for row in new_rows:
        enqueue_writeback(row, now)
        enqueue_calendar_copy(row, now)
    _emails(new_rows, "booking.rescheduled", now, follow_ups=True)
    emit_booking_event("booking.rescheduled", new_rows[0], now, previous=old_rows[0])


def meeting_cancelled(rows: list[Booking], now: datetime) -> None:
    """Reminders are dropped; the invitee and every host get the cancellation (METHOD:CANCEL)."""
    _drop_follow_ups(rows, now)
    for row in rows:
        enqueue_writeback(row, now)
        enqueue_calendar_copy(row, now)
    _emails(rows, "booking.cancelled", now, follow_ups=False)
    emit_booking_event("booking.cancelled", rows[0], now)
