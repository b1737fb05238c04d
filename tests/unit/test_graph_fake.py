"""The fake Microsoft Graph server keeps the documented contract; both fakes' shared behaviour.

Real HTTP round trips with httpx against tests/fakes; no app, no database.
"""

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes.calendar_providers import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    FakeGoogle,
    FakeGraph,
)
from tests.fakes.flows import (
    authorize,
    bearer,
    delta_round,
    login,
    refresh,
    running,
)

pytest_plugins = ["tests.fakes.fixtures"]

G_OWNED = "https://www.googleapis.com/auth/calendar.events.owned"
G_FREEBUSY = "https://www.googleapis.com/auth/calendar.freebusy"
G_LIST = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
G_EVENTS_FREEBUSY = "https://www.googleapis.com/auth/calendar.events.freebusy"
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)
HTTP = httpx.Client(trust_env=False, timeout=5)  # this module's own, closed after it


@pytest.fixture(scope="module", autouse=True)
def _close_http():
    yield
    HTTP.close()


def at(hour: float) -> datetime:
    return MONDAY + timedelta(hours=hour)


# -- Microsoft Graph: OAuth ------------------------------------------------------------------

M_SCOPES = "offline_access User.Read Calendars.ReadWrite"


def test_graph_code_flow_refresh_rotates_and_the_old_token_is_refused(fake_graph):
    token = login(fake_graph, M_SCOPES)
    assert token["refresh_token"] and token["ext_expires_in"] == 3599
    rotated = refresh(fake_graph, token["refresh_token"])
    assert rotated.status_code == 200
    new_refresh = rotated.json()["refresh_token"]
    assert new_refresh != token["refresh_token"]
    old = refresh(fake_graph, token["refresh_token"])
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    assert old.json()["error_codes"] == [70000]
    assert refresh(fake_graph, new_refresh).status_code == 200
    no_offline = login(fake_graph, "User.Read Calendars.Read")
    assert "refresh_token" not in no_offline
    assert fake_graph.violations == []


def test_graph_revoked_refresh_token_is_aadsts700082(fake_graph):
    token = login(fake_graph, M_SCOPES)
    fake_graph.revoke_refresh_tokens()
    refused = refresh(fake_graph, token["refresh_token"]).json()
    assert refused["error"] == "invalid_grant"
    assert refused["error_description"].startswith("AADSTS700082: The refresh token has expired")


def test_graph_authorize_with_plain_pkce_is_a_violation(fake_graph):
    answer = authorize(fake_graph, M_SCOPES, code_challenge="abc", code_challenge_method="plain")
    assert httpx.URL(answer.headers["location"]).params["error"] == "invalid_request"
    assert fake_graph.violations == ["authorize: code_challenge_method must be S256"]
    login(fake_graph, M_SCOPES, response_mode="form_post", prompt="select_account")
    assert fake_graph.violations[1:] == [
        "authorize: response_mode='form_post' not one of ['query']"
    ]


