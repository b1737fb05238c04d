"""Consent ids as the widget sends them back: is this still a live grant, and withdrawals.

A grant id stores something (touches, view credit, offline conversions) only while it is a
granted record of the same organisation, not withdrawn and not expired (the rules in
attribution/consent.py; the lifetime is the organisation's attribution cookie lifetime). A
withdrawal names the grant it ends: the grant gets `withdrawn_at`, the withdrawal record
`ends_consent_id`, and a unique index keeps it to one withdrawal per grant.
"""

from datetime import datetime

from sqlalchemy import select

from scheduling.attribution import (
    REFUSALS,
    ConsentDecision,
    GrantState,
    grant_refusal,
    withdrawal_refusal,
)
from scheduling.errors import InvalidRequest, PermissionDenied
from scheduling.extensions import db
from scheduling.models import ConsentRecord

from .embed_settings import log_consent, settings_of
from .locking import acquire_booking_lock


def _record(consent_id: str, *, lock: bool = False) -> ConsentRecord | None:
    if not isinstance(consent_id, str) or not consent_id:
        return None
    query = select(ConsentRecord).where(ConsentRecord.consent_id == consent_id)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def _state(row: ConsentRecord | None) -> GrantState | None:
    if row is None:
        return None
    return GrantState(
        organisation_id=row.organisation_id,
        decision=row.decision,
        decided_at=row.decided_at,
        withdrawn_at=row.withdrawn_at,
        erased=row.erased_at is not None,
    )


def refusal_of(row: ConsentRecord | None, organisation_id: int, now: datetime) -> str | None:
    """None for a live grant of this organisation, else why it stores nothing (REFUSALS key)."""
    lifetime = settings_of(organisation_id).cookie_days
    return grant_refusal(_state(row), organisation_id, now, lifetime)


def usable_grant(organisation_id: int, consent_id: str, now: datetime) -> ConsentRecord | None:
    """The live grant with this id, or None when it may not store anything."""
    row = _record(consent_id)
    return row if refusal_of(row, organisation_id, now) is None else None


def live_grant(organisation_id: int, consent_id: str, now: datetime) -> ConsentRecord:
    """The live grant with this id, or PermissionDenied saying why it stores nothing."""
    row = _record(consent_id)
    refusal = refusal_of(row, organisation_id, now)
    if refusal is not None:
        raise PermissionDenied(REFUSALS[refusal], {"consent": refusal})
    return row


def end_grant(organisation_id: int, decision: ConsentDecision, now: datetime) -> ConsentRecord:
    """The grant a withdrawal ends, marked withdrawn; InvalidRequest when it cannot be ended.

    The caller has taken the write lock (SQLite) and adds the withdrawal record; the grant's
    row is locked on PostgreSQL, so two withdrawals of one grant queue and the second fails.
    """
    grant = _record(decision.ends or "", lock=True)
    refusal = withdrawal_refusal(_state(grant), organisation_id)
    if refusal is not None:
        raise InvalidRequest(REFUSALS[refusal], {"ends": refusal})
    grant.withdrawn_at = now
    return grant


def log_widget_consent(
    organisation_id: int, decision: ConsentDecision, now: datetime
) -> ConsentRecord:
    """Log the widget's decision; a withdrawal also ends the grant it names, or stores nothing."""
    if decision.decision != "withdrawn":
        return log_consent(organisation_id, decision, now)
    acquire_booking_lock(db.session)  # SQLite: read the grant under the write lock
    row = log_consent(organisation_id, decision, now)
    grant = end_grant(organisation_id, decision, now)
    row.ends_consent_id = grant.id
    db.session.flush()
    return row
