"""Absolute links that leave a request: booking capability links and public pages."""

from flask import current_app, url_for

from scheduling.models import Booking
from scheduling.security.links import booking_token

_ENDPOINTS = {
    "view": "public.booking",
    "cancel": "public.cancel",
    "reschedule": "public.reschedule",
}


def booking_link(booking: Booking, purpose: str) -> str:
    """The view, cancel or reschedule link of a booking, under PUBLIC_URL when configured."""
    token = booking_token(
        current_app.config["SECRET_KEY"], booking.uid, booking.token_version, purpose
    )
    path = url_for(_ENDPOINTS[purpose], uid=booking.uid, token=token)
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return (
        f"{base}{path}"
        if base
        else url_for(_ENDPOINTS[purpose], uid=booking.uid, token=token, _external=True)
    )


def public_url(endpoint: str, **values) -> str:
    """An absolute link to a public page, under PUBLIC_URL when configured."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, **values, _external=True)
