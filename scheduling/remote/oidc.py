"""OpenID Connect relying party: discovery, the authorization URL (PKCE S256, state, nonce),
the code exchange and the ID token's checks (signature by the issuer's JWKS, iss, aud, exp, iat,
nonce), for any issuer (Entra ID, Google, Keycloak, authentik ...).

Authlib's httpx client makes the authorization URL and the token request; joserfc (Authlib's
JOSE library) checks the ID token. Every request goes through remote/httpx_guard.py (public
addresses only unless allowed, pinned, no redirects) with a short timeout. Errors are OidcError
with a message fit to show. Pure: no Flask, no DB, no clock (callers pass `now`).
"""

import json
import warnings
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from .httpx_guard import GuardedTransport
from .netguard import RefusedAddress
from .oidc_types import (  # noqa: F401 (re-exported: callers that also need the network part)
    LoginSecrets,
    NetPolicy,
    OidcError,
    Provider,
    new_login_secrets,
)

SCOPES = "openid email profile"
# Asymmetric algorithms only: an HS256 token would be "signed" with the client secret, and
# "none" is no signature at all.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
# Clock skew tolerated between the issuer and this server (seconds).
LEEWAY = 60
MAX_DOCUMENT = 512 * 1024
DISCOVERY_PATH = "/.well-known/openid-configuration"


def _oauth_client_class():
    """Authlib's httpx OAuth2Client; imported here, with its notice that it prefers the httpx2
    fork silenced (the pinned httpx is what it runs on)."""
    # authlib.deprecate adds an "always" filter when first imported: import it before ours.
    import authlib.deprecate  # noqa: F401

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The httpx module is deprecated")
        from authlib.integrations.httpx_client import OAuth2Client, OAuthError

    return OAuth2Client, OAuthError


