"""Round-robin explanations in words, with hosts by name. Pure: no Flask, no DB, no clock.

pick_host stores its reason as data (`winner`, `decided_by`) next to an English summary that
can only name the host by id; pages build the sentence again from the data with the host's
name, as a Message so it is shown translated.
"""

import re
from collections.abc import Mapping

from scheduling.errors import N_, Message

DELETED_HOST = N_("(a deleted host)")

_SENTENCES = {
    "only candidate": N_("%(name)s was the only eligible member."),
    "deficit": N_("%(name)s was furthest below their fair share."),
    "priority": N_("%(name)s tied on fair share and has the highest priority."),
    "recency": N_("%(name)s tied on fair share and priority and was booked least recently."),
    "order": N_("%(name)s tied on fair share, priority and recency and comes first in order."),
    "none free": N_("No member of the pool is free and under their caps for this slot."),
}
_HOST_ID = re.compile(r"\bHost (\d+)\b")


def host_label(host_id: object, names: Mapping[int, str]) -> str:
    """A host's name; "(a deleted host)" when the id names nobody any more."""
    try:
        return names.get(int(host_id), DELETED_HOST)
    except (TypeError, ValueError):
        return DELETED_HOST


def explain_pick(explanation: Mapping | None, names: Mapping[int, str]) -> str:
    """Say why round-robin chose its host, naming hosts; "" when nothing was recorded.

    Older explanations hold only the summary: its "Host <id>" is replaced by the name.
    """
    explanation = explanation or {}
    decided_by = explanation.get("decided_by")
    sentence = _SENTENCES.get(decided_by) if isinstance(decided_by, str) else None
    if sentence is not None and (decided_by == "none free" or "winner" in explanation):
        if decided_by == "none free":
            return Message(sentence)
        return Message(sentence, name=host_label(explanation.get("winner"), names))
    summary = str(explanation.get("summary") or "")
    return _HOST_ID.sub(lambda match: host_label(match.group(1), names), summary)
