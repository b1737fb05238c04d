"""Delivering CalDAV write-back through the outbox: a booking's copy follows its latest state.

A write-back message names a booking; the handler makes the host's "add bookings here" calendars
match the meeting as it is now (written, updated or removed), so a repeated or late message is
harmless. On SQLite the write lock is taken first: the sync reads, calls the server, then records
the copy, and a deferred read transaction could not write after another worker's commit.
"""

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import OutboxMessage
from scheduling.operations.caldav_writeback import KIND, push_booking
from scheduling.operations.locking import acquire_booking_lock

__all__ = ["KIND", "deliver_caldav"]


def deliver_caldav(message: OutboxMessage) -> str | None:
    """Outbox handler for kind "caldav"; a FetchError from the server means: try again later."""
    booking_id = message.payload["booking_id"]
    acquire_booking_lock(db.session)
    push_booking(booking_id, clock.utcnow())
    return None
