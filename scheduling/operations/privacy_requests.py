"""Privacy requests: a person asks for erasure from their booking page; an admin closes it.

A request is due one calendar month after it was made (GDPR Art. 12(3)). Asking twice while
one is open gives back the open one, also when both arrive at once. Closing it (done or
rejected) empties the stored address: the admin needed it to act, nobody needs it afterwards.
Flush only.
"""

from datetime import datetime

from sqlalchemy import case, select

from scheduling.errors import NotFound
from scheduling.extensions import db
from scheduling.models import PrivacyRequest, User
from scheduling.security.retention_periods import months_before

from .audit import record
from .locking import acquire_booking_lock, hold_count_locks
from .subject_requests import normalise_email, open_requests_for

DUE_MONTHS = 1


def due_date(now: datetime) -> datetime:
    """One calendar month ahead (clamped to the month's end, e.g. 31 Jan -> 28/29 Feb)."""
    return months_before(now, -DUE_MONTHS)


def request_erasure(
    organisation_id: int, email: str, now: datetime, source: str = "invitee"
) -> tuple[PrivacyRequest, bool]:
    """(the open erasure request for this address, whether it is new). Two submissions at once
    (a double click) are serialised: the second finds the first's request."""
    email = normalise_email(email)
    acquire_booking_lock(db.session)  # SQLite: one writer, reads under the lock
    hold_count_locks(db.session, [f"privacy-request:{organisation_id}:{email}"])  # PostgreSQL
    existing = [row for row in open_requests_for(organisation_id, email) if row.kind == "erasure"]
    if existing:
        return existing[0], False
    row = PrivacyRequest(
        organisation_id=organisation_id,
        kind="erasure",
        status="open",
        subject_email=email,
        source=source,
        created_at=now,
        due_at=due_date(now),
    )
    db.session.add(row)
    db.session.flush()
    record(
        organisation_id,
        None,
        "privacy.request",
        "privacy_request",
        row.id,
        f"An erasure request (#{row.id}) was made, due {row.due_at:%Y-%m-%d}",
        now,
    )
    return row, True


def get_request(organisation_id: int, request_id: int) -> PrivacyRequest:
    row = db.session.get(PrivacyRequest, request_id)
    if row is None or row.organisation_id != organisation_id:
        raise NotFound("No such privacy request.")
    return row


def close_request(row: PrivacyRequest, status: str, actor: User | None, now: datetime) -> None:
    """Mark it done or rejected and forget the address."""
    row.status = status
    row.closed_at = now
    row.closed_by = actor
    row.subject_email = ""
    db.session.flush()


def reject_request(row: PrivacyRequest, actor: User, now: datetime) -> None:
    close_request(row, "rejected", actor, now)
    record(
        row.organisation_id,
        actor,
        "privacy.reject",
        "privacy_request",
        row.id,
        f"Rejected the erasure request #{row.id}",
        now,
    )


def list_requests(organisation_id: int, limit: int = 50) -> list[PrivacyRequest]:
    """Open ones first, soonest due first; then the latest closed ones."""
    open_first = case((PrivacyRequest.status == "open", 0), else_=1)
    return list(
        db.session.scalars(
            select(PrivacyRequest)
            .where(PrivacyRequest.organisation_id == organisation_id)
            .order_by(open_first, PrivacyRequest.due_at, PrivacyRequest.id.desc())
            .limit(limit)
        )
    )
