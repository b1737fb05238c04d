"""Rate-limit counters in the database, so every app process (and server) counts the same hits.

One atomic upsert-increment per hit (INSERT ... ON CONFLICT DO UPDATE, on SQLite and
PostgreSQL), then the pure sliding-window verdict (security/rate_windows.py). Flush only: the
caller commits the count on its own, before the request's real work, so a refused or failing
request still counts.
"""

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from scheduling.extensions import db
from scheduling.models import RateLimitCounter
from scheduling.security.rate_windows import Limit, Verdict, verdict, window_number

from .locking import acquire_booking_lock


def _insert(dialect: str):
    return (postgresql if dialect == "postgresql" else sqlite).insert(RateLimitCounter)


def hit(key: str, limit: Limit, now: datetime) -> Verdict:
    """Count one hit of `key` and judge it against `limit`."""
    acquire_booking_lock(db.session)  # SQLite: take the write lock before the upsert reads
    stamp = now.timestamp()
    window = window_number(stamp, limit.seconds)
    expires = datetime.fromtimestamp((window + 2) * limit.seconds, UTC)
    dialect = db.session.get_bind().dialect.name
    insert = _insert(dialect).values(key=key, window=window, count=1, expires_at=expires)
    statement = insert.on_conflict_do_update(
        index_elements=[RateLimitCounter.key, RateLimitCounter.window],
        set_={"count": RateLimitCounter.count + 1},
    ).returning(RateLimitCounter.count)
    current = db.session.execute(statement).scalar_one()
    previous = db.session.scalar(
        select(RateLimitCounter.count).where(
            RateLimitCounter.key == key, RateLimitCounter.window == window - 1
        )
    )
    elapsed = stamp - window * limit.seconds
    return verdict(limit, previous or 0, current, elapsed)


def purge_rate_limit_counters(now: datetime) -> int:
    """Delete windows that no longer weigh in any verdict (periodic task); returns how many."""
    result = db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
    return result.rowcount or 0
