"""Routing rules: conditions, first match wins. Pure: no Flask, no DB, no clock.

Rules run top to bottom; the first that matches decides, else the fallback does. Every rule
tried leaves one trace line, so an admin can see why a lead went where it went.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .operators import OPERATORS, matches, to_number

ACTION_KINDS = ("team", "host", "event_type", "disqualify")
MATCH_MODES = ("all", "any")
SCORE_FIELD = "score"
MAX_REDIRECT_SECONDS = 60

# Operators that look at the answer only; the others need a value to compare with.
_VALUELESS = ("is_empty", "is_not_empty")
_NUMERIC = ("greater_than", "less_than")


@dataclass(frozen=True)
class Condition:
    """One test on an answer; `field` is a question key or "score" for the lead score."""

    field: str
    operator: str
    value: object = None


@dataclass(frozen=True)
class Action:
    """What happens to a lead: route to a team or host, switch event type, or disqualify."""

    kind: str
    target_id: int | None = None
    message: str = ""
    redirect_url: str = ""
    redirect_seconds: int = 5


@dataclass(frozen=True)
class Rule:
    """Conditions joined by `match` ("all" or "any"); no conditions means always matches.

    The default action disqualifies with no message: validate_rule flags it, so a rule saved
    without an action is caught in the admin form rather than routing leads somewhere.
    """

    id: int | None
    name: str
    conditions: tuple[Condition, ...]
    match: str = "all"
    action: Action = Action(kind="disqualify")


@dataclass(frozen=True)
class Decision:
    """The outcome of evaluate(), with the rule that decided and one trace line per rule tried."""

    action: Action
    rule_id: int | None
    rule_name: str
    score: int
    trace: tuple[str, ...]


def _show(value: object) -> str:
    # repr() of a huge int raises, and a pasted essay would swamp the trace.
    try:
        text = repr(value)
    except ValueError:
        text = "<too long to show>"
    return text if len(text) <= 80 else text[:77] + "..."


def _subject(cond: Condition, answers: Mapping[str, object], score: int) -> object:
    if cond.field == SCORE_FIELD:
        return score
    return answers.get(cond.field)


def check_condition(cond: Condition, answers: Mapping[str, object], score: int) -> bool:
    """Say whether one condition holds; bad operators or values give False, never an error."""
    return matches(_subject(cond, answers, score), cond.operator, cond.value)


def _describe(cond: Condition, answers: Mapping[str, object], score: int, result: bool) -> str:
    if cond.operator in _VALUELESS:
        head = f"{cond.field} {cond.operator}"
    else:
        head = f"{cond.field} {cond.operator} {_show(cond.value)}"
    if cond.operator not in OPERATORS:
        return f"{head} was false (unknown operator {_show(cond.operator)})"
    if cond.field == SCORE_FIELD:
        seen = f"score: {score}"
    elif cond.field in answers and answers[cond.field] is not None:
        seen = f"answer: {_show(answers[cond.field])}"
    else:
        seen = "no answer"
    return f"{head} was {'true' if result else 'false'} ({seen})"


def _try_rule(rule: Rule, answers: Mapping[str, object], score: int) -> tuple[bool, str]:
    label = f"Rule {_show(rule.name)}"
    if rule.match not in MATCH_MODES:
        return False, f"{label} did not match: unknown match mode {_show(rule.match)}"
    if not rule.conditions:
        return True, f"{label} matched: it has no conditions"
    seen: list[str] = []
    for cond in rule.conditions:
        result = check_condition(cond, answers, score)
        line = _describe(cond, answers, score, result)
        if rule.match == "all" and not result:
            return False, f"{label} did not match: {line}"
        if rule.match == "any" and result:
            return True, f"{label} matched: {line}"
        seen.append(line)
    if rule.match == "all":
        return True, f"{label} matched: {'; '.join(seen)}"
    return False, f"{label} did not match: {'; '.join(seen)}"


def evaluate(
    rules: Sequence[Rule], fallback: Action, answers: Mapping[str, object], score: int
) -> Decision:
    """Run the rules top to bottom and return the first match's action, else the fallback."""
    trace: list[str] = []
    for rule in rules:
        matched, line = _try_rule(rule, answers, score)
        trace.append(line)
        if matched:
            return Decision(rule.action, rule.id, rule.name, score, tuple(trace))
    trace.append("No rule matched: fallback")
    return Decision(fallback, None, "Fallback", score, tuple(trace))


def validate_action(action: Action) -> list[str]:
    """List what is wrong with an action, in words for the admin form; empty when fine."""
    problems: list[str] = []
    targets = {"team": "a team", "host": "a host", "event_type": "an event type"}
    if action.kind not in ACTION_KINDS:
        problems.append(f"Choose what happens: {_show(action.kind)} is not a known action.")
    elif action.kind in targets and action.target_id is None:
        problems.append(f"Choose {targets[action.kind]} to send these leads to.")
    elif action.kind == "disqualify" and not action.message.strip():
        problems.append("Write the message that disqualified leads will see.")
    url = action.redirect_url.strip()
    if url:
        parts = urlsplit(url)
        if (
            parts.scheme not in ("https", "http")
            or not parts.netloc
            or any(c.isspace() for c in url)
        ):
            problems.append("The redirect address must start with https:// or http://.")
    seconds = action.redirect_seconds
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not 0 <= seconds <= MAX_REDIRECT_SECONDS
    ):
        problems.append(f"The redirect delay must be between 0 and {MAX_REDIRECT_SECONDS} seconds.")
    return problems


def validate_rule(rule: Rule, question_keys: Collection[str]) -> list[str]:
    """List what is wrong with a rule, in words for the admin form; empty when fine."""
    problems: list[str] = []
    if not rule.name.strip():
        problems.append("Give the rule a name.")
    if rule.match not in MATCH_MODES:
        problems.append("Choose whether all or any of the conditions must hold.")
    for number, cond in enumerate(rule.conditions, start=1):
        where = f"Condition {number}"
        if cond.field != SCORE_FIELD and cond.field not in question_keys:
            problems.append(f"{where} uses {_show(cond.field)}, which is not one of the questions.")
        if cond.operator not in OPERATORS:
            problems.append(f"{where} has an unknown comparison {_show(cond.operator)}.")
        elif cond.operator not in _VALUELESS and (cond.value is None or cond.value == ""):
            problems.append(f"{where} needs a value to compare with.")
        elif cond.operator in _NUMERIC and to_number(cond.value) is None:
            problems.append(f"{where} compares with {_show(cond.value)}, which is not a number.")
    problems.extend(validate_action(rule.action))
    return problems
