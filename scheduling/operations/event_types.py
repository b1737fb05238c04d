"""Event types: create, edit, activate and deactivate them, with slugs checked and suggested.

An event type is hosted by its hosts, or by a team (round-robin among its active members), and
may ask a qualification form's questions first; both belong to the same organisation.
"""

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from scheduling.availability.slots import MAX_GAP_MINUTES
from scheduling.errors import N_, InvalidRequest
from scheduling.extensions import db
from scheduling.models import (
    ASSIGNMENTS,
    LAYOUTS,
    EventType,
    Host,
    Organisation,
    Pool,
    RoutingForm,
    User,
)

from .audit import diff, record
from .durations import checked_durations
from .hosts import flush_unique
from .locations import Location, check_locations
from .public_pages import check_redirect_url, slugify

SLUG_RE = re.compile(r"[a-z0-9-]{3,80}")
BUTTON_LABEL_MAX = 60  # the column's length, and an A/B variant's
SLUG_TAKEN = "This address is taken. Choose another one."


@dataclass(frozen=True)
class EventTypeData:
    """Every editable field of an event type, already shape-checked by a form."""

    title: str
    slug: str  # empty: suggest one from the title
    description: str
    duration: int
    step: int
    buffer_before: int
    buffer_after: int
    min_notice: int
    horizon_days: int
    daily_limit: int | None
    locations: tuple[Location, ...]  # offered, the default first
    active: bool
    host_ids: tuple[int, ...]
    routing_form_id: int | None = None
    pool_id: int | None = None
    button_label: str = ""  # empty: the booking page's default label
    layout: str = "standard"
    default_locale: str | None = None  # a language code (the form offers LANGUAGES) or None
    weekly_limit: int | None = None  # per host and local ISO week; None: no limit
    min_gap: int = 0  # minutes between a host's meetings, end to start

    durations: tuple[int, ...] = ()  # every length offered, with the default; empty: it alone
    hidden: bool = False  # bookable by link, widget and API; listed on no public page
    redirect_url: str = ""  # the page after booking on an allowlisted origin; empty: ours
    assignment: str = "one"  # one of ASSIGNMENTS: one host per meeting, or all of them


def slug_taken(slug: str, event_type_id: int | None = None) -> bool:
    """Slugs are unique across the installation (public URLs name event types by slug alone)."""
    query = select(EventType.id).where(EventType.slug == slug)
    if event_type_id is not None:
        query = query.where(EventType.id != event_type_id)
    return db.session.scalar(query) is not None


def suggest_slug(title: str, event_type_id: int | None = None) -> str:
    """A free slug made from the title, numbered when the plain one is taken."""
    base = slugify(title)
    if len(base) < 3:  # "A", or a title in a script without ASCII letters
        base = f"{base}-meeting" if base else "meeting"
    candidate, number = base, 1
    while slug_taken(candidate, event_type_id):
        number += 1
        suffix = f"-{number}"
        candidate = base[: 80 - len(suffix)].rstrip("-") + suffix
    return candidate


OWNED_MESSAGES = {
    "routing_form_id": "Pick a qualification form from the list.",
    "pool_id": "Pick a team from the list.",
}


def _check_owned(model, row_id: int | None, organisation: Organisation, field: str) -> None:
    """A form or team chosen for an event type must be one of the organisation's own."""
    if row_id is None:
        return
    row = db.session.get(model, row_id)
    if row is None or row.organisation_id != organisation.id:
        raise InvalidRequest(OWNED_MESSAGES[field], {field: "unknown"})


