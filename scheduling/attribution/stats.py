"""A/B statistics: 95% intervals, probability to beat control, weighted assignment.

Pure: no Flask, no DB, no clock. Randomness comes in as a number or a seed, so results repeat.
"""

import math
import random
from dataclasses import dataclass

Z95 = 1.959963984540054
DRAWS = 20000
SEED = 20261129


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a rate; (0, 1) when nothing was tried yet."""
    if trials <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and trials")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # At the edges the exact bound is 0 or 1; floating point would miss it by an ulp.
    low = 0.0 if successes == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if successes == trials else min(1.0, max(p, centre + half))
    return (low, high)


def prob_beats_control(
    control: tuple[int, int], variant: tuple[int, int], draws: int = DRAWS, seed: int = SEED
) -> float:
    """P(variant rate > control rate) under uniform Beta(1, 1) priors, by Monte Carlo.

    Each argument is (conversions, exposures). A fixed seed makes the report stable between
    page loads; with 20 000 draws the Monte Carlo standard error is at most 0.35 percentage
    points (tests compare it with the closed form).
    """
    (kc, nc), (kv, nv) = control, variant
    rng = random.Random(seed)
    wins = 0
    for _ in range(draws):
        c = rng.betavariate(1 + kc, 1 + nc - kc)
        v = rng.betavariate(1 + kv, 1 + nv - kv)
        wins += v > c
    return wins / draws


@dataclass(frozen=True)
class VariantStats:
    key: object
    exposures: int
    conversions: int
    rate: float | None
    low: float
    high: float
    beats_control: float | None  # None for the control itself


def variant_stats(rows: list[tuple[object, int, int]], control: object) -> list[VariantStats]:
    """Per variant (key, exposures, conversions): rate, Wilson 95% interval, P(beats control)."""
    counts = {key: (conversions, exposures) for key, exposures, conversions in rows}
    base = counts.get(control, (0, 0))
    out = []
    for key, exposures, conversions in rows:
        conversions = min(conversions, exposures)
        low, high = wilson_interval(conversions, exposures)
        out.append(
            VariantStats(
                key=key,
                exposures=exposures,
                conversions=conversions,
                rate=conversions / exposures if exposures else None,
                low=low,
                high=high,
                beats_control=None
                if key == control
                else prob_beats_control((min(base[0], base[1]), base[1]), (conversions, exposures)),
            )
        )
    return out


def pick_variant(weights: list[tuple[object, int]], r: float):
    """The variant whose share of the total weight contains r (0 <= r < 1); None if no weight."""
    total = sum(weight for _, weight in weights if weight > 0)
    if total <= 0:
        return None
    point = r * total
    for key, weight in weights:
        if weight <= 0:
            continue
        if point < weight:
            return key
        point -= weight
    return next(key for key, weight in reversed(weights) if weight > 0)
