"""Qualification and routing use cases: answers -> lead -> routed hosts; round-robin inputs."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from scheduling import routing as rt
from scheduling.errors import N_, InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import (
    Assignment,
    Booking,
    CreditAdjustment,
    EventType,
    Host,
    Lead,
    Outcome,
    Pool,
    PoolMember,
    RoutingForm,
    event_type_hosts,
)
from scheduling.routing.phones import normalise_phone

from . import notifications
from .bookings import Invitee, create_booking, new_uid, raise_if_all_taken
from .days_off import covered_by
from .limits import cap_counts, lock_for_booking
from .locking import acquire_booking_lock
from .question_rows import questions_of


def _action(kind: str, target_id, message: str, url: str, seconds: int) -> rt.Action:
    return rt.Action(
        kind=kind, target_id=target_id, message=message, redirect_url=url, redirect_seconds=seconds
    )


def rules_of(form: RoutingForm) -> tuple[list[rt.Rule], rt.Action]:
    """The pure rules (active ones, in order) and the fallback action of a form."""
    rules = [
        rt.Rule(
            id=row.id,
            name=row.name,
            conditions=tuple(
                rt.Condition(c.get("field", ""), c.get("operator", ""), c.get("value"))
                for c in row.conditions or []
            ),
            match=row.match,
            action=_action(
                row.action_kind, row.target_id, row.message, row.redirect_url, row.redirect_seconds
            ),
        )
        for row in form.rules
        if row.active
    ]
    fallback = _action(
        form.fallback_kind,
        form.fallback_target_id,
        form.fallback_message,
        form.fallback_redirect_url,
        form.fallback_redirect_seconds,
    )
    return rules, fallback


@dataclass(frozen=True)
class Qualification:
    """The outcome of answering a form, before anything is stored."""

    answers: dict
    score: int
    decision: rt.Decision


def evaluate_answers(form: RoutingForm, raw: dict) -> Qualification:
    """Validate answers and run the rules; raises InvalidRequest with per-question messages."""
    questions = questions_of(form)
    answers, errors = rt.clean_answers(questions, raw)
    countries = [str(answers[q.key]) for q in questions if q.kind == "country" and q.key in answers]
    region = countries[0] if countries else None
    for question in questions:
        if question.kind == "phone" and question.key in answers and question.key not in errors:
            try:
                answers[question.key] = normalise_phone(str(answers[question.key]), region)
            except ValueError as exc:
                errors[question.key] = exc.args[0]
    if errors:
        raise InvalidRequest(N_("Some answers are missing or invalid."), errors)
    points = rt.score(questions, answers)
    rules, fallback = rules_of(form)
    return Qualification(answers, points, rt.evaluate(rules, fallback, answers, points))


def _contact_from(form: RoutingForm, answers: dict) -> tuple[str, str]:
    """Name and email given among the answers (to prefill the booking form)."""
    email = next(
        (str(answers[q.key]) for q in form.questions if q.kind == "email" and q.key in answers),
        "",
    )
    name = next(
        (
            str(answers[q.key])
            for q in form.questions
            if q.kind == "short_text" and "name" in q.key.lower() and q.key in answers
        ),
        "",
    )
    return name, email


def open_lead_of(event_type: EventType, form: RoutingForm, email: str) -> Lead | None:
    """The visitor's latest lead for this event type that has not booked yet, if any."""
    if not email:
        return None
    return db.session.scalars(
        select(Lead)
        .where(
            Lead.organisation_id == event_type.organisation_id,
            Lead.routing_form_id == form.id,
            Lead.event_type_id == event_type.id,
            Lead.booking_id.is_(None),
            Lead.status.in_(("qualified", "disqualified")),
            func.lower(Lead.email) == email.strip().lower(),
        )
        .order_by(Lead.id.desc())
        .limit(1)
    ).first()


