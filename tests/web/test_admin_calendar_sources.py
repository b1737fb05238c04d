"""The host's calendars page: adding, editing, refreshing and removing imported calendars."""

from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import CalendarSource, ImportedBusy
from scheduling.operations.calendar_import import PASSWORD_PURPOSE
from scheduling.security import secretbox
from tests.calendar_servers import Route
from tests.conftest import TEST_SECRET, csrf_from, login, post_form

CAL = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\n"
    b"DTSTAMP:20300101T000000Z\r\nDTSTART:20300108T090000Z\r\nDTEND:20300108T100000Z\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def page_of(host) -> str:
    return f"/admin/hosts/{host.id}/calendars"


def add(client, host, **data):
    form = {"kind": "ics", "name": "Work", "url": "", **data}
    return post_form(client, page_of(host) + "/sources", form, page_url=page_of(host))


def test_rep_adds_refreshes_and_removes_a_calendar(
    app, client, make_user, make_host, ics_server, frozen_now
):
    app.config["CALENDAR_ALLOW_PRIVATE"] = True
    host = make_host()
    rep = make_user(role="rep", host=host)
    assert login(client, rep.email).status_code == 302
    ics_server.routes["/cal.ics"] = Route(CAL)
    response = add(client, host, url=ics_server.url + "/cal.ics", password="s3cret")
    assert response.status_code == 302
    source = db.session.scalar(select(CalendarSource))
    assert "s3cret" not in source.password_encrypted
    assert secretbox.decrypt(TEST_SECRET, PASSWORD_PURPOSE, source.password_encrypted) == "s3cret"
    page = client.get(page_of(host))
    assert "Not read yet." in page.text
    refresh = client.post(
        f"{page_of(host)}/sources/{source.id}/refresh", data={"csrf_token": csrf_from(page.text)}
    )
    assert refresh.status_code == 302
    page = client.get(page_of(host))
    assert "Work was read: 1 busy periods." in page.text
    assert db.session.query(ImportedBusy).count() == 1
    # A failure shows the error and its time, and keeps the data.
    ics_server.routes["/cal.ics"] = Route(b"", status=404)
    client.post(
        f"{page_of(host)}/sources/{source.id}/refresh", data={"csrf_token": csrf_from(page.text)}
    )
    page = client.get(page_of(host))
    assert "Last attempt failed at" in page.text and "HTTP 404" in page.text
    assert "Still using the data read at" in page.text
    assert db.session.query(ImportedBusy).count() == 1
    # Editing without a password keeps the stored one.
    edit = post_form(
        client,
        f"{page_of(host)}/sources/{source.id}",
        {"kind": "ics", "name": "Work 2", "url": ics_server.url + "/cal.ics"},
    )
    assert edit.status_code == 302
    db.session.expire_all()
    assert secretbox.decrypt(TEST_SECRET, PASSWORD_PURPOSE, source.password_encrypted) == "s3cret"
    assert source.name == "Work 2"
    response = post_form(
        client, f"{page_of(host)}/sources/{source.id}/delete", {}, page_url=page_of(host)
    )
    assert response.status_code == 302
    assert db.session.query(CalendarSource).count() == 0
    assert db.session.query(ImportedBusy).count() == 0


def test_field_errors_and_nothing_stored(client, make_user, make_host, frozen_now):
    host = make_host()
    rep = make_user(role="rep", host=host)
    assert login(client, rep.email).status_code == 302
    response = add(client, host, url="ftp://example.com/x.ics", write_back="y")
    assert response.status_code == 400
    assert "The address must start with https:// or webcal://." in response.text
    assert "Only CalDAV calendars can receive bookings." in response.text
    response = add(client, host, url="http://example.com/x.ics", name="")
    assert response.status_code == 400
    assert "Give the calendar a name." in response.text
    response = add(client, host, url="https://user:pw@example.com/x.ics")
    assert "not in the address" in response.text
    assert db.session.query(CalendarSource).count() == 0


def test_rep_cannot_touch_another_hosts_sources(client, make_user, make_host, frozen_now):
    from scheduling.operations.calendar_import import SourceInput, save_source
    from tests.conftest import FROZEN_NOW

    host = make_host()
    other = make_host(org=host.organisation)
    source = save_source(
        other, SourceInput("ics", "Theirs", "https://example.com/a.ics"), FROZEN_NOW
    )
    db.session.commit()
    rep = make_user(role="rep", host=host)
    assert login(client, rep.email).status_code == 302
    token = csrf_from(client.get(page_of(host)).text)
    for suffix in ("", "/refresh", "/delete"):
        url = f"{page_of(other)}/sources/{source.id}{suffix}"
        assert client.post(url, data={"csrf_token": token}).status_code == 404
        # Nor through their own host's URL.
        url = f"{page_of(host)}/sources/{source.id}{suffix}"
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert db.session.query(CalendarSource).count() == 1


def test_bad_input_on_the_form_is_a_400_and_stores_nothing(
    client, make_user, make_host, make_org, frozen_now
):
    """Broken URLs used to raise ValueError (500); huge fields, other organisations' hosts too."""
    host = make_host()
    rep = make_user(role="rep", host=host)
    assert login(client, rep.email).status_code == 302
    for url in (
        "https://[::1",
        "https://example.com:99999/x.ics",
        "https://example.com/a b.ics",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://example.com/" + "x" * 5000,
    ):
        response = add(client, host, url=url)
        assert response.status_code == 400, url
    assert add(client, host, url="https://example.com/x.ics", name="n" * 5000).status_code == 400
    response = add(client, host, url="https://example.com/x.ics", password="p" * 5000)
    assert response.status_code == 400
    assert add(client, host, url="https://example.com/x.ics", kind="smtp").status_code == 400
    assert db.session.query(CalendarSource).count() == 0
    # CalDAV without a password (e.g. a server with no authentication) is allowed.
    assert add(client, host, url="https://example.com/dav/cal/", kind="caldav").status_code == 302
    # Another organisation's host, and a host id that does not exist: the same 404.
    stranger = make_host(org=make_org())
    token = csrf_from(client.get(page_of(host)).text)
    form = {"csrf_token": token, "kind": "ics", "name": "x", "url": "https://example.com/x.ics"}
    assert client.get(page_of(stranger)).status_code == 404
    assert client.post(page_of(stranger) + "/sources", data=form).status_code == 404
    assert client.post("/admin/hosts/999999/calendars/sources", data=form).status_code == 404
    assert client.post(page_of(stranger) + "/feed", data=form).status_code == 404
    assert db.session.query(CalendarSource).count() == 1
