"""The integration API over HTTP: keys and scopes, lists with cursors, changes, and every
answer checked against the OpenAPI document."""

import base64
from datetime import UTC, date, datetime, timedelta

import pytest
from jsonschema_rs import Draft202012Validator
from sqlalchemy import select

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import Absence, AuditEntry, Booking, Lead, LostReason, OutboxMessage
from scheduling.operations.api_keys import create_api_key, revoke_api_key
from scheduling.operations.bookings import Invitee, create_booking
from scheduling.web.api.openapi import document
from tests.conftest import FROZEN_NOW

DAY = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
DOC = document()


def conforms(response, operation_path: str, method: str):
    """Assert the answer's status is documented and its body matches the documented schema."""
    operation = DOC["paths"][operation_path][method]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (response.status_code, response.json)
    schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(
        {**schema, "components": DOC["components"]}, validate_formats=True
    )
    validator.validate(response.json)
    return response.json


@pytest.fixture
def world(make_user, make_host, make_event_type, frozen_now):
    admin = make_user(role="admin")
    org = admin.organisation
    host = make_host(org=org, name="Hannah")
    other = make_host(org=org, name="Otto")
    event_type = make_event_type(hosts=[host, other], slug="intro")
    bookings = []
    for n in range(5):
        invitee = Invitee(f"Invitee {n}", f"i{n}@example.org", "Europe/Paris")
        booking = create_booking(
            event_type,
            DAY + timedelta(minutes=30 * n),
            invitee,
            FROZEN_NOW,
            video_base_url="https://m.example",
            only_host_id=host.id,
        )
        bookings.append(booking)
    _, read_token = create_api_key(admin, "Reader", "read", FROZEN_NOW)
    _, write_token = create_api_key(admin, "Writer", "write", FROZEN_NOW)
    db.session.commit()
    return {
        "admin": admin,
        "host": host,
        "other": other,
        "event_type": event_type,
        "bookings": bookings,
        "read": {"Authorization": f"Bearer {read_token}"},
        "write": {"Authorization": f"Bearer {write_token}"},
    }


def test_keys_are_required_checked_and_scoped(client, world):
    response = client.get("/api/v1/bookings")
    assert conforms(response, "/bookings", "get")["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.get("/api/v1/bookings", headers={"Authorization": "Bearer rdv_x_y"})
    assert response.status_code == 401
    uid = world["bookings"][0].uid
    response = client.post(f"/api/v1/bookings/{uid}/cancel", headers=world["read"], json={})
    assert conforms(response, "/bookings/{id}/cancel", "post")["error"] == "forbidden"
    assert db.session.get(Booking, world["bookings"][0].id).status == "confirmed"


@pytest.mark.parametrize(
    "token",
    [
        "rdv_" + "\x00" * 12 + "_x",
        "rdv_" + "\u00e9" * 12 + "_x",
        "rdv__x",
        "x" * 10000,
        "rdv_a_b_c",
    ],
)
def test_malformed_keys_are_a_401_on_every_database(client, world, token):
    response = client.get("/api/v1/bookings", headers={"Authorization": f"Bearer {token}"})
    assert conforms(response, "/bookings", "get")["error"] == "unauthorized"


def test_revoked_key_stops_working_and_last_use_is_recorded(client, world):
    from scheduling.models import ApiKey

    key = db.session.scalars(select(ApiKey).where(ApiKey.name == "Reader")).one()
    assert key.last_used_at is None
    assert client.get("/api/v1/hosts", headers=world["read"]).status_code == 200
    db.session.refresh(key)
    assert key.last_used_at == FROZEN_NOW
    revoke_api_key(key, world["admin"], FROZEN_NOW)
    db.session.commit()
    assert client.get("/api/v1/hosts", headers=world["read"]).status_code == 401


def test_bookings_list_pages_with_a_cursor(client, world):
    seen, cursor = [], None
    for _ in range(3):
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = conforms(
            client.get("/api/v1/bookings", headers=world["read"], query_string=query),
            "/bookings",
            "get",
        )
        seen += [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert seen == [b.uid for b in world["bookings"]]
    first = client.get("/api/v1/bookings", headers=world["read"], query_string={"limit": 1})
    assert first.json["data"][0]["start"] == "2030-01-08T09:00:00Z"
    assert first.json["data"][0]["invitee"]["email"] == "i0@example.org"


def test_bookings_filters_and_bad_queries(client, world):
    def ids(**query):
        response = client.get("/api/v1/bookings", headers=world["read"], query_string=query)
        return [row["id"] for row in conforms(response, "/bookings", "get")["data"]]

    uids = [b.uid for b in world["bookings"]]
    assert ids(start_from="2030-01-08T10:00:00+00:00") == uids[2:]
    assert ids(start_to="2030-01-08T09:30:00Z") == uids[:1]
    assert ids(host_id=world["other"].id) == []
    assert ids(event_type="intro", status="confirmed") == uids
    assert ids(status="cancelled") == []
    response = client.get(
        "/api/v1/bookings",
        headers=world["read"],
        query_string={"limit": 0, "status": "x", "start_from": "yesterday", "cursor": "%%"},
    )
    body = conforms(response, "/bookings", "get")
    assert set(body["fields"]) == {"limit", "status", "start_from", "cursor"}


def _forged_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/bookings", {"limit": "\u00b2"}, "limit"),  # isdigit() but not int()
        ("/bookings", {"host_id": "\u00b9"}, "host_id"),
        ("/leads", {"limit": "\u00b2"}, "limit"),
        ("/bookings", {"cursor": _forged_cursor("0001-01-01T00:00:00+14:00|1")}, "cursor"),
        ("/bookings", {"cursor": _forged_cursor("9999-12-31T23:59:59-14:00|1")}, "cursor"),
        (
            "/bookings",
            {"cursor": _forged_cursor("2030-01-01T00:00:00+00:00|" + "9" * 25)},
            "cursor",
        ),
        ("/bookings", {"cursor": _forged_cursor("2030-01-01T00:00:00+00:00|-5")}, "cursor"),
        ("/leads", {"cursor": _forged_cursor("0001-01-01T00:00:00+14:00|1")}, "cursor"),
    ],
)
def test_forged_numbers_and_cursors_are_a_400(client, world, path, query, field):
    response = client.get(f"/api/v1{path}", headers=world["read"], query_string=query)
    body = conforms(response, path, "get")
    assert response.status_code == 400
    assert set(body["fields"]) == {field}