def test_graph_me_gives_the_account_email_and_expired_tokens_get_401(fake_graph):
    token = login(fake_graph, M_SCOPES)
    me = HTTP.get(fake_graph.urls["api_url"] + "/me", headers=bearer(token))
    assert me.json()["mail"] == "host@example.com"
    fake_graph.expire_access_tokens()
    expired = HTTP.get(fake_graph.urls["api_url"] + "/me", headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert fake_graph.violations == []


# -- Microsoft Graph: calendarView delta -------------------------------------------------------


def window():
    return {"startDateTime": "2030-01-07T00:00:00.0000000", "endDateTime": "2030-01-14T00:00:00Z"}


def test_graph_delta_pages_then_reports_changes_and_removals(fake_graph):
    token = login(fake_graph, M_SCOPES)
    calendar = fake_graph.add_calendar("Work")
    ids = [fake_graph.add_event(calendar, start=at(9 + h), end=at(10 + h)) for h in range(5)]
    fake_graph.add_event(calendar, start=at(24 * 9), end=at(24 * 9 + 1))  # outside the window
    url = f"{fake_graph.urls['api_url']}/me/calendars/{calendar}/calendarView/delta"
    items, delta, pages = delta_round(fake_graph, token, url, window(), page_size=10)
    assert pages == 3 and [e["id"] for e in items] == ids  # the fake's page_size 2 wins
    assert items[0]["start"] == {"dateTime": "2030-01-07T09:00:00.0000000", "timeZone": "UTC"}
    assert items[0]["showAs"] == "busy"

    fake_graph.change_event(ids[0], show_as="oof")
    fake_graph.remove_event(ids[1])
    fake_graph.change_event(ids[2], start=at(24 * 10), end=at(24 * 10 + 1))
    changes, delta2, _ = delta_round(fake_graph, token, delta)
    by_id = {e["id"]: e for e in changes}
    assert by_id[ids[0]]["showAs"] == "oof"
    assert by_id[ids[1]]["@removed"] == {"reason": "deleted"}
    assert by_id[ids[2]]["@removed"] == {"reason": "deleted"}
    assert delta_round(fake_graph, token, delta2)[0] == []
    assert fake_graph.violations == []


def test_graph_calendars_page_and_outlook_timezone_is_honoured(fake_graph):
    token = login(fake_graph, M_SCOPES)
    work = fake_graph.add_calendar("Work")
    fake_graph.add_calendar("Family")
    api = fake_graph.urls["api_url"]
    first = HTTP.get(api + "/me/calendars", headers=bearer(token)).json()
    assert [c["isDefaultCalendar"] for c in first["value"]] == [True, False]
    rest = HTTP.get(first["@odata.nextLink"], headers=bearer(token)).json()
    assert [c["name"] for c in rest["value"]] == ["Family"] and "@odata.nextLink" not in rest
    assert first["value"][0]["owner"]["address"] == "host@example.com"
    fake_graph.add_event(work, start=at(9), end=at(10))
    headers = {**bearer(token), "Prefer": 'outlook.timezone="W. Europe Standard Time"'}
    url = f"{api}/me/calendars/{work}/calendarView/delta"
    item = HTTP.get(url, params=window(), headers=headers).json()["value"][0]
    assert item["start"] == {
        "dateTime": "2030-01-07T10:00:00.0000000",
        "timeZone": "W. Europe Standard Time",
    }
    assert fake_graph.violations == []


@settings(max_examples=8, deadline=None)
@given(count=st.integers(0, 7), page_size=st.integers(1, 3), prefer=st.integers(1, 4))
def test_graph_delta_pages_cover_every_event_once(count, page_size, prefer):
    with running(FakeGraph, page_size) as (fake, token):
        ids = [fake.add_event(start=at(h), end=at(h + 1)) for h in range(count)]
        url = fake.urls["api_url"] + "/me/calendarView/delta"
        items, _, pages = delta_round(fake, token, url, window(), page_size=prefer)
        assert [e["id"] for e in items] == ids
        assert pages == max(1, -(-count // min(page_size, prefer)))
        assert fake.violations == []


def test_graph_series_show_as_occurrences_in_delta_and_schedule(fake_graph):
    token = login(fake_graph, M_SCOPES)
    weekly = {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "wednesday"]},
        "range": {
            "type": "numbered",
            "startDate": "2030-01-07",
            "numberOfOccurrences": 3,
            "recurrenceTimeZone": "W. Europe Standard Time",
        },
    }
    series = fake_graph.add_event(start=at(9), end=at(10), recurrence=weekly)
    url = fake_graph.urls["api_url"] + "/me/calendarView/delta"
    fortnight = {**window(), "endDateTime": "2030-01-21T00:00:00Z"}
    items, delta, _ = delta_round(fake_graph, token, url, fortnight)
    assert [(e["type"], e["start"]["dateTime"][:16]) for e in items] == [
        ("occurrence", "2030-01-07T09:00"),
        ("occurrence", "2030-01-09T09:00"),
        ("occurrence", "2030-01-14T09:00"),
    ]
    assert {e["seriesMasterId"] for e in items} == {series}
    schedule = HTTP.post(
        fake_graph.urls["api_url"] + "/me/calendar/getSchedule",
        json={
            "schedules": ["host@example.com"],
            "startTime": {"dateTime": "2030-01-09T00:00:00", "timeZone": "UTC"},
            "endTime": {"dateTime": "2030-01-10T00:00:00", "timeZone": "UTC"},
        },
        headers=bearer(token),
    ).json()["value"][0]["scheduleItems"]
    assert [(i["start"]["dateTime"][:16], i["isRecurring"]) for i in schedule] == [
        ("2030-01-09T09:00", True)
    ]
    fake_graph.remove_event(series)
    removed, _, _ = delta_round(fake_graph, token, delta)
    assert sorted(e["id"] for e in removed) == sorted(e["id"] for e in items)
    assert all("@removed" in e for e in removed)
    assert fake_graph.violations == []
    with pytest.raises(ValueError, match="not modelled"):
        fake_graph.add_event(
            start=at(9),
            end=at(10),
            recurrence={"pattern": {"type": "relativeMonthly"}, "range": {"type": "noEnd"}},
        )


def test_graph_expired_delta_link_answers_410_with_a_fresh_start_location(fake_graph):
    token = login(fake_graph, M_SCOPES)
    url = fake_graph.urls["api_url"] + "/me/calendarView/delta"
    _, delta, _ = delta_round(fake_graph, token, url, window())
    fake_graph.expire_sync_state()
    gone = HTTP.get(delta, headers=bearer(token))
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "syncStateNotFound"
    restart = HTTP.get(gone.headers["Location"], headers=bearer(token))
    assert restart.status_code == 200 and "@odata.deltaLink" in restart.json()
    assert fake_graph.violations == []


def test_graph_delta_refuses_select_and_needs_a_window(fake_graph):
    token = login(fake_graph, M_SCOPES)
    url = fake_graph.urls["api_url"] + "/me/calendarView/delta"
    HTTP.get(url, params={**window(), "$select": "start,end,showAs"}, headers=bearer(token))
    missing = HTTP.get(url, headers=bearer(token))
    assert missing.status_code == 400
    text = "\n".join(fake_graph.violations)
    assert "'$select' is not supported" in text and "startDateTime and endDateTime" in text
    assert (
        HTTP.get(fake_graph.urls["api_url"] + "/me/calendarz", headers=bearer(token)).status_code
        == 400
    )
    assert "/v1.0/me/calendarz: no such path" in fake_graph.violations[-1]


# -- Microsoft Graph: throttling, $batch, delay ------------------------------------------------


def test_graph_429_with_retry_after_directly(fake_graph):
    token = login(fake_graph, M_SCOPES)
    fake_graph.fail_next(status=429, retry_after=7)
    throttled = HTTP.get(fake_graph.urls["api_url"] + "/me", headers=bearer(token))
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert HTTP.get(fake_graph.urls["api_url"] + "/me", headers=bearer(token)).status_code == 200
    assert [seen.status for seen in fake_graph.requests if seen.path == "/v1.0/me"] == [429, 200]


def test_graph_429_inside_batch_is_a_sub_response(fake_graph):
    token = login(fake_graph, M_SCOPES)
    fake_graph.add_event(start=at(9), end=at(10))
    fake_graph.add_event(start=at(11), end=at(12))
    fake_graph.fail_next(status=429, retry_after=3, inside_batch=True)
    requests = [
        {
            "id": "1",
            "method": "GET",
            "url": "/me/calendarView/delta?" + str(httpx.QueryParams(window())),
            "headers": {"prefer": "odata.maxpagesize=1"},
        },
        {"id": "2", "method": "GET", "url": "/me"},
    ]
    answer = HTTP.post(
        fake_graph.urls["api_url"] + "/$batch", json={"requests": requests}, headers=bearer(token)
    )
    assert answer.status_code == 200
    by_id = {r["id"]: r for r in answer.json()["responses"]}
    assert by_id["1"]["status"] == 429 and by_id["1"]["headers"]["Retry-After"] == "3"
    assert by_id["1"]["body"]["error"]["code"] == "TooManyRequests"
    assert by_id["2"]["status"] == 200 and by_id["2"]["body"]["mail"] == "host@example.com"
    again = HTTP.post(
        fake_graph.urls["api_url"] + "/$batch", json={"requests": requests}, headers=bearer(token)
    ).json()
    assert [r["status"] for r in again["responses"]] == [200, 200]
    first_page = again["responses"][0]["body"]
    assert len(first_page["value"]) == 1 and "@odata.nextLink" in first_page
    event_id = fake_graph.events()[0]["id"]
    deletion = [{"id": "1", "method": "DELETE", "url": "/me/events/" + quote(event_id, safe="")}]
    deleted = HTTP.post(
        fake_graph.urls["api_url"] + "/$batch", json={"requests": deletion}, headers=bearer(token)
    ).json()
    assert deleted["responses"][0]["status"] == 204 and len(fake_graph.events()) == 1
    assert any(seen.in_batch and seen.path == "/v1.0/me" for seen in fake_graph.requests)
    assert fake_graph.violations == []


def test_graph_batch_of_21_is_refused(fake_graph):
    token = login(fake_graph, M_SCOPES)
    requests = [{"id": str(i), "method": "GET", "url": "/me"} for i in range(21)]
    answer = HTTP.post(
        fake_graph.urls["api_url"] + "/$batch", json={"requests": requests}, headers=bearer(token)
    )
    assert answer.status_code == 400
    assert fake_graph.violations == ["$batch: 21 requests; at most 20 are allowed"]


def test_graph_batch_dependency_failure_is_424_and_a_body_needs_content_type(fake_graph):
    token = login(fake_graph, M_SCOPES)
    missing = fake_graph.urls["api_url"] + "/$batch"
    requests = [
        {"id": "1", "method": "DELETE", "url": "/me/events/AAMkAGI2nothere="},
        {"id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"]},
    ]
    answer = HTTP.post(missing, json={"requests": requests}, headers=bearer(token)).json()
    assert [r["status"] for r in answer["responses"]] == [404, 424]
    assert fake_graph.violations == []
    body_only = [{"id": "1", "method": "PATCH", "url": "/me/events/x", "body": {"subject": "a"}}]
    refused = HTTP.post(missing, json={"requests": body_only}, headers=bearer(token))
    assert refused.status_code == 400
    assert "has a body but no Content-Type header" in fake_graph.violations[0]


