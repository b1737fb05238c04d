"""Pytest fixtures for the fake providers: `fake_google` and `fake_graph`, started and stopped.

Use them with `pytest_plugins = ["tests.fakes.fixtures"]` in a test module or conftest.
Each fake has a client "rendezvous-test" / "test-secret" registered for http://localhost/callback;
tests that need another redirect_uri call register_client themselves.
"""

import pytest

from .calendar_providers import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, FakeGoogle, FakeGraph


def _started(cls):
    fake = cls()
    fake.register_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    with fake:
        yield fake


@pytest.fixture
def fake_google():
    """A started FakeGoogle with the test client registered."""
    yield from _started(FakeGoogle)


@pytest.fixture
def fake_graph():
    """A started FakeGraph with the test client registered."""
    yield from _started(FakeGraph)
