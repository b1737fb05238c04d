"""The privacy documents name the connected calendar providers, their scopes and what is kept."""

import re

from scheduling.extensions import db
from scheduling.models import CalendarConnection, CalendarSource
from scheduling.operations import calendar_connections as ops
from tests import third_party_urls
from tests.conftest import FROZEN_NOW

BASE = "/admin/privacy/documents"
SECRET = "zq-app-secret-77"
GOOGLE = r"\| Google Calendar \(connected calendars\) \| www.googleapis.com \| (.*) \|"
GRAPH = r"\| Microsoft 365 / Outlook \(connected calendars\) \| graph.microsoft.com \| (.*) \|"


def test_processors_list_providers_scopes_and_what_is_stored(client, login_as):
    admin = login_as("admin")
    text = client.get(f"{BASE}/processors.md").text
    assert "connected calendars" not in text
    ops.save_provider_app(admin.organisation, "google", "cid", SECRET, FROZEN_NOW)
    ops.save_provider_app(admin.organisation, "microsoft", "cid", SECRET, FROZEN_NOW)
    db.session.commit()
    text = client.get(f"{BASE}/processors.md").text
    google = re.search(GOOGLE, text)
    assert google, text
    assert "never titles, guests or descriptions; nothing is sent" in google.group(1)
    scopes = "calendar.calendarlist.readonly, calendar.events.freebusy, calendar.events.owned"
    assert scopes in google.group(1)
    graph = re.search(GRAPH, text)
    assert graph and "Calendars.ReadWrite, offline_access" in graph.group(1)
    assert "its address, the names and ids of its calendars, the access and refresh tokens" in text
    domains = client.get(f"{BASE}/record.md").text  # the outside services, by domain
    assert "www.googleapis.com" in domains and "oauth2.googleapis.com" in domains
    assert "login.microsoftonline.com" in domains
    assert SECRET not in text + domains
    html = client.get(f"{BASE}/processors.html").text
    assert third_party_urls.external_urls(html, ()) == []


def test_a_calendar_that_receives_bookings_is_a_recipient(client, login_as, make_host):
    admin = login_as("admin")
    host = make_host(org=admin.organisation)
    connection = CalendarConnection(
        organisation_id=admin.organisation_id,
        host_id=host.id,
        provider="microsoft",
        account_email="ann@example.com",
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    db.session.add(connection)
    db.session.flush()
    db.session.add(
        CalendarSource(
            host_id=host.id,
            kind="microsoft",
            connection_id=connection.id,
            remote_calendar_id="AAMk",
            name="Calendar",
            url="",
            write_back=True,
            next_attempt_at=FROZEN_NOW,
            created_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    text = client.get(f"{BASE}/processors.md").text
    assert "copies of bookings (invitee name, email, answers) go to the calendar" in text
    record = client.get(f"{BASE}/record.md").text
    assert "graph.microsoft.com (connected calendars): copies of bookings" in record
    assert "ann@example.com" not in text + record
