"""The fake Google Calendar server keeps the documented contract (self-tests).

Real HTTP round trips with httpx against tests/fakes; no app, no database.
"""

import re
import secrets
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes.calendar_providers import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    FakeGoogle,
    s256,
)
from tests.fakes.flows import (
    authorize,
    bearer,
    free_busy,
    list_all,
    login,
    refresh,
    running,
)
from tests.fakes.google_discovery import (
    METHODS,
    SERVICE_PATH,
    check_body,
    match,
    parse_fields,
    select_fields,
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


# -- Google: OAuth ---------------------------------------------------------------------------


def test_google_code_flow_with_pkce_gives_a_refresh_token_on_first_consent(fake_google):
    first = login(fake_google, G_OWNED, access_type="offline")
    assert first["expires_in"] == 3599 and first["token_type"] == "Bearer"
    assert first["refresh_token"]
    again = login(fake_google, G_OWNED, access_type="offline")
    assert "refresh_token" not in again
    forced = login(fake_google, G_OWNED, access_type="offline", prompt="consent")
    assert forced["refresh_token"]
    online = login(fake_google, G_LIST)
    assert "refresh_token" not in online
    assert fake_google.violations == []


def test_google_authorize_without_pkce_is_a_violation(fake_google):
    answer = authorize(fake_google, G_OWNED, access_type="offline")
    target = httpx.URL(answer.headers["location"])
    assert answer.status_code == 302 and target.params["error"] == "invalid_request"
    assert "code" not in target.params
    assert any("code_challenge missing" in v for v in fake_google.violations)


def test_google_wrong_verifier_and_reused_code_are_invalid_grant(fake_google):
    verifier = secrets.token_urlsafe(48)
    answer = authorize(
        fake_google, G_OWNED, code_challenge=s256(verifier), code_challenge_method="S256"
    )
    code = httpx.URL(answer.headers["location"]).params["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "x" * 50,
    }
    basic = httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET)
    wrong = HTTP.post(fake_google.urls["token_url"], data=form, auth=basic)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    form["code_verifier"] = verifier
    right = HTTP.post(fake_google.urls["token_url"], data=form, auth=basic)
    assert right.status_code == 200
    reused = HTTP.post(fake_google.urls["token_url"], data=form, auth=basic)
    assert reused.json()["error"] == "invalid_grant"
    bad_secret = HTTP.post(
        fake_google.urls["token_url"], data=form, auth=httpx.BasicAuth(CLIENT_ID, "nope")
    )
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"


def test_google_refresh_returns_no_new_refresh_token_and_revoke_gives_invalid_grant(fake_google):
    token = login(fake_google, G_OWNED, access_type="offline")
    renewed = refresh(fake_google, token["refresh_token"])
    assert renewed.status_code == 200
    assert "refresh_token" not in renewed.json()
    assert renewed.json()["access_token"] != token["access_token"]
    assert refresh(fake_google, token["refresh_token"]).status_code == 200
    fake_google.revoke_refresh_tokens()
    refused = refresh(fake_google, token["refresh_token"])
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert fake_google.violations == []