def test_other_organisations_bookings_are_not_found(client, world, make_event_type):
    stranger = make_event_type()
    booking = create_booking(
        stranger, DAY, Invitee("S", "s@example.org", "UTC"), FROZEN_NOW, video_base_url="x"
    )
    db.session.commit()
    response = client.get(f"/api/v1/bookings/{booking.uid}", headers=world["read"])
    assert conforms(response, "/bookings/{id}", "get")["error"] == "not_found"
    own = world["bookings"][0].uid
    response = client.get(f"/api/v1/bookings/{own}", headers=world["read"])
    assert conforms(response, "/bookings/{id}", "get")["id"] == own


def test_cancel_through_the_api(client, world):
    booking = world["bookings"][0]
    response = client.post(
        f"/api/v1/bookings/{booking.uid}/cancel", headers=world["write"], json={"reason": "CRM"}
    )
    body = conforms(response, "/bookings/{id}/cancel", "post")
    assert body["status"] == "cancelled" and body["cancel_reason"] == "CRM"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.cancel"))
    assert entry.actor_id == world["admin"].id
    topics = {m.topic for m in db.session.scalars(select(OutboxMessage))}
    assert "booking.cancelled" in topics
    again = client.post(f"/api/v1/bookings/{booking.uid}/cancel", headers=world["write"])
    assert conforms(again, "/bookings/{id}/cancel", "post")["error"] == "booking_closed"


def test_reschedule_through_the_api(client, world):
    booking = world["bookings"][0]
    url = f"/api/v1/bookings/{booking.uid}/reschedule"
    same_host = {"start": "2030-01-08T09:30:00Z", "host_id": world["host"].id}
    taken = client.post(url, headers=world["write"], json=same_host)
    assert taken.status_code == 409
    conforms(taken, "/bookings/{id}/reschedule", "post")
    bad = client.post(url, headers=world["write"], json={"start": "soon", "host_id": "x"})
    assert set(conforms(bad, "/bookings/{id}/reschedule", "post")["fields"]) == {
        "start",
        "host_id",
    }
    moved = client.post(
        url,
        headers=world["write"],
        json={"start": "2030-01-09T09:00:00+00:00", "host_id": world["other"].id},
    )
    body = conforms(moved, "/bookings/{id}/reschedule", "post")
    assert body["rescheduled_from"] == booking.uid and body["host"]["id"] == world["other"].id
    assert body["start"] == "2030-01-09T09:00:00Z"
    assert db.session.get(Booking, booking.id).status == "rescheduled"


def test_outcome_through_the_api(client, world, monkeypatch):
    booking = world["bookings"][0]
    url = f"/api/v1/bookings/{booking.uid}/outcome"
    early = client.put(url, headers=world["write"], json={"status": "attended"})
    assert (
        "once the call has started" in conforms(early, "/bookings/{id}/outcome", "put")["message"]
    )
    monkeypatch.setattr(clock, "utcnow", lambda: DAY + timedelta(hours=1))
    missing = client.put(url, headers=world["write"], json={"status": "won"})
    assert "deal_value" in conforms(missing, "/bookings/{id}/outcome", "put")["fields"]
    bad = client.put(url, headers=world["write"], json={"status": "won", "deal_value": "abc"})
    assert "deal_value" in bad.json["fields"]
    won = client.put(
        url,
        headers=world["write"],
        json={"status": "won", "deal_value": "12500.50", "currency": "eur"},
    )
    body = conforms(won, "/bookings/{id}/outcome", "put")
    assert body["outcome"]["status"] == "won" and body["outcome"]["deal_value"] == "12500.50"
    assert body["outcome"]["currency"] == "EUR"
    reason = LostReason(organisation_id=world["admin"].organisation_id, label="Price")
    db.session.add(reason)
    db.session.commit()
    lost = client.put(
        url, headers=world["write"], json={"status": "lost", "lost_reason_id": reason.id}
    )
    assert conforms(lost, "/bookings/{id}/outcome", "put")["outcome"]["lost_reason"] == "Price"


