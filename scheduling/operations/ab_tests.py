"""Use cases of the widget's A/B tests: start, stop and count them; a variant for each view."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from scheduling.attribution import pick_variant
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import (
    AbTest,
    AbVariant,
    EventType,
    Lead,
    Outcome,
    User,
    WidgetAttribution,
    WidgetView,
)

from .audit import record

MAX_VARIANTS = 5
# Primary keys are PostgreSQL integers: a larger id from a URL must not reach the database.
MAX_ID = 2**31 - 1


def running_test(event_type: EventType) -> AbTest | None:
    return db.session.scalar(
        select(AbTest)
        .where(AbTest.event_type_id == event_type.id, AbTest.status == "running")
        .order_by(AbTest.id.desc())
    )


def parse_assignment(text: str | None) -> tuple[int, int] | None:
    """`<test id>.<variant id>` as carried in widget URLs, or None."""
    if not text or len(text) > 24:
        return None
    test, _, variant = text.partition(".")
    if not (test.isascii() and test.isdigit() and variant.isascii() and variant.isdigit()):
        return None
    if not (0 < int(test) <= MAX_ID and 0 < int(variant) <= MAX_ID):
        return None
    return int(test), int(variant)


def variant_for(event_type: EventType, assignment: tuple[int, int] | None) -> AbVariant | None:
    """The variant named by the URL if it belongs to this event type's running test."""
    if assignment is None:
        return None
    variant = db.session.get(AbVariant, assignment[1])
    if (
        variant is None
        or variant.test_id != assignment[0]
        or variant.test.event_type_id != event_type.id
        or variant.test.status != "running"
    ):
        return None
    return variant


def assign_variant(event_type: EventType, kept: tuple[int, int] | None, r: float):
    """The running test's variant for a page view: the kept one (consented visitor) or by chance."""
    test = running_test(event_type)
    if test is None:
        return None
    kept_variant = variant_for(event_type, kept)
    if kept_variant is not None and kept_variant.weight > 0:
        return kept_variant
    key = pick_variant([(v.id, v.weight) for v in test.variants], r)
    return next((v for v in test.variants if v.id == key), None)


@dataclass(frozen=True)
class VariantInput:
    name: str
    weight: int
    headline: str = ""
    intro: str = ""
    button_label: str = ""
    layout: str = "standard"
    question_order: tuple[str, ...] = ()


def get_test(organisation_id: int, test_id: int) -> AbTest:
    test = db.session.get(AbTest, test_id) if 0 < test_id <= MAX_ID else None
    if test is None or test.organisation_id != organisation_id:
        raise NotFound("No such A/B test.")
    return test


def tests_of(organisation_id: int) -> list[AbTest]:
    return list(
        db.session.scalars(
            select(AbTest)
            .where(AbTest.organisation_id == organisation_id)
            .order_by(AbTest.id.desc())
        )
    )


