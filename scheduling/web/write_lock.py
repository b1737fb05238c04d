"""Views that take SQLite's write lock themselves instead of before the request (see create_app)."""


def locks_itself(view):
    """Mark a view that calls acquire_booking_lock before its first write.

    Every other non-GET request waits for SQLite's one writer before it starts; a booking attempt
    first reads whether its time is taken, and a taken one answers 409 without waiting. Place it
    under the route decorator, which registers what it returns.
    """
    view.locks_itself = True
    return view
