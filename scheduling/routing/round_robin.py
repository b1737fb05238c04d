"""Round-robin: fair, explainable choice of a host from a pool. Pure: no Flask, no DB, no clock.

Fairness is opportunity-based. Each assignment hands out one booking's worth of fair share,
split by weight among the members eligible for it (free and under their caps); a member's
deficit is that accumulated share minus what they actually got, and the largest deficit wins.
Someone new, or back from a week away, was not a candidate meanwhile and so accrued no share:
they start level with everyone else instead of being flooded to catch up. That is the
calibration. Out of office is the same rule: the caller leaves an absent member out of the free
hosts (the slot engine gives them no hours on those dates), so their expected share does not
grow while they are away and they do not catch up afterwards. A colleague they named to cover
them carries their weight as well meanwhile (hand_over_weights), so that colleague, not the whole
team, takes their turns. Bookings given back (cancellations, optionally no-shows) and manual
adjustments lower or raise `assigned`, which moves the member's next turn earlier or later.
"""

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PERIODS = ("day", "week", "month")
TOLERANCE = 1e-9
EQUAL_DISTRIBUTION_BASES = ("count", "share")

CALIBRATION = (
    "Fair share accrues only for assignments a member was eligible for, so a member who is "
    "new or back from absence starts level with the others and is not flooded."
)


@dataclass(frozen=True)
class Member:
    """A host in a round-robin pool; caps count bookings on the slot's local day and week."""

    host_id: int
    weight: int = 1
    priority: int = 0
    daily_cap: int | None = None
    weekly_cap: int | None = None


@dataclass(frozen=True)
class MemberStats:
    """A member's standing in the current period, computed by the caller from the database.

    `assigned` counts bookings minus credits given back, plus or minus manual adjustments;
    `expected` sums the shares of past assignments of the period the member was eligible for.
    """

    host_id: int
    assigned: float
    expected: float
    today: int = 0
    this_week: int = 0
    last_booked_at: datetime | None = None


@dataclass(frozen=True)
class Pick:
    """The chosen host (None when nobody is free), why, and each eligible member's share."""

    host_id: int | None
    explanation: dict
    shares: dict[int, float]


