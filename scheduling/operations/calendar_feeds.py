"""Subscription feeds: secret tokens per host and team, and the events a feed carries."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select

from scheduling.extensions import db
from scheduling.ical import CalendarEvent, FeedInfo, Person, render_calendar
from scheduling.models import (
    Booking,
    CalendarFeed,
    EventType,
    Host,
    Lead,
    Organisation,
    Pool,
    Question,
)
from scheduling.security import secretbox

from .calendar_items import location_label, location_text
from .rawtime import as_utc, raw

_PURPOSE = "calendar-feed-token"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def feed_for(owner: Host | Pool) -> CalendarFeed | None:
    column = CalendarFeed.host_id if isinstance(owner, Host) else CalendarFeed.pool_id
    return db.session.scalar(select(CalendarFeed).where(column == owner.id))


def regenerate_feed(owner: Host | Pool, secret_key: str, now: datetime) -> str:
    """A new secret URL token for this host or team; the old URL stops working at once."""
    feed = feed_for(owner)
    token = _new_token()
    if feed is None:
        feed = CalendarFeed(organisation_id=owner.organisation_id, created_at=now)
        if isinstance(owner, Host):
            feed.host_id = owner.id
        else:
            feed.pool_id = owner.id
        db.session.add(feed)
    feed.token_hash = hash_token(token)
    feed.token_encrypted = secretbox.encrypt(secret_key, _PURPOSE, token)
    feed.created_at = now
    feed.changed_at = now
    db.session.flush()
    return token


def feed_token(feed: CalendarFeed, secret_key: str) -> str | None:
    """The token for showing the URL again (None when the app key changed: regenerate)."""
    return secretbox.decrypt(secret_key, _PURPOSE, feed.token_encrypted)


def find_feed(kind: str, token: str) -> CalendarFeed | None:
    """The feed of this URL, or None; looked up by hash, so timing reveals nothing useful."""
    if kind not in ("host", "team") or not token or len(token) > 200:
        return None
    digest = hash_token(token)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest))
    if feed is None or (kind == "host") != (feed.host_id is not None):
        return None
    return feed


def set_busy_only(org: Organisation, busy_only: bool, now: datetime) -> bool:
    """Switch the organisation's feeds between details and "Busy" blocks; True if changed."""
    if org.feed_busy_only == busy_only:
        return False
    org.feed_busy_only = busy_only
    for feed in db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.organisation_id == org.id)
    ):
        feed.changed_at = now
    db.session.flush()
    return True


# -- feed content -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedRow:
    """The columns of a booking that a feed shows (read without building ORM objects)."""

    ical_uid: str
    sequence: int
    start_at: datetime
    end_at: datetime
    updated_at: datetime
    invitee_name: str
    invitee_email: str
    note: str
    location_kind: str
    location: str
    title: str
    host_name: str
    host_email: str


def row_of(booking: Booking) -> FeedRow:
    return FeedRow(
        booking.ical_uid,
        booking.sequence,
        booking.start_at,
        booking.end_at,
        booking.updated_at,
        booking.invitee_name,
        booking.invitee_email,
        booking.note,
        booking.location_kind,
        booking.location,
        booking.event_type.title,
        booking.host.name,
        booking.host.email,
    )


def answers_by_uid(owner_filter) -> dict[str, list[str]]:
    """Qualification answers per iCal UID of the matching bookings, as "label: value" lines.

    The lead points at the first booking of a chain, so rows of every status are joined.
    """
    rows = db.session.execute(
        select(Booking.ical_uid, Lead.answers, Lead.routing_form_id)
        .join(Lead, Lead.booking_id == Booking.id)
        .where(owner_filter)
    ).all()
    form_ids = {form_id for _, _, form_id in rows if form_id is not None}
    labels: dict[tuple[int, str], str] = {}
    if form_ids:
        for form_id, key, label in db.session.execute(
            select(Question.routing_form_id, Question.key, Question.label).where(
                Question.routing_form_id.in_(form_ids)
            )
        ):
            labels[(form_id, key)] = label
    answers: dict[str, list[str]] = {}
    for uid, values, form_id in rows:
        lines = []
        for key, value in (values or {}).items():
            if value in (None, "", []):
                continue
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "yes" if value else "no"
            lines.append(f"{labels.get((form_id, key), key)}: {value}")
        answers[uid] = lines
    return answers


