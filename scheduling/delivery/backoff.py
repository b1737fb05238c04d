"""When to try a failed delivery again: exponential backoff with jitter, capped.

Pure: no Flask, no DB, no clock.
"""

import random


def backoff_seconds(
    attempt: int, base: float, cap: float, rand: random.Random | None = None
) -> float:
    """Seconds to wait after the `attempt`-th failure (1-based).

    The nominal delay doubles per attempt up to `cap`; the wait is drawn uniformly from its upper
    half ("equal jitter"), so retries of many messages that failed together spread out but never
    come back sooner than half the nominal delay.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    nominal = min(cap, base * 2 ** min(attempt - 1, 62))
    draw = (rand or random).random()
    return nominal / 2 + draw * nominal / 2
