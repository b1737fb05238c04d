"""Demo data: one organisation, three hosts in three zones, two event types, a few bookings."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from .extensions import db
from .models import DateOverride, EventType, Holiday, Host, LostReason, Organisation, WeeklyHours
from .operations.accounts import create_user
from .operations.bookings import Invitee, create_booking
from .operations.slots import compute_event_type_slots

ORG_SLUG = "northwind"

HOSTS = [
    # name, email, zone, weekly hours as (weekdays, start, end) in local minutes
    (
        "Anna Schmidt",
        "anna@northwind.example",
        "Europe/Berlin",
        [(range(5), 540, 720), (range(5), 780, 1020)],
    ),
    ("Oliver Bennett", "oliver@northwind.example", "Europe/London", [(range(4), 480, 960)]),
    ("Maya Patel", "maya@northwind.example", "America/New_York", [(range(5), 600, 1080)]),
]

# Printed by `flask rendezvous demo`: one login per role (the rep is Oliver, a host).
DEMO_LOGINS = [
    ("admin@northwind.example", "admin-demo-2026", "admin"),
    ("manager@northwind.example", "manager-demo-2026", "manager"),
    ("oliver@northwind.example", "rep-demo-2026", "rep"),
]

INVITEES = [
    ("Léa Dubois", "lea.dubois@example.fr", "Europe/Paris"),
    ("Jonas Weber", "jonas.weber@example.de", "Europe/Berlin"),
    ("Sofia Rossi", "sofia.rossi@example.it", "Europe/Rome"),
    ("Lucas Martin", "lucas.martin@example.be", "Europe/Brussels"),
    ("Emma Jansen", "emma.jansen@example.nl", "Europe/Amsterdam"),
]


def demo_exists() -> bool:
    return (
        db.session.execute(select(Organisation).where(Organisation.slug == ORG_SLUG)).first()
        is not None
    )


def load_demo(now: datetime, video_base_url: str) -> Organisation:
    """Create the demo organisation; the caller checks demo_exists() and commits."""
    org = Organisation(
        name="Northwind Sales",
        slug=ORG_SLUG,
        jitsi_base_url="https://meet.northwind.example",
        created_at=now,
    )
    db.session.add(org)
    hosts = []
    for name, email, tz, hours in HOSTS:
        host = Host(organisation=org, name=name, email=email, tz=tz, created_at=now)
        for weekdays, start, end in hours:
            for weekday in weekdays:
                host.weekly_hours.append(
                    WeeklyHours(weekday=weekday, start_minute=start, end_minute=end)
                )
        hosts.append(host)
    today = now.date()
    # Anna takes a day off next week; Maya works a short Saturday the week after.
    next_monday = today + timedelta(days=7 - today.weekday())
    hosts[0].date_overrides.append(DateOverride(day=next_monday + timedelta(days=2)))
    hosts[2].date_overrides.append(
        DateOverride(day=next_monday + timedelta(days=12), start_minute=600, end_minute=840)
    )
    for year in (today.year, today.year + 1):
        org.holidays.append(Holiday(day=date(year, 12, 25), name="Christmas Day"))
        org.holidays.append(Holiday(day=date(year, 1, 1), name="New Year's Day"))
    discovery = EventType(
        organisation=org,
        slug="discovery-call",
        title="Discovery call",
        description="A 30-minute call to see whether we can help you reach your sales goals.",
        duration=30,
        step=30,
        buffer_after=10,
        min_notice=240,
        horizon_days=60,
        location_kind="video",
        hosts=hosts,
        created_at=now,
    )
    strategy = EventType(
        organisation=org,
        slug="strategy-session",
        title="Strategy session",
        description="A one-hour working session in our Berlin office.",
        duration=60,
        step=60,
        buffer_before=15,
        buffer_after=15,
        min_notice=24 * 60,
        horizon_days=45,
        daily_limit=3,
        location_kind="in_person",
        location_detail="Friedrichstraße 68, 10117 Berlin",
        hosts=[hosts[0]],
        created_at=now,
    )
    db.session.add_all([discovery, strategy])
    db.session.flush()
    _book_some(discovery, now, video_base_url, picks=(0, 5, 11, 20, 33))
    _book_some(strategy, now, video_base_url, picks=(2, 7))
    names = {"admin": "Alex Admin", "manager": "Morgan Manager", "rep": "Oliver Bennett"}
    for email, password, role in DEMO_LOGINS:
        host = hosts[1] if role == "rep" else None
        create_user(org, email, names[role], password, role, now, host=host)
    for position, label in enumerate(["Price", "Timing", "Not a fit", "Chose a competitor"]):
        db.session.add(LostReason(organisation=org, label=label, position=position))
    return org


def _book_some(event_type: EventType, now: datetime, video_base_url: str, picks) -> None:
    slots = compute_event_type_slots(event_type, now, now + timedelta(days=21), now)
    taken: set[datetime] = set()
    for number, index in enumerate(picks):
        candidates = [slot for slot in slots[index:] if slot not in taken]
        if not candidates:
            return
        name, email, tz = INVITEES[number % len(INVITEES)]
        booking = create_booking(
            event_type,
            candidates[0],
            Invitee(name, email, tz, "Booked by the demo data."),
            now,
            video_base_url=video_base_url,
        )
        taken.add(booking.start_at)