def qualify(
    event_type: EventType, raw_answers: dict, now: datetime, *, visitor_email: str = ""
) -> Lead:
    """Keep a submission as a lead (qualified or disqualified) with its answers, score and route.

    A visitor (the email among the answers, else `visitor_email`) keeps one open lead per event
    type: answering again updates it, so retries and failed attempts do not pile up leads.
    """
    form = event_type.routing_form
    if form is None:
        raise InvalidRequest(N_("This event type asks no questions."))
    result = evaluate_answers(form, raw_answers)
    action = result.decision.action
    target_event_type = event_type
    if action.kind == "event_type" and action.target_id is not None:
        other = db.session.get(EventType, action.target_id)
        if other is not None and other.organisation_id == event_type.organisation_id:
            target_event_type = other
    name, email = _contact_from(form, result.answers)
    email = email or visitor_email.strip()
    status = "disqualified" if action.kind == "disqualify" else "qualified"
    values = {
        "status": status,
        "answers": result.answers,
        "score": result.score,
        "rule_name": result.decision.rule_name,
        "decision": {
            "kind": action.kind,
            "target_id": action.target_id,
            "message": action.message,
            "redirect_url": action.redirect_url,
            "redirect_seconds": action.redirect_seconds,
            "trace": list(result.decision.trace),
        },
        "updated_at": now,
    }
    lead = open_lead_of(target_event_type, form, email)
    if lead is not None:
        changed = lead.status != status
        for key, value in values.items():
            setattr(lead, key, value)
        lead.name = name or lead.name
        db.session.flush()
        if changed:  # the receiver's view of the lead is stale only when the verdict moved
            notifications.lead_submitted(lead, now)
        return lead
    lead = Lead(
        uid=new_uid(),
        organisation_id=event_type.organisation_id,
        routing_form_id=form.id,
        event_type_id=target_event_type.id,
        name=name,
        email=email,
        created_at=now,
        **values,
    )
    db.session.add(lead)
    db.session.flush()
    notifications.lead_submitted(lead, now)
    return lead


def get_lead(uid: str) -> Lead:
    lead = db.session.scalar(select(Lead).where(Lead.uid == uid))
    if lead is None:
        raise NotFound(N_("This qualification link is not valid any more. Please answer again."))
    return lead


@dataclass
class Route:
    """Whom a visitor may book: explicit hosts, or a team with round-robin."""

    hosts: list[Host]
    pool: Pool | None
    members: list[PoolMember]
    rule_name: str = ""


def _pool_route(pool: Pool, rule_name: str) -> Route:
    members = db.session.scalars(
        select(PoolMember)
        .join(Host, Host.id == PoolMember.host_id)
        .where(PoolMember.pool_id == pool.id, PoolMember.active.is_(True), Host.active.is_(True))
        .options(contains_eager(PoolMember.host))
        .order_by(PoolMember.id)
    ).all()
    return Route([m.host for m in members], pool, list(members), rule_name)


def route_for(event_type: EventType, lead: Lead | None = None) -> Route:
    """The hosts (and team) behind an event type, narrowed by a lead's routing decision."""
    if lead is not None:
        decision = lead.decision or {}
        kind, target = decision.get("kind"), decision.get("target_id")
        if kind == "team" and target is not None:
            pool = db.session.get(Pool, target)
            if pool is not None and pool.organisation_id == event_type.organisation_id:
                return _pool_route(pool, lead.rule_name)
        if kind == "host" and target is not None:
            host = db.session.get(Host, target)
            if host is not None and host.organisation_id == event_type.organisation_id:
                return Route([host] if host.active else [], None, [], lead.rule_name)
    if event_type.pool is not None:
        return _pool_route(event_type.pool, lead.rule_name if lead else "")
    return Route(
        [h for h in hosts_of(event_type) if h.active], None, [], lead.rule_name if lead else ""
    )


_HOSTS_OF = (
    select(Host)
    .join(event_type_hosts, event_type_hosts.c.host_id == Host.id)
    .where(event_type_hosts.c.event_type_id == bindparam("event_type_id"))
    .order_by(Host.id)
)


def hosts_of(event_type: EventType) -> list[Host]:
    """event_type.hosts, loaded by a prebuilt read: the lazy load cost more than the query."""
    if "hosts" not in event_type.__dict__:
        hosts = db.session.scalars(_HOSTS_OF, {"event_type_id": event_type.id}).all()
        set_committed_value(event_type, "hosts", hosts)
    return event_type.hosts