def _local_start(day: date, zone: ZoneInfo) -> datetime:
    # fold=0 reads a midnight skipped by DST with the old offset: the day's true first instant.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _period_first_day(period: str, moment: datetime, zone: ZoneInfo) -> date:
    if period not in PERIODS:
        raise ValueError(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")
    if moment.tzinfo is None:
        raise ValueError("The moment must be an aware datetime.")
    day = moment.astimezone(zone).date()
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def period_start(period: str, moment: datetime, tz: str) -> datetime:
    """Return the start (aware UTC) of the local day, ISO week or month containing `moment`."""
    zone = ZoneInfo(tz)
    return _local_start(_period_first_day(period, moment, zone), zone)


def period_bounds(period: str, moment: datetime, tz: str) -> tuple[datetime, datetime]:
    """Return [start, end) in aware UTC of the period containing `moment`, for queries."""
    zone = ZoneInfo(tz)
    first = _period_first_day(period, moment, zone)
    if period == "day":
        following = first + timedelta(days=1)
    elif period == "week":
        following = first + timedelta(days=7)
    else:
        following = (first + timedelta(days=32)).replace(day=1)
    return _local_start(first, zone), _local_start(following, zone)


def _skip_reason(member: Member, standing: MemberStats, free: Collection[int]) -> str | None:
    if member.weight <= 0:
        return "weight 0"
    if member.host_id not in free:
        return "not free"
    if member.daily_cap is not None and standing.today >= member.daily_cap:
        return "daily cap reached"
    if member.weekly_cap is not None and standing.this_week >= member.weekly_cap:
        return "weekly cap reached"
    return None


def _unique(members: Iterable[Member]) -> list[Member]:
    seen: set[int] = set()
    unique = []
    for member in members:
        if member.host_id not in seen:
            seen.add(member.host_id)
            unique.append(member)
    return unique


def _standing(stats: Mapping[int, MemberStats], host_id: int) -> MemberStats:
    return stats.get(host_id) or MemberStats(host_id, 0, 0)


def _recency(standing: MemberStats) -> tuple[int, datetime]:
    # Never booked sorts before any booking.
    when = standing.last_booked_at
    return (0, datetime.min.replace(tzinfo=UTC)) if when is None else (1, _as_utc(when))


def _as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _decide(eligible: list[Member], stats: Mapping[int, MemberStats]) -> tuple[Member, str]:
    if len(eligible) == 1:
        return eligible[0], "only candidate"

    def deficit(m: Member) -> float:
        standing = _standing(stats, m.host_id)
        return standing.expected - standing.assigned

    best = max(deficit(m) for m in eligible)
    # Shares like 1/3 summed over a long period drift by float noise; scale the tolerance so
    # such noise still counts as a tie and the tie-breaks decide.
    scale = max(1.0, *(abs(_standing(stats, m.host_id).expected) for m in eligible))
    tied = [m for m in eligible if deficit(m) >= best - TOLERANCE * scale]
    if len(tied) == 1:
        return tied[0], "deficit"
    top = max(m.priority for m in tied)
    tied = [m for m in tied if m.priority == top]
    if len(tied) == 1:
        return tied[0], "priority"
    oldest = min(_recency(_standing(stats, m.host_id)) for m in tied)
    tied = [m for m in tied if _recency(_standing(stats, m.host_id)) == oldest]
    if len(tied) == 1:
        return tied[0], "recency"
    return min(tied, key=lambda m: m.host_id), "order"


_SUMMARY = {
    "only candidate": "was the only eligible member",
    "deficit": "was furthest below their fair share",
    "priority": "tied on fair share and has the highest priority",
    "recency": "tied on fair share and priority and was booked least recently",
    "order": "tied on fair share, priority and recency and comes first by id",
}


def hand_over_weights(members: Sequence[Member], covers: Mapping[int, int]) -> list[Member]:
    """Members with the weight of each absent member added to the colleague covering them.

    covers maps an out-of-office member to the colleague they named; that colleague (a member
    too) then accrues the absent member's fair share as well, instead of it being spread over
    everyone. The absent member keeps their weight but is not free, so accrues nothing.
    """
    weights = {m.host_id: m.weight for m in members}
    extra: Counter[int] = Counter()
    for absent, colleague in covers.items():
        if absent in weights and colleague in weights and colleague != absent:
            extra[colleague] += max(weights[absent], 0)
    return [
        replace(m, weight=m.weight + extra[m.host_id]) if extra[m.host_id] else m for m in members
    ]


def pick_host(
    members: Sequence[Member],
    stats: Mapping[int, MemberStats],
    free_host_ids: Collection[int],
    *,
    period: str | None = None,
) -> Pick:
    """Choose the eligible member furthest below their weighted fair share, and say why.

    Eligible means weight above 0, free for the slot and under the daily and weekly caps.
    Ties go to higher priority, then least recently booked (never booked first), then lower
    host id. `period` is only recorded in the explanation.
    """
    pool = _unique(members)
    free = set(free_host_ids)
    reasons = {m.host_id: _skip_reason(m, _standing(stats, m.host_id), free) for m in pool}
    eligible = [m for m in pool if reasons[m.host_id] is None]
    total = sum(m.weight for m in eligible)
    shares = {m.host_id: m.weight / total for m in eligible}

    candidates = []
    for member in pool:
        standing = _standing(stats, member.host_id)
        last = standing.last_booked_at
        candidates.append(
            {
                "host_id": member.host_id,
                "weight": member.weight,
                "priority": member.priority,
                "share": round(shares.get(member.host_id, 0.0), 6),
                "expected": round(float(standing.expected), 6),
                "assigned": round(float(standing.assigned), 6),
                "deficit": round(float(standing.expected - standing.assigned), 6),
                "today": standing.today,
                "this_week": standing.this_week,
                "daily_cap": member.daily_cap,
                "weekly_cap": member.weekly_cap,
                "last_booked_at": last.isoformat() if last is not None else None,
                "skipped": reasons[member.host_id],
            }
        )

    if eligible:
        winner, decided_by = _decide(eligible, stats)
        winner_id: int | None = winner.host_id
        summary = f"Host {winner_id} {_SUMMARY[decided_by]}."
    else:
        winner_id, decided_by = None, "none free"
        summary = "No member of the pool is free and under their caps for this slot."

    explanation = {
        "period": period,
        "model": "opportunity-based fair share: deficit = expected - assigned",
        "calibration": CALIBRATION,
        "candidates": candidates,
        "winner": winner_id,
        "decided_by": decided_by,
        "summary": summary,
    }
    return Pick(winner_id, explanation, shares)


def equal_distribution_hidden(
    members: Sequence[Member],
    stats: Mapping[int, MemberStats],
    gap: int,
    *,
    basis: str = "count",
) -> set[int]:
    """Return the host ids whose slots to hide because they are more than `gap` ahead.

    basis "count" (as Calendly does) compares assigned / weight with the pool's lowest;
    basis "share" compares assigned - expected instead, which keeps the calibration: a member
    back from absence does not make everyone else look ahead. Weight-0 members are ignored.
    """
    if basis not in EQUAL_DISTRIBUTION_BASES:
        raise ValueError(f"Unknown basis {basis!r}; use 'count' or 'share'.")
    pool = [m for m in _unique(members) if m.weight > 0]
    if not pool:
        return set()

    def load(member: Member) -> float:
        standing = _standing(stats, member.host_id)
        if basis == "count":
            return standing.assigned / member.weight
        return standing.assigned - standing.expected

    loads = {m.host_id: load(m) for m in pool}
    lowest = min(loads.values())
    limit = max(gap, 0) + TOLERANCE
    return {host_id for host_id, value in loads.items() if value - lowest > limit}


class Ledger:
    """In-memory standing of a pool, for simulations and tests: what the database would hold.

    Day and week counts for caps use the local dates of booking times in zone `tz`.
    """

    def __init__(self, host_ids: Iterable[int] = (), tz: str = "UTC") -> None:
        self.tz = tz
        self.assigned: dict[int, float] = {}
        self.expected: dict[int, float] = {}
        self.last_booked_at: dict[int, datetime | None] = {}
        self._days: Counter[tuple] = Counter()
        self._weeks: Counter[tuple] = Counter()
        for host_id in host_ids:
            self._ensure(host_id)

    def _ensure(self, host_id: int) -> None:
        self.assigned.setdefault(host_id, 0.0)
        self.expected.setdefault(host_id, 0.0)
        self.last_booked_at.setdefault(host_id, None)

    def _keys(self, host_id: int, when: datetime) -> tuple[tuple, tuple]:
        day = when.astimezone(ZoneInfo(self.tz)).date()
        year, week, _ = day.isocalendar()
        return (host_id, day), (host_id, year, week)

    def record(self, pick: Pick, when: datetime) -> None:
        """Book the pick's winner at `when` and hand every eligible member their share."""
        if pick.host_id is None:
            return
        for host_id, share in pick.shares.items():
            self._ensure(host_id)
            self.expected[host_id] += share
        self._ensure(pick.host_id)
        self.assigned[pick.host_id] += 1
        self.last_booked_at[pick.host_id] = when
        day, week = self._keys(pick.host_id, when)
        self._days[day] += 1
        self._weeks[week] += 1

    def credit_back(self, host_id: int, booked_at: datetime | None = None) -> None:
        """Give a booking back (cancelled, or a no-show); with `booked_at` it frees cap room too."""
        self._ensure(host_id)
        self.assigned[host_id] -= 1
        if booked_at is not None:
            day, week = self._keys(host_id, booked_at)
            self._days[day] = max(0, self._days[day] - 1)
            self._weeks[week] = max(0, self._weeks[week] - 1)

    def adjust(self, host_id: int, amount: float) -> None:
        """Apply a manager's manual change: positive counts as bookings had, negative as owed."""
        self._ensure(host_id)
        self.assigned[host_id] += amount

    def stats(self, at: datetime | None = None) -> dict[int, MemberStats]:
        """Return each member's standing; with `at`, also their day and week counts for caps."""
        result = {}
        for host_id in self.assigned:
            today = this_week = 0
            if at is not None:
                day, week = self._keys(host_id, at)
                today, this_week = self._days[day], self._weeks[week]
            result[host_id] = MemberStats(
                host_id,
                self.assigned[host_id],
                self.expected[host_id],
                today,
                this_week,
                self.last_booked_at[host_id],
            )
        return result
