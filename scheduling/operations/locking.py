"""Serialise booking writes on SQLite, where no exclusion constraint exists."""

from sqlalchemy import event
from sqlalchemy.orm import Session

_LOCKED = "sqlite_write_lock"
_WROTE = "wrote"


def acquire_booking_lock(session: Session) -> None:
    """Make the rest of this transaction hold SQLite's write lock before it reads.

    A deferred SQLite transaction that reads, then writes, can act on a stale view; BEGIN IMMEDIATE
    takes the lock first, so the availability re-check and the insert see the same data.
    PostgreSQL needs nothing here: its exclusion constraint decides.
    """
    session = session() if callable(session) else session  # unwrap Flask-SQLAlchemy's scope
    if session.get_bind().dialect.name != "sqlite" or session.info.get(_LOCKED):
        return
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        session.flush()  # a write already holds the lock for this transaction
    else:
        if session.in_transaction():
            session.rollback()  # only reads so far: restart them under the lock
        session.connection(execution_options={"sqlite_immediate": True})
    session.info[_LOCKED] = True


@event.listens_for(Session, "after_flush")
def _remember_write(session, flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_lock(session, transaction):
    if transaction.parent is None:
        session.info.pop(_LOCKED, None)
        session.info.pop(_WROTE, None)