def test_graph_delay_is_honoured(fake_graph):
    token = login(fake_graph, M_SCOPES)
    fake_graph.delay, fake_graph.delay_only = 30, "getSchedule"  # /me must not wait 30 s
    assert HTTP.get(fake_graph.urls["api_url"] + "/me", headers=bearer(token)).status_code == 200
    fake_graph.delay, fake_graph.delay_only = 0.3, ""
    began = time.monotonic()
    assert HTTP.get(fake_graph.urls["api_url"] + "/me", headers=bearer(token)).status_code == 200
    assert time.monotonic() - began >= 0.29
    with pytest.raises(httpx.ReadTimeout):
        HTTP.get(fake_graph.urls["api_url"] + "/me", headers=bearer(token), timeout=0.1)


# -- Microsoft Graph: writes and getSchedule ---------------------------------------------------


def test_graph_create_with_transaction_id_is_idempotent_then_update_and_delete(fake_graph):
    token = login(fake_graph, M_SCOPES)
    url = fake_graph.urls["api_url"] + "/me/calendars/AAMkAGI2TGuLAAA=/events"
    body = {
        "subject": "Intro call",
        "start": {"dateTime": "2030-01-07T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-01-07T10:30:00", "timeZone": "Europe/Berlin"},
        "showAs": "busy",
        "transactionId": "booking-1-create",
    }
    first = HTTP.post(url, json=body, headers=bearer(token))
    second = HTTP.post(url, json=body, headers=bearer(token))
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    stored = fake_graph.events()
    assert len(stored) == 1 and stored[0]["start"]["dateTime"] == "2030-01-07T09:00:00.0000000"
    event_url = fake_graph.urls["api_url"] + "/me/events/" + first.json()["id"]
    patched = HTTP.patch(event_url, json={"subject": "Moved"}, headers=bearer(token))
    assert patched.status_code == 200 and patched.json()["subject"] == "Moved"
    assert HTTP.delete(event_url, headers=bearer(token)).status_code == 204
    gone = HTTP.delete(event_url, headers=bearer(token))
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ErrorItemNotFound"
    assert fake_graph.violations == []
    HTTP.post(url, json={**body, "transactionId": "x", "title": "no"}, headers=bearer(token))
    assert fake_graph.violations == ["event: property 'title' is not a writable event property"]


