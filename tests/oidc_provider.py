"""A real OpenID Connect provider on loopback (oidc-provider-mock), and helpers to play the
browser between it and the app: set a person's claims, sign in at the provider, follow back.

The provider signs with RS256, serves discovery, JWKS and the token endpoint over HTTP; a small
WSGI wrapper can change what it sees (its Host for a path: another `iss`; the
client id the token is asked for: another `aud`) so refusals are tested against real tokens.
"""

import base64
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import authlib.deprecate  # noqa: F401 (first: its import adds an "always" filter for its warnings)
import httpx
from werkzeug.serving import make_server

with warnings.catch_warnings():
    # The mock imports authlib.jose, deprecated in favour of joserfc (which the app uses).
    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock

CLIENT_ID = "rendezvous-test"
CLIENT_SECRET = "test-client-secret"


@dataclass
class Tweaks:
    """What the wrapper changes in requests reaching the provider (empty: nothing)."""

    # Host header by request path: the provider names the host it is asked at as the issuer.
    hosts: dict = field(default_factory=dict)
    token_client_id: str = ""
    seen: list = field(default_factory=list)


class Provider:
    def __init__(self, tweaks: Tweaks):
        provider_app = oidc_provider_mock.app(require_nonce=True)
        self.tweaks = tweaks

        def wrapper(environ, start_response):
            tweaks.seen.append(environ["PATH_INFO"])
            if environ["PATH_INFO"] in tweaks.hosts:
                environ["HTTP_HOST"] = tweaks.hosts[environ["PATH_INFO"]]
            if environ["PATH_INFO"] == "/oauth2/token" and tweaks.token_client_id:
                raw = f"{tweaks.token_client_id}:{CLIENT_SECRET}".encode()
                environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(raw).decode()
            return provider_app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, wrapper, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def other_name(self) -> str:
        """The provider's host and port with "localhost" for "127.0.0.1" (another issuer)."""
        return self.issuer.split("//")[1].replace("127.0.0.1", "localhost")

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()

    def set_person(self, sub: str, **claims) -> None:
        """The claims the provider puts in the ID token for `sub` (email, email_verified ...)."""
        answer = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert answer.status_code == 204, answer.text

    def sign_in(self, authorize_url: str, sub: str, deny: bool = False, **change) -> str:
        """Play the person at the provider: approve as `sub` (or deny); the app's callback URL
        (path + query) the provider sends the browser back to. `change` alters authorize
        parameters."""
        parts = urlsplit(authorize_url)
        assert f"{parts.scheme}://{parts.netloc}" == self.issuer
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        params.update(change)
        answer = httpx.post(
            f"{self.issuer}{parts.path}",
            params=params,
            data={"action": "deny"} if deny else {"sub": sub},
            timeout=5,
        )
        assert answer.status_code == 302, answer.text
        back = urlsplit(answer.headers["location"])
        return f"{back.path}?{back.query}"


@contextmanager
def running_provider():
    """A provider on a free loopback port for the duration of the block."""
    provider = Provider(Tweaks())
    try:
        yield provider
    finally:
        provider.stop()
