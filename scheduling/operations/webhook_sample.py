"""The sample booking a "Send test event" carries: every block of a real one, made-up values.

Fixed data rather than a real booking: a test must not expose a customer's answers or touches
to a receiver that is still being set up, and it must work before the first booking exists.
"""

from datetime import datetime, timedelta

from .payloads import iso


def sample_booking(now: datetime) -> dict:
    """A booking object shaped like booking_json's, with ids that start with test_."""
    start = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    return {
        "id": "test_booking",
        "status": "confirmed",
        "event_type": {"slug": "sample-call", "title": "Sample call"},
        "host": {"id": 0, "name": "Sam Sample", "email": "sam@example.com"},
        "hosts": [{"id": 0, "name": "Sam Sample", "email": "sam@example.com"}],
        "invitee": {
            "name": "Ada Example",
            "email": "ada@example.org",
            "timezone": "Europe/Berlin",
            "note": "",
        },
        "start": iso(start),
        "end": iso(start + timedelta(minutes=30)),
        "duration": 30,
        "location_kind": "video",
        "location": "https://meet.example.eu/sample",
        "source": "public",
        "rescheduled_from": None,
        "cancel_reason": None,
        "created_at": iso(now),
        "updated_at": iso(now),
        "cancelled_at": None,
        "outcome": None,
        "lead": {"id": "test_lead", "status": "booked"},
        "answers": [
            {"key": "budget", "label": "Budget", "value": "medium", "display": "5k-20k"},
            {"key": "country", "label": "Country", "value": "DE", "display": "Germany"},
        ],
        "routing": {
            "rule": "Mid-market",
            "route": "team",
            "team": {"id": 0, "name": "Sample team"},
            "host": {"id": 0, "name": "Sam Sample"},
            "decided_by": "deficit",
            "period": "week",
            "standing": {
                "weight": 1,
                "priority": 0,
                "share": 0.5,
                "expected": 1.5,
                "assigned": 1.0,
                "deficit": 0.5,
                "today": 0,
                "this_week": 1,
                "daily_cap": None,
                "weekly_cap": None,
                "last_booked_at": None,
            },
            "trace": ["Rule 'Mid-market' matched: budget equals 'medium' was true"],
            "explanation": (
                'Rule "Mid-market" sent the booking to the team "Sample team". Sam Sample was '
                "furthest below their fair share: 1 booked against a fair share of 1.50 this "
                "week, 0 today."
            ),
        },
        "attribution": {
            "first_touch": {
                "at": (now - timedelta(days=7)).isoformat(),
                "utm_source": "newsletter",
                "utm_campaign": "spring",
                "path": "/",
            },
            "last_touch": {
                "at": now.isoformat(),
                "utm_source": "linkedin",
                "utm_medium": "cpc",
                "path": "/demo",
            },
            "variant": {"id": 0, "name": "Sample variant", "test": "Sample test"},
            "consent": {"id": "test_consent", "decided_at": iso(now)},
        },
    }
