"""The dashboard: figures on a known data set, per role, per host, date filters, bad input."""

import html
import re
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import Booking, LostReason
from scheduling.operations.bookings import Invitee, cancel_booking, create_booking
from scheduling.operations.outcomes import OutcomeInput, record_outcome
from tests.conftest import FROZEN_NOW

VIDEO = "https://meet.test.example"
LATER = datetime(2030, 1, 14, 12, 0, tzinfo=UTC)  # default range: 2029-12-16 .. 2030-01-14


def at(day: int, hour: int, month: int = 1) -> datetime:
    return datetime(2030, month, day, hour, 0, tzinfo=UTC)


def book(event_type, start: datetime) -> Booking:
    booking = create_booking(
        event_type,
        start,
        Invitee("Ada Lovelace", "ada@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    return booking


def text(response) -> str:
    return html.unescape(response.text)


def stat(page: str, label: str) -> str:
    match = re.search(
        r'<span class="value">([^<]*)</span><span class="label">' + re.escape(label) + "<", page
    )
    assert match, f"no stat {label!r}"
    return match.group(1)


def host_row(page: str, name: str) -> dict[str, str]:
    """The per-host table row of this host, as {column label: cell text}."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if f"<strong>{name}</strong>" in row:
            cells = re.findall(r'data-label="([^"]+)">(.*?)</td>', row, re.S)
            return {label: re.sub(r"<[^>]+>", "", value).strip() for label, value in cells}
    raise AssertionError(f"no row for {name}")


@pytest.fixture
def data(make_org, make_host, make_event_type, frozen_now, monkeypatch):
    """A week of calls for Anna and Ben, outcomes of every kind, deals in EUR and CHF."""
    org = make_org()
    anna = make_host(org=org, name="Anna Closer")
    ben = make_host(org=org, name="Ben Closer")
    make_host(org=org, name="Cleo Idle")  # active, no calls: listed with zeros
    gone = make_host(org=org, name="Gus Gone", active=False)  # inactive, no calls: not listed
    type_a = make_event_type(hosts=[anna])
    type_b = make_event_type(hosts=[ben])
    price = LostReason(organisation=org, label="Price", position=1)
    timing = LostReason(organisation=org, label="Timing", position=2)
    db.session.add_all([price, timing])
    db.session.commit()

    def outcome(booking, status, value=None, currency=None, reason=None):
        record_outcome(
            booking,
            OutcomeInput(status, value and Decimal(value), currency, reason and reason.id),
            None,
            LATER,
        )

    outcome(book(type_a, at(7, 9)), "attended")
    outcome(book(type_a, at(7, 10)), "no_show")
    outcome(book(type_a, at(8, 9)), "won", "1000.50", "EUR")
    outcome(book(type_a, at(9, 9)), "won", "250", "CHF")
    outcome(book(type_a, at(10, 9)), "lost", reason=price)
    book(type_a, at(11, 9))  # no outcome yet
    cancel_booking(book(type_a, at(11, 10)), "", FROZEN_NOW)
    outcome(book(type_b, at(8, 10)), "won", "99.99", "EUR")
    outcome(book(type_b, at(8, 11)), "lost", reason=timing)
    outcome(book(type_b, at(9, 11)), "lost", reason=price)
    outcome(book(type_b, at(10, 11)), "no_show")
    book(type_b, at(5, 10, month=2))  # outside the default range
    # Another organisation's call never counts.
    other_type = make_event_type()
    outcome(book(other_type, at(8, 9)), "won", "5000", "EUR")
    db.session.commit()
    monkeypatch.setattr(clock, "utcnow", lambda: LATER)
    return SimpleNamespace(org=org, anna=anna, ben=ben, gone=gone, other_host=other_type.hosts[0])


def test_manager_sees_totals_and_every_host(client, login_as, data):
    login_as("manager", org=data.org)
    response = client.get("/admin/dashboard")
    assert response.status_code == 200
    page = text(response)
    assert "from 2029-12-16 to 2030-01-14" in page and "UTC" in page
    assert stat(page, "Booked (confirmed)") == "10"
    assert stat(page, "Cancelled") == "1"
    assert stat(page, "Attended") == "7"  # attended 1 + won 3 + lost 3
    assert stat(page, "No-shows") == "2"
    assert stat(page, "No-show rate") == "22.2%"  # 2 / (7 + 2)
    assert stat(page, "Won") == "3"
    assert stat(page, "Lost") == "3"
    assert stat(page, "No outcome yet") == "1"
    # Each currency on its own; never one number for both.
    assert "€1,100.49" in page and "CHF250.00" in page
    assert "1,350" not in page and "6,100" not in page
    assert re.search(r"<td>Price</td><td class=\"num\">2</td>", page)
    assert re.search(r"<td>Timing</td><td class=\"num\">1</td>", page)
    anna = host_row(page, "Anna Closer")
    assert anna["Booked"] == "6" and anna["Cancelled"] == "1" and anna["Attended"] == "4"
    assert anna["No-shows"] == "1" and anna["No-show rate"] == "20.0%"
    assert anna["Won"] == "2" and anna["Revenue"] == "CHF250.00, €1,000.50"
    assert anna["Lost"] == "1" and anna["Lost reasons"] == "Price (1)"
    assert anna["No outcome yet"] == "1"
    ben = host_row(page, "Ben Closer")
    assert ben["Booked"] == "4" and ben["Attended"] == "3" and ben["No-show rate"] == "25.0%"
    assert ben["Revenue"] == "€99.99" and ben["Lost reasons"] == "Price (1), Timing (1)"
    cleo = host_row(page, "Cleo Idle")
    assert cleo["Booked"] == "0" and cleo["No-show rate"] == "—" and cleo["Revenue"] == "—"
    assert "<strong>Gus Gone</strong>" not in page
    assert "a won or lost call was held" in page  # the counting rule is on the page


def test_rep_sees_only_their_own_figures(client, login_as, data):
    login_as("rep", host=data.ben)
    page = text(client.get("/admin/dashboard"))
    assert stat(page, "Booked (confirmed)") == "4"
    assert stat(page, "Attended") == "3"
    assert stat(page, "No-show rate") == "25.0%"
    assert "€99.99" in page and "CHF" not in page
    assert "Anna Closer" not in page and "Per host" not in page
    assert 'name="host"' not in page  # no host filter for reps


def test_rep_cannot_ask_for_another_host(client, login_as, data):
    login_as("rep", host=data.ben)
    response = client.get(f"/admin/dashboard?host={data.anna.id}")
    assert response.status_code == 400
    assert "no such host among the ones you can see" in text(response)
    assert "€1,000.50" not in response.text


def test_host_filter(client, login_as, data):
    login_as("admin", org=data.org)
    page = text(client.get(f"/admin/dashboard?host={data.anna.id}"))
    assert stat(page, "Booked (confirmed)") == "6"
    assert "Ben Closer</strong>" not in page
    assert f'<option value="{data.anna.id}" selected>' in page


def test_date_range_counts_calls_by_start_day_in_utc(client, login_as, data):
    login_as("manager", org=data.org)
    page = text(client.get("/admin/dashboard?from=2030-01-08&to=2030-01-08"))
    assert stat(page, "Booked (confirmed)") == "3"
    assert stat(page, "Won") == "2"
    assert stat(page, "Lost") == "1"
    wide = text(client.get("/admin/dashboard?from=2030-01-01&to=2030-02-28"))
    assert stat(wide, "Booked (confirmed)") == "11"  # now with the February call


def test_empty_period_says_what_to_do(client, login_as, data):
    login_as("manager", org=data.org)
    response = client.get("/admin/dashboard?from=2029-01-01&to=2029-01-31")
    assert response.status_code == 200
    assert "No calls in this period" in response.text
    assert "Share an event type" in text(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "year-month-day"),
        ("from=2030-02-30", "does not exist"),
        ("to=14.01.2030", "year-month-day"),
        ("from=2030-01-10&to=2030-01-09", "must not be before"),
        ("from=2029-01-01&to=2030-01-14", "at most 366 days"),
        ("from=0001-01-01&to=0001-01-02", "between the years"),
        ("host=abc", "host id from the list"),
        ("host=²", "host id from the list"),
        ("host=999999", "no such host"),
    ],
)
def test_bad_filters_give_400_with_a_message(client, login_as, data, query, message):
    login_as("manager", org=data.org)
    response = client.get(f"/admin/dashboard?{query}")
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Booked (confirmed)" not in page


def test_other_organisations_host_is_refused(client, login_as, data):
    login_as("admin", org=data.org)
    response = client.get(f"/admin/dashboard?host={data.other_host.id}")
    assert response.status_code == 400 and "no such host" in text(response)


def test_other_organisation_sees_none_of_it(client, login_as, data):
    login_as("admin", org=data.other_host.organisation)
    page = text(client.get("/admin/dashboard"))
    assert stat(page, "Booked (confirmed)") == "1" and "€5,000.00" in page
    assert "Anna Closer" not in page


def test_dashboard_needs_login(client, data):
    response = client.get("/admin/dashboard")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("accept", "euros", "francs", "rate", "anna_revenue"),
    [
        (
            "de-DE,de;q=0.9",
            "1.100,49\xa0€",
            "250,00\xa0CHF",
            "25,0%",
            "250,00\xa0CHF, 1.000,50\xa0€",
        ),
        ("en-US", "€1,100.49", "CHF250.00", "25.0%", "CHF250.00, €1,000.50"),
    ],
)
def test_figures_and_money_follow_the_readers_locale(
    client, login_as, data, accept, euros, francs, rate, anna_revenue
):
    login_as("manager", org=data.org)
    response = client.get("/admin/dashboard", headers={"Accept-Language": accept})
    assert response.status_code == 200
    page = text(response)
    assert euros in page and francs in page
    # The column labels are in the reader's language too (the admin speaks en and de).
    german = accept.startswith("de")
    revenue, no_show_rate = (
        ("Umsatz", "Nichterscheinensquote") if german else ("Revenue", "No-show rate")
    )
    assert anna_revenue == host_row(page, "Anna Closer")[revenue]
    assert host_row(page, "Ben Closer")[no_show_rate] == rate


def test_counts_are_grouped_the_readers_way(app):
    from flask_babel import refresh

    from scheduling.web.admin.overview.dashboard_views import number

    for accept, shown in (("de-DE", "12.345"), ("en-US", "12,345")):
        with app.test_request_context("/admin/dashboard", headers={"Accept-Language": accept}):
            refresh()  # the test's app context outlives the request: choose the locale again
            assert number(12345) == shown