def test_graph_write_needs_calendars_readwrite(fake_graph):
    token = login(fake_graph, "offline_access Calendars.Read")
    url = fake_graph.urls["api_url"] + "/me/events"
    body = {
        "start": {"dateTime": "2030-01-07T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-07T10:30:00", "timeZone": "UTC"},
    }
    denied = HTTP.post(url, json=body, headers=bearer(token))
    assert denied.status_code == 403 and "Calendars.ReadWrite" in fake_graph.violations[0]


def test_graph_get_schedule_availability_view(fake_graph):
    token = login(fake_graph, M_SCOPES)
    fake_graph.add_event(start=at(9), end=at(10))
    fake_graph.add_event(start=at(10), end=at(10.5), show_as="tentative")
    fake_graph.add_event(start=at(11), end=at(12), busy=False)
    answer = HTTP.post(
        fake_graph.urls["api_url"] + "/me/calendar/getSchedule",
        json={
            "schedules": ["host@example.com", "other@example.com"],
            "startTime": {"dateTime": "2030-01-07T09:00:00", "timeZone": "UTC"},
            "endTime": {"dateTime": "2030-01-07T12:00:00", "timeZone": "UTC"},
            "availabilityViewInterval": 30,
        },
        headers=bearer(token),
    ).json()
    mine, other = answer["value"]
    assert mine["availabilityView"] == "221000"
    assert [item["status"] for item in mine["scheduleItems"]] == ["busy", "tentative"]
    assert other["error"]["responseCode"] == "ErrorMailRecipientNotFound"
    assert fake_graph.violations == []


