"""CRM hand-off end to end: the public widget flow (consent, UTM, A/B, qualification, team) ->
outbox -> worker -> a real receiver on loopback; and the API's booking carries the same blocks."""

import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import AbTest, AbVariant, EmbedSettings, RoutingRule
from scheduling.operations import webhooks as ops
from scheduling.operations.api_keys import create_api_key
from scheduling.operations.notifications import API_VERSION
from tests.conftest import FROZEN_NOW, TEST_SECRET
from tests.web.test_api_v1 import DOC, conforms
from tests.web.test_routing_flow import SLOT, setup  # noqa: F401 (a fixture)
from tests.webhook_receiver import Receiver

HOST_PAGE = "https://www.customer.example"
FIRST = {"at": 1_893_000_000_000, "utm_source": "newsletter", "utm_campaign": "spring", "path": "/"}
LAST = {"at": 1_893_400_000_000, "utm_source": "linkedin", "utm_medium": "cpc", "path": "/demo"}
EVENTS = ["booking.created", "booking.rescheduled", "booking.cancelled"]


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def _webhooks_only(app, monkeypatch):
    from scheduling.delivery import worker

    monkeypatch.setitem(worker.HANDLERS, "email", lambda message: "dropped")


@pytest.fixture
def widget(setup):  # noqa: F811
    """The routing setup, framed by the customer's page, with a team rule and an A/B test."""
    event_type, pool = setup["event_type"], setup["pool"]
    org_id = event_type.organisation_id
    form = event_type.routing_form
    form.rules.append(
        RoutingRule(
            name="Mid-market",
            position=2,
            action_kind="team",
            target_id=pool.id,
            conditions=[{"field": "budget", "operator": "equals", "value": "medium"}],
        )
    )
    db.session.add(
        EmbedSettings(
            organisation_id=org_id,
            allowed_origins=[HOST_PAGE],
            own_prompt=False,
            prompt_text="",
            cookie_days=90,
            updated_at=FROZEN_NOW,
        )
    )
    test = AbTest(
        organisation_id=org_id,
        event_type_id=event_type.id,
        name="Headline",
        status="running",
        started_at=FROZEN_NOW,
    )
    test.variants = [
        AbVariant(name="Control", is_control=True, weight=0),
        AbVariant(name="Bold", weight=100, headline="Talk to an expert today"),
    ]
    db.session.add(test)
    db.session.commit()
    return {**setup, "ab": f"{test.id}.{test.variants[1].id}", "variant": test.variants[1]}


def subscribe(org_id: int, url: str, events=EVENTS):
    sub, _ = ops.create_subscription(
        org_id,
        url,
        list(events),
        "CRM",
        None,
        FROZEN_NOW,
        secret_key=TEST_SECRET,
        allow_private=True,
    )
    db.session.commit()
    return sub


