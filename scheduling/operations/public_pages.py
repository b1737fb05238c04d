"""Public listings: the index, a host's page and a team's page; slugs for them; the redirect after
booking, checked against the organisation's allowlisted origins.

Hidden event types are bookable by their link, the widget and the API, but listed nowhere.
"""

import re
import unicodedata

from sqlalchemy import select

from scheduling.attribution.origins import redirect_url_problem, with_query_param
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import EventType, Host, Pool, event_type_hosts

from .embed_settings import settings_of

SLUG_FALLBACK = {Host: "host", Pool: "team"}


def slugify(text: str) -> str:
    """Lowercase ASCII letters, digits and hyphens from a title ("Café call" gives "cafe-call")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-")


def unique_slug(model, name: str, row_id: int | None = None) -> str:
    """A free slug for a host's or team's page, made from its name, numbered when taken."""
    base = slugify(name)[:70].rstrip("-")
    fallback = SLUG_FALLBACK[model]
    if len(base) < 3:
        base = f"{base}-{fallback}" if base else fallback
    candidate, number = base, 1
    while True:
        query = select(model.id).where(model.slug == candidate)
        if row_id is not None:
            query = query.where(model.id != row_id)
        if db.session.scalar(query) is None:
            return candidate
        number += 1
        candidate = f"{base}-{number}"


def _listed():
    return (
        select(EventType)
        .where(EventType.active.is_(True), EventType.hidden.is_(False))
        .order_by(EventType.title, EventType.id)
    )


def listed_event_types() -> list[EventType]:
    """Every active, visible event type of the installation (the index page)."""
    return list(db.session.scalars(_listed().order_by(None).order_by(EventType.id)))


def host_page(slug: str) -> tuple[Host, list[EventType]]:
    """An active host by page slug and the visible event types they host themselves.

    Event types hosted by a team are on the team's page: booking one may reach another member.
    """
    host = db.session.scalar(select(Host).where(Host.slug == slug, Host.active.is_(True)))
    if host is None:
        raise NotFound("There is no such page.")
    event_types = db.session.scalars(
        _listed()
        .join(event_type_hosts, event_type_hosts.c.event_type_id == EventType.id)
        .where(
            event_type_hosts.c.host_id == host.id,
            EventType.organisation_id == host.organisation_id,
            EventType.pool_id.is_(None),
        )
    )
    return host, list(event_types)


def team_page(slug: str) -> tuple[Pool, list[EventType]]:
    """A team by page slug and the visible event types it hosts by round-robin."""
    pool = db.session.scalar(select(Pool).where(Pool.slug == slug))
    if pool is None:
        raise NotFound("There is no such page.")
    event_types = db.session.scalars(_listed().where(EventType.pool_id == pool.id))
    return pool, list(event_types)


def check_redirect_url(organisation_id: int, url: str) -> str:
    """The redirect after booking, stripped, or InvalidRequest on `redirect_url`; empty is fine."""
    url = (url or "").strip()
    if not url:
        return ""
    problem = redirect_url_problem(url, settings_of(organisation_id).allowed_origins)
    if problem is not None:
        raise InvalidRequest(problem.template, {"redirect_url": "invalid"}, **problem.params)
    return url


def after_booking_url(event_type: EventType, booking_uid: str) -> str | None:
    """Where the public page sends the visitor after booking, or None for our own page.

    Checked again now: an origin removed from the allowlist since no longer receives visitors.
    """
    url = event_type.redirect_url
    if not url:
        return None
    allowed = settings_of(event_type.organisation_id).allowed_origins
    if redirect_url_problem(url, allowed) is not None:
        return None
    return with_query_param(url, "booking", booking_uid)
