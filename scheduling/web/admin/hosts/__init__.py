"""Admin: hosts and their availability (weekly hours, date overrides, holidays)."""
