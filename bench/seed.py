"""Build a benchmark database: 20 hosts, their event types, and 10,000 confirmed bookings."""

import random
from datetime import UTC, datetime, timedelta

from scheduling.extensions import db
from scheduling.models import Booking, EventType, Host, Organisation, Pool, PoolMember, WeeklyHours

ZONES = ["Europe/Berlin", "Europe/London", "Europe/Paris", "America/New_York", "Asia/Kolkata"]


def seed(now: datetime, hosts: int = 20, bookings: int = 10_000, seed_value: int = 7) -> dict:
    """Create the data; returns the slugs to query. Bookings spread over the next 120 days."""
    rng = random.Random(seed_value)
    org = Organisation(name="Bench", slug="bench", created_at=now)
    db.session.add(org)
    host_rows = []
    for number in range(hosts):
        host = Host(
            organisation=org,
            name=f"Host {number}",
            email=f"host{number}@bench.example",
            tz=ZONES[number % len(ZONES)],
            created_at=now,
        )
        for weekday in range(5):
            host.weekly_hours.append(WeeklyHours(weekday=weekday, start_minute=480, end_minute=720))
            host.weekly_hours.append(
                WeeklyHours(weekday=weekday, start_minute=780, end_minute=1080)
            )
        host_rows.append(host)
    singles = []
    for number, host in enumerate(host_rows):
        event_type = EventType(
            organisation=org,
            slug=f"solo-{number}",
            title=f"Solo {number}",
            duration=30,
            step=15,
            buffer_after=5,
            horizon_days=120,
            locations=[{"kind": "host_phone", "detail": "+49 30 1234567"}],
            created_at=now,
        )
        event_type.hosts = [host]
        singles.append(event_type)
    team = EventType(
        organisation=org,
        slug="team",
        title="Team",
        duration=30,
        step=15,
        buffer_after=5,
        horizon_days=120,
        locations=[{"kind": "host_phone", "detail": "+49 30 1234567"}],
        created_at=now,
    )
    pool = Pool(
        organisation=org, name="Everyone", period="week", tz="Europe/Berlin", created_at=now
    )
    for number, host in enumerate(host_rows):
        pool.members.append(PoolMember(host=host, weight=1 + number % 3, joined_at=now))
    team.pool = pool
    db.session.add_all([*singles, team, pool])
    db.session.flush()
    # Non-overlapping 30-minute bookings per host on a 45-minute grid (room for the buffer).
    start_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    per_host = bookings // hosts
    rows = []
    for number, host in enumerate(host_rows):
        offsets = rng.sample(range(120 * 32), per_host)  # 32 grid cells of 45 min per day
        for offset in offsets:
            start = start_day + timedelta(minutes=45 * offset)
            rows.append(
                {
                    "uid": f"{number:02d}{offset:08d}".ljust(32, "0"),
                    "organisation_id": org.id,
                    "event_type_id": singles[number].id,
                    "host_id": host.id,
                    "invitee_name": "Bench",
                    "invitee_email": "bench@example.com",
                    "invitee_tz": "UTC",
                    "note": "",
                    "start_at": start,
                    "end_at": start + timedelta(minutes=30),
                    "occupied_from": start,
                    "occupied_until": start + timedelta(minutes=35),
                    "status": "confirmed",
                    "location_kind": "host_phone",
                    "location": "+49 30 1234567",
                    "ical_uid": f"{number}-{offset}@bench",
                    "sequence": 0,
                    "token_version": 1,
                    "cancel_reason": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    db.session.execute(Booking.__table__.insert(), rows)
    return {"singles": [e.slug for e in singles], "team": team.slug}


NOW = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
