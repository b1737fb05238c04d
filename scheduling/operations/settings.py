"""Organisation settings (name, Jitsi, currency, retention periods) and the lost reasons."""

import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select

from scheduling.errors import N_, InvalidRequest
from scheduling.extensions import db
from scheduling.models import LostReason, Organisation, User
from scheduling.security.retention_periods import KINDS as RETENTION_KINDS
from scheduling.security.retention_periods import Period, periods_from

from .audit import diff, record
from .outcomes import is_currency

LABEL_MAX = 100
URL_MAX = 300
# A DNS name or an IP address (urlsplit lower-cases it and drops IPv6 brackets).
_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]*:[0-9a-f:.]*")
# Room URLs are built by appending to the path: plain URL characters only.
_PATH_RE = re.compile(r"[A-Za-z0-9._~%/-]*")


def normalise_jitsi_url(text: str) -> str | None:
    """An https:// base URL without query or fragment (no trailing slash), or None if empty."""
    text = text.strip()
    if not text:
        return None
    problem = InvalidRequest(
        "Enter an https:// address such as https://meet.example.com, or leave it empty.",
        {"jitsi_base_url": "invalid"},
    )
    if len(text) > URL_MAX or any(ch.isspace() for ch in text):
        raise problem
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise problem from None
    if (
        parts.scheme.lower() != "https"
        or not _HOST_RE.fullmatch(parts.hostname or "")
        or not _PATH_RE.fullmatch(parts.path)
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
        or text.endswith("?")
        or text.endswith("#")
    ):
        raise problem
    return text.rstrip("/")


PRIVACY_URL_MAX = 500


def normalise_privacy_url(text: str) -> str:
    """The operator's privacy notice: an absolute http(s) URL with a host, or "" when empty."""
    text = text.strip()
    if not text:
        return ""
    problem = InvalidRequest(
        N_(
            "Enter the full address of your privacy notice, such as "
            "https://www.example.com/privacy, or leave it empty."
        ),
        {"privacy_url": "invalid"},
    )
    if len(text) > PRIVACY_URL_MAX or any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise problem
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise problem from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not _HOST_RE.fullmatch(parts.hostname or "")
        or "@" in parts.netloc
        or any(ch in text for ch in "<>\"'`")
    ):
        raise problem
    return text


# A day at most: the no-show email should still reach the visitor while the call is fresh.
MAX_NO_SHOW_DELAY = 1440


def update_organisation(
    organisation: Organisation,
    *,
    name: str,
    jitsi_base_url: str,
    default_currency: str,
    actor: User,
    now: datetime,
    no_show_delay_minutes: int | None = None,
    privacy_url: str | None = None,
) -> dict:
    """Save the organisation's settings; return the changes (empty when nothing changed)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidRequest("The name needs 1 to 200 characters.", {"name": "length"})
    currency = default_currency.strip().upper()
    if not is_currency(currency):
        raise InvalidRequest(
            "Enter an ISO 4217 currency code such as EUR, CHF or GBP.",
            {"default_currency": "unknown"},
        )
    values = {
        "name": name,
        "jitsi_base_url": normalise_jitsi_url(jitsi_base_url),
        "default_currency": currency,
    }
    if no_show_delay_minutes is not None:
        if not 0 <= no_show_delay_minutes <= MAX_NO_SHOW_DELAY:
            raise InvalidRequest(
                "Enter a number of minutes between 0 and 1440.",
                {"no_show_delay_minutes": "out of range"},
            )
        values["no_show_delay_minutes"] = no_show_delay_minutes
    if privacy_url is not None:
        values["privacy_url"] = normalise_privacy_url(privacy_url)
    changes = diff(organisation, values)
    if changes:
        db.session.flush()
        record(
            organisation.id,
            actor,
            "settings.update",
            "organisation",
            organisation.id,
            "Organisation settings changed",
            now,
            changes,
        )
    return changes


def lost_reasons(organisation_id: int) -> list[LostReason]:
    """All of the organisation's reasons in their order (inactive ones included)."""
    return list(
        db.session.scalars(
            select(LostReason)
            .where(LostReason.organisation_id == organisation_id)
            .order_by(LostReason.position, LostReason.id)
        )
    )


def active_lost_reasons(organisation_id: int) -> list[LostReason]:
    """The reasons a rep may choose now, in their order."""
    return [reason for reason in lost_reasons(organisation_id) if reason.active]


def _check_label(organisation_id: int, label: str, reason_id: int | None = None) -> str:
    label = label.strip()
    if not 1 <= len(label) <= LABEL_MAX:
        raise InvalidRequest(f"A reason needs 1 to {LABEL_MAX} characters.", {"label": "length"})
    # Compared in Python: SQLite's lower() folds ASCII letters only (Ärger vs ärger).
    key = label.casefold()
    clash = next(
        (
            reason
            for reason in lost_reasons(organisation_id)
            if reason.label.casefold() == key and reason.id != reason_id
        ),
        None,
    )
    if clash is not None:
        hint = "" if clash.active else " It is inactive: reactivate it instead."
        raise InvalidRequest(
            f"There is already a reason called {clash.label!r}.{hint}", {"label": "taken"}
        )
    return label


