"""Rate-limit counters: hits per key and fixed window, shared by every app process."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.extensions import db

from .types import UTCDateTime


class RateLimitCounter(db.Model):
    """Hits of one key (rule and client address) in one fixed window; purged once expired."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (Index("ix_rate_limit_counters_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The window's number: floor(Unix time / window length).
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)
    # After this the window no longer weighs in any verdict (the end of the window after it).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
