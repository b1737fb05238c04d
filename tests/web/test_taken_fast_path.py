"""A time every candidate already holds is refused before calendars and fairness are loaded.

Issue 12 point 10: on the 409 path two thirds of the time went to loading hours and busy times
for a request that could never succeed. One indexed read now answers it; an off-grid time that
overlaps the same bookings still gets the full check and its 400.
"""

import pytest
from sqlalchemy import event

from scheduling.extensions import db
from tests.web.test_routing_flow import SLOT, api_book, setup  # noqa: F401 (the fixture)

HEAVY_TABLES = ("weekly_hours", "date_overrides", "busy_blocks", "imported_busy", "assignments")


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    yield seen
    event.remove(engine, "before_cursor_execute", remember)


def _read_heavy(seen: list[str]) -> list[str]:
    return [s for s in seen if any(f"FROM {table}" in s for table in HEAVY_TABLES)]


def test_a_taken_time_is_refused_without_loading_calendars(client, setup, statements):  # noqa: F811
    for number in range(3):  # the whole team at SLOT
        assert api_book(client, setup["slug"], email=f"b{number}@example.com").status_code == 201
    statements.clear()
    late = api_book(client, setup["slug"], email="late@example.com")
    assert late.status_code == 409, late.get_json()
    assert "just taken" in late.get_json()["message"], late.get_json()
    assert _read_heavy(statements) == [], _read_heavy(statements)


def test_a_time_still_free_for_one_member_is_booked(client, setup, statements):  # noqa: F811
    for number in range(2):
        assert api_book(client, setup["slug"], email=f"b{number}@example.com").status_code == 201
    statements.clear()
    third = api_book(client, setup["slug"], email="third@example.com")
    assert third.status_code == 201, third.get_json()
    assert _read_heavy(statements)  # the full check ran: hours and fairness were read


def test_an_off_grid_time_over_taken_bookings_is_still_not_offered(client, setup):  # noqa: F811
    for number in range(3):
        assert api_book(client, setup["slug"], email=f"b{number}@example.com").status_code == 201
    off_grid = api_book(client, setup["slug"], start=SLOT.replace(":00:00+", ":07:00+"))
    assert off_grid.status_code == 400, off_grid.get_json()
