"""Admin: event types (duration, buffers, notice, limits, questions, locations)."""