def test_leads_hosts_and_event_types(client, world):
    org_id = world["admin"].organisation_id
    for n, status in enumerate(("qualified", "disqualified", "booked")):
        db.session.add(
            Lead(
                uid=f"lead{n}".ljust(32, "0"),
                organisation_id=org_id,
                event_type_id=world["event_type"].id,
                status=status,
                answers={"budget": "large"},
                decision={"kind": "host"},
                created_at=FROZEN_NOW + timedelta(minutes=n),
                updated_at=FROZEN_NOW,
            )
        )
    db.session.commit()
    page = conforms(
        client.get("/api/v1/leads", headers=world["read"], query_string={"limit": 2}),
        "/leads",
        "get",
    )
    assert [lead["status"] for lead in page["data"]] == ["qualified", "disqualified"]
    rest = client.get(
        "/api/v1/leads", headers=world["read"], query_string={"cursor": page["next_cursor"]}
    )
    assert [lead["status"] for lead in rest.json["data"]] == ["booked"]
    only = client.get("/api/v1/leads", headers=world["read"], query_string={"status": "booked"})
    assert len(only.json["data"]) == 1
    one = client.get(f"/api/v1/leads/{'lead0'.ljust(32, '0')}", headers=world["read"])
    assert conforms(one, "/leads/{id}", "get")["answers"] == {"budget": "large"}
    hosts = conforms(client.get("/api/v1/hosts", headers=world["read"]), "/hosts", "get")
    assert {h["name"] for h in hosts["data"]} >= {"Hannah", "Otto"}
    types = conforms(
        client.get("/api/v1/event-types", headers=world["read"]), "/event-types", "get"
    )
    assert [t["slug"] for t in types["data"]] == ["intro"]


def test_hosts_show_their_absences_and_event_types_their_limits(client, world):
    host, other = world["host"], world["other"]
    db.session.add_all(
        [
            Absence(host_id=host.id, first_day=date(2029, 12, 1), last_day=date(2029, 12, 5)),
            Absence(
                host_id=host.id,
                first_day=date(2030, 1, 14),
                last_day=date(2030, 1, 18),
                note="Family trip",
                delegate_id=other.id,
            ),
        ]
    )
    event_type = world["event_type"]
    event_type.hidden, event_type.daily_limit, event_type.min_gap = True, 4, 15
    db.session.commit()
    hosts = conforms(client.get("/api/v1/hosts", headers=world["read"]), "/hosts", "get")
    by_name = {h["name"]: h for h in hosts["data"]}
    # The past absence is left out, and the note never leaves the admin UI.
    assert by_name["Hannah"]["out_of_office"] == [
        {"first_day": "2030-01-14", "last_day": "2030-01-18", "delegate": other.id}
    ]
    assert by_name["Otto"]["out_of_office"] == []
    assert "Family trip" not in client.get("/api/v1/hosts", headers=world["read"]).text
    types = conforms(
        client.get("/api/v1/event-types", headers=world["read"]), "/event-types", "get"
    )
    (intro,) = types["data"]
    assert intro["hidden"] is True
    assert intro["limits"] == {"per_day": 4, "per_week": None, "min_gap": 15}


def test_nul_characters_are_a_clear_400(client, world):
    response = client.get(
        "/api/v1/bookings", headers=world["read"], query_string={"event_type": "a\x00"}
    )
    assert conforms(response, "/bookings", "get")["message"].startswith("Text may not contain NUL")
    response = client.post("/api/v1/bookings", json={"event_type": "a\u0000"})
    assert response.status_code == 400


def test_the_public_endpoints_still_answer_as_documented(client, world):
    response = client.get("/api/v1/event-types/intro")
    assert conforms(response, "/event-types/{slug}", "get")["slug"] == "intro"
    response = client.get(
        "/api/v1/event-types/intro/slots", query_string={"start": "2030-01-08", "end": "2030-01-08"}
    )
    assert conforms(response, "/event-types/{slug}/slots", "get")["slots"]
    response = client.post(
        "/api/v1/bookings",
        json={
            "event_type": "intro",
            "start": "2030-01-10T09:00:00Z",
            "name": "Ada",
            "email": "ada@example.org",
        },
    )
    assert conforms(response, "/bookings", "post")["status"] == "confirmed"


def test_the_document_lists_exactly_the_api_routes(app):
    documented = {
        (path, method.upper()) for path, operations in DOC["paths"].items() for method in operations
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi_json":
            continue
        path = rule.rule.removeprefix("/api/v1")
        for name in rule.arguments:
            path = path.replace(f"<{name}>", "{id}" if name == "uid" else "{" + name + "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((path, method))
    assert documented == served
