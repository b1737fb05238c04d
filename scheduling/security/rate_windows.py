"""Rate-limit arithmetic: limit specs, window numbers, the sliding estimate and Retry-After.

Pure: no Flask, no DB, no clock. A limit counts hits in fixed windows of `seconds`; the verdict
weighs the previous window by how much of it still overlaps the last `seconds` (the "sliding
window counter"), so a burst at a window's edge cannot pass twice the limit.
"""

import math
import re
from dataclasses import dataclass

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
MAX_WINDOW_SECONDS = 7 * 86400


@dataclass(frozen=True)
class Limit:
    """At most `count` hits in any `seconds`."""

    count: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # whole seconds until the next hit would pass; 0 when allowed


def parse_limit(spec: object) -> Limit | None:
    """Read "20/10m" (20 per 10 minutes; units s, m, h, d); "off" or "" gives None (no limit).

    Raises ValueError with the accepted form for anything else.
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "off")):
        return None
    match = _SPEC.match(spec) if isinstance(spec, str) else None
    if match is None:
        raise ValueError(f"{spec!r} is not a rate limit; write COUNT/PERIOD, e.g. 20/10m or off")
    count = int(match.group(1))
    seconds = int(match.group(2) or 1) * _UNITS[match.group(3)]
    if count < 1 or not 1 <= seconds <= MAX_WINDOW_SECONDS:
        raise ValueError(f"{spec!r}: the count must be at least 1 and the period 1s to 7d")
    return Limit(count, seconds)


def window_number(timestamp: float, seconds: int) -> int:
    """Which fixed window a moment (Unix seconds) falls in."""
    return math.floor(timestamp / seconds)


def estimate(previous: int, current: int, elapsed: float, seconds: int) -> float:
    """Hits in the last `seconds`: the previous window weighted by its remaining overlap.

    Rounded to 9 places so that an exact boundary (15 x 16/60 = 4) is not refused for a
    floating-point hair above it, which made Retry-After one second short.
    """
    return round(previous * max(0.0, 1 - elapsed / seconds) + current, 9)


def verdict(limit: Limit, previous: int, current: int, elapsed: float) -> Verdict:
    """Judge a hit already counted in `current`, `elapsed` seconds into the current window."""
    if estimate(previous, current, elapsed, limit.seconds) <= limit.count:
        return Verdict(True, 0)
    return Verdict(False, retry_after(limit, previous, current, elapsed))


def retry_after(limit: Limit, previous: int, current: int, elapsed: float) -> int:
    """Seconds until one more hit would fit under the limit (at least 1)."""
    size = limit.seconds
    room = limit.count - 1  # what the estimate may be before the next hit
    if current <= room and previous > 0:
        # Still in this window: wait until enough of the previous window has slid out.
        wait = size * (1 - (room - current) / previous) - elapsed
        if wait <= size - elapsed:
            return max(1, _ceil(wait))
    # In the next window this one is "previous": wait until it has slid out enough.
    into_next = size * (1 - room / current) if current > 0 else 0.0
    return max(1, _ceil(size - elapsed + max(0.0, into_next)))


def _ceil(seconds: float) -> int:
    """Whole seconds up, after rounding to 9 places like estimate(): 9.000000000000002 is 9."""
    return math.ceil(round(seconds, 9))
