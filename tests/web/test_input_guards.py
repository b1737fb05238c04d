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