def test_google_expired_access_token_answers_401_until_refreshed(fake_google):
    token = login(fake_google, G_OWNED, access_type="offline")
    url = fake_google.urls["api_url"] + "/calendars/primary/events"
    assert HTTP.get(url, headers=bearer(token)).status_code == 200
    fake_google.expire_access_tokens()
    expired = HTTP.get(url, headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json()["error"]["errors"][0]["reason"] == "authError"
    renewed = refresh(fake_google, token["refresh_token"]).json()
    assert HTTP.get(url, headers=bearer(renewed)).status_code == 200
    assert fake_google.violations == []


# -- Google: events.list, sync tokens ---------------------------------------------------------


def test_google_pages_of_two_and_incremental_changes_with_removals(fake_google):
    token = login(fake_google, G_OWNED, access_type="offline")
    ids = [fake_google.add_event(start=at(9 + h), end=at(10 + h)) for h in range(5)]
    items, sync, pages = list_all(
        fake_google, token, singleEvents="true", timeMin="2030-01-01T00:00:00Z"
    )
    assert pages == 3 and [e["id"] for e in items] == ids
    assert items[0]["start"] == {"dateTime": "2030-01-07T09:00:00Z", "timeZone": "UTC"}

    fake_google.change_event(ids[0], start=at(15), end=at(16), busy=False)
    fake_google.remove_event(ids[1])
    added = fake_google.add_event(start=at(20), end=at(21), all_day=False)
    changes, sync2, _ = list_all(fake_google, token, singleEvents="true", syncToken=sync)
    by_id = {e["id"]: e for e in changes}
    assert set(by_id) == {ids[0], ids[1], added}
    assert by_id[ids[1]]["status"] == "cancelled"
    assert by_id[ids[0]]["transparency"] == "transparent"
    nothing, _, _ = list_all(fake_google, token, singleEvents="true", syncToken=sync2)
    assert nothing == []
    assert fake_google.violations == []


def test_google_series_expand_only_with_single_events_and_keep_wall_clock_time(fake_google):
    fake_google.time_zone = "Europe/Berlin"
    token = login(fake_google, f"{G_OWNED} {G_FREEBUSY}")
    spring = datetime(2030, 3, 25, 8, tzinfo=UTC)  # 09:00 in Berlin, a week before summer time
    series = fake_google.add_event(
        start=spring, end=spring + timedelta(hours=1), recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"]
    )
    window = {"timeMin": "2030-03-01T00:00:00Z", "timeMax": "2030-05-01T00:00:00Z"}
    masters, sync, _ = list_all(fake_google, token, **window)
    assert [e["id"] for e in masters] == [series]
    assert masters[0]["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=2"]
    expanded, sync, _ = list_all(fake_google, token, singleEvents="true", **window)
    assert [e["id"] for e in expanded] == [
        f"{series}_20300325T080000Z",
        f"{series}_20300401T070000Z",
    ]
    assert expanded[1]["start"] == {
        "dateTime": "2030-04-01T09:00:00+02:00",
        "timeZone": "Europe/Berlin",
    }
    assert {e["recurringEventId"] for e in expanded} == {series}
    busy = HTTP.post(
        fake_google.urls["api_url"] + "/freeBusy",
        json={
            "timeMin": window["timeMin"],
            "timeMax": window["timeMax"],
            "items": [{"id": "primary"}],
        },
        headers=bearer(token),
    ).json()["calendars"]["primary"]["busy"]
    assert busy == [
        {"start": "2030-03-25T08:00:00Z", "end": "2030-03-25T09:00:00Z"},
        {"start": "2030-04-01T07:00:00Z", "end": "2030-04-01T08:00:00Z"},
    ]
    fake_google.remove_event(series)
    gone, _, _ = list_all(fake_google, token, singleEvents="true", syncToken=sync)
    assert [(e["id"], e["status"]) for e in gone] == [
        (f"{series}_20300325T080000Z", "cancelled"),
        (f"{series}_20300401T070000Z", "cancelled"),
    ]
    assert fake_google.violations == []
    bad = {
        "start": {"date": "2030-01-07"},
        "end": {"date": "2030-01-08"},
        "recurrence": ["RRULE:FREQ=SOMETIMES"],
    }
    refused = HTTP.post(
        fake_google.urls["api_url"] + "/calendars/primary/events", json=bad, headers=bearer(token)
    )
    assert refused.status_code == 400 and "cannot be read" in fake_google.violations[0]


def test_google_expired_sync_token_answers_410_full_sync_required(fake_google):
    token = login(fake_google, G_OWNED, access_type="offline")
    _, sync, _ = list_all(fake_google, token)
    fake_google.expire_sync_state()
    gone = HTTP.get(
        fake_google.urls["api_url"] + "/calendars/primary/events",
        params={"syncToken": sync},
        headers=bearer(token),
    )
    assert gone.status_code == 410
    assert gone.json()["error"]["errors"][0]["reason"] == "fullSyncRequired"
    _, fresh, _ = list_all(fake_google, token)
    assert fresh != sync
    assert fake_google.violations == []
    list_all(fake_google, token, syncToken=fresh, singleEvents="true")
    assert fake_google.violations == [
        "events.list: singleEvents differs from the round's first request"
    ]


def test_google_fields_selector_trims_the_answer(fake_google):
    token = login(fake_google, G_OWNED)
    fake_google.add_event(start=at(9), end=at(10), title="Board meeting")
    answer = HTTP.get(
        fake_google.urls["api_url"] + "/calendars/primary/events",
        params={"fields": "items(id,start,end,status,transparency),nextPageToken,nextSyncToken"},
        headers=bearer(token),
    ).json()
    assert set(answer) == {"items", "nextSyncToken"}
    assert set(answer["items"][0]) == {"id", "start", "end", "status"}


@pytest.mark.parametrize(
    ("status", "reason"),
    [(429, "rateLimitExceeded"), (403, "rateLimitExceeded"), (503, "backendError")],
)
def test_google_scripted_failures_carry_retry_after(fake_google, status, reason):
    token = login(fake_google, G_OWNED)
    fake_google.fail_next(status=status, retry_after=7)
    url = fake_google.urls["api_url"] + "/calendars/primary/events"
    failed = HTTP.get(url, headers=bearer(token))
    assert failed.status_code == status and failed.headers["Retry-After"] == "7"
    assert failed.json()["error"]["errors"][0]["reason"] == reason
    assert HTTP.get(url, headers=bearer(token)).status_code == 200


def test_google_delay_is_honoured_and_a_short_timeout_fails(fake_google):
    token = login(fake_google, G_OWNED)
    fake_google.delay = 0.3
    url = fake_google.urls["api_url"] + "/calendars/primary/events"
    began = time.monotonic()
    assert HTTP.get(url, headers=bearer(token)).status_code == 200
    assert time.monotonic() - began >= 0.29
    with pytest.raises(httpx.ReadTimeout):
        HTTP.get(url, headers=bearer(token), timeout=0.1)


def test_google_contract_violations_are_recorded(fake_google):
    token = login(fake_google, G_OWNED)
    api = fake_google.urls["api_url"]
    HTTP.get(api + "/calendars/primary/events", params={"pageSize": "5"}, headers=bearer(token))
    assert HTTP.get(api + "/calendars/primary/items", headers=bearer(token)).status_code == 404
    HTTP.get(
        api + "/calendars/primary/events",
        params={"syncToken": "abc", "timeMin": "2030-01-01T00:00:00Z"},
        headers=bearer(token),
    )
    HTTP.get(api + "/calendars/primary/events")
    text = "\n".join(fake_google.violations)
    assert "unknown query parameter 'pageSize'" in text
    assert "/calendars/primary/items: no such path" in text
    assert "syncToken together with ['timeMin']" in text
    assert "no bearer token" in text


# -- Google: writes, freeBusy, calendar list ------------------------------------------------


def test_google_insert_patch_delete_round_trip(fake_google):
    token = login(fake_google, G_OWNED)
    api = fake_google.urls["api_url"] + "/calendars/primary/events"
    body = {
        "id": "rdv0booking0001",
        "summary": "Intro call",
        "start": {"dateTime": "2030-01-07T09:00:00+01:00"},
        "end": {"dateTime": "2030-01-07T09:30:00+01:00"},
        "extendedProperties": {"private": {"rendezvous": "1"}},
    }
    created = HTTP.post(api, json=body, params={"sendUpdates": "none"}, headers=bearer(token))
    assert created.status_code == 200 and created.json()["id"] == "rdv0booking0001"
    duplicate = HTTP.post(api, json=body, headers=bearer(token))
    assert duplicate.status_code == 409
    patched = HTTP.patch(api + "/rdv0booking0001", json={"summary": "Moved"}, headers=bearer(token))
    assert patched.json()["summary"] == "Moved" and patched.json()["sequence"] == 1
    assert [e["summary"] for e in fake_google.events()] == ["Moved"]
    assert HTTP.delete(api + "/rdv0booking0001", headers=bearer(token)).status_code == 204
    assert HTTP.delete(api + "/rdv0booking0001", headers=bearer(token)).status_code == 410
    assert fake_google.events() == []
    assert fake_google.violations == []
    refused = HTTP.post(
        api, json={**body, "id": "rdv0booking0002", "colour": "red"}, headers=bearer(token)
    )
    assert refused.status_code == 400 and fake_google.events() == []
    assert fake_google.violations == ["calendar.events.insert: Event: unknown field 'colour'"]
    listed = HTTP.post(api, json=[body], headers=bearer(token))
    assert listed.status_code == 400
    assert fake_google.violations[-1] == "calendar.events.insert: Event: expected an object"


def test_google_list_filters_by_private_extended_property_and_text(fake_google):
    token = login(fake_google, G_OWNED)
    fake_google.add_event(start=at(9), end=at(10), title="Dentist")
    mine = fake_google.add_event(
        start=at(11),
        end=at(12),
        title="Intro call",
        extendedProperties={"private": {"rendezvous": "booking-7"}},
    )
    url = fake_google.urls["api_url"] + "/calendars/primary/events"
    found = HTTP.get(
        url, params={"privateExtendedProperty": "rendezvous=booking-7"}, headers=bearer(token)
    ).json()
    assert [e["id"] for e in found["items"]] == [mine]
    assert len(HTTP.get(url, params={"q": "dentist"}, headers=bearer(token)).json()["items"]) == 1
    assert fake_google.violations == []
    HTTP.get(url, params=[("maxResults", "5"), ("maxResults", "6")], headers=bearer(token))
    assert fake_google.violations == [
        "calendar.events.list: maxResults given 2 times; it is not repeated"
    ]


def test_google_local_date_time_needs_a_time_zone(fake_google):
    token = login(fake_google, f"{G_OWNED} {G_FREEBUSY}")
    api = fake_google.urls["api_url"]
    local = {
        "start": {"dateTime": "2030-01-07T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-01-07T11:00:00", "timeZone": "Europe/Berlin"},
    }
    assert HTTP.post(
        api + "/calendars/primary/events", json=local, headers=bearer(token)
    ).is_success
    busy = free_busy(fake_google, token)["calendars"]["primary"]["busy"]
    assert busy == [{"start": "2030-01-07T09:00:00Z", "end": "2030-01-07T10:00:00Z"}]
    assert fake_google.violations == []
    floating = {"start": {"dateTime": "2030-01-07T10:00:00"}, "end": local["end"]}
    refused = HTTP.post(api + "/calendars/primary/events", json=floating, headers=bearer(token))
    assert refused.status_code == 400 and "needs an offset" in fake_google.violations[0]


def test_google_freebusy_merges_busy_time_and_skips_free_events(fake_google):
    token = login(fake_google, f"{G_FREEBUSY} {G_LIST}")
    fake_google.add_event(start=at(9), end=at(10))
    fake_google.add_event(start=at(9.5), end=at(11))
    fake_google.add_event(start=at(12), end=at(13), busy=False)
    answer = free_busy(
        fake_google, token, "2030-01-07T09:30:00Z", ids=("primary", "nobody@example.com")
    )
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2030-01-07T09:30:00Z", "end": "2030-01-07T11:00:00Z"}
    ]
    assert answer["calendars"]["nobody@example.com"]["errors"][0]["reason"] == "notFound"
    listing = HTTP.get(
        fake_google.urls["api_url"] + "/users/me/calendarList", headers=bearer(token)
    ).json()
    assert listing["items"][0]["id"] == "host@example.com" and listing["items"][0]["primary"]
    assert fake_google.violations == []


