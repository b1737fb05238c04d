"""Blocked time ("managing slots"): a host is not bookable during a busy block."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import Booking, BusyBlock, Host, User

from .audit import record

# Longer absences are days off (date overrides), not blocks.
MAX_BLOCK = timedelta(days=62)
REASON_MAX = 200


def create_busy_block(
    host: Host, start: datetime, end: datetime, reason: str, actor: User, now: datetime
) -> BusyBlock:
    """Block [start, end) of a host's time; slots overlapping it are no longer offered.

    Confirmed bookings inside the block stay booked: blocking takes away free time only.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("aware datetimes required")
    if end <= start:
        raise InvalidRequest("The end must be after the start.", {"end_time": "before the start"})
    if end - start > MAX_BLOCK:
        raise InvalidRequest(
            "A block may last at most 62 days; use days off in the host's availability instead.",
            {"end_day": "too long"},
        )
    if end <= now:
        raise InvalidRequest(
            "That time is already over; only time still to come can be blocked.",
            {"end_time": "in the past"},
        )
    reason = reason.strip()[:REASON_MAX]
    block = BusyBlock(
        host=host, start_at=start, end_at=end, reason=reason, created_by=actor, created_at=now
    )
    db.session.add(block)
    db.session.flush()
    record(
        host.organisation_id,
        actor,
        "busy_block.create",
        "busy_block",
        block.id,
        f"Blocked {host.name} from {start.isoformat()} to {end.isoformat()}"
        + (f": {reason}" if reason else ""),
        now,
        {
            "host_id": [None, host.id],
            "start_at": [None, start.isoformat()],
            "end_at": [None, end.isoformat()],
            "reason": [None, reason],
        },
    )
    return block


def delete_busy_block(block: BusyBlock, actor: User, now: datetime) -> None:
    """Remove a block; its time is bookable again where the host's hours allow."""
    host = block.host
    record(
        host.organisation_id,
        actor,
        "busy_block.delete",
        "busy_block",
        block.id,
        f"Removed the block of {host.name} from {block.start_at.isoformat()} "
        f"to {block.end_at.isoformat()}",
        now,
        {
            "start_at": [block.start_at.isoformat(), None],
            "end_at": [block.end_at.isoformat(), None],
        },
    )
    db.session.delete(block)
    db.session.flush()


def bookings_inside(block: BusyBlock) -> int:
    """How many confirmed bookings of the host overlap the block (they stay booked)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.host_id == block.host_id,
            Booking.status == "confirmed",
            Booking.start_at < block.end_at,
            Booking.end_at > block.start_at,
        )
    )


def upcoming_blocks(host_ids: Sequence[int], now: datetime, limit: int = 200) -> list[BusyBlock]:
    """Blocks of these hosts that have not ended yet, soonest first."""
    return list(
        db.session.scalars(
            select(BusyBlock)
            .where(BusyBlock.host_id.in_(host_ids), BusyBlock.end_at > now)
            .options(selectinload(BusyBlock.host), selectinload(BusyBlock.created_by))
            .order_by(BusyBlock.start_at, BusyBlock.id)
            .limit(limit)
        )
    )


def blocks_between(host_ids: Sequence[int], start: datetime, end: datetime) -> list[BusyBlock]:
    """Blocks of these hosts overlapping [start, end)."""
    return list(
        db.session.scalars(
            select(BusyBlock)
            .where(
                BusyBlock.host_id.in_(host_ids),
                BusyBlock.start_at < end,
                BusyBlock.end_at > start,
            )
            .options(selectinload(BusyBlock.host))
            .order_by(BusyBlock.start_at, BusyBlock.id)
        )
    )
