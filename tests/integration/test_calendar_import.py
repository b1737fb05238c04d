"""Importing busy time from real servers on loopback: ICS over HTTP(S) and Radicale (CalDAV)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import CalendarSource, ImportedBusy
from scheduling.operations import calendar_import as imports
from scheduling.operations.busy_time import busy_by_host
from scheduling.operations.calendar_import import SourceInput, refresh_due_sources
from scheduling.remote.http import FetchError, Policy, resolve
from tests.calendar_servers import LOCAL, Route
from tests.conftest import FROZEN_NOW

NOW = FROZEN_NOW  # Monday 2030-01-07 08:00 UTC


def ics(*events: str, extra: str = "") -> bytes:
    body = "".join(
        "BEGIN:VEVENT\r\nDTSTAMP:20300101T000000Z\r\n" + e.strip().replace("\n", "\r\n") + "\r\n"
        "END:VEVENT\r\n"
        for e in events
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + extra
        + body
        + "END:VCALENDAR\r\n"
    ).encode()


MEETING = ics("UID:m1\nDTSTART:20300108T090000Z\nDTEND:20300108T100000Z")


@pytest.fixture
def private_ok(app):
    app.config["CALENDAR_ALLOW_PRIVATE"] = True
    app.config["CALENDAR_TIMEOUT_SECONDS"] = 2
    return app


def add_source(host, url, **kw) -> CalendarSource:
    data = SourceInput(kind=kw.pop("kind", "ics"), name=kw.pop("name", "Work"), url=url, **kw)
    source = imports.save_source(host, data, NOW)
    db.session.commit()
    return source


def stored(source) -> list[tuple[datetime, datetime]]:
    rows = db.session.scalars(
        select(ImportedBusy).where(ImportedBusy.source_id == source.id).order_by(ImportedBusy.id)
    )
    return [(row.start_at, row.end_at) for row in rows]


def test_ics_import_blocks_slots_and_uses_etag(private_ok, make_host, ics_server):
    host = make_host()
    ics_server.routes["/cal.ics"] = Route(MEETING, etag='"v1"')
    source = add_source(host, ics_server.url + "/cal.ics")
    outcome = imports.refresh_source(source, NOW)
    db.session.commit()
    assert outcome.error == ""
    span = (datetime(2030, 1, 8, 9, tzinfo=UTC), datetime(2030, 1, 8, 10, tzinfo=UTC))
    assert stored(source) == [span]
    busy = busy_by_host([host.id], NOW, NOW + timedelta(days=2))
    assert [(iv.start, iv.end) for iv in busy[host.id]] == [span]
    assert source.etag == '"v1"' and source.last_success_at == NOW
    assert source.next_attempt_at == NOW + timedelta(minutes=10)
    # The second round sends the validator and keeps the data on 304.
    later = NOW + timedelta(minutes=10)
    assert imports.refresh_source(source, later).not_modified
    assert ics_server.requests[-1][1]["If-None-Match"] == '"v1"'
    assert stored(source) == [span] and source.last_success_at == later


def test_imported_busy_time_removes_public_slots(
    private_ok, client, make_event_type, ics_server, frozen_now
):
    event_type = make_event_type(title="Call")
    host = event_type.hosts[0]

    def slots():
        response = client.get(
            f"/api/v1/event-types/{event_type.slug}/slots",
            query_string={"start": "2030-01-08", "end": "2030-01-08", "timezone": "UTC"},
        )
        assert response.status_code == 200
        return [
            slot if isinstance(slot, str) else slot["start"]
            for slot in response.get_json()["slots"]
        ]

    before = slots()
    assert "2030-01-08T09:00:00+00:00" in before and "2030-01-08T09:30:00+00:00" in before
    ics_server.routes["/cal.ics"] = Route(MEETING)
    imports.refresh_source(add_source(host, ics_server.url + "/cal.ics"), NOW)
    db.session.commit()
    after = slots()
    assert set(before) - set(after) == {"2030-01-08T09:00:00+00:00", "2030-01-08T09:30:00+00:00"}


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "192.168.0.10",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
        "0.0.0.0",
        "fc00::1",
        "2130706433",  # 127.0.0.1 in decimal
        "0177.0.0.1",  # octal
        "0x7f.1",
        "::",
        "fe80::1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "224.0.0.1",
    ],
)
def test_private_addresses_are_refused_by_default(address):
    with pytest.raises(FetchError, match="private or local"):
        resolve(address, 443, Policy())


def test_public_addresses_pass_and_loopback_is_refused_end_to_end(app, make_host, ics_server):
    assert resolve("93.184.216.34", 443, Policy()) == "93.184.216.34"
    host = make_host()
    with pytest.raises(InvalidRequest) as refused:  # plain http needs the operator setting too
        add_source(host, ics_server.url + "/cal.ics")
    assert "https://" in refused.value.fields["url"]
    db.session.rollback()
    source = add_source(host, "https://127.0.0.1:1/cal.ics")
    outcome = imports.refresh_source(source, NOW)
    assert "private or local" in outcome.error
    assert ics_server.requests == []


def test_failures_keep_last_good_data_and_back_off(private_ok, make_host, ics_server):
    host = make_host()
    ics_server.routes["/cal.ics"] = Route(MEETING)
    source = add_source(host, ics_server.url + "/cal.ics")
    imports.refresh_source(source, NOW)
    good = stored(source)
    assert good
    ics_server.routes["/cal.ics"] = Route(b"", status=404)
    delays = []
    now = NOW
    for _ in range(3):
        now += timedelta(minutes=30)
        outcome = imports.refresh_source(source, now)
        delays.append(source.next_attempt_at - now)
        assert "HTTP 404" in outcome.error
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert stored(source) == good
    assert source.failures == 3 and source.last_error_at == now
    assert source.last_success_at == NOW
    ics_server.routes["/cal.ics"] = Route(MEETING)
    assert imports.refresh_source(source, now).error == ""
    assert source.failures == 0 and source.last_error == ""


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(behaviour="hang"), "did not answer within 1 s"),
        (Route(behaviour="drip"), "answering within 1 s"),
        (Route(behaviour="stream"), "larger than 1 MB"),
        (Route(b"this is <html> not ics"), "not a valid iCalendar file"),
        (Route(b"", status=500), "HTTP 500"),
    ],
)
def test_broken_servers_give_clear_errors(private_ok, make_host, ics_server, route, message):
    private_ok.config["CALENDAR_TIMEOUT_SECONDS"] = 1
    private_ok.config["CALENDAR_MAX_BYTES"] = 1024 * 1024
    host = make_host()
    ics_server.routes["/cal.ics"] = route
    source = add_source(host, ics_server.url + "/cal.ics")
    started = datetime.now(UTC)
    outcome = imports.refresh_source(source, NOW)
    assert message in outcome.error
    assert datetime.now(UTC) - started < timedelta(seconds=5)
    assert stored(source) == []


def test_event_count_limit(private_ok, make_host, ics_server):
    private_ok.config["CALENDAR_MAX_EVENTS"] = 10
    events = [f"UID:{i}\nDTSTART:20300108T090000Z\nDTEND:20300108T100000Z" for i in range(11)]
    ics_server.routes["/cal.ics"] = Route(ics(*events))
    source = add_source(make_host(), ics_server.url + "/cal.ics")
    assert "11 events; at most 10" in imports.refresh_source(source, NOW).error


def test_bad_certificate_is_refused_and_a_trusted_one_works(private_ok, make_host, tls_server):
    tls_server.routes["/cal.ics"] = Route(MEETING)
    source = add_source(make_host(), tls_server.url.replace("https", "webcal") + "/cal.ics")
    assert source.url.startswith("https://")
    assert "certificate could not be verified" in imports.refresh_source(source, NOW).error
    private_ok.config["CALENDAR_CAFILE"] = tls_server.cafile
    assert imports.refresh_source(source, NOW).error == ""
    assert len(stored(source)) == 1


def test_recurring_across_dst_with_x_wr_timezone(private_ok, make_host, ics_server):
    weekly = ics(
        "UID:w\nDTSTART:20300325T090000Z\nDTEND:20300325T100000Z\nRRULE:FREQ=WEEKLY;COUNT=2",
        extra="X-WR-TIMEZONE:Europe/Berlin\r\n",
    )
    ics_server.routes["/cal.ics"] = Route(weekly)
    source = add_source(make_host(), ics_server.url + "/cal.ics")
    imports.refresh_source(source, NOW)
    assert [start.hour for start, _ in stored(source)] == [9, 8]


def test_refresh_due_sources_honours_schedule_and_backoff(private_ok, make_host, ics_server):
    host = make_host()
    ics_server.routes["/a.ics"] = Route(MEETING)
    a = add_source(host, ics_server.url + "/a.ics", name="A")
    b = add_source(host, ics_server.url + "/missing.ics", name="B")
    assert refresh_due_sources(NOW) == 2
    db.session.commit()
    assert a.next_attempt_at == NOW + timedelta(minutes=10)
    assert b.next_attempt_at == NOW + timedelta(minutes=1)
    assert refresh_due_sources(NOW + timedelta(seconds=30)) == 0
    assert refresh_due_sources(NOW + timedelta(minutes=1)) == 1  # only the failing one
    assert b.failures == 2
    assert refresh_due_sources(NOW + timedelta(minutes=2)) == 0  # b now waits 2 minutes
    assert refresh_due_sources(NOW + timedelta(minutes=3)) == 1
    assert b.failures == 3 and a.failures == 0
    db.session.commit()


def test_the_worker_refreshes_due_sources(private_ok, make_host, ics_server, moving_clock):
    """The worker's periodic task reads due calendars; slots then see the imported time."""
    from scheduling.delivery.worker import Worker

    moving_clock.now = NOW
    ics_server.routes["/cal.ics"] = Route(MEETING)
    source = add_source(make_host(), ics_server.url + "/cal.ics")
    Worker(private_ok, worker_id="w").run_once()
    db.session.expire_all()
    assert source.last_success_at == NOW and len(stored(source)) == 1
    assert len(ics_server.requests) == 1


