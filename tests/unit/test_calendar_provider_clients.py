"""Provider clients without a network: PKCE, error mapping, event parsing (only times kept)."""

import base64
import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from scheduling.remote import google_calendar, microsoft_calendar, oauth_flow
from scheduling.remote.provider_errors import (
    AccessTokenRejected,
    NeedsReconnect,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RemoteNotFound,
    SyncStateExpired,
    api_error,
    retry_after_seconds,
    token_error,
)

CLIENT = oauth_flow.Client("cid", "secret", "https://app.example/callback")


@pytest.mark.parametrize(
    "provider",
    [
        oauth_flow.google("https://a.example/auth", "https://a.example/token", "https://a.example"),
        oauth_flow.microsoft(
            "https://m.example/auth", "https://m.example/token", "https://m.example"
        ),
    ],
)
def test_authorization_url_carries_pkce_s256_state_and_scopes(provider):
    first = oauth_flow.authorization_url(provider, CLIENT)
    second = oauth_flow.authorization_url(provider, CLIENT)
    query = parse_qs(urlsplit(first.url).query)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(first.code_verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    assert query["code_challenge"] == [challenge]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == [first.state]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [CLIENT.redirect_uri]
    assert query["scope"] == [" ".join(provider.scopes)]
    assert len(first.code_verifier) >= 43
    assert first.state != second.state and first.code_verifier != second.code_verifier
    if provider.name == "google":
        assert query["access_type"] == ["offline"]
    else:
        assert "offline_access" in query["scope"][0].split()


@pytest.mark.parametrize(
    ("status", "headers", "body", "kind", "retry"),
    [
        (429, {"retry-after": "7"}, {}, RateLimited, 7.0),
        (429, {}, {}, RateLimited, 60.0),
        (
            403,
            {},
            {"error": {"errors": [{"reason": "rateLimitExceeded"}], "message": "slow"}},
            RateLimited,
            60.0,
        ),
        (503, {"retry-after": "30"}, {}, ProviderUnavailable, 30.0),
        (410, {}, {"error": {"errors": [{"reason": "fullSyncRequired"}]}}, SyncStateExpired, None),
        (410, {}, {"error": {"code": "syncStateNotFound"}}, SyncStateExpired, None),
        (410, {}, {"error": {"errors": [{"reason": "deleted"}]}}, RemoteNotFound, None),
        (404, {}, {}, RemoteNotFound, None),
        (401, {}, {}, AccessTokenRejected, None),
        (
            403,
            {},
            {"error": {"errors": [{"reason": "insufficientPermissions"}]}},
            NeedsReconnect,
            None,
        ),
        (403, {}, {"error": {"code": "ErrorAccessDenied"}}, NeedsReconnect, None),
        (403, {}, {"error": {"errors": [{"reason": "forbidden"}]}}, ProviderError, None),
    ],
)
def test_api_errors_map_to_what_the_sync_does(status, headers, body, kind, retry):
    error = api_error(status, headers, body)
    assert type(error) is kind
    assert error.retry_after == (retry or None)


def test_token_errors():
    assert isinstance(token_error("invalid_grant", "revoked"), NeedsReconnect)
    assert isinstance(
        token_error("invalid_request", "AADSTS700082: The refresh token has expired"),
        NeedsReconnect,
    )
    assert isinstance(token_error("temporarily_unavailable", None), ProviderUnavailable)
    assert not isinstance(token_error("invalid_client", None), NeedsReconnect)


def test_retry_after_forms():
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon", 5.0) == 5.0
    assert retry_after_seconds(None) is None


def test_google_items_keep_only_times():
    timed = google_calendar._change(
        {
            "id": "a",
            "status": "confirmed",
            "start": {"dateTime": "2026-12-07T10:00:00+01:00"},
            "end": {"dateTime": "2026-12-07T11:00:00+01:00"},
            "summary": "secret",
        },
        "Europe/Berlin",
    )
    assert timed.blocks and timed.start == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert set(vars(timed)) == {"remote_id", "start", "end", "busy"}
    day = google_calendar._change(
        {"id": "b", "start": {"date": "2026-12-07"}, "end": {"date": "2026-12-08"}},
        "Europe/Berlin",
    )
    assert day.start == datetime(2026, 12, 6, 23, tzinfo=UTC)
    assert not google_calendar._change({"id": "c", "status": "cancelled"}, "UTC").blocks
    free = {"id": "d", "transparency": "transparent", "start": timed.start, "end": timed.end}
    assert not google_calendar._change(free, "UTC").blocks


def test_graph_items_keep_only_times():
    item = {
        "id": "x",
        "showAs": "busy",
        "subject": "secret",
        "start": {"dateTime": "2026-12-07T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-12-07T10:00:00.0000000", "timeZone": "UTC"},
    }
    change = microsoft_calendar._change(item, "UTC", False)
    assert change.blocks and change.end == datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert not microsoft_calendar._change({**item, "showAs": "free"}, "UTC", False).blocks
    assert not microsoft_calendar._change({**item, "showAs": "tentative"}, "UTC", False).blocks
    assert microsoft_calendar._change({**item, "showAs": "tentative"}, "UTC", True).blocks
    assert not microsoft_calendar._change({"id": "x", "@removed": {}}, "UTC", False).blocks


def test_links_outside_the_api_are_refused():
    from scheduling.remote.provider_errors import ProviderError
    from scheduling.remote.provider_http import Api

    api = Api("https://graph.example/v1.0", "token")
    assert api.check_link("https://graph.example/v1.0/me/x?y=1")
    for bad in (
        "https://evil.example/v1.0/me",
        "http://graph.example/v1.0/me",
        "https://graph.example/v1.01/me",
    ):
        with pytest.raises(ProviderError):
            api.check_link(bad)
