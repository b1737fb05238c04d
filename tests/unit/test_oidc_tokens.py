"""ID token checks (remote/oidc.py, no network): signature by the issuer's keys, accepted
algorithms, iss, aud, azp, exp, iat, nonce; each refusal says what was wrong."""

from datetime import UTC, datetime

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from scheduling.remote.oidc import OidcError, validate_id_token

ISSUER = "https://idp.example/realms/sales"
CLIENT = "rendezvous"
NONCE = "n-0S6_WzA2Mj"
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
T = int(NOW.timestamp())

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
ISSUER_KEYS = KeySet.import_key_set({"keys": [KEY.as_dict(private=False)]})


def claims(**changes) -> dict:
    values = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "248289761001",
        "exp": T + 300,
        "iat": T - 10,
        "nonce": NONCE,
        "email": "ada@northwind.example",
        "email_verified": True,
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def token(key=KEY, alg="RS256", **changes) -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, claims(**changes), key)


def check(id_token: str) -> dict:
    return validate_id_token(id_token, ISSUER_KEYS, ISSUER, CLIENT, NONCE, NOW)


def test_a_good_token_gives_its_claims():
    assert check(token())["email"] == "ada@northwind.example"
    assert check(token(aud=[CLIENT, "other"], azp=CLIENT))["sub"] == "248289761001"
    # Within the leeway of 60 seconds for clocks that differ.
    assert check(token(exp=T - 30))


def test_a_token_signed_by_another_key_is_refused():
    with pytest.raises(OidcError, match="signature does not match"):
        check(token(key=OTHER_KEY))


def test_symmetric_or_unsigned_tokens_are_refused():
    secret = OctKey.import_key(b"the-client-secret-the-client-secret")
    with pytest.raises(OidcError, match="algorithm that is not accepted"):
        check(jwt.encode({"alg": "HS256"}, claims(), secret))
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    body = token().split(".")[1]
    with pytest.raises(OidcError, match="could not be read"):
        check(f"{header}.{body}.")
    with pytest.raises(OidcError, match="could not be read"):
        check("not a token")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"iss": "https://idp.example/realms/other"}, "issued by another issuer"),
        ({"iss": None}, "has no iss claim"),
        ({"aud": "another-app"}, "another application"),
        ({"aud": ["another-app", "third"]}, "another application"),
        ({"aud": [CLIENT, "other"]}, "issued to another party"),
        ({"aud": [CLIENT, "other"], "azp": "other"}, "issued to another party"),
        ({"exp": T - 120}, "it has expired"),
        ({"exp": None}, "has no exp claim"),
        ({"nonce": "another"}, "belongs to another sign-in"),
        ({"nonce": None}, "has no nonce claim"),
        ({"iat": None}, "has no iat claim"),
        ({"sub": None}, "has no sub claim"),
    ],
)
def test_wrong_claims_are_refused_with_the_reason(changes, problem):
    with pytest.raises(OidcError, match=problem):
        check(token(**changes))
