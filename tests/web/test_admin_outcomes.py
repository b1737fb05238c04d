"""Call outcomes: who may record them, when, every kind of outcome, money and currency, audit."""

import html
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import url_for
from sqlalchemy import func, insert, select

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import AuditEntry, Booking, LostReason, Outcome
from scheduling.operations.bookings import Invitee, cancel_booking, create_booking
from scheduling.operations.outcomes import OutcomeInput, record_outcome
from scheduling.web.admin.bookings.outcome_views import booking_page_url
from tests.conftest import FROZEN_NOW, csrf_from, post_form

VIDEO = "https://meet.test.example"
LATER = datetime(2030, 1, 8, 12, 0, tzinfo=UTC)  # the day after the first calls


def book(event_type, start: datetime, name: str = "Ada Lovelace") -> Booking:
    """A confirmed booking made while the clock reads FROZEN_NOW."""
    booking = create_booking(
        event_type,
        start,
        Invitee(name, f"{name.split()[0].lower()}@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    return booking


def token(client) -> str:
    """A valid CSRF token for POSTs to pages that answer 403/404 and so show no form."""
    return csrf_from(client.get("/admin/account").text)


def text(response) -> str:
    return html.unescape(response.text)


def outcome_of(booking_id: int) -> Outcome | None:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(select(Outcome).where(Outcome.booking_id == booking_id))


def audit_rows(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def world(make_org, make_host, make_event_type, frozen_now, monkeypatch):
    """Two hosts of one org, each with a past call; host A also has a future one."""
    org = make_org(default_currency="CHF")
    host_a = make_host(org=org, name="Anna Closer")
    host_b = make_host(org=org, name="Ben Closer")
    type_a = make_event_type(hosts=[host_a])
    type_b = make_event_type(hosts=[host_b])
    past_a = book(type_a, datetime(2030, 1, 7, 9, 0, tzinfo=UTC))
    past_b = book(type_b, datetime(2030, 1, 7, 9, 0, tzinfo=UTC), "Bob Buyer")
    future_a = book(type_a, datetime(2030, 1, 9, 10, 0, tzinfo=UTC), "Fay Future")
    reasons = {}
    for position, label in enumerate(["Price", "Timing"], start=1):
        reasons[label] = LostReason(organisation=org, label=label, position=position)
        db.session.add(reasons[label])
    reasons["Old"] = LostReason(organisation=org, label="Old", position=3, active=False)
    db.session.add(reasons["Old"])
    db.session.commit()
    monkeypatch.setattr(clock, "utcnow", lambda: LATER)
    return SimpleNamespace(
        org=org,
        host_a=host_a,
        host_b=host_b,
        past_a=past_a,
        past_b=past_b,
        future_a=future_a,
        reasons=reasons,
    )


def url(booking) -> str:
    return f"/admin/bookings/{booking.id}/outcome"


def save(client, booking, **data):
    return post_form(client, url(booking), {"note": "", **data})


def test_rep_records_attended_for_own_call(app, client, login_as, world):
    rep = login_as("rep", host=world.host_a)
    page = client.get(url(world.past_a))
    assert page.status_code == 200
    assert "<h1>Call outcome</h1>" in page.text and "Ada Lovelace" in page.text
    response = save(client, world.past_a, status="attended", note="  Good first call  ")
    assert response.status_code == 302
    with app.test_request_context():
        expected = booking_page_url(world.past_a.id) or url_for(
            "admin.outcome_edit", id=world.past_a.id
        )
    assert response.headers["Location"] == expected
    outcome = outcome_of(world.past_a.id)
    assert outcome.status == "attended" and outcome.note == "Good first call"
    assert outcome.recorded_by_id == rep.id and outcome.recorded_at == LATER
    assert outcome.deal_value is None and outcome.currency is None
    (entry,) = audit_rows("outcome.create")
    assert entry.actor_id == rep.id and entry.object_id == world.past_a.id
    assert entry.changes["status"] == [None, "attended"]
    assert entry.changes["note"] == ["", "Good first call"]


def test_redirect_goes_to_the_booking_page_when_it_exists(app, client, login_as, world):
    login_as("manager", org=world.org)
    response = save(client, world.past_a, status="no_show")
    if "admin.bookings_detail" in app.view_functions:
        assert response.headers["Location"].startswith(f"/admin/bookings/{world.past_a.id}")
        assert not response.headers["Location"].endswith("/outcome")
    else:
        assert response.headers["Location"] == url(world.past_a)


def test_won_deal_with_value_and_default_currency(client, login_as, world):
    login_as("manager", org=world.org)
    page = client.get(url(world.past_b))
    assert 'value="CHF"' in page.text  # the organisation's default currency is suggested
    response = save(client, world.past_b, status="won", deal_value="1500,5", currency="chf")
    assert response.status_code == 302
    outcome = outcome_of(world.past_b.id)
    assert outcome.status == "won"
    assert outcome.deal_value == Decimal("1500.50") and isinstance(outcome.deal_value, Decimal)
    assert outcome.currency == "CHF"
    (entry,) = audit_rows("outcome.create")
    assert entry.changes["deal_value"] == [None, "1500.50"]
    assert entry.changes["currency"] == [None, "CHF"]


def test_largest_and_zero_deal_values(client, login_as, world):
    login_as("admin", org=world.org)
    assert (
        save(client, world.past_a, status="won", deal_value="0", currency="EUR").status_code == 302
    )
    assert outcome_of(world.past_a.id).deal_value == Decimal("0.00")
    big = save(client, world.past_a, status="won", deal_value="999999999999.99", currency="EUR")
    assert big.status_code == 302
    assert outcome_of(world.past_a.id).deal_value == Decimal("999999999999.99")


def test_update_edits_in_place_and_audits_the_diff(client, login_as, world):
    login_as("manager", org=world.org)
    save(client, world.past_a, status="won", deal_value="200", currency="EUR")
    first = outcome_of(world.past_a.id)
    first_id = first.id
    page = client.get(url(world.past_a))
    assert 'value="200.00"' in page.text and 'value="EUR"' in page.text
    response = save(
        client, world.past_a, status="lost", lost_reason_id=str(world.reasons["Price"].id)
    )
    assert response.status_code == 302
    outcome = outcome_of(world.past_a.id)
    assert outcome.id == first_id
    assert outcome.status == "lost" and outcome.lost_reason_id == world.reasons["Price"].id
    assert outcome.deal_value is None and outcome.currency is None  # cleared: no longer won
    count = db.session.scalar(select(func.count()).select_from(Outcome))
    assert count == 1
    (entry,) = audit_rows("outcome.update")
    assert entry.changes == {
        "status": ["won", "lost"],
        "deal_value": ["200.00", None],
        "currency": ["EUR", None],
        "lost_reason": [None, "Price"],
    }


def test_saving_the_same_again_changes_nothing(client, login_as, world):
    login_as("manager", org=world.org)
    save(client, world.past_a, status="no_show", note="tried twice")
    again = save(client, world.past_a, status="no_show", note="tried twice")
    assert again.status_code == 302
    assert "Nothing changed." in client.get(again.headers["Location"]).text
    assert len(audit_rows("outcome.create")) == 1 and audit_rows("outcome.update") == []


def test_inactive_reasons_are_not_offered_but_an_existing_one_is_kept(client, login_as, world):
    login_as("manager", org=world.org)
    page = client.get(url(world.past_a))
    assert ">Price</option>" in page.text and ">Old" not in page.text
    old_id = str(world.reasons["Old"].id)
    refused = save(client, world.past_a, status="lost", lost_reason_id=old_id)
    assert refused.status_code == 400 and "Choose one of the listed reasons." in text(refused)
    # An outcome whose reason was deactivated later keeps it while its note is edited.
    save(client, world.past_a, status="lost", lost_reason_id=str(world.reasons["Timing"].id))
    world.reasons["Timing"].active = False
    db.session.commit()
    page = client.get(url(world.past_a))
    assert "Timing (inactive)" in page.text
    kept = save(
        client,
        world.past_a,
        status="lost",
        lost_reason_id=str(world.reasons["Timing"].id),
        note="Budget next year",
    )
    assert kept.status_code == 302
    assert outcome_of(world.past_a.id).note == "Budget next year"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose what happened on the call."),
        ({"status": "maybe"}, "Not a valid choice."),
        ({"status": "won", "currency": "EUR"}, "Enter the deal value of a won deal."),
        ({"status": "won", "deal_value": "12.345", "currency": "EUR"}, "up to 2 decimals"),
        ({"status": "won", "deal_value": "-5", "currency": "EUR"}, "up to 2 decimals"),
        ({"status": "won", "deal_value": "1e5", "currency": "EUR"}, "up to 2 decimals"),
        ({"status": "won", "deal_value": "1.000,50", "currency": "EUR"}, "up to 2 decimals"),
        ({"status": "won", "deal_value": "abc", "currency": "EUR"}, "up to 2 decimals"),
        ({"status": "won", "deal_value": "1" * 13, "currency": "EUR"}, "up to 2 decimals"),
        ({"status": "won", "deal_value": "100", "currency": ""}, "3-letter currency code"),
        ({"status": "won", "deal_value": "100", "currency": "E1R"}, "3-letter currency code"),
        ({"status": "won", "deal_value": "100", "currency": "EURO"}, "3-letter code"),
        ({"status": "won", "deal_value": "100", "currency": "XYZ"}, "ISO 4217 currency code"),
        ({"status": "lost"}, "Choose why the deal was lost."),
        ({"status": "lost", "lost_reason_id": "abc"}, "Choose one of the listed reasons."),
        ({"status": "lost", "lost_reason_id": "99999"}, "Choose one of the listed reasons."),
        ({"status": "attended", "note": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_invalid_outcomes_are_refused_with_a_message(client, login_as, world, data, message):
    login_as("manager", org=world.org)
    response = save(client, world.past_a, **data)
    assert response.status_code == 400
    assert message in text(response)
    assert outcome_of(world.past_a.id) is None
    assert audit_rows("outcome.create") == []


def test_reason_of_another_organisation_is_refused(client, login_as, world, make_org):
    other = make_org()
    foreign = LostReason(organisation=other, label="Foreign", position=1)
    db.session.add(foreign)
    db.session.commit()
    login_as("manager", org=world.org)
    response = save(client, world.past_a, status="lost", lost_reason_id=str(foreign.id))
    assert response.status_code == 400 and "Choose one of the listed reasons." in text(response)
    assert outcome_of(world.past_a.id) is None


def test_future_call_cannot_get_an_outcome(client, login_as, world):
    login_as("rep", host=world.host_a)
    page = client.get(url(world.future_a))
    assert page.status_code == 200
    assert "once the call has started" in page.text and "Save outcome" not in page.text
    response = post_form(client, url(world.future_a), {"status": "attended"}, "/admin/account")
    assert response.status_code == 400 and "once the call has started" in response.text
    assert outcome_of(world.future_a.id) is None


def test_a_call_that_starts_now_can_get_an_outcome(client, login_as, world, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: world.future_a.start_at)
    login_as("rep", host=world.host_a)
    assert save(client, world.future_a, status="attended").status_code == 302


def test_cancelled_call_cannot_get_an_outcome(client, login_as, world):
    cancel_booking(world.future_a, "no longer needed", FROZEN_NOW)
    db.session.commit()
    login_as("manager", org=world.org)
    page = client.get(url(world.future_a))
    assert "Only confirmed bookings get an outcome" in page.text
    response = post_form(client, url(world.future_a), {"status": "attended"}, "/admin/account")
    assert response.status_code == 400 and "Only confirmed bookings" in response.text
    assert outcome_of(world.future_a.id) is None


def test_rep_cannot_see_or_change_another_reps_call(client, login_as, world):
    login_as("rep", host=world.host_a)
    assert client.get(url(world.past_b)).status_code == 404
    response = client.post(url(world.past_b), data={"status": "won", "csrf_token": token(client)})
    assert response.status_code == 404
    assert outcome_of(world.past_b.id) is None


@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_other_organisation_and_guessed_ids_are_not_found(client, login_as, world, role):
    login_as(role)  # a user of a brand-new organisation
    for booking_id in (world.past_a.id, world.past_b.id, 987654):
        assert client.get(f"/admin/bookings/{booking_id}/outcome").status_code == 404
        response = client.post(
            f"/admin/bookings/{booking_id}/outcome",
            data={"status": "attended", "csrf_token": token(client)},
        )
        assert response.status_code == 404
    assert outcome_of(world.past_a.id) is None and outcome_of(world.past_b.id) is None


def test_admin_records_for_any_host_of_the_org(client, login_as, world):
    login_as("admin", org=world.org)
    assert save(client, world.past_b, status="no_show").status_code == 302
    assert outcome_of(world.past_b.id).status == "no_show"


def test_login_and_csrf_are_required(client, world, login_as):
    response = client.get(url(world.past_a))
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    login_as("manager", org=world.org)
    no_token = client.post(url(world.past_a), data={"status": "attended"})
    assert no_token.status_code == 400
    assert outcome_of(world.past_a.id) is None


def test_outcome_shows_in_the_audit_log(client, login_as, world):
    login_as("admin", org=world.org)
    save(client, world.past_a, status="won", deal_value="42", currency="EUR")
    log = client.get("/admin/audit?action=outcome")
    assert log.status_code == 200
    assert "outcome.create" in log.text and "Ada Lovelace" in log.text
    assert "<td>42.00</td>" in log.text


def test_two_first_outcomes_at_once_give_a_message_not_an_error(app, world, make_user):
    """The other request's row is in the table but not yet on this request's booking."""
    manager = make_user(role="manager", org=world.org)
    booking = db.session.get(Booking, world.past_a.id)
    assert booking.outcome is None
    db.session.execute(
        insert(Outcome).values(booking_id=booking.id, status="no_show", note="", recorded_at=LATER)
    )
    with pytest.raises(InvalidRequest, match="at the same time"):
        record_outcome(booking, OutcomeInput("attended"), manager, LATER)
    db.session.rollback()
    assert outcome_of(booking.id) is None  # the view rolls back: nothing of either was kept
