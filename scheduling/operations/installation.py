"""First run of an installation without the demo: the organisation and its first admin."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from scheduling.availability.timezones import is_valid_zone
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import Organisation, User

from .accounts import check_password_rules, create_user, normalise_email
from .audit import record
from .event_types import slugify

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True)
class Installation:
    organisation: Organisation
    admin: User


def is_initialised() -> bool:
    """True once any organisation exists (the demo or an earlier `init`)."""
    return bool(db.session.scalar(select(func.count()).select_from(Organisation)))


def check_installation_input(organisation_name: str, admin_email: str, tz: str) -> None:
    """Refuse a bad name, email or zone before anything is asked or written."""
    name = organisation_name.strip()
    if not name or len(name) > 200:
        raise InvalidRequest(
            "The organisation name needs 1 to 200 characters.", {"organisation": "invalid"}
        )
    if not slugify(name):
        raise InvalidRequest(
            "The organisation name needs at least one letter or digit.", {"organisation": "invalid"}
        )
    email = normalise_email(admin_email)
    if len(email) > 254 or not EMAIL_RE.fullmatch(email):
        raise InvalidRequest(f"{admin_email!r} is not an email address.", {"email": "invalid"})
    if not is_valid_zone(tz):
        raise InvalidRequest(
            f"Unknown time zone {tz!r}; use an IANA name such as Europe/Berlin.",
            {"timezone": "unknown"},
        )


def initialise(
    organisation_name: str,
    admin_email: str,
    admin_name: str,
    password: str,
    tz: str,
    now: datetime,
) -> Installation:
    """Create the organisation and its first admin on an empty installation (flushes only)."""
    if is_initialised():
        raise InvalidRequest("This installation has an organisation already.")
    check_installation_input(organisation_name, admin_email, tz)
    check_password_rules(password)
    name = organisation_name.strip()
    organisation = Organisation(name=name, slug=slugify(name), tz=tz, created_at=now)
    db.session.add(organisation)
    db.session.flush()
    admin_name = admin_name.strip() or normalise_email(admin_email).split("@")[0]
    admin = create_user(organisation, admin_email, admin_name[:200], password, "admin", now)
    record(
        organisation.id,
        None,
        "installation.init",
        "organisation",
        organisation.id,
        f"Installed: organisation {name}, admin {admin.email}",
        now,
    )
    return Installation(organisation, admin)
