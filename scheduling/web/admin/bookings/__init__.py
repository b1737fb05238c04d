"""Admin: bookings (list, detail, new, cancel, reschedule, CSV), leads and call outcomes."""