def feed_event(
    row: FeedRow, busy_only: bool, answers: list[str], with_host: bool = False
) -> CalendarEvent:
    """A booking as a feed or write-back event: no ATTENDEE, so no client or server (e.g.
    Nextcloud's implicit scheduling) ever sends the invitee an invitation from a copy."""
    common = {
        "uid": row.ical_uid,
        "sequence": row.sequence,
        "start": row.start_at,
        "end": row.end_at,
        "stamp": row.updated_at,
        "last_modified": row.updated_at,
    }
    if busy_only:
        return CalendarEvent(summary="Busy", private=True, **common)
    summary = f"{row.title}: {row.invitee_name}"
    if with_host:
        summary += f" with {row.host_name}"
    lines = [
        f"{row.title} with {row.host_name}",
        f"Invitee: {row.invitee_name} <{row.invitee_email}>",
    ]
    if row.location:
        lines.append(f"{location_label(row.location_kind)}: {row.location}")
    if row.note:
        lines.append(f"Note: {row.note}")
    if answers:
        lines.append("")
        lines.append("Answers:")
        lines.extend(answers)
    return CalendarEvent(
        summary=summary,
        description="\n".join(lines),
        location=location_text(row.location_kind, row.location),
        organizer=Person(row.host_name, row.host_email),
        **common,
    )


@dataclass(frozen=True)
class Feed:
    """Everything a feed answer needs: events are built and rendered only when the ETag misses."""

    info: FeedInfo
    rows: list[tuple]
    busy_only: bool
    with_host: bool
    answers: dict[str, list[str]]
    etag: str
    last_modified: datetime

    def items(self) -> list[CalendarEvent]:
        return [
            feed_event(
                FeedRow(uid, seq, as_utc(start), as_utc(end), as_utc(updated), *rest),
                self.busy_only,
                self.answers.get(uid, []),
                self.with_host,
            )
            for uid, seq, start, end, updated, *rest in self.rows
        ]

    def render(self) -> bytes:
        return render_calendar(self.items(), "PUBLISH", feed=self.info)


_COLUMNS = (
    Booking.ical_uid,
    Booking.sequence,
    raw(Booking.start_at),
    raw(Booking.end_at),
    raw(Booking.updated_at),
    Booking.invitee_name,
    Booking.invitee_email,
    Booking.note,
    Booking.location_kind,
    Booking.location,
    EventType.title,
    Host.name,
    Host.email,
)


def build_feed(feed: CalendarFeed, now: datetime, refresh: timedelta, past_days: int) -> Feed:
    """The feed's confirmed bookings from past_days ago on; cancelled and moved ones leave it."""
    since = now - timedelta(days=past_days)
    org = db.session.get(Organisation, feed.organisation_id)
    if feed.host_id is not None:
        owner_filter = Booking.host_id == feed.host_id
        name = f"{feed.host.name}: bookings"
    else:
        owner_filter = Booking.event_type_id.in_(
            select(EventType.id).where(EventType.pool_id == feed.pool_id)
        )
        name = f"{feed.pool.name} (team): bookings"
    in_range = (owner_filter, Booking.end_at > since)
    rows = db.session.execute(
        select(*_COLUMNS)
        .join(EventType, EventType.id == Booking.event_type_id)
        .join(Host, Host.id == Booking.host_id)
        .where(*in_range, Booking.status == "confirmed")
        .order_by(Booking.start_at, Booking.id)
    ).all()
    rows = [tuple(row) for row in rows]
    # Cancellations and moves change the feed too: they count for Last-Modified.
    changed = db.session.scalar(select(func.max(Booking.updated_at)).where(*in_range))
    busy_only = org.feed_busy_only
    answers = {} if busy_only else answers_by_uid(and_(*in_range))
    with_host = feed.pool_id is not None
    info = FeedInfo(name=name, refresh=refresh)
    # The ETag covers exactly what the body is rendered from (the stored values as read, so
    # nothing needs converting for a 304), so equal tags mean equal bodies.
    digest = hashlib.sha256(repr((info, busy_only, with_host, rows, answers)).encode())
    last_modified = max(filter(None, [changed, feed.changed_at]))
    return Feed(
        info, rows, busy_only, with_host, answers, f'"{digest.hexdigest()[:32]}"', last_modified
    )