def member_stats(
    pool: Pool, members: list[PoolMember], moment: datetime
) -> dict[int, rt.MemberStats]:
    """Counts that decide fairness for an assignment at `moment` (the slot's start).

    expected: the member's shares of this period's assignments in which they were a candidate;
    assigned: those assignments still counting (cancelled ones, and no-shows if the team says so,
    are credited back) plus manual adjustments.
    """
    start, end = rt.period_bounds(pool.period, moment, pool.tz)
    host_ids = [m.host_id for m in members]
    expected: dict[int, float] = defaultdict(float)
    assigned: dict[int, float] = defaultdict(float)
    rows = db.session.execute(
        select(Assignment.host_id, Assignment.shares, Booking.status, Booking.id)
        .join(Booking, Booking.id == Assignment.booking_id)
        .where(
            Assignment.pool_id == pool.id,
            Booking.start_at >= start,
            Booking.start_at < end,
            Booking.status.in_(("confirmed", "cancelled")),
        )
    ).all()
    no_shows = set()
    if pool.credit_no_shows:
        no_shows = set(
            db.session.scalars(
                select(Outcome.booking_id).where(
                    Outcome.booking_id.in_([r.id for r in rows]), Outcome.status == "no_show"
                )
            )
        )
    for host_id, shares, status, booking_id in rows:
        for key, share in (shares or {}).items():
            expected[int(key)] += float(share)
        if status == "confirmed" and booking_id not in no_shows:
            assigned[host_id] += 1
    for host_id, amount in db.session.execute(
        select(CreditAdjustment.host_id, func.sum(CreditAdjustment.amount))
        .where(
            CreditAdjustment.pool_id == pool.id,
            CreditAdjustment.created_at >= start,
            CreditAdjustment.created_at < end,
        )
        .group_by(CreditAdjustment.host_id)
    ):
        assigned[host_id] += float(amount or 0)
    last = dict(
        db.session.execute(
            select(Booking.host_id, func.max(Booking.created_at))
            .join(Assignment, Assignment.booking_id == Booking.id)
            .where(Assignment.pool_id == pool.id, Booking.status == "confirmed")
            .group_by(Booking.host_id)
        ).all()
    )
    today, this_week = cap_counts(members, moment)
    return {
        host_id: rt.MemberStats(
            host_id=host_id,
            assigned=assigned[host_id],
            expected=expected[host_id],
            today=today.get(host_id, 0),
            this_week=this_week.get(host_id, 0),
            last_booked_at=last.get(host_id),
        )
        for host_id in host_ids
    }


def pure_members(members: list[PoolMember]) -> list[rt.Member]:
    return [
        rt.Member(
            host_id=m.host_id,
            weight=m.weight,
            priority=m.priority,
            daily_cap=m.daily_cap,
            weekly_cap=m.weekly_cap,
        )
        for m in members
    ]


def bookable_host_ids(event_type: EventType, lead: Lead | None, now: datetime) -> list[int]:
    """Hosts whose slots a visitor sees: the route, minus those hidden by equal distribution."""
    route = route_for(event_type, lead)
    ids = [host.id for host in route.hosts]
    pool = route.pool
    if pool is not None and pool.equal_distribution_gap is not None and route.members:
        stats = member_stats(pool, route.members, now)
        hidden = rt.equal_distribution_hidden(
            pure_members(route.members), stats, pool.equal_distribution_gap, basis="share"
        )
        ids = [host_id for host_id in ids if host_id not in hidden]
    return ids


def reload_event_type(event_type: EventType) -> None:
    """Read again what a restart under SQLite's lock expired; it may have gone meanwhile."""
    try:
        db.session.refresh(event_type)
    except InvalidRequestError:
        raise NotFound(N_("There is no bookable event type at this address.")) from None


def _reload_lead(lead: Lead, *, with_for_update: bool = False) -> None:
    try:
        db.session.refresh(lead, with_for_update=with_for_update)
    except InvalidRequestError:  # erased while this request waited
        raise NotFound(
            N_("This qualification link is not valid any more. Please answer again.")
        ) from None


def lead_for_event_type(event_type: EventType, uid: str) -> Lead:
    """A lead routed to this event type; a disqualified one cannot book."""
    lead = get_lead(uid)
    if lead.event_type_id != event_type.id:
        raise NotFound(N_("This qualification link belongs to another event type."))
    return lead


