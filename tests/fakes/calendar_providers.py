"""The fake calendar providers in one import: FakeGoogle, FakeGraph and the Seen request record."""

from .google_calendar import FakeGoogle
from .http_fake import Seen
from .microsoft_graph import FakeGraph
from .oauth_server import s256

# The client the `fake_google` / `fake_graph` fixtures register.
CLIENT_ID = "rendezvous-test"
CLIENT_SECRET = "test-secret"
REDIRECT_URI = "http://localhost/callback"

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI", "FakeGoogle", "FakeGraph", "Seen", "s256"]
