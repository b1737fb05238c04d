"""Client-side steps against the fakes, written from the vendors' docs: the code flow with PKCE,
refresh, reading every page of a Google listing or a Graph delta round, a freeBusy query.

For the fakes' self-tests and for any test that needs to drive a fake by hand. Uses one pooled
httpx client (`http()`); a fresh client per call costs ~40 ms of TLS setup.
"""

import secrets
from contextlib import contextmanager

import httpx

from .calendar_providers import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI
from .oauth_server import s256

_client: httpx.Client | None = None


def http() -> httpx.Client:
    """The shared client (made again after close())."""
    global _client
    if _client is None or _client.is_closed:
        _client = httpx.Client(trust_env=False, timeout=5)
    return _client


def authorize(fake, scope: str, **extra) -> httpx.Response:
    """GET the authorize endpoint as a browser would (no redirect followed)."""
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": scope,
        "state": "state-1",
        **extra,
    }
    return http().get(fake.urls["authorize_url"], params=params)


def login(fake, scope: str, **extra) -> dict:
    """Run the code flow with PKCE; returns the token endpoint's JSON."""
    verifier = secrets.token_urlsafe(48)
    answer = authorize(
        fake, scope, code_challenge=s256(verifier), code_challenge_method="S256", **extra
    )
    query = httpx.URL(answer.headers.get("location", "")).params
    if answer.status_code != 302 or query.get("state") != "state-1":
        raise AssertionError(f"authorize answered {answer.status_code} {answer.text}")
    form = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code_verifier": verifier,
    }
    token = http().post(fake.urls["token_url"], data=form)
    if token.status_code != 200:
        raise AssertionError(f"token endpoint answered {token.status_code} {token.text}")
    return token.json()


def refresh(fake, refresh_token: str) -> httpx.Response:
    """POST a refresh_token grant with the client secret in the body."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    return http().post(fake.urls["token_url"], data=form)


@contextmanager
def running(make, page_size: int = 2):
    """A started fake of class `make` with the test client and a granted token."""
    fake = make()
    fake.register_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    fake.page_size = page_size
    with fake:
        yield fake, fake.grant(CLIENT_ID)


def free_busy(fake, token, low="2030-01-07T00:00:00Z", ids=("primary",)) -> dict:
    """A Google freeBusy.query answer for one day from `low`."""
    body = {"timeMin": low, "timeMax": "2030-01-08T00:00:00Z", "items": [{"id": i} for i in ids]}
    return http().post(fake.urls["api_url"] + "/freeBusy", json=body, headers=bearer(token)).json()


def bearer(token: dict) -> dict:
    """The Authorization header for a token endpoint answer."""
    return {"Authorization": f"Bearer {token['access_token']}"}


def list_all(fake, token, **params) -> tuple[list[dict], str, int]:
    """Follow nextPageToken to the end; returns items, nextSyncToken and the page count."""
    url = fake.urls["api_url"] + "/calendars/primary/events"
    items, pages, query = [], 0, dict(params)
    while True:
        answer = http().get(url, params=query, headers=bearer(token))
        if answer.status_code != 200:
            raise AssertionError(f"events.list answered {answer.status_code} {answer.text}")
        body = answer.json()
        pages += 1
        items += body["items"]
        if "nextPageToken" not in body:
            return items, body["nextSyncToken"], pages
        if "nextSyncToken" in body:
            raise AssertionError("nextSyncToken on a page that is not the last")
        query = {**params, "pageToken": body["nextPageToken"]}


def delta_round(fake, token, url, params=None, page_size=None) -> tuple[list[dict], str, int]:
    """Follow @odata.nextLink to the deltaLink; returns items, deltaLink and the page count."""
    headers = bearer(token)
    if page_size:
        headers["Prefer"] = f"odata.maxpagesize={page_size}"
    items, pages = [], 0
    while True:
        answer = http().get(url, params=params, headers=headers)
        if answer.status_code != 200:
            raise AssertionError(f"delta answered {answer.status_code} {answer.text}")
        body = answer.json()
        pages += 1
        items += body["value"]
        if "@odata.deltaLink" in body:
            if "@odata.nextLink" in body:
                raise AssertionError("both @odata.nextLink and @odata.deltaLink")
            return items, body["@odata.deltaLink"], pages
        url, params = body["@odata.nextLink"], None
