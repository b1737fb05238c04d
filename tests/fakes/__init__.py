"""Fake Google Calendar and Microsoft Graph servers on loopback, speaking the documented APIs."""
