"""Review of issue 16: a listed start is bookable and an unlisted one is refused, for random
mixes of durations, buffers, minimum gap, daily and weekly limits, collective hosts, absences."""

import os
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.errors import InvalidRequest, SlotUnavailable
from scheduling.extensions import db
from scheduling.models import Absence, BusyBlock, EventType
from scheduling.operations.bookings import Invitee, create_booking
from scheduling.operations.slots import compute_event_type_slots
from tests.conftest import FROZEN_NOW

VIDEO = "https://meet.test.example"
DAYS = [datetime(2030, 1, 8, tzinfo=UTC), datetime(2030, 1, 9, tzinfo=UTC)]  # Tue, Wed

configs = st.fixed_dictionaries(
    {
        "durations": st.lists(
            st.sampled_from([15, 30, 45, 60]), min_size=1, max_size=3, unique=True
        ),
        "step": st.sampled_from([15, 30]),
        "buffer_before": st.sampled_from([0, 10, 15]),
        "buffer_after": st.sampled_from([0, 15]),
        "min_gap": st.sampled_from([0, 15, 30]),
        "daily_limit": st.sampled_from([None, 1, 2]),
        "weekly_limit": st.sampled_from([None, 1, 2, 3]),
        "collective": st.booleans(),
        "absent_b": st.sampled_from([None, date(2030, 1, 8), date(2030, 1, 9)]),
        # who covers Bob's absence: nobody, Ann (a host of the type) or Cem (not one)
        "delegate": st.sampled_from([None, "ann", "cem"]),
        "cem_busy": st.booleans(),
        "bob_alone": st.booleans(),  # the type is Bob's alone: his link goes to the delegate
        # bookings made first: (day from Monday 0..4, quarter hour of the UTC day, duration index)
        "seeds": st.lists(
            st.tuples(st.integers(0, 4), st.integers(8 * 4, 15 * 4), st.integers(0, 2)),
            max_size=4,
        ),
        "pick": st.integers(0, 2),
    }
)


def _invitee(minutes):
    return Invitee(name="Grace", email="grace@example.com", tz="UTC", duration=minutes)


def _try(event_type_id, start, minutes):
    event_type = db.session.get(EventType, event_type_id)
    try:
        create_booking(event_type, start, _invitee(minutes), FROZEN_NOW, video_base_url=VIDEO)
    except (InvalidRequest, SlotUnavailable):
        return False
    finally:
        db.session.rollback()
    return True


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(config=configs)
def test_listed_starts_and_bookable_starts_agree(app, make_org, make_host, frozen_now, config):
    org = make_org()
    a = make_host(org=org, name="Ann")
    b = make_host(org=org, name="Bob")
    c = make_host(org=org, name="Cem", hours=((range(5), 600, 960),))
    delegate = {None: None, "ann": a.id, "cem": c.id}[config["delegate"]]
    durations = sorted(config["durations"])
    event_type = EventType(
        organisation=org,
        slug=f"mix-{os.urandom(4).hex()}",
        title="Mix",
        duration=durations[0],
        durations=durations,
        step=config["step"],
        buffer_before=config["buffer_before"],
        buffer_after=config["buffer_after"],
        min_gap=config["min_gap"],
        daily_limit=config["daily_limit"],
        weekly_limit=config["weekly_limit"],
        assignment="collective" if config["collective"] else "one",
        locations=[{"kind": "video", "detail": ""}],
        created_at=FROZEN_NOW,
    )
    event_type.hosts = [b] if config["bob_alone"] else [a, b]
    if config["bob_alone"]:
        event_type.assignment = "one"
    if config["cem_busy"]:
        db.session.add(
            BusyBlock(
                host_id=c.id,
                start_at=DAYS[1].replace(hour=9),
                end_at=DAYS[1].replace(hour=11),
                reason="Busy",
                created_at=FROZEN_NOW,
            )
        )
    db.session.add(event_type)
    if config["absent_b"]:
        db.session.add(
            Absence(
                host_id=b.id,
                first_day=config["absent_b"],
                last_day=config["absent_b"],
                note="",
                delegate_id=delegate,
            )
        )
    db.session.commit()
    for day, quarter, which in config["seeds"]:
        start = datetime(2030, 1, 7 + day, tzinfo=UTC) + timedelta(minutes=15 * quarter)
        minutes = durations[which % len(durations)]
        event_type = db.session.get(EventType, event_type.id)
        try:
            create_booking(event_type, start, _invitee(minutes), FROZEN_NOW, video_base_url=VIDEO)
            db.session.commit()
        except (InvalidRequest, SlotUnavailable):
            db.session.rollback()
    minutes = durations[config["pick"] % len(durations)]
    for day in DAYS:
        event_type = db.session.get(EventType, event_type.id)
        listed = set(
            compute_event_type_slots(
                event_type, day, day + timedelta(days=1), FROZEN_NOW, duration=minutes
            )
        )
        for quarter in range(8 * 4, 16 * 4):
            start = day + timedelta(minutes=15 * quarter)
            booked = _try(event_type.id, start, minutes)
            assert booked == (start in listed), (start, minutes, sorted(listed))