@dataclass
class RoundRobinOrder:
    """Ranks free hosts with pick_host and remembers why, for the Assignment row."""

    pool: Pool
    members: list[PoolMember]
    stats: dict[int, rt.MemberStats]
    picks: dict[int, rt.Pick] | None = None
    # Out-of-office member -> the colleague covering them on the slot's date (days_off.py).
    covers: dict[int, int] | None = None

    def __call__(self, free_hosts: list[Host]) -> list[Host]:
        by_id = {host.id: host for host in free_hosts}
        remaining = set(by_id)
        pure = rt.hand_over_weights(pure_members(self.members), self.covers or {})
        self.picks = {}
        ranked: list[Host] = []
        while remaining:
            pick = rt.pick_host(pure, self.stats, remaining, period=self.pool.period)
            if pick.host_id is None:
                break
            self.picks[pick.host_id] = pick
            ranked.append(by_id[pick.host_id])
            remaining.discard(pick.host_id)
        return ranked

    def first_pick(self) -> rt.Pick | None:
        return next(iter(self.picks.values()), None) if self.picks else None


def record_assignment(booking: Booking, order: RoundRobinOrder, rule_name: str, now: datetime):
    """Store why the booking went to its host (the shares count towards future fairness)."""
    first = order.first_pick()
    pick = (order.picks or {}).get(booking.host_id, first)
    explanation = dict(pick.explanation) if pick else {}
    if first is not None and first.host_id != booking.host_id:
        explanation["note"] = "The first choice was booked by someone else a moment earlier."
    explanation["rule"] = rule_name or "Team default"
    row = Assignment(
        booking=booking,
        pool_id=order.pool.id,
        host_id=booking.host_id,
        shares={str(k): v for k, v in (first.shares if first else {}).items()},
        explanation=explanation,
        rule_name=rule_name,
        created_at=now,
    )
    db.session.add(row)
    return row


def book_for_route(
    event_type: EventType,
    start: datetime,
    invitee: Invitee,
    now: datetime,
    *,
    lead: Lead | None,
    video_base_url: str,
    source: str = "public",
) -> Booking:
    """Book through the lead's route; with a team, round-robin picks the host and says why.

    A time every candidate already holds is refused from one read before any lock is waited for:
    a confirmed overlapping booking existed when it was read, so 409 is a right answer.
    """
    route = route_for(event_type, lead)
    if event_type.active and (lead is None or lead.status == "qualified"):
        raise_if_all_taken(event_type, start, [host.id for host in route.hosts])
    # Fairness counts and the insert see the same bookings. Reads restarted under SQLite's lock
    # expired what they loaded: the route is read again, current.
    if acquire_booking_lock(db.session):
        reload_event_type(event_type)
        if lead is not None:
            _reload_lead(lead)
        route = route_for(event_type, lead)
    # Before any count is read: the team's fair shares, members' caps, the daily limit.
    lock_for_booking(
        [host.id for host in route.hosts],
        start,
        pool_id=route.pool.id if route.pool is not None else None,
        members=route.members,
        event_type=event_type,
    )
    if lead is not None:
        # Row lock: two requests with the same lead link book once (the other sees "booked").
        _reload_lead(lead, with_for_update=True)
    if lead is not None and lead.status == "disqualified":
        raise InvalidRequest(N_("These answers do not qualify for a call."))
    if lead is not None and lead.status == "booked":
        raise InvalidRequest(N_("This qualification was already used for a booking."))
    if event_type.active:  # an inactive one is answered by create_booking
        raise_if_all_taken(event_type, start, [host.id for host in route.hosts])
    host_ids = bookable_host_ids(event_type, lead, now)
    order = None
    if route.pool is not None:
        members = [m for m in route.members if m.host_id in host_ids]
        order = RoundRobinOrder(
            route.pool,
            members,
            member_stats(route.pool, members, start),
            covers=covered_by(members, start),
        )
    booking = create_booking(
        event_type,
        start,
        invitee,
        now,
        video_base_url=video_base_url,
        host_ids=host_ids,
        order_hosts=order,
        source=source,
    )
    if order is not None:
        record_assignment(booking, order, route.rule_name, now)
    if lead is not None:
        lead.status = "booked"
        lead.booking = booking
        lead.name = lead.name or invitee.name
        lead.email = lead.email or invitee.email
        lead.updated_at = now
    db.session.flush()
    notifications.refresh_booking_events(booking)  # now with its lead and assignment
    return booking
