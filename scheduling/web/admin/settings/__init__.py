"""Admin: organisation settings and the outbox of notifications (emails, reminders)."""
