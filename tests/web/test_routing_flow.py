"""Qualification, routing and round-robin through the public pages and the API."""

import json
import re

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import (
    Assignment,
    Booking,
    Lead,
    Pool,
    PoolMember,
    Question,
    RoutingForm,
    RoutingRule,
)
from tests.conftest import FROZEN_NOW
from tests.integration.test_double_booking import post_json, race

SLOT = "2030-01-08T09:00:00+00:00"  # 10:00 Berlin


@pytest.fixture
def setup(make_org, make_host, make_event_type, frozen_now):
    org = make_org()
    anna, ben, cleo = (make_host(org=org, name=n) for n in ("Anna", "Ben", "Cleo"))
    pool = Pool(
        organisation=org, name="Closers", period="week", tz="Europe/Berlin", created_at=FROZEN_NOW
    )
    for host, weight in ((anna, 2), (ben, 1), (cleo, 1)):
        pool.members.append(PoolMember(host=host, weight=weight, joined_at=FROZEN_NOW))
    form = RoutingForm(
        organisation=org, name="Discovery", fallback_kind="team", created_at=FROZEN_NOW
    )
    db.session.add_all([pool, form])
    db.session.flush()
    form.fallback_target_id = pool.id
    form.questions = [
        Question(
            key="full_name",
            label="Your name",
            kind="short_text",
            required=True,
            purpose="To greet you",
            position=0,
        ),
        Question(
            key="work_email",
            label="Work email",
            kind="email",
            required=True,
            purpose="To send the invitation",
            position=1,
        ),
        Question(
            key="budget",
            label="Budget",
            kind="single_choice",
            required=True,
            position=2,
            purpose="To route you",
            choices=[
                {"value": "small", "label": "< 5k", "points": 0},
                {"value": "medium", "label": "5k-20k", "points": 10},
                {"value": "large", "label": "> 20k", "points": 30},
            ],
        ),
        Question(key="country", label="Country", kind="country", position=3, purpose="Region"),
        Question(key="phone", label="Phone", kind="phone", position=4, purpose="To call you"),
    ]
    form.rules = [
        RoutingRule(
            name="Too small",
            position=0,
            action_kind="disqualify",
            conditions=[{"field": "budget", "operator": "equals", "value": "small"}],
            message="Our programme starts at 5k.",
            redirect_url="https://example.com/free-guide",
            redirect_seconds=5,
        ),
        RoutingRule(
            name="Big fish",
            position=1,
            action_kind="host",
            target_id=anna.id,
            conditions=[{"field": "score", "operator": "greater_than", "value": 20}],
        ),
    ]
    event_type = make_event_type(hosts=[], organisation=org)
    event_type.routing_form = form
    event_type.pool = pool
    db.session.commit()
    return {
        "event_type": event_type,
        "slug": event_type.slug,
        "pool": pool,
        "hosts": (anna, ben, cleo),
    }


def answers(budget="medium", **extra):
    base = {"full_name": "Grace Hopper", "work_email": "grace@example.com", "budget": budget}
    base.update(extra)
    return base


def qualify_via_page(client, slug, values):
    page = client.get(f"/book/{slug}")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    data = {"form_token": token, **{f"q_{k}": v for k, v in values.items()}}
    return client.post(f"/book/{slug}/qualify", data=data)


def leads() -> list[Lead]:
    db.session.rollback()
    return db.session.scalars(select(Lead).order_by(Lead.id)).all()


def test_questions_come_first_with_their_purpose(client, setup):
    page = client.get(f"/book/{setup['slug']}")
    assert page.status_code == 200
    assert "Work email" in page.text and "Why we ask: To send the invitation" in page.text
    assert "Set-Cookie" not in page.headers


def test_missing_answers_are_reported_and_nothing_is_kept(client, setup):
    response = qualify_via_page(client, setup["slug"], {"full_name": "", "budget": "huge"})
    assert response.status_code == 400
    assert "This question needs an answer." in response.text
    assert leads() == []


