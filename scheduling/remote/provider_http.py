"""JSON calls to a calendar provider's API with a bearer token, a deadline and mapped errors.

No Flask, no DB. Links the provider hands back (next pages, delta links) are followed only when
they point under the configured API address, so a token is never sent anywhere else.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from .provider_errors import ProviderError, ProviderUnavailable, api_error

USER_AGENT = "Rendezvous calendar connection"
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: object  # httpx.Headers: a case-insensitive mapping
    body: dict


class Api:
    """One mailbox's API session: one call at a time, each bounded by `timeout` seconds."""

    def __init__(self, api_url: str, access_token: str, timeout: float = 15.0):
        self.api_url = api_url.rstrip("/")
        self.access_token = access_token
        self.timeout = timeout
        self.calls = 0

    def url(self, path: str) -> str:
        return f"{self.api_url}/{path.lstrip('/')}"

    def check_link(self, link: str) -> str:
        """A provider-supplied link, refused unless it lies under the API address."""
        ours, theirs = urlsplit(self.api_url), urlsplit(link)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc) or not (
            theirs.path.startswith(ours.path + "/") or theirs.path == ours.path
        ):
            raise ProviderError("The provider sent a link outside its API; it was not followed.")
        return link

    def call(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
        timeout: float | None = None,
    ) -> Answer:
        """Send one request; a status outside `ok` raises the mapped ProviderError."""
        import httpx  # on first use: booking and slot requests never need it

        self.calls += 1
        sent = {
            "Authorization": f"Bearer {self.access_token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            **(headers or {}),
        }
        limit = self.timeout if timeout is None else timeout
        try:
            response = httpx.request(
                method,
                url,
                params=params,
                json=json,
                headers=sent,
                timeout=httpx.Timeout(limit),
                follow_redirects=False,
            )
        except httpx.TimeoutException:
            raise ProviderUnavailable(
                f"The calendar provider did not answer within {limit:g} s."
            ) from None
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                f"The calendar provider could not be reached ({type(exc).__name__})."
            ) from None
        if len(response.content) > MAX_BYTES:
            raise ProviderError("The calendar provider's answer was too large.")
        body = _json(response)
        if response.status_code not in ok:
            raise api_error(response.status_code, response.headers, body)
        return Answer(response.status_code, response.headers, body)


def _json(response) -> dict:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
