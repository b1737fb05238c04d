"""Admin: the home page, the dashboard of calls and outcomes, and the audit log."""
