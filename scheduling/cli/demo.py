"""Demo data: one organisation, three hosts in three zones, two event types, a few bookings."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import (
    DateOverride,
    EmbedSettings,
    EventType,
    Holiday,
    Host,
    LostReason,
    Organisation,
    Outcome,
    Pool,
    PoolMember,
    Question,
    RoutingForm,
    RoutingRule,
    WeeklyHours,
)
from scheduling.operations.accounts import create_user
from scheduling.operations.bookings import Invitee
from scheduling.operations.public_pages import unique_slug
from scheduling.operations.routing import book_for_route
from scheduling.operations.slots import compute_event_type_slots

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


def _demo_origins(public_url: str) -> list[str]:
    """The app's own origin, and the same port on localhost (the browser tests' other name)."""
    parts = urlsplit(public_url)
    origins = [f"{parts.scheme}://{parts.netloc}"]
    if parts.hostname == "127.0.0.1":
        origins.append(f"{parts.scheme}://localhost" + (f":{parts.port}" if parts.port else ""))
    return origins


def load_demo(
    now: datetime, video_base_url: str, public_url: str = "http://127.0.0.1:5000"
) -> Organisation:
    """Create the demo organisation; the caller checks demo_exists() and commits."""
    org = Organisation(
        name="Northwind Sales",
        slug=ORG_SLUG,
        jitsi_base_url="https://meet.northwind.example",
        created_at=now,
    )
    db.session.add(org)
    with db.session.no_autoflush:  # the names differ: only earlier rows can hold a slug
        slugs = {name: unique_slug(Host, name) for name, *_rest in HOSTS}
    hosts = []
    for name, email, tz, hours in HOSTS:
        host = Host(
            organisation=org,
            name=name,
            email=email,
            tz=tz,
            slug=slugs[name],
            created_at=now,
        )
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
        locations=[{"kind": "video", "detail": ""}, {"kind": "invitee_phone", "detail": ""}],
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
        locations=[{"kind": "in_person", "detail": "Friedrichstraße 68, 10117 Berlin"}],
        hosts=[hosts[0]],
        created_at=now,
    )
    db.session.add_all([discovery, strategy])
    db.session.flush()
    _add_routing(org, discovery, hosts, now)
    _book_some(discovery, now, video_base_url, picks=(0, 5, 11, 20, 33))
    _book_some(strategy, now, video_base_url, picks=(2, 7))
    names = {"admin": "Alex Admin", "manager": "Morgan Manager", "rep": "Oliver Bennett"}
    for email, password, role in DEMO_LOGINS:
        host = hosts[1] if role == "rep" else None
        create_user(org, email, names[role], password, role, now, host=host)
    reasons = [
        LostReason(organisation=org, label=label, position=position)
        for position, label in enumerate(["Price", "Timing", "Not a fit", "Chose a competitor"])
    ]
    db.session.add_all(reasons)
    _past_calls(discovery, now, video_base_url, reasons)
    # The widget demo page (/static/demo/landing.html) frames the booking flow from the app itself.
    db.session.add(
        EmbedSettings(
            organisation=org,
            allowed_origins=_demo_origins(public_url),
            cookie_days=30,
            updated_at=now,
        )
    )
    return org


def _past_calls(event_type, now, video_base_url, reasons) -> None:
    """Calls of the last three weeks with outcomes, so the dashboard has something to show."""
    then = now - timedelta(days=21)
    slots = compute_event_type_slots(event_type, then, now - timedelta(days=1), then)
    outcomes = [
        ("won", Decimal("12000.00"), None),
        ("attended", None, None),
        ("no_show", None, None),
        ("lost", None, reasons[0]),
        ("won", Decimal("8500.00"), None),
        ("attended", None, None),
    ]
    step = max(1, len(slots) // (len(outcomes) + 1))
    for number, (status, value, reason) in enumerate(outcomes):
        if (number + 1) * step >= len(slots):
            return
        name, email, tz = INVITEES[number % len(INVITEES)]
        booking = book_for_route(
            event_type,
            slots[(number + 1) * step],
            Invitee(name, email, tz, "A past call from the demo data."),
            then,
            lead=None,
            video_base_url=video_base_url,
        )
        db.session.add(
            Outcome(
                booking=booking,
                status=status,
                deal_value=value,
                currency="EUR" if value is not None else None,
                lost_reason=reason,
                note="Demo outcome.",
                recorded_at=booking.end_at,
            )
        )


def _add_routing(org: Organisation, discovery: EventType, hosts: list[Host], now: datetime):
    """A weighted three-member team and a qualification form with a disqualifying rule."""
    with db.session.no_autoflush:
        team_slug = unique_slug(Pool, "Closers")
    team = Pool(
        organisation=org,
        name="Closers",
        slug=team_slug,
        period="week",
        tz="Europe/Berlin",
        created_at=now,
    )
    for host, weight, priority in zip(hosts, (2, 1, 1), (1, 0, 0), strict=True):
        team.members.append(PoolMember(host=host, weight=weight, priority=priority, joined_at=now))
    form = RoutingForm(organisation=org, name="Discovery call qualification", created_at=now)
    db.session.add_all([team, form])
    db.session.flush()
    form.fallback_kind, form.fallback_target_id = "team", team.id
    form.questions = [
        Question(
            position=0,
            key="full_name",
            label="Your name",
            kind="short_text",
            required=True,
            purpose="To address you and prepare the call.",
        ),
        Question(
            position=1,
            key="work_email",
            label="Work email",
            kind="email",
            required=True,
            purpose="To send you the invitation.",
        ),
        Question(
            position=2,
            key="company_size",
            label="How many people work at your company?",
            kind="single_choice",
            required=True,
            purpose="To match you with the right closer.",
            choices=[
                {"value": "1-10", "label": "1-10", "points": 0},
                {"value": "11-50", "label": "11-50", "points": 10},
                {"value": "51-200", "label": "51-200", "points": 20},
                {"value": "200+", "label": "More than 200", "points": 30},
            ],
        ),
        Question(
            position=3,
            key="budget",
            label="What budget have you set aside?",
            kind="single_choice",
            required=True,
            purpose="To see whether we can help.",
            choices=[
                {"value": "under-5k", "label": "Under €5,000", "points": 0},
                {"value": "5k-20k", "label": "€5,000 - €20,000", "points": 10},
                {"value": "over-20k", "label": "Over €20,000", "points": 25},
            ],
        ),
        Question(
            position=4,
            key="country",
            label="Country",
            kind="country",
            purpose="To schedule in your region's hours.",
        ),
        Question(
            position=5,
            key="phone",
            label="Phone (optional)",
            kind="phone",
            purpose="To call you if the video link fails.",
        ),
    ]
    form.rules = [
        RoutingRule(
            position=0,
            name="Budget below our minimum",
            action_kind="disqualify",
            conditions=[{"field": "budget", "operator": "equals", "value": "under-5k"}],
            message="Thank you! Our programmes start at €5,000, so a call would not "
            "help you yet. Our free guide is a better start.",
            redirect_url="https://northwind.example/guide",
            redirect_seconds=8,
        ),
        RoutingRule(
            position=1,
            name="Enterprise lead",
            action_kind="host",
            target_id=hosts[0].id,
            conditions=[{"field": "score", "operator": "greater_than", "value": 40}],
        ),
    ]
    discovery.routing_form = form
    discovery.pool = team


def _book_some(event_type: EventType, now: datetime, video_base_url: str, picks) -> None:
    slots = compute_event_type_slots(event_type, now, now + timedelta(days=21), now)
    taken: set[datetime] = set()
    for number, index in enumerate(picks):
        candidates = [slot for slot in slots[index:] if slot not in taken]
        if not candidates:
            return
        name, email, tz = INVITEES[number % len(INVITEES)]
        booking = book_for_route(
            event_type,
            candidates[0],
            Invitee(name, email, tz, "Booked by the demo data."),
            now,
            lead=None,
            video_base_url=video_base_url,
        )
        taken.add(booking.start_at)
