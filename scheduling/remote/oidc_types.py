"""The light part of the OpenID Connect client: settings, errors and one sign-in's secrets.

Apart from remote/oidc.py so that importing the app (every web worker) does not load httpx,
joserfc and cryptography: only a sign-in or a settings save needs those (issue 12.10).
"""

import secrets
from dataclasses import asdict, dataclass


class OidcError(Exception):
    """The identity provider or its answer is not usable; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class NetPolicy:
    """Private and loopback issuers (and plain http) only in tests and development."""

    allow_private: bool = False
    timeout: float = 5.0
    cafile: str | None = None


@dataclass(frozen=True)
class Provider:
    """What the discovery document says, kept with the organisation's settings."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_method: str = "client_secret_basic"  # noqa: S105 (a method name)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Provider":
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


@dataclass(frozen=True)
class LoginSecrets:
    """One sign-in's state (CSRF), nonce (binds the ID token) and PKCE code verifier."""

    state: str
    nonce: str
    code_verifier: str


def new_login_secrets() -> LoginSecrets:
    # token_urlsafe(48) gives 64 characters: inside PKCE's 43-128 (RFC 7636 section 4.1).
    return LoginSecrets(
        secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    )
