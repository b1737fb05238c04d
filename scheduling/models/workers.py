"""Worker heartbeats: one row per outbox worker process, touched on every loop."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.extensions import db

from .types import UTCDateTime


class WorkerHeartbeat(db.Model):
    """The last sign of life of one worker, so the admin UI and `check` can tell none runs."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