def consent(client, slug: str, decision="granted") -> str:
    body = {
        "slug": slug,
        "origin": HOST_PAGE,
        "decision": decision,
        "source": "api",
        "notice": "We measure which campaign brought you.",
        "language": "en",
        "purposes": ["attribution"],
    }
    response = client.post("/embed/consent", json=body, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code in (200, 201), response.text
    return response.json["consent"]


def book_in_widget(client, widget, consent_id: str | None, query: str | None = None) -> str:
    """Qualify and book through the framed pages; the touches go along only with a consent id."""
    slug, query = widget["slug"], query or f"embed=1&ab={widget['ab']}"
    extra = {}
    if consent_id is not None:
        touches = {"visitor": "v" * 32, "consent": consent_id, "first": FIRST, "last": LAST}
        extra["attribution"] = json.dumps(touches)
    page = client.get(f"/book/{slug}?{query}")
    assert page.status_code == 200 and ("Talk to an expert today" in page.text) == ("ab=" in query)
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    answers = {
        "q_full_name": "Grace Hopper",
        "q_work_email": "grace@example.com",
        "q_budget": "medium",
        "q_country": "DE",
    }
    response = client.post(
        f"/book/{slug}/qualify?{query}", data={"form_token": token, **answers, **extra}
    )
    assert response.status_code == 303, response.text
    lead = re.search(r"lead=([0-9a-f]+)", response.headers["Location"]).group(1)
    confirm = client.get(
        f"/book/{slug}/confirm?{query}&start={quote(SLOT)}&tz=Europe/Berlin&lead={lead}"
    )
    assert confirm.status_code == 200, confirm.text
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', confirm.text).group(1)
    data = {"start": SLOT, "tz": "Europe/Berlin", "form_token": token, "lead": lead, **extra}
    data.update(name="Grace Hopper", email="grace@example.com")
    booked = client.post(f"/book/{slug}/confirm?{query}", data=data)
    assert booked.status_code == 303, booked.text
    return lead


def delivered(app, receiver) -> list[dict]:
    assert Worker(app, worker_id="w1").run_once() >= 1
    return [json.loads(request.body) for request in receiver.accepted()]


def test_booking_created_carries_lead_answers_routing_and_consented_attribution(
    app, client, widget, receiver
):
    subscribe(widget["event_type"].organisation_id, receiver.url)
    consent_id = consent(client, widget["slug"])
    lead_uid = book_in_widget(client, widget, consent_id)
    (body,) = delivered(app, receiver)
    (request,) = receiver.accepted()
    assert request.headers["Rendezvous-Version"] == API_VERSION == body["api_version"]
    assert body["type"] == "booking.created"
    booking = body["data"]["booking"]
    assert booking["lead"] == {"id": lead_uid, "status": "booked"}
    assert booking["answers"] == [
        {
            "key": "full_name",
            "label": "Your name",
            "value": "Grace Hopper",
            "display": "Grace Hopper",
        },
        {
            "key": "work_email",
            "label": "Work email",
            "value": "grace@example.com",
            "display": "grace@example.com",
        },
        {"key": "budget", "label": "Budget", "value": "medium", "display": "5k-20k"},
        {"key": "country", "label": "Country", "value": "DE", "display": "Germany"},
    ]
    routing = booking["routing"]
    host = booking["host"]
    assert routing["rule"] == "Mid-market" and routing["route"] == "team"
    assert routing["team"] == {"id": widget["pool"].id, "name": "Closers"}
    assert routing["host"] == {"id": host["id"], "name": host["name"]}
    assert routing["decided_by"] in ("deficit", "priority", "recency", "order", "only candidate")
    standing = routing["standing"]
    assert standing["assigned"] == 0 and standing["today"] == 0 and standing["weight"] >= 1
    assert routing["explanation"].startswith(
        f'Rule "Mid-market" sent the booking to the team "Closers". {host["name"]} '
    )
    assert "booked against a fair share of" in routing["explanation"]
    assert any("Mid-market" in line for line in routing["trace"])
    attribution = booking["attribution"]
    assert attribution["first_touch"]["utm_source"] == "newsletter"
    assert attribution["first_touch"]["utm_campaign"] == "spring"
    assert attribution["last_touch"]["utm_source"] == "linkedin"
    assert attribution["last_touch"]["utm_medium"] == "cpc"
    assert attribution["variant"] == {
        "id": widget["variant"].id,
        "name": "Bold",
        "test": "Headline",
    }
    assert attribution["consent"]["id"] == consent_id
    if os.environ.get("RENDEZVOUS_WRITE_WEBHOOK_EXAMPLE"):  # how docs/webhooks.md's was made
        Path(os.environ["RENDEZVOUS_WRITE_WEBHOOK_EXAMPLE"]).write_text(
            json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
    assert shape(documented_example()) == shape(body)  # the docs show what is really sent


def shape(value):
    """Keys all the way down (lists by their first item): what a receiver's parser relies on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def documented_example() -> dict:
    text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    block = text.split("Full `booking.created` example", 1)[1]
    return json.loads(block.split("```json", 1)[1].split("```", 1)[0])


@pytest.mark.parametrize("case", ["no consent", "refused"])
def test_without_consent_the_payload_has_no_attribution(app, client, widget, receiver, case):
    subscribe(widget["event_type"].organisation_id, receiver.url)
    consent_id = consent(client, widget["slug"], "refused") if case == "refused" else None
    lead_uid = book_in_widget(client, widget, consent_id)
    (body,) = delivered(app, receiver)
    booking = body["data"]["booking"]
    assert booking["attribution"] is None
    assert "linkedin" not in json.dumps(body) and "newsletter" not in json.dumps(body)
    assert "Bold" not in json.dumps(body)  # the A/B variant too: only with consent
    assert booking["lead"] == {"id": lead_uid, "status": "booked"}  # the rest is still there
    assert booking["routing"]["rule"] == "Mid-market"


def test_api_booking_has_the_same_blocks_as_the_webhook(app, client, widget, receiver, make_user):
    subscribe(widget["event_type"].organisation_id, receiver.url)
    book_in_widget(client, widget, consent(client, widget["slug"]))
    (body,) = delivered(app, receiver)
    sent = body["data"]["booking"]
    admin = make_user(role="admin", org=widget["event_type"].organisation)
    _, token = create_api_key(admin, "CRM", "read", FROZEN_NOW)
    db.session.commit()
    response = client.get(
        f"/api/v1/bookings/{sent['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    got = conforms(response, "/bookings/{id}", "get")  # the OpenAPI schema describes the blocks
    for block in ("lead", "answers", "routing", "attribution"):
        assert got[block] == sent[block], block
    assert got["attribution"]["last_touch"]["utm_source"] == "linkedin"


def test_cancel_and_reschedule_carry_the_blocks_of_the_first_booking(app, client, widget, receiver):
    from scheduling.models import Booking
    from scheduling.operations.bookings import cancel_booking

    subscribe(widget["event_type"].organisation_id, receiver.url)
    lead_uid = book_in_widget(client, widget, consent(client, widget["slug"]))
    booking = db.session.scalar(select(Booking))
    cancel_booking(booking, "Changed plans", FROZEN_NOW)
    db.session.commit()
    bodies = delivered(app, receiver)
    assert [b["type"] for b in bodies] == ["booking.created", "booking.cancelled"]
    cancelled = bodies[1]["data"]["booking"]
    assert cancelled["lead"]["id"] == lead_uid
    assert cancelled["routing"]["rule"] == "Mid-market"
    assert cancelled["attribution"]["last_touch"]["utm_source"] == "linkedin"


def test_widget_booking_without_questions_gets_its_attribution_in_booking_created(
    app, client, make_event_type, frozen_now, receiver
):
    event_type = make_event_type(title="Intro call")
    db.session.add(
        EmbedSettings(
            organisation_id=event_type.organisation_id,
            allowed_origins=[HOST_PAGE],
            own_prompt=False,
            prompt_text="",
            cookie_days=90,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    subscribe(event_type.organisation_id, receiver.url)
    touches = {"visitor": "v" * 32, "consent": consent(client, event_type.slug)}
    touches.update(first=FIRST, last=LAST)
    confirm = client.get(
        f"/book/{event_type.slug}/confirm?embed=1&start={quote(SLOT)}&tz=Europe/Berlin"
    )
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', confirm.text).group(1)
    data = {"start": SLOT, "tz": "Europe/Berlin", "form_token": token, "name": "Ada"}
    data.update(email="ada@example.com", attribution=json.dumps(touches))
    assert client.post(f"/book/{event_type.slug}/confirm?embed=1", data=data).status_code == 303
    (body,) = delivered(app, receiver)
    booking = body["data"]["booking"]
    assert booking["lead"] is None and booking["answers"] == [] and booking["routing"] is None
    assert booking["attribution"]["last_touch"]["utm_source"] == "linkedin"
    assert booking["attribution"]["variant"] is None


def test_direct_page_booking_has_lead_and_routing_but_no_widget_attribution(
    app, client, widget, receiver
):
    """Outside the widget nothing of the widget is kept; the lead and routing still are."""
    subscribe(widget["event_type"].organisation_id, receiver.url)
    lead_uid = book_in_widget(client, widget, consent(client, widget["slug"]), query="x=1")
    (body,) = delivered(app, receiver)
    booking = body["data"]["booking"]
    assert booking["lead"] == {"id": lead_uid, "status": "booked"}
    assert booking["routing"]["team"]["name"] == "Closers"
    assert booking["routing"]["standing"]["weight"] >= 1
    assert [a["display"] for a in booking["answers"]][2:] == ["5k-20k", "Germany"]
    assert booking["attribution"] is None


def test_send_test_event_button_delivers_a_signed_sample(
    app, client, make_event_type, make_user, receiver
):
    from scheduling.models import AuditEntry, OutboxMessage
    from scheduling.security.webhook_signature import verify
    from tests.conftest import csrf_from, login

    event_type = make_event_type()
    org = event_type.organisation
    sub, secret = ops.create_subscription(
        org.id,
        receiver.url,
        ["booking.created"],
        "CRM",
        None,
        FROZEN_NOW,
        secret_key=TEST_SECRET,
        allow_private=True,
    )
    db.session.commit()
    manager = make_user(role="manager", org=org)
    assert login(client, manager.email).status_code == 302
    page = client.get(f"/admin/webhooks/{sub.id}")
    assert "Send test event" in page.text
    action = f"/admin/webhooks/{sub.id}/test"
    assert f'action="{action}"' in page.text
    assert client.post(action).status_code == 400  # no CSRF token: refused, nothing queued
    assert db.session.scalar(select(OutboxMessage)) is None
    response = client.post(action, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "A signed test event with a sample booking is queued for" in page.text
    (body,) = delivered(app, receiver)
    (request,) = receiver.accepted()
    sent_at = int(request.headers["Rendezvous-Signature"].split(",")[0][2:])
    assert verify(request.headers["Rendezvous-Signature"], secret, request.body, sent_at)
    assert request.headers["Rendezvous-Event"] == "test" == body["type"]
    assert request.headers["Rendezvous-Version"] == API_VERSION
    assert body["data"]["sample"] is True
    real = documented_example()["data"]["booking"]
    assert shape(body["data"]["booking"]) == shape(real)  # the sample looks like the real thing
    assert "test" in client.get(f"/admin/webhooks/{sub.id}").text  # in the delivery log
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.test"))


def test_send_test_event_refused_when_off_foreign_or_for_reps(
    app, client, make_event_type, make_org, make_user, receiver
):
    from scheduling.models import OutboxMessage
    from tests.conftest import csrf_from, login

    event_type = make_event_type()
    org = event_type.organisation
    sub = subscribe(org.id, receiver.url)
    foreign = subscribe(make_org().id, receiver.url)
    sub.active = False
    db.session.commit()
    admin = make_user(role="admin", org=org)
    assert login(client, admin.email).status_code == 302
    csrf = csrf_from(client.get(f"/admin/webhooks/{sub.id}").text)
    response = client.post(f"/admin/webhooks/{sub.id}/test", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert "Switch the webhook on first" in client.get(response.headers["Location"]).text
    response = client.post(f"/admin/webhooks/{foreign.id}/test", data={"csrf_token": csrf})
    assert response.status_code == 404
    client.post("/admin/logout", data={"csrf_token": csrf})
    rep = make_user(role="rep", org=org)
    assert login(client, rep.email).status_code == 302
    csrf = csrf_from(client.get("/admin/").text)
    response = client.post(f"/admin/webhooks/{sub.id}/test", data={"csrf_token": csrf})
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage)) is None


def test_openapi_documents_the_blocks_with_an_example_that_validates():
    from jsonschema_rs import Draft202012Validator

    booking = DOC["components"]["schemas"]["Booking"]
    for block in ("lead", "answers", "routing", "attribution"):
        assert block in booking["properties"] and block in booking["required"]
    (example,) = booking["examples"]
    assert example["attribution"]["last_touch"]["utm_source"]
    schema = {**booking, "components": DOC["components"]}
    Draft202012Validator(schema, validate_formats=True).validate(example)
    broken = {**example, "answers": [{"key": "budget"}]}
    assert not Draft202012Validator(schema).is_valid(broken)
    assert DOC["info"]["version"] == API_VERSION == "2026-12-06.2"


def test_rescheduled_booking_and_its_previous_carry_the_blocks(app, client, widget, receiver):
    from datetime import UTC, datetime

    from scheduling.models import Booking
    from scheduling.operations.bookings import reschedule_booking

    subscribe(widget["event_type"].organisation_id, receiver.url)
    lead_uid = book_in_widget(client, widget, consent(client, widget["slug"]))
    old = db.session.scalar(select(Booking))
    reschedule_booking(
        old, datetime(2030, 1, 8, 11, 0, tzinfo=UTC), FROZEN_NOW, video_base_url="https://m.example"
    )
    db.session.commit()
    bodies = delivered(app, receiver)
    assert [b["type"] for b in bodies] == ["booking.created", "booking.rescheduled"]
    data = bodies[1]["data"]
    assert data["booking"]["rescheduled_from"] == data["previous"]["id"]
    for booking in (data["booking"], data["previous"]):
        assert booking["lead"]["id"] == lead_uid
        assert booking["routing"]["team"]["name"] == "Closers"
        assert booking["attribution"]["first_touch"]["utm_source"] == "newsletter"
        assert booking["answers"] == bodies[0]["data"]["booking"]["answers"]