def _checked_values(
    organisation: Organisation, data: EventTypeData, event_type_id: int | None
) -> tuple[dict, list[Host]]:
    """The column values and hosts to store, or InvalidRequest naming the field."""
    slug = data.slug.strip() or suggest_slug(data.title, event_type_id)
    if not SLUG_RE.fullmatch(slug):
        raise InvalidRequest(
            "Use 3 to 80 lowercase letters, digits and hyphens.", {"slug": "invalid"}
        )
    if slug_taken(slug, event_type_id):
        raise InvalidRequest(SLUG_TAKEN, {"slug": "taken"})
    locations = check_locations(list(data.locations))
    if data.daily_limit is not None and data.daily_limit < 1:
        raise InvalidRequest(
            "Leave the daily limit empty for no limit, or enter 1 or more.",
            {"daily_limit": "too small"},
        )
    if data.weekly_limit is not None and data.weekly_limit < 1:
        raise InvalidRequest(
            N_("Leave the weekly limit empty for no limit, or enter 1 or more."),
            {"weekly_limit": "too small"},
        )
    if not 0 <= data.min_gap <= MAX_GAP_MINUTES:
        raise InvalidRequest(
            N_("Enter the gap between meetings in whole minutes, from 0 to 1440."),
            {"min_gap": "out of range"},
        )
    if len(data.button_label.strip()) > BUTTON_LABEL_MAX:
        raise InvalidRequest(
            f"Use at most {BUTTON_LABEL_MAX} characters for the button label.",
            {"button_label": "too long"},
        )
    if data.default_locale is not None and not re.fullmatch(r"[a-z]{2,3}", data.default_locale):
        raise InvalidRequest("Choose a language from the list.", {"default_locale": "unknown"})
    if data.layout not in LAYOUTS:
        raise InvalidRequest("Choose a layout from the list.", {"layout": "unknown"})
    _check_owned(RoutingForm, data.routing_form_id, organisation, "routing_form_id")
    _check_owned(Pool, data.pool_id, organisation, "pool_id")
    if not data.host_ids and data.pool_id is None:
        raise InvalidRequest("Pick at least one host, or a team.", {"host_ids": "required"})
    hosts = list(
        db.session.scalars(
            select(Host)
            .where(Host.organisation_id == organisation.id, Host.id.in_(data.host_ids))
            .order_by(Host.id)
        )
    )
    if len(hosts) != len(set(data.host_ids)):
        raise InvalidRequest("Pick hosts from the list.", {"host_ids": "unknown"})
    _check_assignment(data, hosts)
    values = asdict(data)
    del values["host_ids"]
    values.update(
        slug=slug,
        title=data.title.strip(),
        description=data.description.strip(),
        locations=locations,
        durations=checked_durations(data.duration, data.durations),
        button_label=data.button_label.strip(),
        redirect_url=check_redirect_url(organisation.id, data.redirect_url),
    )
    return values, hosts


def _check_assignment(data: EventTypeData, hosts: list[Host]) -> None:
    """A collective meeting needs its own hosts (two or more), never a team's round-robin."""
    if data.assignment not in ASSIGNMENTS:
        raise InvalidRequest(
            N_("Choose who hosts a meeting from the list."), {"assignment": "unknown"}
        )
    if data.assignment != "collective":
        return
    if data.pool_id is not None:
        raise InvalidRequest(
            N_("A meeting with all hosts takes them from the list of hosts: choose no team."),
            {"pool_id": "not with a collective meeting"},
        )
    if len(hosts) < 2:
        raise InvalidRequest(
            N_("Pick at least two hosts for a meeting with all of them."),
            {"host_ids": "at least two"},
        )


def _host_names(hosts: list[Host]) -> list[str]:
    return [f"{host.name} (#{host.id})" for host in sorted(hosts, key=lambda host: host.id)]


def create_event_type(
    organisation: Organisation, data: EventTypeData, now: datetime, actor: User
) -> EventType:
    """A new event type of the organisation, hosted by the chosen hosts."""
    values, hosts = _checked_values(organisation, data, None)
    event_type = EventType(organisation=organisation, created_at=now, **values)
    event_type.hosts = hosts
    db.session.add(event_type)
    flush_unique(SLUG_TAKEN, {"slug": "taken"})
    changes = {field: [None, value] for field, value in values.items()}
    changes["hosts"] = [None, _host_names(hosts)]
    record(
        organisation.id,
        actor,
        "event_type.create",
        "event_type",
        event_type.id,
        f"Created event type {event_type.title} (/{event_type.slug})",
        now,
        changes,
    )
    return event_type


def update_event_type(event_type: EventType, data: EventTypeData, now: datetime, actor: User):
    """Apply every field; returns the changes (nothing is recorded when there are none)."""
    values, hosts = _checked_values(event_type.organisation, data, event_type.id)
    old_hosts = list(event_type.hosts)  # loaded before diff() makes the object dirty
    changes = diff(event_type, values)
    if {host.id for host in old_hosts} != {host.id for host in hosts}:
        changes["hosts"] = [_host_names(old_hosts), _host_names(hosts)]
        event_type.hosts = hosts
    if changes:
        flush_unique(SLUG_TAKEN, {"slug": "taken"})
        record(
            event_type.organisation_id,
            actor,
            "event_type.update",
            "event_type",
            event_type.id,
            f"Edited event type {event_type.title}",
            now,
            changes,
        )
    return changes


def set_event_type_active(event_type: EventType, active: bool, now: datetime, actor: User) -> bool:
    """Open or close an event type for booking; False when it already was so."""
    changes = diff(event_type, {"active": active})
    if not changes:
        return False
    db.session.flush()
    verb = "activate" if active else "deactivate"
    record(
        event_type.organisation_id,
        actor,
        f"event_type.{verb}",
        "event_type",
        event_type.id,
        f"{'Activated' if active else 'Deactivated'} event type {event_type.title}",
        now,
        changes,
    )
    return True
