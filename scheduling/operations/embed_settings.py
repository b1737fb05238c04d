"""Use cases of the embed settings (who may frame the widget, its prompt) and the consent log."""

import secrets
from datetime import datetime

from sqlalchemy import select

from scheduling.attribution import MAX_COOKIE_DAYS, ConsentDecision, parse_allowlist
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import ConsentRecord, EmbedSettings, Organisation, User

from .audit import diff, record

DEFAULT_PROMPT = (
    "May we remember which campaign brought you here (a first-party cookie on this site, "
    "kept for up to {days} days), to see which of our pages work? Booking works either way."
)
PROMPT_MAX = 1000


def settings_of(organisation_id: int) -> EmbedSettings:
    """The organisation's embed settings, or unsaved defaults (nobody may frame, no prompt)."""
    row = db.session.scalar(
        select(EmbedSettings).where(EmbedSettings.organisation_id == organisation_id)
    )
    if row is None:
        row = EmbedSettings(
            organisation_id=organisation_id,
            allowed_origins=[],
            own_prompt=False,
            prompt_text="",
            cookie_days=180,
            conversion_booked="",
            conversion_attended="",
            conversion_won="",
        )
    return row


def prompt_text(settings: EmbedSettings) -> str:
    return settings.prompt_text or DEFAULT_PROMPT.format(days=settings.cookie_days)


def update_embed_settings(
    organisation: Organisation,
    *,
    allowed_origins: str,
    own_prompt: bool,
    prompt: str,
    cookie_days: int,
    actor: User,
    now: datetime,
) -> dict:
    """Save the allowlist (one origin a line), own prompt and cookie lifetime; return changes."""
    origins, problems = parse_allowlist(allowed_origins)
    if problems:
        raise InvalidRequest(" ".join(problems), {"allowed_origins": "invalid"})
    if not 1 <= cookie_days <= MAX_COOKIE_DAYS:
        raise InvalidRequest(
            f"The cookie may live 1 to {MAX_COOKIE_DAYS} days (13 months).",
            {"cookie_days": "range"},
        )
    prompt = prompt.strip()
    if len(prompt) > PROMPT_MAX:
        raise InvalidRequest(
            f"The prompt may have at most {PROMPT_MAX} characters.", {"prompt_text": "length"}
        )
    settings = settings_of(organisation.id)
    if settings.id is None:
        settings.updated_at = now
        db.session.add(settings)
    changes = diff(
        settings,
        {
            "allowed_origins": origins,
            "own_prompt": own_prompt,
            "prompt_text": prompt,
            "cookie_days": cookie_days,
        },
    )
    if changes:
        settings.updated_at = now
        db.session.flush()
        record(
            organisation.id,
            actor,
            "embed.update",
            "organisation",
            organisation.id,
            "Embed settings changed",
            now,
            changes,
        )
    return changes


def log_consent(organisation_id: int, decision: ConsentDecision, now: datetime) -> ConsentRecord:
    """Keep one decision (granted, refused or withdrawn) from an allowlisted host page."""
    if decision.host_origin not in settings_of(organisation_id).allowed_origins:
        raise InvalidRequest("This page may not embed the widget.", {"origin": "not_allowed"})
    return _add_record(organisation_id, decision, now)


def log_direct_consent(
    organisation_id: int, decision: ConsentDecision, now: datetime
) -> ConsentRecord:
    """Keep one decision made in the own prompt of a direct booking link (our own origin)."""
    settings = settings_of(organisation_id)
    if not settings.own_prompt or decision.source != "prompt":
        raise InvalidRequest("This organisation does not ask for consent here.", {"_": "off"})
    return _add_record(organisation_id, decision, now)


def _add_record(organisation_id: int, decision: ConsentDecision, now: datetime) -> ConsentRecord:
    row = ConsentRecord(
        consent_id=secrets.token_hex(16),
        organisation_id=organisation_id,
        decided_at=now,
        host_origin=decision.host_origin,
        notice_hash=decision.notice_hash,
        language=decision.language,
        purposes=list(decision.purposes),
        decision=decision.decision,
        source=decision.source,
    )
    db.session.add(row)
    db.session.flush()
    return row
