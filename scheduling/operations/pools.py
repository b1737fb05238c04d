"""Teams (round-robin pools) on the admin side: settings, members, credits and standing.

Members are hosts of the team's organisation, each at most once; a team is deleted only when
nothing routes to it any more.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduling import routing as rt
from scheduling.availability.timezones import is_valid_zone
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import (
    Assignment,
    Booking,
    CreditAdjustment,
    EventType,
    Host,
    Organisation,
    Pool,
    PoolMember,
    RoutingForm,
    User,
)

from .audit import diff, record
from .hosts import flush_unique
from .problems import Problems, refuse_if
from .public_pages import unique_slug
from .routing import member_stats

MEMBER_LIMITS = {"weight": (0, 100), "priority": (-100, 100)}
ADJUST_LIMIT = 10


@dataclass(frozen=True)
class PoolData:
    name: str
    period: str
    tz: str
    credit_no_shows: bool
    equal_distribution_gap: int | None


def _pool_values(data: PoolData) -> dict:
    problems: list[tuple[str, str]] = []
    name = data.name.strip()
    if not name:
        problems.append(("name", "Name the team, e.g. Closers DACH."))
    elif len(name) > 200:
        problems.append(("name", "The name may be at most 200 characters."))
    if data.period not in rt.PERIODS:
        problems.append(("period", "Choose a day, a week or a month."))
    if not is_valid_zone(data.tz):
        problems.append(("tz", "Pick a time zone from the list."))
    gap = data.equal_distribution_gap
    if gap is not None and gap < 0:
        problems.append(("equal_distribution_gap", "Leave empty for off, or enter 0 or more."))
    refuse_if(problems)
    return {
        "name": name,
        "period": data.period,
        "tz": data.tz,
        "credit_no_shows": data.credit_no_shows,
        "equal_distribution_gap": gap,
    }


def create_pool(organisation: Organisation, data: PoolData, now: datetime, actor: User) -> Pool:
    values = _pool_values(data)
    pool = Pool(
        organisation=organisation, slug=unique_slug(Pool, values["name"]), created_at=now, **values
    )
    db.session.add(pool)
    # Two teams of one name created at once may pick the same page address: one is refused.
    flush_unique("Another team with this name was just created. Save again.", {"name": "taken"})
    record(
        organisation.id,
        actor,
        "pool.create",
        "pool",
        pool.id,
        f"Created team {pool.name}",
        now,
        {name: [None, value] for name, value in values.items()},
    )
    return pool


def update_pool(pool: Pool, data: PoolData, now: datetime, actor: User) -> dict:
    changes = diff(pool, _pool_values(data))
    if changes:
        db.session.flush()
        record(
            pool.organisation_id,
            actor,
            "pool.update",
            "pool",
            pool.id,
            f"Edited team {pool.name}",
            now,
            changes,
        )
    return changes


def pool_users(pool: Pool) -> list[str]:
    """What routes calls to this team: event types, rules and form fallbacks, in words."""
    titles = db.session.scalars(
        select(EventType.title).where(EventType.pool_id == pool.id).order_by(EventType.title)
    )
    users = [f"event type “{title}”" for title in titles]
    forms = db.session.scalars(
        select(RoutingForm)
        .where(RoutingForm.organisation_id == pool.organisation_id)
        .options(selectinload(RoutingForm.rules))
    )
    for form in forms:
        if form.fallback_kind == "team" and form.fallback_target_id == pool.id:
            users.append(f"the fallback of form “{form.name}”")
        users.extend(
            f"rule “{rule.name}” of form “{form.name}”"
            for rule in form.rules
            if rule.action_kind == "team" and rule.target_id == pool.id
        )
    return users


def delete_pool(pool: Pool, now: datetime, actor: User) -> None:
    """Delete a team nobody routes to any more (its assignments keep their history)."""
    users = pool_users(pool)
    if users:
        raise InvalidRequest(
            f"Calls are still routed to this team by {', '.join(users)}. Change those first.",
            {"pool": "in use"},
        )
    record(
        pool.organisation_id,
        actor,
        "pool.delete",
        "pool",
        pool.id,
        f"Deleted team {pool.name}",
        now,
        {"name": [pool.name, None], "members": [[m.host.name for m in pool.members], None]},
    )
    db.session.delete(pool)
    db.session.flush()


@dataclass(frozen=True)
class MemberData:
    weight: int
    priority: int
    daily_cap: int | None
    weekly_cap: int | None
    active: bool


def _member_values(data: MemberData) -> dict:
    problems = []
    low, high = MEMBER_LIMITS["weight"]
    if not low <= data.weight <= high:
        problems.append(("weight", "Enter a weight from 0 to 100 (0 takes no calls)."))
    low, high = MEMBER_LIMITS["priority"]
    if not low <= data.priority <= high:
        problems.append(("priority", "Enter a priority from -100 to 100."))
    for name in ("daily_cap", "weekly_cap"):
        cap = getattr(data, name)
        if cap is not None and cap < 1:
            problems.append((name, "Leave the cap empty for no cap, or enter 1 or more."))
    refuse_if(problems)
    return {
        "weight": data.weight,
        "priority": data.priority,
        "daily_cap": data.daily_cap,
        "weekly_cap": data.weekly_cap,
        "active": data.active,
    }


def add_member(
    pool: Pool, host_id: int | None, data: MemberData, now: datetime, actor: User
) -> PoolMember:
    """Put a host of the organisation in the team; they start level (see round_robin)."""
    host = db.session.get(Host, host_id) if host_id is not None else None
    if host is None or host.organisation_id != pool.organisation_id:
        raise Problems([("host", "Choose a host of your organisation from the list.")])
    if any(member.host_id == host.id for member in pool.members):
        raise Problems([("host", f"{host.name} is already in this team.")])
    values = _member_values(data)
    member = PoolMember(host=host, joined_at=now, **values)
    pool.members.append(member)
    flush_unique(f"{host.name} is already in this team.", {"host": "taken"})
    record(
        pool.organisation_id,
        actor,
        "pool_member.add",
        "pool",
        pool.id,
        f"Added {host.name} to team {pool.name}",
        now,
        {"host": [None, f"{host.name} (#{host.id})"], **{k: [None, v] for k, v in values.items()}},
    )
    return member


def update_member(member: PoolMember, data: MemberData, now: datetime, actor: User) -> dict:
    changes = diff(member, _member_values(data))
    if changes:
        db.session.flush()
        record(
            member.pool.organisation_id,
            actor,
            "pool_member.update",
            "pool",
            member.pool_id,
            f"Changed {member.host.name}'s settings in team {member.pool.name}",
            now,
            changes,
        )
    return changes


def remove_member(member: PoolMember, now: datetime, actor: User) -> None:
    pool = member.pool
    record(
        pool.organisation_id,
        actor,
        "pool_member.remove",
        "pool",
        pool.id,
        f"Removed {member.host.name} from team {pool.name}",
        now,
        {"host": [f"{member.host.name} (#{member.host_id})", None]},
    )
    pool.members.remove(member)
    db.session.flush()


def adjust_credit(
    pool: Pool, host_id: int | None, amount: int, reason: str, now: datetime, actor: User
) -> CreditAdjustment:
    """Credit (+) or debit (-) a member's count for this period, with the reason why."""
    problems = []
    member = next((m for m in pool.members if m.host_id == host_id), None)
    if member is None:
        problems.append(("member", "Choose a member of this team."))
    if not -ADJUST_LIMIT <= amount <= ADJUST_LIMIT or amount == 0:
        problems.append(("amount", "Enter a whole number from -10 to 10, not 0."))
    reason = (reason or "").strip()
    if not reason:
        problems.append(("reason", "Say why, e.g. took over a call for a colleague."))
    elif len(reason) > 300:
        problems.append(("reason", "The reason may be at most 300 characters."))
    refuse_if(problems)
    row = CreditAdjustment(
        pool_id=pool.id,
        host_id=member.host_id,
        amount=amount,
        reason=reason,
        created_by=actor,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    record(
        pool.organisation_id,
        actor,
        "pool.adjust",
        "pool",
        pool.id,
        f"Adjusted {member.host.name}'s count in team {pool.name} by {amount:+d}: {reason}",
        now,
        {"host": [None, member.host.name], "amount": [None, amount], "reason": [None, reason]},
    )
    return row


@dataclass(frozen=True)
class Standing:
    """One member's place in the current period (None figures for inactive members)."""

    member: PoolMember
    stats: rt.MemberStats | None

    @property
    def deficit(self) -> float | None:
        return None if self.stats is None else self.stats.expected - self.stats.assigned


def pool_standing(pool: Pool, now: datetime) -> tuple[datetime, datetime, list[Standing]]:
    """The period containing `now` and each member's assigned, expected and deficit in it."""
    start, end = rt.period_bounds(pool.period, now, pool.tz)
    active = [member for member in pool.members if member.active]
    stats = member_stats(pool, active, now)
    rows = [Standing(member, stats.get(member.host_id)) for member in pool.members]
    return start, end, rows


def recent_assignments(pool: Pool, limit: int = 20) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.pool_id == pool.id)
            .options(selectinload(Assignment.booking).selectinload(Booking.host))
            .order_by(Assignment.created_at.desc(), Assignment.id.desc())
            .limit(limit)
        )
    )


def recent_adjustments(pool: Pool, limit: int = 20) -> list[CreditAdjustment]:
    return list(
        db.session.scalars(
            select(CreditAdjustment)
            .where(CreditAdjustment.pool_id == pool.id)
            .options(selectinload(CreditAdjustment.host), selectinload(CreditAdjustment.created_by))
            .order_by(CreditAdjustment.created_at.desc(), CreditAdjustment.id.desc())
            .limit(limit)
        )
    )
