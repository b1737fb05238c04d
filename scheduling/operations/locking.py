"""Serialise booking writes: the whole write on SQLite, each checked count on PostgreSQL."""

import hashlib
from collections.abc import Iterable

from sqlalchemy import event, text
from sqlalchemy.orm import Session

_LOCKED = "sqlite_write_lock"
_WROTE = "wrote"


def acquire_booking_lock(session: Session) -> bool:
    """Make the rest of this transaction hold SQLite's write lock before it reads.

    A deferred SQLite transaction that reads, then writes, can act on a stale view; BEGIN IMMEDIATE
    takes the lock first, so the availability re-check and the insert see the same data.
    PostgreSQL needs nothing here: its exclusion constraint decides. True when reads made before
    were rolled back to restart under the lock: what they loaded is expired, to be read again.
    """
    session = session() if callable(session) else session  # unwrap Flask-SQLAlchemy's scope
    if not takes_write_lock(session) or session.info.get(_LOCKED):
        return False
    restarted = False
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        session.flush()  # a write already holds the lock for this transaction
    else:
        if session.in_transaction():
            session.rollback()  # only reads so far: restart them under the lock
            restarted = True
        session.connection(execution_options={"sqlite_immediate": True})
    session.info[_LOCKED] = True
    return restarted


_LOCKS_LATER = "locks_later"


def lock_when_writing(session: Session) -> None:
    """This request reads first and takes the write lock itself, before it writes (see below).

    A booking attempt whose time is taken answers 409 from a read, so on SQLite it need not wait
    for the one writer; the code that books calls acquire_booking_lock before its first write.
    """
    session = session() if callable(session) else session
    session.info[_LOCKS_LATER] = True


def forget_lock_when_writing(session: Session) -> None:
    """End of the request: the promise does not carry over to a session that outlives it."""
    session = session() if callable(session) else session
    session.info.pop(_LOCKS_LATER, None)


@event.listens_for(Session, "before_flush")
def _refuse_write_before_lock(session, flush_context, instances):
    """A request that promised to lock before writing and did not: fail loudly, not at random."""
    info = session.info
    if info.get(_LOCKS_LATER) and not info.get(_LOCKED) and takes_write_lock(session):
        raise RuntimeError("write before acquire_booking_lock in a request that locks later")


@event.listens_for(Session, "after_flush")
def _remember_write(session, flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_lock(session, transaction):
    if transaction.parent is None:
        session.info.pop(_LOCKED, None)
        session.info.pop(_WROTE, None)
        session.info.pop(_COUNT_LOCKS, None)
        session.info.pop(_MEMO, None)
        session.info.pop(_LOCKS_LATER, None)


_MEMO = "transaction_memo"


def transaction_memo(session: Session) -> dict:
    """A dict that lives as long as the session's current transaction (for checks made once)."""
    session = session() if callable(session) else session
    return session.info.setdefault(_MEMO, {})


def takes_write_lock(session: Session) -> bool:
    """True where acquire_booking_lock takes a lock (SQLite's one writer)."""
    session = session() if callable(session) else session
    return session.get_bind().dialect.name == "sqlite"


def takes_count_locks(session: Session) -> bool:
    """True where hold_count_locks locks anything (PostgreSQL); SQLite serialises all writes."""
    session = session() if callable(session) else session
    return session.get_bind().dialect.name == "postgresql"


_COUNT_LOCKS = "count_locks"


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a name, the same in every process."""
    digest = hashlib.blake2b(f"rendezvous:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def hold_count_locks(session: Session, names: Iterable[str]) -> None:
    """Hold, until this transaction ends, a lock on each count a booking is about to check.

    Only overlaps have a constraint; a count (bookings of a host on a local day, in a week, a
    team's fair shares) is read and then acted on, so two transactions could both read the old
    count. On PostgreSQL each name maps to a transaction-scoped advisory lock, taken in key order
    so that transactions asking for overlapping sets cannot deadlock; call this once per
    transaction with every name (later calls should only repeat names already held). SQLite
    needs nothing more than acquire_booking_lock: BEGIN IMMEDIATE admits one writer at a time.
    """
    session = session() if callable(session) else session
    if not takes_count_locks(session):
        return
    held = session.info.setdefault(_COUNT_LOCKS, set())
    keys = sorted({lock_key(name) for name in names} - held)
    if not keys:
        return
    # unnest yields the keys in array order, so the locks are taken in key order.
    session.execute(
        text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
        {"keys": keys},
    )
    held.update(keys)