def test_cli_sync_calendars(private_ok, runner, make_host, ics_server, monkeypatch):
    from scheduling import clock

    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    ics_server.routes["/cal.ics"] = Route(MEETING)
    source = add_source(make_host(), ics_server.url + "/cal.ics")
    result = runner.invoke(args=["rendezvous", "sync-calendars"])
    assert result.exit_code == 0, result.output
    assert "Refreshed 1 calendar source(s)." in result.output
    db.session.expire_all()
    assert stored(source) and source.last_success_at == NOW


# -- CalDAV against a real Radicale ------------------------------------------------------------


def put_raw(url: str, name: str, data: bytes, user: str = "alice", password: str = ""):
    import base64

    from scheduling.remote.http import request

    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    response = request(
        "PUT",
        url + name,
        LOCAL,
        {"Authorization": f"Basic {auth}", "Content-Type": "text/calendar"},
        data,
    )
    assert response.status in (201, 204), response


BERLIN_WEEKLY = ics(
    "UID:dav-weekly\nDTSTART;TZID=Europe/Berlin:20300325T100000\n"
    "DTEND;TZID=Europe/Berlin:20300325T110000\nRRULE:FREQ=WEEKLY;COUNT=2",
    extra=(
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\n"
        "TZOFFSETTO:+0200\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
        "END:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
    ),
)


