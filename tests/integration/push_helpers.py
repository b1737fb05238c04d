"""Helpers for the push channel tests: a public PUBLIC_URL, the fakes' clock, the handshake."""

from urllib.parse import urlsplit

from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import CalendarPushChannel

PUBLIC = "https://book.example.eu"


def go_public(app, fake, clock_box: list) -> None:
    """PUBLIC_URL on a public https name; the fake's clock reads clock_box[0]; Graph's
    validation request reaches the app through a test client (the fake cannot resolve it)."""
    app.config["PUBLIC_URL"] = PUBLIC
    fake.clock = lambda: clock_box[0]
    if hasattr(fake, "notification"):
        fake.validator = lambda url: answer_validation(app, url)


def answer_validation(app, url: str) -> tuple[int, str, str]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC
    with app.test_client() as client:  # the fake's own thread: its own app context
        response = client.post(
            f"{parts.path}?{parts.query}", data="", content_type="text/plain; charset=utf-8"
        )
        return response.status_code, response.content_type, response.get_data(as_text=True)


def channel_rows() -> list[CalendarPushChannel]:
    db.session.rollback()
    return list(db.session.scalars(select(CalendarPushChannel).order_by(CalendarPushChannel.id)))


def provider_calls(fake) -> int:
    return len(fake.requests)


def post_notification(client, fake, name: str, row, **override):
    """Send the provider's notification for the stored channel `row` to the app."""
    if name == "google":
        headers = fake.push_headers(row.channel_id, **override)
        address = fake.channels[row.channel_id]["address"]
        return client.post(urlsplit(address).path, headers=headers)
    address, body = fake.notification(row.channel_id, **override)
    return client.post(urlsplit(address).path, json=body)


def stopped_at(fake, name: str) -> list[str]:
    """The channels stopped at the provider; none of them is still live there."""
    if name == "google":
        assert not set(fake.stopped) & set(fake.channels)
        return fake.stopped
    assert not set(fake.deleted_subscriptions) & set(fake.subscriptions)
    return fake.deleted_subscriptions
