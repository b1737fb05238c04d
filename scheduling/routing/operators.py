"""Comparison operators shared by routing conditions and show-if. Pure: no Flask, no DB, no clock.

Answers arrive cleaned (str, bool, int/float, list of str) but rules are written by people and
stored as JSON, so every operator accepts any value and answers False rather than raising.
"""

import math
import re
from collections.abc import Mapping
from numbers import Real

OPERATORS = (
    "equals",
    "not_equals",
    "one_of",
    "contains",
    "greater_than",
    "less_than",
    "is_empty",
    "is_not_empty",
)

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE = frozenset({"yes", "true", "1", "on", "y"})
_FALSE = frozenset({"no", "false", "0", "off", "n"})


def to_number(value: object) -> int | float | None:
    """Read a number from a number or numeric string; None when it is not one (bools are not)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Real):
        try:
            number = float(value)
        except (OverflowError, ValueError):
            return None
        return None if math.isnan(number) else number
    if isinstance(value, str):
        text = value.strip()
        # The regex keeps out "1_000", "nan", "inf" and the like that int()/float() accept.
        if len(text) > 400 or not _NUMBER.fullmatch(text):
            return None
        try:
            return int(text)
        except ValueError:
            return float(text)
    return None


def to_bool(value: object) -> bool | None:
    """Read yes/no from a bool, 1/0 or a word like "yes"; None when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def is_empty(value: object) -> bool:
    """Say whether an answer counts as not given: missing, None, blank text or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset | Mapping):
        return len(value) == 0
    return False


def _scalar_equals(answer: object, value: object) -> bool:
    if answer is None or value is None:
        return False
    if isinstance(answer, bool):
        return to_bool(value) is answer
    if isinstance(answer, Real):
        number = to_number(value)
        return number is not None and answer == number
    if isinstance(answer, str):
        if isinstance(value, str):
            return answer.strip().casefold() == value.strip().casefold()
        if isinstance(value, bool):
            return to_bool(answer) is value
        if isinstance(value, Real):
            number = to_number(answer)
            return number is not None and number == value
    return False


def _as_list(value: object) -> list:
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def _contains(answer: object, value: object) -> bool:
    if isinstance(answer, list | tuple):
        return any(_scalar_equals(item, value) for item in answer)
    if isinstance(answer, str) and not isinstance(value, bool):
        if isinstance(value, str):
            return value.strip().casefold() in answer.casefold()
        if isinstance(value, int | float):
            try:
                return str(value) in answer
            except ValueError:  # an int too long to print
                return False
    return False


def _compare(answer: object, value: object, operator: str) -> bool:
    left, right = to_number(answer), to_number(value)
    if left is None or right is None:
        return False
    return left > right if operator == "greater_than" else left < right


def matches(answer: object, operator: str, value: object) -> bool:
    """Apply one operator to an answer (None when missing); unknown operators never match."""
    if operator == "is_empty":
        return is_empty(answer)
    if operator == "is_not_empty":
        return not is_empty(answer)
    if operator == "equals":
        # For a multiple-choice answer "equals" means the selection includes the value.
        if isinstance(answer, list | tuple):
            return _contains(answer, value)
        return _scalar_equals(answer, value)
    if operator == "not_equals":
        return not matches(answer, "equals", value)
    if operator == "one_of":
        options = _as_list(value)
        answers = _as_list(answer) if isinstance(answer, list | tuple) else [answer]
        return any(_scalar_equals(a, option) for a in answers for option in options)
    if operator == "contains":
        return _contains(answer, value)
    if operator in ("greater_than", "less_than"):
        return _compare(answer, value, operator)
    return False
