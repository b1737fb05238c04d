"""Settings -> Retention: admins set the periods (checked, CSRF), and see the dry run."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import AuditEntry, Booking
from scheduling.security.retention_periods import KINDS
from tests.conftest import FROZEN_NOW, post_form

URL = "/admin/settings/retention"


def _all(**changes) -> dict:
    data = {}
    for kind in KINDS:
        data[f"{kind}_amount"] = "30"
        data[f"{kind}_unit"] = "d"
    data.update(changes)
    return data


def test_page_shows_defaults_and_is_linked_from_settings(client, login_as, frozen_now):
    login_as("admin")
    assert URL in client.get("/admin/settings").text
    page = html.unescape(client.get(URL).text)
    assert "Bookings: after the meeting" in page
    assert 'name="bookings_amount" required type="text" value="36"' in page
    assert 'name="leads_disqualified_amount" required type="text" value="6"' in page
    assert 'name="login_attempts_amount" required type="text" value="30"' in page
    assert "0 bookings" in page


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_only_admins(client, login_as, role, frozen_now):
    login_as(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=_all()).status_code in (400, 403)


def test_saving_needs_csrf(client, login_as, frozen_now):
    admin = login_as("admin")
    response = client.post(URL, data=_all())
    assert response.status_code == 400
    db.session.refresh(admin.organisation)
    assert admin.organisation.retention_periods is None


def test_save_changes_periods_and_audits(client, login_as, frozen_now):
    admin = login_as("admin")
    response = post_form(client, URL, _all(bookings_amount="24", bookings_unit="m"))
    assert response.status_code == 302
    org = admin.organisation
    db.session.refresh(org)
    assert org.retention_periods["bookings"] == "24m"
    assert org.retention_periods["consent_log"] == "30d"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.retention"))
    assert entry.changes["bookings"] == ["36m", "24m"]
    page = client.get(URL).text
    assert "Retention periods saved." in page and 'value="24"' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bookings_amount": "0"}, "Keep data for at least 1 day."),
        ({"bookings_amount": ""}, "Enter a whole number."),
        ({"bookings_amount": "1.5"}, "Enter a whole number, such as 30."),
        ({"bookings_amount": "-3"}, "Enter a whole number, such as 30."),
        ({"bookings_amount": "3651"}, "Keep data for at most 10 years"),
        ({"bookings_amount": "121", "bookings_unit": "m"}, "Keep data for at most 10 years"),
        ({"bookings_amount": "999999999"}, "Enter a whole number, such as 30."),
        ({"bookings_unit": "y"}, "Choose days or months."),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(client, login_as, frozen_now, changes, message):
    admin = login_as("admin")
    response = post_form(client, URL, _all(**changes))
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    db.session.refresh(admin.organisation)
    assert admin.organisation.retention_periods is None
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.retention"))
        is None
    )


def test_missing_fields_are_refused(client, login_as, frozen_now):
    admin = login_as("admin")
    data = _all()
    del data["consent_log_unit"]
    assert post_form(client, URL, data).status_code == 400
    db.session.refresh(admin.organisation)
    assert admin.organisation.retention_periods is None


def test_dry_run_counts_follow_the_settings(
    client, login_as, make_host, make_event_type, frozen_now
):
    from tests.integration.test_retention import _booking

    admin = login_as("admin")
    event_type = make_event_type(hosts=[make_host(org=admin.organisation)])
    _booking(event_type, FROZEN_NOW - timedelta(days=400))
    db.session.commit()
    assert "0 bookings" in html.unescape(client.get(URL).text)
    post_form(client, URL, _all(bookings_amount="12", bookings_unit="m"))
    assert "1 bookings" in html.unescape(client.get(URL).text)
    assert db.session.scalar(select(Booking.erased_at)) is None  # a dry run erases nothing


def test_dry_run_shows_only_the_admins_organisation(
    client, login_as, make_org, make_host, make_event_type, frozen_now
):
    from tests.integration.test_retention import _booking

    admin = login_as("admin")
    other = make_event_type(hosts=[make_host(org=make_org(name="Other Org"))])
    _booking(other, FROZEN_NOW - timedelta(days=4 * 365))
    db.session.commit()
    page = html.unescape(client.get(URL).text)
    assert "0 bookings" in page and "Other Org" not in page
    assert admin.organisation.name != "Other Org"