week_edges = st.fixed_dictionaries(
    {
        "tz": st.sampled_from(["Pacific/Auckland", "America/Los_Angeles", "Europe/Berlin"]),
        "weekly_limit": st.sampled_from([1, 2]),
        "min_gap": st.sampled_from([0, 60]),
        "collective": st.booleans(),
        # bookings made first: hours after Saturday 2030-01-12 00:00 UTC
        "seeds": st.lists(st.integers(0, 72), max_size=4),
        "day": st.sampled_from([12, 13, 14]),
    }
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(config=week_edges)
def test_weekly_limits_agree_across_local_week_edges(app, make_org, make_host, frozen_now, config):
    """Hosts far from UTC working every day: the local week ends on a different UTC day."""
    org = make_org()
    every_day = ((range(7), 0, 1440),)
    hosts = [make_host(org=org, name=n, tz=config["tz"], hours=every_day) for n in ("Ann", "Bob")]
    event_type = EventType(
        organisation=org,
        slug=f"week-{os.urandom(4).hex()}",
        title="Week",
        duration=60,
        durations=[60],
        step=60,
        min_gap=config["min_gap"],
        weekly_limit=config["weekly_limit"],
        assignment="collective" if config["collective"] else "one",
        locations=[{"kind": "video", "detail": ""}],
        created_at=FROZEN_NOW,
    )
    event_type.hosts = hosts
    db.session.add(event_type)
    db.session.commit()
    saturday = datetime(2030, 1, 12, tzinfo=UTC)
    for hours in config["seeds"]:
        event_type = db.session.get(EventType, event_type.id)
        start = saturday + timedelta(hours=hours)
        try:
            create_booking(event_type, start, _invitee(60), FROZEN_NOW, video_base_url=VIDEO)
            db.session.commit()
        except (InvalidRequest, SlotUnavailable):
            db.session.rollback()
    day = datetime(2030, 1, config["day"], tzinfo=UTC)
    event_type = db.session.get(EventType, event_type.id)
    listed = set(compute_event_type_slots(event_type, day, day + timedelta(days=1), FROZEN_NOW))
    for hour in range(24):
        start = day + timedelta(hours=hour)
        assert _try(event_type.id, start, 60) == (start in listed), (start, sorted(listed))


@pytest.mark.parametrize("cover", ["each_other", "chain", "overlapping"])
def test_absences_covering_each_other_agree(app, make_org, make_host, frozen_now, cover):
    """Ann is out on Tuesday; who covers her may be out too, or two absences overlap."""
    org = make_org()
    ann, bob = make_host(org=org, name="Ann"), make_host(org=org, name="Bob")
    cem = make_host(org=org, name="Cem", hours=((range(5), 480, 1200),))
    tuesday = date(2030, 1, 8)
    absences = {
        "each_other": [(ann, bob), (bob, ann)],
        "chain": [(ann, bob), (bob, cem)],
        "overlapping": [(ann, bob), (ann, cem)],
    }[cover]
    for host, delegate in absences:
        db.session.add(
            Absence(host_id=host.id, first_day=tuesday, last_day=tuesday, delegate_id=delegate.id)
        )
    event_type = EventType(
        organisation=org,
        slug=f"ann-{os.urandom(4).hex()}",
        title="Ann",
        duration=30,
        step=30,
        locations=[{"kind": "video", "detail": ""}],
        created_at=FROZEN_NOW,
    )
    event_type.hosts = [ann]
    db.session.add(event_type)
    db.session.commit()
    day = DAYS[0]
    listed = set(compute_event_type_slots(event_type, day, day + timedelta(days=1), FROZEN_NOW))
    for half_hour in range(48):
        start = day + timedelta(minutes=30 * half_hour)
        assert _try(event_type.id, start, 30) == (start in listed), (start, sorted(listed))