def test_google_calendar_list_pages_and_local_times_carry_the_zone_offset(fake_google):
    fake_google.time_zone = "Europe/Berlin"
    for name in ("team", "holidays"):
        fake_google.add_calendar(f"{name}@group.calendar.google.com")
    token = login(fake_google, f"{G_OWNED} {G_LIST}")
    url = fake_google.urls["api_url"] + "/users/me/calendarList"
    first = HTTP.get(url, headers=bearer(token)).json()
    rest = HTTP.get(url, params={"pageToken": first["nextPageToken"]}, headers=bearer(token))
    ids = [c["id"] for c in first["items"] + rest.json()["items"]]
    assert ids == [
        "host@example.com",
        "team@group.calendar.google.com",
        "holidays@group.calendar.google.com",
    ]
    assert "nextSyncToken" in rest.json() and first["items"][0]["timeZone"] == "Europe/Berlin"
    fake_google.add_calendar("shared@example.com", access_role="reader")
    writable = HTTP.get(url, params={"minAccessRole": "writer"}, headers=bearer(token)).json()
    assert "shared@example.com" not in [c["id"] for c in writable["items"]]
    fake_google.add_event(start=at(9), end=at(10))
    item = HTTP.get(
        fake_google.urls["api_url"] + "/calendars/primary/events", headers=bearer(token)
    ).json()["items"][0]
    assert item["start"] == {"dateTime": "2030-01-07T10:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert fake_google.violations == []


def test_google_revoke_ends_the_refresh_token(fake_google):
    token = login(fake_google, G_OWNED, access_type="offline")
    revoked = HTTP.post(fake_google.urls["revoke_url"], data={"token": token["refresh_token"]})
    assert revoked.status_code == 200
    assert refresh(fake_google, token["refresh_token"]).json()["error"] == "invalid_grant"
    again = HTTP.post(fake_google.urls["revoke_url"], data={"token": "unknown"})
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"


def test_google_missing_scope_is_a_403_and_a_violation(fake_google):
    token = login(fake_google, G_LIST)
    answer = HTTP.get(
        fake_google.urls["api_url"] + "/calendars/primary/events", headers=bearer(token)
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"
    assert "calendar.events.list" in fake_google.violations[0]


def test_google_owned_scope_does_not_reach_a_calendar_shared_with_the_user(fake_google):
    shared = fake_google.add_calendar("team@group.calendar.google.com", access_role="reader")
    fake_google.add_event(shared, start=at(9), end=at(10))
    url = f"{fake_google.urls['api_url']}/calendars/{shared}/events"
    owned_only = login(fake_google, G_OWNED)
    refused = HTTP.get(url, headers=bearer(owned_only))
    assert refused.status_code == 403
    assert "only owned calendars" in fake_google.violations[0]
    fake_google.violations.clear()
    with_freebusy = login(fake_google, f"{G_OWNED} {G_EVENTS_FREEBUSY}")
    assert len(HTTP.get(url, headers=bearer(with_freebusy)).json()["items"]) == 1
    assert fake_google.violations == []


def test_google_has_no_batch_and_serves_only_the_methods_it_models(fake_google):
    with pytest.raises(ValueError, match="no batch endpoint"):
        fake_google.fail_next(status=429, inside_batch=True)
    token = login(fake_google, G_OWNED)
    quick = HTTP.post(
        fake_google.urls["api_url"] + "/calendars/primary/events/quickAdd",
        params={"text": "Lunch tomorrow"},
        headers=bearer(token),
    )
    assert quick.status_code == 501
    assert fake_google.violations == [
        "calendar.events.quickAdd: a valid method the fake does not serve"
    ]


def test_google_answers_match_the_discovery_schemas(fake_google):
    token = login(fake_google, f"{G_OWNED} {G_FREEBUSY} {G_LIST}")
    fake_google.add_event(start=at(9), end=at(10), attendees=["guest@example.com"])
    fake_google.add_event(start=MONDAY, end=MONDAY + timedelta(days=1), all_day=True, busy=False)
    api = fake_google.urls["api_url"]
    listing = HTTP.get(api + "/calendars/primary/events", headers=bearer(token)).json()
    inserted = HTTP.post(
        api + "/calendars/primary/events",
        json={"start": {"date": "2030-01-08"}, "end": {"date": "2030-01-09"}},
        headers=bearer(token),
    ).json()
    busy = free_busy(fake_google, token)
    calendars = HTTP.get(api + "/users/me/calendarList", headers=bearer(token)).json()
    assert check_body("Events", listing) == []
    assert check_body("Event", inserted) == []
    assert check_body("FreeBusyResponse", busy) == []
    assert check_body("CalendarList", calendars) == []
    assert check_body("Event", {"start": {"dateTime": "9 am"}}) != []  # the check can fail
    assert fake_google.violations == []


def test_every_discovery_method_routes_to_itself():
    for method in METHODS:
        path = re.sub(r"\{\+?(\w+)\}", r"x-\1", method.definition["path"])
        found, params, _ = match(method.http_method, f"{SERVICE_PATH}/{path}")
        assert found is not None and found.id == method.id, path
        assert set(params) == set(re.findall(r"\{\+?(\w+)\}", method.definition["path"]))
    assert match("GET", SERVICE_PATH + "/calendars/a/eventz") == (None, {}, False)


@settings(max_examples=8, deadline=None)
@given(count=st.integers(0, 7), page_size=st.integers(1, 3), max_results=st.integers(1, 4))
def test_google_pages_cover_every_event_once_in_order(count, page_size, max_results):
    with running(FakeGoogle, page_size) as (fake, token):
        ids = [fake.add_event(start=at(h), end=at(h + 1)) for h in range(count)]
        items, _, pages = list_all(fake, token, maxResults=str(max_results))
        assert [e["id"] for e in items] == ids
        assert pages == max(1, -(-count // min(page_size, max_results)))
        assert fake.violations == []


@settings(max_examples=30)
@given(keys=st.sets(st.sampled_from(["id", "status", "start", "end", "summary", "nothere"])))
def test_google_fields_selector_keeps_exactly_the_named_fields(keys):
    event = {
        "id": "a",
        "status": "confirmed",
        "start": {"date": "2030-01-07"},
        "end": {"date": "2030-01-08"},
        "summary": "secret",
        "kind": "calendar#event",
    }
    if not keys:
        return
    selected = select_fields(parse_fields(",".join(sorted(keys))), event)
    assert set(selected) == keys & set(event)
    assert all(selected[k] == event[k] for k in selected)