def test_a_crash_inside_the_fake_is_a_500_and_a_violation(fake_graph):
    token = login(fake_graph, M_SCOPES)

    def broken(*args):
        raise RuntimeError("boom")

    fake_graph._handle = broken
    answer = HTTP.get(fake_graph.urls["api_url"] + "/me", headers=bearer(token))
    assert answer.status_code == 500
    assert "the fake failed (RuntimeError('boom')" in fake_graph.violations[0]
    del fake_graph._handle
    bad = HTTP.post(
        fake_graph.urls["api_url"] + "/me/calendar/getSchedule", json=[1], headers=bearer(token)
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("make", [FakeGoogle, FakeGraph])
def test_token_endpoint_can_be_made_unavailable(make):
    with running(make) as (fake, token):
        fake.fail_next(status=503, retry_after=4, token_endpoint=True)
        busy = refresh(fake, token["refresh_token"])
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "4"
        assert busy.json()["error"] == "temporarily_unavailable"
        assert refresh(fake, token["refresh_token"]).status_code == 200
        assert fake.violations == []


def test_fakes_stop_promptly_while_a_delayed_answer_waits():
    fake = FakeGraph().start()
    fake.register_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    token = fake.grant(CLIENT_ID)
    fake.delay = 30
    with pytest.raises(httpx.ReadTimeout):
        HTTP.get(fake.urls["api_url"] + "/me", headers=bearer(token), timeout=0.2)
    began = time.monotonic()
    fake.stop()
    assert time.monotonic() - began < 2
    google = FakeGoogle()
    google.register_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    with google:
        granted = google.grant(CLIENT_ID)
        listing = HTTP.get(
            google.urls["api_url"] + "/users/me/calendarList", headers=bearer(granted)
        )
        assert listing.status_code == 200
        with pytest.raises(ValueError, match="unknown client"):
            google.grant(CLIENT_ID, ["https://www.googleapis.com/auth/calendar.typo"])