def create_test(
    event_type: EventType,
    name: str,
    variants: list[VariantInput],
    actor: User,
    now: datetime,
) -> AbTest:
    """Start a test; the first variant is the control. One running test per event type."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidRequest("Give the test a name (1 to 200 characters).", {"name": "length"})
    if running_test(event_type) is not None:
        raise InvalidRequest(
            "This event type already runs a test; stop it first.", {"event_type": "busy"}
        )
    if not 2 <= len(variants) <= MAX_VARIANTS:
        raise InvalidRequest(
            f"A test needs a control and 1 to {MAX_VARIANTS - 1} variants.", {"variants": "count"}
        )
    if sum(v.weight for v in variants) <= 0:
        raise InvalidRequest("Give at least one variant some traffic.", {"variants": "weight"})
    names = [v.name.strip().casefold() for v in variants]
    if len(set(names)) != len(names):
        raise InvalidRequest("Each variant needs its own name.", {"variants": "names"})
    known = {q.key for q in event_type.routing_form.questions} if event_type.routing_form else set()
    unknown = sorted({key for v in variants for key in v.question_order} - known)
    if unknown:
        raise InvalidRequest(
            f"No such question on this event type's form: {', '.join(unknown)[:200]}.",
            {"variants": "question_order"},
        )
    test = AbTest(
        organisation_id=event_type.organisation_id,
        event_type_id=event_type.id,
        name=name,
        status="running",
        started_at=now,
    )
    for index, v in enumerate(variants):
        test.variants.append(
            AbVariant(
                name=v.name.strip(),
                is_control=index == 0,
                weight=v.weight,
                headline=v.headline.strip(),
                intro=v.intro.strip(),
                button_label=v.button_label.strip(),
                layout=v.layout,
                question_order=list(v.question_order),
            )
        )
    db.session.add(test)
    db.session.flush()
    record(
        test.organisation_id,
        actor,
        "ab_test.create",
        "ab_test",
        test.id,
        f"A/B test {name!r} started on {event_type.title!r}",
        now,
        {"variants": [None, [v.name for v in test.variants]]},
    )
    return test


def stop_test(test: AbTest, winner_id: int | None, actor: User, now: datetime) -> AbVariant | None:
    """Stop a running test; promoting a winner copies its page to the event type.

    Its headline, intro, button label, layout and question order: after the test, every visitor
    sees what won. Empty texts keep the page's own (as they did during the test).
    """
    if test.status != "running":
        raise InvalidRequest("This test is already stopped.", {"test": "stopped"})
    winner = None
    if winner_id is not None:
        winner = next((v for v in test.variants if v.id == winner_id), None)
        if winner is None:
            raise InvalidRequest("Choose one of this test's variants.", {"winner": "unknown"})
    test.status = "stopped"
    test.stopped_at = now
    changes: dict = {"status": ["running", "stopped"]}
    if winner is not None:
        winner.is_winner = True
        event_type = test.event_type
        if winner.headline:
            changes["title"] = [event_type.title, winner.headline]
            event_type.title = winner.headline
        if winner.intro:
            changes["description"] = [event_type.description, winner.intro]
            event_type.description = winner.intro
        if winner.button_label:
            changes["button_label"] = [event_type.button_label, winner.button_label]
            event_type.button_label = winner.button_label
        # Every variant has a layout (the control's is the page's own): the winner's is the page's.
        if winner.layout != event_type.layout:
            changes["layout"] = [event_type.layout, winner.layout]
            event_type.layout = winner.layout
        form = event_type.routing_form
        if winner.question_order and form is not None:
            rank = {key: i for i, key in enumerate(winner.question_order)}
            ordered = sorted(form.questions, key=lambda q: (rank.get(q.key, len(rank)), q.position))
            for position, question in enumerate(ordered, start=1):
                question.position = position
            changes["question_order"] = [None, [q.key for q in ordered]]
    db.session.flush()
    summary = f"A/B test {test.name!r} stopped" + (f"; {winner.name!r} promoted" if winner else "")
    record(test.organisation_id, actor, "ab_test.stop", "ab_test", test.id, summary, now, changes)
    return winner


def ab_counts(test: AbTest) -> dict[int, dict[str, int]]:
    """Per variant id: exposures (views) and conversions (qualified, booked, won)."""
    counts = {v.id: {"exposures": 0, "qualified": 0, "booked": 0, "won": 0} for v in test.variants}
    ids = list(counts)
    for variant_id in db.session.scalars(
        select(WidgetView.variant_id).where(WidgetView.variant_id.in_(ids))
    ):
        counts[variant_id]["exposures"] += 1
    rows = db.session.execute(
        select(WidgetAttribution.variant_id, Lead.status, Outcome.status)
        .outerjoin(Lead, Lead.id == WidgetAttribution.lead_id)
        .outerjoin(Outcome, Outcome.booking_id == WidgetAttribution.booking_id)
        .where(WidgetAttribution.variant_id.in_(ids))
    )
    for variant_id, lead_status, outcome in rows:
        entry = counts[variant_id]
        if lead_status in ("qualified", "booked"):
            entry["qualified"] += 1
        if lead_status is None:  # a booking row
            entry["booked"] += 1
            entry["won"] += outcome == "won"
    return counts
