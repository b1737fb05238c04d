"""Web concerns shared by blueprints: security headers, cookie-free form tokens, origin checks."""

import json

from flask import Response, current_app, request, stream_with_context
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from scheduling.errors import N_, InvalidRequest, PermissionDenied
from scheduling.security.secretbox import decrypt, encrypt

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
# JSON, calendars, CSV, scripts, styles, images: nothing is rendered as a page, so nothing loads.
NOT_A_PAGE_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
# Browser features no page of ours uses; switched off for our pages and anything they frame.
DENIED_FEATURES = (
    "accelerometer",
    "bluetooth",
    "browsing-topics",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "interest-cohort",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "serial",
    "usb",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


def add_security_headers(response):
    """Strict CSP without unsafe-inline and no framing, unless a route set its own policy."""
    page = response.mimetype == "text/html"
    response.headers.setdefault("Content-Security-Policy", CSP if page else NOT_A_PAGE_CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="public-form-v1")


def make_form_token(**claims: str) -> str:
    """A signed, time-limited token that binds a public form to what the page offered."""
    return _serializer().dumps(claims)


def check_form_token(token: str, **expected: str) -> None:
    """Raise InvalidRequest unless the token is ours, fresh, and made for exactly these values."""
    max_age = current_app.config["FORM_TOKEN_MAX_AGE"]
    try:
        claims = _serializer().loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise InvalidRequest(N_("This form has expired. Please pick a time again.")) from None
    except BadSignature:
        message = N_("This form could not be verified. Please pick a time again.")
        raise InvalidRequest(message) from None
    if not isinstance(claims, dict) or any(claims.get(k) != v for k, v in expected.items()):
        raise InvalidRequest(N_("This form does not match the chosen time. Please pick it again."))


def read_form_token(token: str | None, kind: str) -> dict | None:
    """The claims of a fresh token of this kind made by make_form_token, or None."""
    try:
        claims = _serializer().loads(token or "", max_age=current_app.config["FORM_TOKEN_MAX_AGE"])
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    return claims if isinstance(claims, dict) and claims.get("kind") == kind else None


# Field -> the most kept: the form's limits, the note shortened so the link stays a sane length.
VISITOR_FIELDS = {"name": 200, "email": 254, "note": 2000, "location": 20, "phone": 40}
_VISITOR_PURPOSE = "visitor-details-v1"


def make_visitor_token(**details: str) -> str:
    """Encrypt what the visitor typed, so a "time was just taken" detour can prefill the next
    form without a cookie (the public flow sets none). Encrypted, not only signed: the value
    travels in a URL, and URLs end up in access logs."""
    kept = {k: (details.get(k) or "")[:most] for k, most in VISITOR_FIELDS.items()}
    return encrypt(current_app.config["SECRET_KEY"], _VISITOR_PURPOSE, json.dumps(kept))


def read_visitor_token(token: str | None) -> dict:
    """The details of a valid, fresh visitor token; {} for anything else (it only prefills)."""
    if not token or len(token) > 8000:
        return {}
    plain = decrypt(
        current_app.config["SECRET_KEY"],
        _VISITOR_PURPOSE,
        token,
        ttl=current_app.config["FORM_TOKEN_MAX_AGE"],
    )
    try:
        details = json.loads(plain) if plain else None
    except ValueError:
        return {}
    if not isinstance(details, dict):
        return {}
    return {k: str(details.get(k) or "")[:most] for k, most in VISITOR_FIELDS.items()}


def check_same_origin_post() -> None:
    """Refuse cross-site POSTs on the cookie-free public flow (Origin and Sec-Fetch-Site)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise PermissionDenied(N_("This form can only be sent from this site."))
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise PermissionDenied(N_("This form can only be sent from this site."))


def csv_download(chunks, filename: str) -> Response:
    """Stream CSV text chunks (csvsafe.csv_chunks) as an attachment named filename."""
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
