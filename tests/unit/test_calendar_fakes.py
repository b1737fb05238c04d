"""The fake Google Calendar and Microsoft Graph servers keep the documented contract (self-tests).

Real HTTP round trips with httpx against tests/fakes; no app, no database.
"""

import re
import secrets
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
    s256,
)
from tests.fakes.flows import (
    authorize,
    bearer,
    delta_round,
    free_busy,
    http,
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
HTTP = http()


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