def test_caldav_import_from_radicale(private_ok, make_host, radicale):
    url = radicale.make_calendar("alice", "work")
    put_raw(url, "one.ics", MEETING)
    put_raw(url, "weekly.ics", BERLIN_WEEKLY)
    put_raw(
        url,
        "free.ics",
        ics("UID:f\nDTSTART:20300109T090000Z\nDTEND:20300109T100000Z\nTRANSP:TRANSPARENT"),
    )
    source = add_source(make_host(), url, kind="caldav", username="alice")
    outcome = imports.refresh_source(source, NOW)
    assert outcome.error == ""
    assert stored(source) == [
        (datetime(2030, 1, 8, 9, tzinfo=UTC), datetime(2030, 1, 8, 10, tzinfo=UTC)),
        (datetime(2030, 3, 25, 9, tzinfo=UTC), datetime(2030, 3, 25, 10, tzinfo=UTC)),
        (datetime(2030, 4, 1, 8, tzinfo=UTC), datetime(2030, 4, 1, 9, tzinfo=UTC)),
    ]
    assert source.etag  # the collection's ctag
    assert imports.refresh_source(source, NOW + timedelta(minutes=10)).not_modified
    put_raw(url, "two.ics", ics("UID:m2\nDTSTART:20300110T090000Z\nDTEND:20300110T100000Z"))
    outcome = imports.refresh_source(source, NOW + timedelta(minutes=20))
    assert not outcome.not_modified and len(stored(source)) == 4


