"""Attribution, consent and A/B statistics for the embedded widget. Pure: no Flask, no DB, no clock.

Touches come from the visitor's browser (only after consent) and are treated as untrusted input:
`clean_touch` keeps known keys with bounded, printable values. The report and the A/B statistics
work on plain rows so the web layer only loads data and renders; so does the dashboard
arithmetic (dashboard.py). Imports only the standard library and the other pure packages.
"""

from .consent import (
    DECISIONS,
    PURPOSES,
    REFUSALS,
    SOURCES,
    ConsentDecision,
    GrantState,
    clean_decision,
    grant_expires_at,
    grant_refusal,
    notice_hash,
    withdrawal_refusal,
)
from .origins import MAX_COOKIE_DAYS, normalise_origin, parse_allowlist
from .report import (
    FunnelRow,
    FunnelTotals,
    aggregate_funnel,
    not_attributed_share,
    without_consent,
)
from .stats import VariantStats, pick_variant, prob_beats_control, variant_stats, wilson_interval
from .touches import (
    TOUCH_KEYS,
    Attribution,
    Touch,
    channel,
    clean_attribution,
    clean_touch,
    loads_bounded,
    strip_click_ids,
)

__all__ = [
    "DECISIONS",
    "MAX_COOKIE_DAYS",
    "PURPOSES",
    "REFUSALS",
    "SOURCES",
    "TOUCH_KEYS",
    "Attribution",
    "ConsentDecision",
    "FunnelRow",
    "FunnelTotals",
    "GrantState",
    "Touch",
    "VariantStats",
    "aggregate_funnel",
    "channel",
    "clean_attribution",
    "clean_decision",
    "clean_touch",
    "grant_expires_at",
    "grant_refusal",
    "loads_bounded",
    "normalise_origin",
    "not_attributed_share",
    "notice_hash",
    "parse_allowlist",
    "pick_variant",
    "prob_beats_control",
    "strip_click_ids",
    "variant_stats",
    "wilson_interval",
    "withdrawal_refusal",
    "without_consent",
]
