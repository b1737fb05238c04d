"""What a CRM receives about a routed lead: answers with labels, the routing in words. Pure: no
Flask, no DB, no clock.

Integrations get the stored value (what rules compare) and the text the visitor saw (a choice's
label, a country's name), so a CRM field needs no copy of the form's choices; and one sentence
that says why the booking went to its host, next to the same facts as data.
"""

from collections.abc import Mapping, Sequence

from .countries import COUNTRIES
from .questions import Question


def _display(question: Question | None, value: object) -> str:
    if value is None:
        return ""
    if question is None:
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    labels = {choice.value: choice.label for choice in question.choices}
    if question.kind == "single_choice":
        return labels.get(str(value), str(value))
    if question.kind == "multiple_choice" and isinstance(value, list):
        return ", ".join(labels.get(str(item), str(item)) for item in value)
    if question.kind == "yes_no":
        return "Yes" if value is True else "No" if value is False else str(value)
    if question.kind == "country":
        return COUNTRIES.get(str(value), str(value))
    return str(value)


def displayed_answers(questions: Sequence[Question], answers: Mapping[str, object]) -> list[dict]:
    """Answers in question order (keys no question has any more last), each with its label."""
    by_key = {question.key: question for question in questions}
    keys = [question.key for question in questions if question.key in answers]
    keys += [key for key in answers if key not in by_key]
    rows = []
    for key in keys:
        question = by_key.get(key)
        value = answers[key]
        rows.append(
            {
                "key": key,
                "label": question.label if question is not None else key,
                "value": value,
                "display": _display(question, value),
            }
        )
    return rows


_DECIDED_BY = {
    "only candidate": "was the only eligible member",
    "deficit": "was furthest below their fair share",
    "priority": "tied on fair share and has the highest priority",
    "recency": "tied on fair share and priority and was booked least recently",
    "order": "tied on fair share, priority and recency and comes first by id",
}


def routing_sentence(
    *,
    rule: str | None,
    team: str | None,
    host: str,
    decided_by: str | None = None,
    standing: Mapping[str, object] | None = None,
    period: str | None = None,
) -> str:
    """Say in one or two sentences which rule sent the lead where, and why this host."""
    rule_part = f'Rule "{rule}"' if rule else "No rule matched; the default route"
    if team is None:
        return f"{rule_part} sent the booking to {host}."
    words = f'{rule_part} sent the booking to the team "{team}". {host}'
    words += f" {_DECIDED_BY.get(decided_by or '', 'was picked')}"
    if standing:
        assigned = float(standing.get("assigned") or 0)
        expected = float(standing.get("expected") or 0)
        words += (
            f": {assigned:g} booked against a fair share of {expected:.2f}"
            f"{f' this {period}' if period else ''}, {standing.get('today', 0)} today"
        )
    return words + "."
