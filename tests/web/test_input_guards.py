"""Hostile input that once reached the database or the JSON decoder: always a clear 4xx."""

import pytest

DEEP = "[" * 100_000 + "]" * 100_000


def test_deeply_nested_json_body_is_a_400(client, make_event_type):
    make_event_type(slug="intro")
    response = client.post(
        "/api/v1/bookings", data=DEEP, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_deeply_nested_answers_in_the_query_are_a_400(client, make_event_type):
    make_event_type(slug="intro")
    response = client.get(
        "/api/v1/event-types/intro/slots",
        query_string={"start": "2030-01-07", "end": "2030-01-08", "answers": "[" * 50_000},
    )
    assert response.status_code == 400
    assert "answers" in response.json["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/event-types/99999999999/edit",
        "/admin/bookings/99999999999",
        "/admin/hosts/2147483648/edit",
    ],
)
def test_ids_beyond_the_database_range_are_404(client, login_as, path):
    login_as("admin")
    assert client.get(path).status_code == 404


def test_largest_id_still_routes(client, login_as):
    login_as("admin")
    # In range: the view runs and finds nothing (404 from the view, not from routing).
    assert client.get("/admin/event-types/2147483647/edit").status_code == 404


def test_nul_in_a_query_is_a_400(client, make_event_type):
    make_event_type(slug="intro")
    response = client.get(
        "/api/v1/event-types/intro/slots",
        query_string={"start": "2030-01-07", "end": "2030-01-08", "timezone": "UTC\x00"},
    )
    assert response.status_code == 400
    assert "NUL" in response.json["message"]


def test_nul_in_a_json_body_is_a_400_and_books_nothing(client, make_event_type):
    from scheduling.extensions import db
    from scheduling.models import Booking

    make_event_type(slug="intro")
    response = client.post(
        "/api/v1/bookings",
        json={
            "event_type": "intro",
            "start": "2030-01-08T09:00:00+00:00",
            "name": "Ada\x00",
            "email": "ada@example.com",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 400
    assert db.session.query(Booking).count() == 0


def test_nul_in_an_admin_form_changes_nothing(client, login_as, make_host):
    from tests.conftest import csrf_from

    user = login_as("admin")
    host = make_host(org=user.organisation, name="Grace")
    page = client.get(f"/admin/hosts/{host.id}/edit")
    response = client.post(
        f"/admin/hosts/{host.id}/edit",
        data={"csrf_token": csrf_from(page.text), "name": "Gr\x00ce", "email": "g@example.com"},
    )
    assert response.status_code == 400
    assert "NUL" in response.text
    client.get("/admin/")  # a fresh request: the host is unchanged
    from scheduling.extensions import db

    db.session.expire_all()
    assert host.name == "Grace"
