"""From a booking over HTTP to the invitee's inbox, and back through the link in the email."""

import re


def test_booking_email_links_open_the_booking_and_cancel_it(
    app, client, runner, make_event_type, moving_clock, smtp_server
):
    event_type = make_event_type(title="Discovery")
    response = client.post(
        "/api/v1/bookings",
        json={
            "event_type": event_type.slug,
            "start": "2030-01-08T09:00:00Z",
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 201
    result = runner.invoke(args=["rendezvous", "worker", "--once"])
    assert result.exit_code == 0 and "Attempted 2 message(s)" in result.output
    (confirmation,) = smtp_server.to("ada@example.org")
    text = confirmation.message.get_body(("plain",)).get_content()
    assert "Tuesday, 8 January 2030, 10:00 (Central European Time (Paris))" in text
    cancel_url = re.search(r"Cancel: (\S+)", text).group(1)
    path = cancel_url.removeprefix("http://127.0.0.1:5000")
    page = client.get(path)
    assert page.status_code == 200 and "Discovery" in page.text
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post(path, data={"form_token": token, "reason": "Something came up"})
    assert response.status_code == 303
    smtp_server.received.clear()
    runner.invoke(args=["rendezvous", "worker", "--once"])
    (notice,) = smtp_server.to("ada@example.org")
    assert notice.message["Subject"].startswith("Cancelled: Discovery")