def test_caldav_wrong_address_and_not_a_calendar(private_ok, make_host, radicale):
    host = make_host()
    missing = add_source(host, radicale.url + "/alice/nope/", kind="caldav", name="X")
    assert "404" in imports.refresh_source(missing, NOW).error
    radicale.make_calendar("alice", "work")
    parent = add_source(host, radicale.url + "/alice/", kind="caldav", name="Y", username="alice")
    assert "not a CalDAV calendar" in imports.refresh_source(parent, NOW).error


def test_caldav_password_change(private_ok, make_host, radicale_htpasswd):
    server = radicale_htpasswd
    url = server.make_calendar("alice", "work", password="first-secret")
    put_raw(url, "one.ics", MEETING, password="first-secret")
    host = make_host()
    source = add_source(host, url, kind="caldav", username="alice", password="first-secret")
    assert "first-secret" not in source.password_encrypted
    assert imports.refresh_source(source, NOW).error == ""
    good = stored(source)
    server.htpasswd.write_text("alice:second-secret\n")
    outcome = imports.refresh_source(source, NOW + timedelta(minutes=10))
    assert "refused the username or password (HTTP 401)" in outcome.error
    assert stored(source) == good
    data = SourceInput("caldav", "Work", url, "alice", "second-secret")
    imports.save_source(host, data, NOW + timedelta(minutes=11), source=source)
    assert imports.refresh_source(source, NOW + timedelta(minutes=11)).error == ""
    assert source.failures == 0 and stored(source) == good


def test_redirects_are_checked_again(tls_server, monkeypatch):
    """A public server may not bounce the import to a private address."""
    from scheduling.remote import http

    # Treat 127.0.0.1 as a public address for this test; 127.0.0.2 stays private.
    monkeypatch.setattr(http, "is_public", lambda address: address == "127.0.0.1")
    port = tls_server.url.rsplit(":", 1)[1]
    tls_server.routes["/cal.ics"] = Route(MEETING)
    tls_server.routes["/jump.ics"] = Route(
        status=302, headers={"Location": f"https://127.0.0.2:{port}/cal.ics"}
    )
    policy = Policy(cafile=tls_server.cafile, timeout=5)
    assert http.request("GET", tls_server.url + "/cal.ics", policy).status == 200
    with pytest.raises(FetchError, match="private or local"):
        http.request("GET", tls_server.url + "/jump.ics", policy)


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1",
        "https://example.com:99999/x.ics",
        "https://example.com:abc/x.ics",
        "https://example.com/a b.ics",
        "https://example.com/\x00.ics",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://example.com/x.ics",
        "https:///x.ics",
    ],
)
def test_unusable_addresses_are_field_errors(app, make_host, url):
    """Invalid ports and IPv6 brackets used to escape as ValueError (a 500 in the admin)."""
    host = make_host()
    with pytest.raises(InvalidRequest) as refused:
        add_source(host, url)
    assert refused.value.fields["url"]
    db.session.rollback()
    assert db.session.query(CalendarSource).count() == 0


def test_gzip_answers_are_unpacked_within_the_size_limit(private_ok, make_host, ics_server):
    import gzip

    host = make_host()
    ics_server.routes["/cal.ics"] = Route(
        gzip.compress(MEETING), headers={"Content-Encoding": "gzip"}
    )
    source = add_source(host, ics_server.url + "/cal.ics")
    assert imports.refresh_source(source, NOW).error == ""
    assert stored(source) == [
        (datetime(2030, 1, 8, 9, tzinfo=UTC), datetime(2030, 1, 8, 10, tzinfo=UTC))
    ]
    assert ics_server.requests[-1][1].get("Accept-Encoding") == "gzip"
    good = stored(source)
    # A small "bomb" that unpacks beyond the limit is refused; the last good data stays.
    private_ok.config["CALENDAR_MAX_BYTES"] = 1024 * 1024
    ics_server.routes["/cal.ics"] = Route(
        gzip.compress(b"X" * (3 * 1024 * 1024)), headers={"Content-Encoding": "gzip"}
    )
    assert "larger than 1 MB" in imports.refresh_source(source, NOW).error
    ics_server.routes["/cal.ics"] = Route(b"not gzip", headers={"Content-Encoding": "gzip"})
    assert "damaged compressed answer" in imports.refresh_source(source, NOW).error
    assert stored(source) == good
