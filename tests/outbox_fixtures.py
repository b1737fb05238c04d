"""Outbox test fixtures: a real SMTP server on loopback, a guard that fails stray sends, and a
clock the test moves by hand (for retries and reminders).

The guard (autouse) makes both transports (SMTP and the instance/mail/ file fallback) record a
violation instead of sending; the test fails at teardown if anything tried. `smtp_server` and
`mail_files` each re-open one transport for the test that asks for it.
"""

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from scheduling import clock
from scheduling.delivery import mail


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class SmtpSink:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if address in item.recipients]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_REAL_SMTP = mail.send_smtp
_REAL_FILE = mail.write_file


@pytest.fixture(autouse=True)
def _no_stray_mail(monkeypatch):
    """Any email sent outside `smtp_server` / `mail_files` fails the test."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("a test sent mail outside the SMTP fixture")

    monkeypatch.setattr(mail, "send_smtp", refuse)
    monkeypatch.setattr(mail, "write_file", refuse)
    yield attempts
    assert not attempts, f"{len(attempts)} email(s) sent outside the SMTP fixture"


@pytest.fixture
def smtp_server(app, monkeypatch, _no_stray_mail):
    """aiosmtpd on 127.0.0.1; the app's MAIL_* settings point at it."""
    sink = SmtpSink("127.0.0.1", _free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    monkeypatch.setattr(mail, "send_smtp", _REAL_SMTP)
    app.config.update(
        MAIL_HOST=sink.host,
        MAIL_PORT=sink.port,
        MAIL_SECURITY="none",
        MAIL_FROM="Bookings <b@x.test>",
    )
    yield sink
    controller.stop()


@pytest.fixture
def mail_files(app, monkeypatch, _no_stray_mail, tmp_path):
    """The no-MAIL_HOST fallback, writing under a temporary instance folder."""
    monkeypatch.setattr(mail, "write_file", _REAL_FILE)
    app.config["MAIL_HOST"] = ""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return tmp_path / "instance" / "mail"


class MovingClock:
    """clock.utcnow() answers `now`, which the test sets."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def moving_clock(monkeypatch):
    from tests.conftest import FROZEN_NOW

    fake = MovingClock(FROZEN_NOW)
    monkeypatch.setattr(clock, "utcnow", fake)
    return fake
