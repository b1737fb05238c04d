"""Admin: the week calendar, busy blocks, calendar feeds (subscriptions) and imported calendars."""
