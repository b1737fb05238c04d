"""Health of an installation: database reachable, migrations at head, worker heartbeats.

Read by /readyz, `flask rendezvous check` and the refusal to serve a broken production setup.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from scheduling.config import config_problems
from scheduling.extensions import db
from scheduling.models import WorkerHeartbeat

from .locking import acquire_booking_lock

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# A worker loops every few seconds; one silent for this long is stopped or stuck.
HEARTBEAT_STALE_AFTER = timedelta(minutes=5)
# Rows of workers gone this long are removed (each start is a new worker id).
HEARTBEAT_KEEP = timedelta(days=7)


@dataclass(frozen=True)
class SchemaState:
    reachable: bool
    error: str  # why the database could not be reached ("" when it could)
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        return self.reachable and set(self.current) == set(self.heads)

    def problem(self) -> str | None:
        """One line on what is wrong, or None."""
        if not self.reachable:
            return f"database unreachable: {self.error}"
        if not self.at_head:
            current = ", ".join(self.current) or "empty database"
            return (
                f"migrations not at head (database: {current}; code: {', '.join(self.heads)});"
                " run flask --app app db upgrade"
            )
        return None


@cache
def migration_heads(directory: str = str(MIGRATIONS)) -> tuple[str, ...]:
    """The head revision(s) of the code's migrations (read once per process)."""
    from alembic.script import ScriptDirectory  # ~10 MB: only when asked, not in every worker

    return tuple(sorted(ScriptDirectory(directory).get_heads()))


def short_error(exc: BaseException) -> str:
    """The first line of a driver error, without SQLAlchemy's background link."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else 'no detail'}"[:300]


def schema_state(directory: str = str(MIGRATIONS)) -> SchemaState:
    """Connect once (not through the session) and compare the stored revision with the code's."""
    from alembic.migration import MigrationContext

    heads = migration_heads(directory)
    try:
        with db.engine.connect() as conn:
            current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    except SQLAlchemyError as exc:
        return SchemaState(False, short_error(exc), (), heads)
    return SchemaState(True, "", current, heads)


def record_heartbeat(worker_id: str, hostname: str, pid: int, now: datetime) -> None:
    """Note that this worker is alive; forget workers silent for a week."""
    acquire_booking_lock(db.session)
    beat = db.session.get(WorkerHeartbeat, worker_id)
    if beat is None:
        beat = WorkerHeartbeat(worker_id=worker_id, hostname=hostname, pid=pid, started_at=now)
        db.session.add(beat)
    beat.beat_at = now
    db.session.execute(
        delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - HEARTBEAT_KEEP)
    )
    db.session.flush()


def latest_heartbeat() -> WorkerHeartbeat | None:
    return db.session.scalars(
        select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc()).limit(1)
    ).first()


def heartbeat_is_stale(beat: WorkerHeartbeat | None, now: datetime) -> bool:
    return beat is None or now - beat.beat_at > HEARTBEAT_STALE_AFTER


def serving_problems(config) -> list[str]:
    """Why a production process must not serve or deliver: config first, then the database."""
    problems = config_problems(config)
    schema = schema_state().problem()
    return problems + ([schema] if schema else [])
