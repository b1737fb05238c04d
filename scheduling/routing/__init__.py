"""Lead routing: questions, first-match rules, round-robin. Pure: no Flask, no DB, no clock.

questions cleans and scores answers, rules turns answers and score into an action (team,
host, event type or disqualification), round_robin picks a fair host from a team and says why;
phones checks phone answers. Imports only the standard library, phonenumbers and pure packages.
"""

from .countries import COUNTRIES
from .operators import OPERATORS
from .questions import (
    FREE_TEXT_KINDS,
    QUESTION_KINDS,
    REQUIRED_MESSAGE,
    Choice,
    Question,
    ShowIf,
    clean_answers,
    score,
    visible_questions,
)
from .round_robin import (
    PERIODS,
    Ledger,
    Member,
    MemberStats,
    Pick,
    equal_distribution_hidden,
    hand_over_weights,
    period_bounds,
    period_start,
    pick_host,
)
from .rules import (
    ACTION_KINDS,
    Action,
    Condition,
    Decision,
    Rule,
    check_condition,
    evaluate,
    validate_action,
    validate_rule,
)

__all__ = [
    "ACTION_KINDS",
    "COUNTRIES",
    "FREE_TEXT_KINDS",
    "OPERATORS",
    "PERIODS",
    "QUESTION_KINDS",
    "REQUIRED_MESSAGE",
    "Action",
    "Choice",
    "Condition",
    "Decision",
    "Ledger",
    "Member",
    "MemberStats",
    "Pick",
    "Question",
    "Rule",
    "ShowIf",
    "check_condition",
    "clean_answers",
    "equal_distribution_hidden",
    "evaluate",
    "hand_over_weights",
    "period_bounds",
    "period_start",
    "pick_host",
    "score",
    "validate_action",
    "validate_rule",
    "visible_questions",
]