def test_disqualified_lead_sees_the_message_and_is_kept(client, setup):
    response = qualify_via_page(client, setup["slug"], answers("small"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "Our programme starts at 5k." in page.text
    # A delayed redirect the visitor can stop (a script), not a meta refresh (WCAG 2.2.1).
    assert 'data-redirect="https://example.com/free-guide" data-seconds="5"' in page.text
    assert "js/not-a-fit.js" in page.text and 'http-equiv="refresh"' not in page.text
    (lead,) = leads()
    assert lead.status == "disqualified" and lead.rule_name == "Too small"


def test_high_score_routes_to_one_host(client, setup):
    response = qualify_via_page(client, setup["slug"], answers("large"))
    assert response.status_code == 303
    (lead,) = leads()
    assert lead.status == "qualified" and lead.score == 30 and lead.rule_name == "Big fish"
    data = client.get(
        f"/api/v1/event-types/{setup['slug']}/slots",
        query_string={"start": "2030-01-08", "end": "2030-01-08", "lead": lead.uid},
    ).get_json()
    assert len(data["slots"]) == 16  # one host's day, not a union


def test_team_booking_through_the_pages(client, setup):
    response = qualify_via_page(client, setup["slug"], answers(country="DE", phone="030 1234567"))
    calendar = client.get(response.headers["Location"] + "&tz=Europe/Berlin&date=2030-01-08")
    assert ">10:00<" in calendar.text and "lead=" in calendar.text
    (lead,) = leads()
    assert lead.answers["phone"] == "+49301234567"
    confirm = client.get(
        f"/book/{setup['slug']}/confirm",
        query_string={"start": SLOT, "tz": "Europe/Berlin", "lead": lead.uid},
    )
    assert 'value="Grace Hopper"' in confirm.text and 'value="grace@example.com"' in confirm.text
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', confirm.text).group(1)
    booked = client.post(
        f"/book/{setup['slug']}/confirm",
        data={
            "start": SLOT,
            "tz": "Europe/Berlin",
            "lead": lead.uid,
            "form_token": token,
            "name": "Grace Hopper",
            "email": "grace@example.com",
        },
    )
    assert booked.status_code == 303, booked.text
    (lead,) = leads()
    assert lead.status == "booked" and lead.booking is not None
    assignment = db.session.scalar(select(Assignment))
    assert assignment.host_id == lead.booking.host_id
    assert {c["host_id"] for c in assignment.explanation["candidates"]} == {
        h.id for h in setup["hosts"]
    }
    assert abs(sum(assignment.shares.values()) - 1) < 1e-9


def test_bad_phone_is_refused(client, setup):
    response = qualify_via_page(client, setup["slug"], answers(phone="12345678"))
    assert response.status_code == 400
    assert "country code" in response.text


def test_api_slots_with_answers_and_disqualification(client, setup):
    url = f"/api/v1/event-types/{setup['slug']}/slots"
    query = {"start": "2030-01-08", "end": "2030-01-08"}
    missing = client.get(url, query_string=query)
    assert missing.status_code == 400 and "answers" in missing.get_json()["fields"]
    bad = client.get(url, query_string={**query, "answers": "[1]"})
    assert bad.status_code == 400
    small = client.get(url, query_string={**query, "answers": json.dumps(answers("small"))})
    assert small.status_code == 422
    assert small.get_json() == {
        "error": "disqualified",
        "message": "Our programme starts at 5k.",
        "fields": {},
    }
    team = client.get(url, query_string={**query, "answers": json.dumps(answers())}).get_json()
    assert len(team["slots"]) == 16
    assert leads() == []  # asking for slots stores nothing


def api_book(client, slug, **overrides):
    body = {
        "event_type": slug,
        "start": SLOT,
        "name": "Grace",
        "email": "g@example.com",
        "answers": answers(),
    }
    body.update(overrides)
    return client.post("/api/v1/bookings", json=body)


def test_api_booking_with_answers(client, setup):
    response = api_book(client, setup["slug"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["host"]["name"] in {"Anna", "Ben", "Cleo"} and body["lead"]
    (lead,) = leads()
    assert lead.status == "booked"
    no_answers = api_book(client, setup["slug"], answers=None)
    assert no_answers.status_code == 400
    invalid = api_book(client, setup["slug"], answers={"budget": "medium"})
    assert invalid.status_code == 400 and "full_name" in invalid.get_json()["fields"]
    reused = api_book(
        client, setup["slug"], answers=None, lead=lead.uid, start="2030-01-08T10:00:00+00:00"
    )
    assert reused.status_code == 400


def test_api_disqualified_is_422_and_kept(client, setup):
    response = api_book(client, setup["slug"], answers=answers("small"))
    assert response.status_code == 422
    assert response.get_json()["error"] == "disqualified"
    assert [lead.status for lead in leads()] == ["disqualified"]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_round_robin_follows_weights(client, setup):
    hosts = []
    for day in (9, 10):
        for hour in range(8, 14):
            start = f"2030-01-{day:02d}T{hour:02d}:00:00+00:00"
            response = api_book(client, setup["slug"], start=start)
            assert response.status_code == 201
            hosts.append(response.get_json()["host"]["name"])
    assert (hosts.count("Anna"), hosts.count("Ben"), hosts.count("Cleo")) == (6, 3, 3)


def test_concurrent_bookings_of_one_slot_spread_over_the_team(live_server, setup):
    slug = setup["slug"]

    def send(index: int):
        return post_json(
            f"{live_server.url}/api/v1/bookings",
            {
                "event_type": slug,
                "start": SLOT,
                "name": f"Racer {index}",
                "email": f"r{index}@example.com",
                "answers": answers(),
            },
        )

    results = race(4, send)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 201, 201, 409], results
    hosts = {body["host"]["name"] for status, body in results if status == 201}
    assert hosts == {"Anna", "Ben", "Cleo"}
    assert next(b for s, b in results if s == 409)["error"] == "slot_unavailable"


def test_assignment_is_explained_on_the_booking_page(client, setup, login_as):
    response = api_book(client, setup["slug"])
    assert response.status_code == 201
    db.session.rollback()
    booking_id = db.session.scalar(select(Booking.id))
    login_as("manager", org=setup["pool"].organisation)
    page = client.get(f"/admin/bookings/{booking_id}")
    assert page.status_code == 200
    assert "Why this host" in page.text
    for name in ("Anna", "Ben", "Cleo"):
        assert name in page.text
    assert "50%" in page.text and "25%" in page.text


def test_cancelling_gives_the_credit_back_and_reschedule_keeps_the_count(client, setup):
    from scheduling import clock
    from scheduling.operations.bookings import cancel_booking, reschedule_booking
    from scheduling.operations.routing import member_stats

    pool = setup["pool"]
    first = api_book(client, setup["slug"]).get_json()
    api_book(client, setup["slug"], start="2030-01-08T10:00:00+00:00")
    db.session.rollback()
    members = list(pool.members)
    when = FROZEN_NOW

    def assigned():
        db.session.expire_all()
        return {h: s.assigned for h, s in member_stats(pool, members, when).items()}

    assert sum(assigned().values()) == 2
    booking = db.session.scalar(select(Booking).where(Booking.uid == first["id"]))
    moved = reschedule_booking(
        booking, booking.start_at.replace(hour=13), clock.utcnow(), video_base_url="https://m"
    )
    db.session.commit()
    assert moved.assignment is not None and sum(assigned().values()) == 2
    (lead,) = [x for x in leads() if x.booking_id == moved.id]
    cancel_booking(db.session.get(Booking, moved.id), "no longer needed", clock.utcnow())
    db.session.commit()
    assert sum(assigned().values()) == 1  # credit given back
    assert lead.status == "booked"