def check_address(url: str, policy: NetPolicy, what: str) -> str:
    """The URL if it is an absolute https URL (http too where private addresses are allowed)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise OidcError(f"The {what} is not a valid address.") from None
    schemes = ("https", "http") if policy.allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise OidcError(f"The {what} must be an https:// address, not {url!r}.")
    if parts.username or parts.password or parts.fragment:
        raise OidcError(f"The {what} may not contain a user name, password or #fragment.")
    return url


def _network_error(exc: Exception, what: str, policy: NetPolicy) -> OidcError:
    if isinstance(exc, RefusedAddress):
        return OidcError(f"The {what} is not allowed: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return OidcError(f"The {what} did not answer within {policy.timeout:g} seconds.")
    return OidcError(f"The {what} could not be reached ({type(exc).__name__}).")


def _client(policy: NetPolicy) -> httpx.Client:
    transport = GuardedTransport(policy.allow_private, policy.cafile)
    return httpx.Client(transport=transport, timeout=policy.timeout, follow_redirects=False)


def _get_json(url: str, policy: NetPolicy, what: str) -> dict:
    """GET a JSON object: 200, at most MAX_DOCUMENT bytes, or a clear OidcError."""
    try:
        with _client(policy) as client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise OidcError(f"The {what} answered with HTTP status {response.status_code}.")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT:
                    raise OidcError(f"The {what} is larger than {MAX_DOCUMENT // 1024} KiB.")
    except (httpx.HTTPError, RefusedAddress, OSError) as exc:
        raise _network_error(exc, what, policy) from None
    try:
        document = json.loads(body)
    except ValueError:
        raise OidcError(f"The {what} is not JSON.") from None
    if not isinstance(document, dict):
        raise OidcError(f"The {what} is not a JSON object.")
    return document


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def discover(issuer: str, policy: NetPolicy) -> Provider:
    """Fetch and check the issuer's discovery document (OpenID Connect Discovery 1.0)."""
    issuer = check_address(issuer.strip(), policy, "issuer URL")
    if urlsplit(issuer).query:
        raise OidcError("The issuer URL may not contain a ?query.")
    document = _get_json(discovery_url(issuer), policy, "issuer's discovery document")
    announced = document.get("issuer")
    # The document must name the issuer it was fetched from (Discovery section 4.3); a trailing
    # slash typed by the admin is forgiven, the stored value is the announced one.
    if not isinstance(announced, str) or announced.rstrip("/") != issuer.rstrip("/"):
        raise OidcError(
            f"The discovery document names the issuer {announced!r}, not {issuer!r}: "
            "check the issuer URL (for Entra ID it ends in /v2.0)."
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise OidcError(f"The discovery document has no {name}.")
        endpoints[name] = check_address(value, policy, name.replace("_", " "))
    response_types = document.get("response_types_supported")
    if isinstance(response_types, list) and "code" not in response_types:
        raise OidcError("The issuer does not offer the authorization code flow.")
    methods = document.get("token_endpoint_auth_methods_supported")
    method = "client_secret_basic"
    if isinstance(methods, list) and methods and "client_secret_basic" not in methods:
        if "client_secret_post" not in methods:
            raise OidcError(
                "The issuer accepts neither client_secret_basic nor client_secret_post."
            )
        method = "client_secret_post"
    return Provider(announced, token_auth_method=method, **endpoints)


def authorization_url(
    provider: Provider,
    client_id: str,
    redirect_uri: str,
    login: LoginSecrets,
    login_hint: str = "",
) -> str:
    """Where to send the browser: code flow, PKCE S256, state and nonce."""
    client_class, _error = _oauth_client_class()
    extra = {"login_hint": login_hint} if login_hint else {}
    with client_class(
        client_id=client_id,
        scope=SCOPES,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    ) as client:
        url, _state = client.create_authorization_url(
            provider.authorization_endpoint,
            state=login.state,
            code_verifier=login.code_verifier,
            nonce=login.nonce,
            **extra,
        )
    return url


def exchange_code(
    provider: Provider,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    policy: NetPolicy,
) -> str:
    """Trade the authorization code for tokens at the token endpoint; return the ID token."""
    client_class, oauth_error = _oauth_client_class()
    try:
        with client_class(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method=provider.token_auth_method,
            redirect_uri=redirect_uri,
            transport=GuardedTransport(policy.allow_private, policy.cafile),
            timeout=policy.timeout,
            follow_redirects=False,
        ) as client:
            token = client.fetch_token(
                provider.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except oauth_error as exc:
        raise OidcError(f"The identity provider refused the sign-in ({exc.error}).") from None
    except httpx.HTTPStatusError as exc:
        raise OidcError(
            "The identity provider's token endpoint answered with HTTP status "
            f"{exc.response.status_code}."
        ) from None
    except (httpx.HTTPError, RefusedAddress, OSError) as exc:
        raise _network_error(exc, "identity provider's token endpoint", policy) from None
    except ValueError:
        raise OidcError("The identity provider's token answer is not valid JSON.") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise OidcError("The identity provider sent no ID token (is the openid scope allowed?).")
    return id_token


def fetch_keys(provider: Provider, policy: NetPolicy) -> KeySet:
    """The issuer's current signing keys (fetched at each sign-in: keys rotate)."""
    document = _get_json(provider.jwks_uri, policy, "issuer's key set (JWKS)")
    try:
        return KeySet.import_key_set(document)
    except (JoseError, ValueError, TypeError, KeyError):
        raise OidcError("The issuer's key set (JWKS) could not be read.") from None


_CLAIM_PROBLEMS = {
    "iss": "it was issued by another issuer",
    "aud": "it was issued for another application (audience)",
    "nonce": "it belongs to another sign-in (nonce)",
    "exp": "it has expired",
    "iat": "its issue time is not valid",
    "nbf": "it is not valid yet",
    "azp": "it was issued to another party (azp)",
}


def _refuse(claim: str) -> OidcError:
    problem = _CLAIM_PROBLEMS.get(claim, f"its {claim} claim is not valid")
    return OidcError(f"The identity provider's ID token was refused: {problem}.")


def validate_id_token(
    id_token: str, keys: KeySet, issuer: str, client_id: str, nonce: str, now: datetime
) -> dict:
    """The ID token's claims once its signature and iss, aud, azp, exp, iat, nonce are right."""
    try:
        token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
    except BadSignatureError:
        raise OidcError(
            "The identity provider's ID token was refused: its signature does not match "
            "the issuer's keys."
        ) from None
    except (JoseError, ValueError, TypeError):
        raise OidcError(
            "The identity provider's ID token could not be read or uses an algorithm "
            "that is not accepted."
        ) from None
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=LEEWAY,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    claims = token.claims
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise _refuse("exp") from None
    except MissingClaimError as exc:
        raise OidcError(
            f"The identity provider's ID token was refused: it has no {exc.claim} claim."
        ) from None
    except InvalidClaimError as exc:
        raise _refuse(exc.claim) from None
    except JoseError:
        raise OidcError("The identity provider's ID token was refused.") from None
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise _refuse("azp")
    return claims