def _renumber(reasons: list[LostReason]) -> dict:
    """Give the reasons positions 1..n in this order; return {label: [old, new]} for moves."""
    moves = {}
    for position, reason in enumerate(reasons, start=1):
        if reason.position != position:
            moves[reason.label] = [reason.position, position]
            reason.position = position
    return moves


def add_lost_reason(
    organisation: Organisation, label: str, actor: User, now: datetime
) -> LostReason:
    """Add a reason at the end of the list."""
    label = _check_label(organisation.id, label)
    last = db.session.scalar(
        select(func.max(LostReason.position)).where(LostReason.organisation_id == organisation.id)
    )
    reason = LostReason(
        organisation_id=organisation.id,
        label=label,
        position=(last or 0) + 1,
        active=True,
    )
    db.session.add(reason)
    db.session.flush()
    record(
        organisation.id,
        actor,
        "lost_reason.create",
        "lost_reason",
        reason.id,
        f"Lost reason {label!r} added",
        now,
        {"label": [None, label]},
    )
    return reason


def rename_lost_reason(reason: LostReason, label: str, actor: User, now: datetime) -> dict:
    label = _check_label(reason.organisation_id, label, reason.id)
    old = reason.label
    changes = diff(reason, {"label": label})
    if changes:
        record(
            reason.organisation_id,
            actor,
            "lost_reason.update",
            "lost_reason",
            reason.id,
            f"Lost reason {old!r} renamed to {label!r}",
            now,
            changes,
        )
    return changes


def set_lost_reason_active(reason: LostReason, active: bool, actor: User, now: datetime) -> dict:
    """Deactivated reasons stay on past outcomes but are no longer offered."""
    changes = diff(reason, {"active": active})
    if changes:
        verb = "reactivated" if active else "deactivated"
        record(
            reason.organisation_id,
            actor,
            "lost_reason.reactivate" if active else "lost_reason.deactivate",
            "lost_reason",
            reason.id,
            f"Lost reason {reason.label!r} {verb}",
            now,
            changes,
        )
    return changes


def _record_order(organisation_id: int, actor: User, now: datetime, moves: dict) -> None:
    record(
        organisation_id,
        actor,
        "lost_reason.reorder",
        "organisation",
        organisation_id,
        "Lost reasons reordered",
        now,
        {label: [old, new] for label, (old, new) in moves.items()},
    )


def move_lost_reason(reason: LostReason, direction: str, actor: User, now: datetime) -> dict:
    """Swap a reason with its neighbour above ("up") or below ("down")."""
    if direction not in ("up", "down"):
        raise InvalidRequest("Move a reason up or down.", {"direction": "unknown"})
    reasons = lost_reasons(reason.organisation_id)
    index = reasons.index(reason)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(reasons):
        reasons[index], reasons[other] = reasons[other], reasons[index]
    moves = _renumber(reasons)
    if moves:
        _record_order(reason.organisation_id, actor, now, moves)
    return moves


def reorder_lost_reasons(
    organisation_id: int, positions: dict[int, int], actor: User, now: datetime
) -> dict:
    """Order the reasons by the numbers given (ties keep the current order), then number 1..n.

    `positions` maps reason ids to numbers; every reason of the organisation must be present.
    """
    reasons = lost_reasons(organisation_id)
    if set(positions) != {reason.id for reason in reasons}:
        raise InvalidRequest(
            "The list of reasons changed meanwhile. Please reload the page and try again.",
            {"positions": "stale"},
        )
    current = {reason.id: index for index, reason in enumerate(reasons)}
    ordered = sorted(reasons, key=lambda reason: (positions[reason.id], current[reason.id]))
    moves = _renumber(ordered)
    if moves:
        _record_order(organisation_id, actor, now, moves)
    return moves


def update_retention_periods(
    organisation: Organisation, periods: dict[str, Period], actor: User, now: datetime
) -> dict:
    """Save how long each kind of personal data is kept; return {kind: [old, new]}."""
    if set(periods) != set(RETENTION_KINDS):
        raise InvalidRequest("Give a period for every kind of data.", {"periods": "missing"})
    current = periods_from(organisation.retention_periods)
    changes = {
        kind: [str(current[kind]), str(periods[kind])]
        for kind in RETENTION_KINDS
        if current[kind] != periods[kind]
    }
    stored = {kind: str(periods[kind]) for kind in RETENTION_KINDS}
    if changes or organisation.retention_periods != stored:
        organisation.retention_periods = stored
        db.session.flush()
    if changes:
        record(
            organisation.id,
            actor,
            "settings.retention",
            "organisation",
            organisation.id,
            "Retention periods changed",
            now,
            changes,
        )
    return changes
