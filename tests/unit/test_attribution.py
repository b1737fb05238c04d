"""Pure attribution code: touches, channels, origins, consent decisions, report, A/B statistics."""

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.attribution import (
    FunnelRow,
    aggregate_funnel,
    channel,
    clean_attribution,
    clean_decision,
    clean_touch,
    loads_bounded,
    normalise_origin,
    not_attributed_share,
    notice_hash,
    parse_allowlist,
    pick_variant,
    prob_beats_control,
    variant_stats,
    wilson_interval,
)

AT = 1_893_456_000_000  # 2030-01-01 in milliseconds


def test_clean_touch_keeps_known_keys_and_drops_the_rest():
    touch = clean_touch(
        {
            "at": AT,
            "utm_source": " news ",
            "gclid": "abc",
            "referrer": "Search.Example.COM",
            "path": "/landing",
            "evil": "x",
        }
    )
    assert touch.at == datetime(2030, 1, 1, tzinfo=UTC)
    assert touch.utm_source == "news" and touch.gclid == "abc"
    assert touch.referrer == "search.example.com" and touch.path == "/landing"
    assert "evil" not in touch.as_json()


@pytest.mark.parametrize(
    "raw",
    [None, [], "x", {"at": "soon"}, {"at": True}, {"at": -1}, {"at": 10**15}, {}],
)
def test_clean_touch_refuses_what_is_not_a_touch(raw):
    assert clean_touch(raw) is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("utm_source", "a\x00b"),
        ("referrer", "https://x.example/path"),
        ("referrer", "-bad-.example"),
        ("path", "no-slash"),
        ("utm_medium", 42),
    ],
)
def test_clean_touch_empties_bad_values(key, value):
    assert getattr(clean_touch({"at": AT, key: value}), key) == ""


def test_values_are_cut_to_200_characters():
    assert len(clean_touch({"at": AT, "utm_campaign": "x" * 500}).utm_campaign) == 200


@given(st.dictionaries(st.text(max_size=20), st.one_of(st.text(), st.integers(), st.none())))
def test_clean_touch_never_raises_and_keeps_only_known_keys(raw):
    raw = {**raw, "at": AT}
    touch = clean_touch(raw)
    assert set(touch.as_json()) <= {"at", *(k for k in touch.__dataclass_fields__)}
    for value in touch.as_json().values():
        assert (isinstance(value, str) and len(value) <= 200) or value == touch.at.isoformat()


def payload(**changes):
    data = {"visitor": "a" * 32, "consent": "b" * 32, "first": {"at": AT}, "last": {"at": AT}}
    data.update(changes)
    return json.dumps(data)


def test_clean_attribution_reads_a_valid_payload():
    attribution = clean_attribution(payload(last={"at": AT + 1000, "utm_source": "ads"}))
    assert attribution.visitor == "a" * 32 and attribution.consent_id == "b" * 32
    assert attribution.last.utm_source == "ads" and attribution.first.utm_source == ""


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "{",
        "[]",
        payload(visitor="short"),
        payload(visitor="x" * 65),
        payload(consent="<script>"),
        payload(first=None),
        payload(last={"utm_source": "no time"}),
        "x" * 5000,
        "[" * 3900,  # deep nesting: RecursionError in the decoder, not a ValueError
        '{"visitor":' * 1000,
    ],
)
def test_clean_attribution_refuses_unusable_payloads(text):
    assert clean_attribution(text) is None


@pytest.mark.parametrize(
    ("touch", "expected"),
    [
        (None, ("", "", "")),
        ({}, ("", "", "")),
        ({"at": "t"}, ("(direct)", "(none)", "(not set)")),
        (
            {"utm_source": "news", "utm_medium": "email", "utm_campaign": "spring"},
            ("news", "email", "spring"),
        ),
        ({"utm_source": "news"}, ("news", "(not set)", "(not set)")),
        ({"gclid": "x"}, ("google", "cpc", "(not set)")),
        ({"fbclid": "x", "utm_campaign": "c"}, ("facebook", "cpc", "c")),
        ({"msclkid": "x"}, ("bing", "cpc", "(not set)")),
        ({"referrer": "blog.example"}, ("blog.example", "referral", "(not set)")),
        ({"utm_source": "partner", "gclid": "x"}, ("partner", "cpc", "(not set)")),
    ],
)
def test_channel(touch, expected):
    assert channel(touch) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://www.example.com", "https://www.example.com"),
        ("https://WWW.Example.com/", "https://www.example.com"),
        ("https://example.com:443", "https://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://example.com", None),
        ("https://example.com/path", None),
        ("https://example.com?x", None),
        ("https://user@example.com", None),
        ("*", None),
        ("https://*.example.com", None),
        ("javascript:alert(1)", None),
        ("https://exa mple.com", None),
        ("https://example.com:99999", None),
        ("", None),
        ("'none'", None),
        ("null", None),
        ("ftp://example.com", None),
        ("data:text/html,x", None),
        ("file:///etc/passwd", None),
        ("//example.com", None),
        ("example.com", None),
        ("https://a.example;script-src *", None),
        ("https://a.example https://b.example", None),
        ("https://example.com:0", None),
        ("https://1.2.3.4", "https://1.2.3.4"),
        ("https://999.1.1.1", None),  # browsers read numeric hosts as IPv4: these are not valid
        ("https://1.2.3", None),
        ("https://0x7f.1", None),
        ("https://x.123", None),
    ],
)
def test_normalise_origin(text, expected):
    assert normalise_origin(text) == expected


@pytest.mark.parametrize(
    "text", [None, "", "x" * 4001, "[" * 3000 + "]" * 3000, '{"a":' * 2000, "{", "NaN"]
)
def test_loads_bounded_never_raises(text):
    value = loads_bounded(text)
    assert value is None or math.isnan(value)


def test_loads_bounded_reads_small_json():
    assert loads_bounded('{"a": [1]}') == {"a": [1]}
    assert loads_bounded('{"a": 1}', limit=3) is None


def test_parse_allowlist_reports_each_bad_line_and_drops_duplicates():
    origins, problems = parse_allowlist("https://a.example\n\nhttps://A.example/\nnope\n*")
    assert origins == ["https://a.example"]
    assert [p.split(":")[0] for p in problems] == ["Line 4", "Line 5"]


def test_parse_allowlist_limits_the_number_of_origins():
    text = "\n".join(f"https://s{i}.example" for i in range(51))
    assert parse_allowlist(text)[1] == ["At most 50 origins."]


def test_notice_hash_ignores_layout_but_not_words():
    base = notice_hash("We measure   campaigns.\nBooking works either way.")
    assert base == notice_hash(" We measure campaigns. Booking works either way. ")
    assert base != notice_hash("We measure campaigns. Booking works anyway.")
    assert len(base) == 64 and int(base, 16) >= 0


def decision(**changes):
    raw = {
        "origin": "https://www.example.com",
        "decision": "granted",
        "source": "tcf",
        "notice": "tcf:7:3:4",
        "language": "de-AT",
        "purposes": ["attribution"],
    }
    raw.update(changes)
    return clean_decision(raw)


def test_clean_decision():
    result, errors = decision()
    assert errors == {}
    assert result.host_origin == "https://www.example.com" and result.language == "de-AT"
    assert result.notice_hash == notice_hash("tcf:7:3:4") and result.purposes == ("attribution",)
    assert decision(language=None)[0].language == "und"


@pytest.mark.parametrize(
    ("language", "expected"), [("en_US", "en-US"), ("de-AT", "de-AT"), ("EN", "EN")]
)
def test_clean_decision_reads_common_language_spellings(language, expected):
    """A page's lang="en_US" must not make the whole decision (and its proof) fail."""
    assert decision(language=language)[0].language == expected


@pytest.mark.parametrize("language", ["<script>", "e", "en-", "-en", "x" * 40, "en US", 5])
def test_clean_decision_refuses_what_is_no_language_tag(language):
    assert "language" in decision(language=language)[1]


def test_clean_decision_names_every_bad_field():
    result, errors = clean_decision(
        {
            "origin": "x",
            "decision": "yes",
            "source": "",
            "notice": "",
            "language": "1",
            "purposes": [],
        }
    )
    assert result is None
    assert set(errors) == {"origin", "decision", "source", "notice", "language", "purposes"}
    assert clean_decision("nope")[0] is None


# --- statistics ------------------------------------------------------------------------------


def test_wilson_interval_known_values():
    low, high = wilson_interval(10, 100)
    assert math.isclose(low, 0.0552, abs_tol=5e-4) and math.isclose(high, 0.1744, abs_tol=5e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_rate_and_stays_in_0_1(pair):
    k, n = pair
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_narrows_with_more_data(pair):
    k, n = pair
    low1, high1 = wilson_interval(k, n)
    low4, high4 = wilson_interval(4 * k, 4 * n)
    assert high4 - low4 < high1 - low1


def test_prob_beats_control():
    assert prob_beats_control((10, 1000), (100, 1000), draws=4000) > 0.99
    assert prob_beats_control((100, 1000), (10, 1000), draws=4000) < 0.01
    same = prob_beats_control((50, 1000), (50, 1000), draws=20000)
    assert 0.45 < same < 0.55
    assert prob_beats_control((3, 40), (9, 40)) == prob_beats_control((3, 40), (9, 40))


def _wilson_by_bisection(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Independent Wilson bounds: the p where the score test |k/n - p| = z sqrt(p(1-p)/n)."""
    rate = k / n

    def outside(p: float) -> bool:
        return (rate - p) ** 2 > z * z * p * (1 - p) / n

    def root(inside: float, out: float) -> float:
        for _ in range(200):
            mid = (inside + out) / 2
            if outside(mid):
                out = mid
            else:
                inside = mid
        return (inside + out) / 2

    low = 0.0 if k == 0 else root(rate, 0.0)
    high = 1.0 if k == n else root(rate, 1.0)
    return low, high


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_matches_an_independent_computation(pair):
    k, n = pair
    low, high = wilson_interval(k, n)
    expected_low, expected_high = _wilson_by_bisection(k, n)
    assert math.isclose(low, expected_low, abs_tol=1e-9)
    assert math.isclose(high, expected_high, abs_tol=1e-9)


def _exact_prob_beats(control: tuple[int, int], variant: tuple[int, int]) -> float:
    """P(Beta(1+kv, 1+nv-kv) > Beta(1+kc, 1+nc-kc)) in closed form (Evan Miller's sum)."""

    def lbeta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    (kc, nc), (kv, nv) = control, variant
    ac, bc, av, bv = 1 + kc, 1 + nc - kc, 1 + kv, 1 + nv - kv
    return sum(
        math.exp(lbeta(ac + i, bc + bv) - math.log(bv + i) - lbeta(1 + i, bv) - lbeta(ac, bc))
        for i in range(av)
    )


@pytest.mark.parametrize(
    ("control", "variant"),
    [
        ((10, 100), (15, 100)),
        ((3, 40), (9, 40)),
        ((0, 0), (0, 0)),
        ((0, 10), (1, 10)),
        ((50, 1000), (50, 1000)),
        ((120, 1000), (140, 1000)),
        ((5, 20), (2, 30)),
        ((200, 2000), (230, 2000)),
        ((0, 300), (4, 300)),
    ],
)
def test_prob_beats_control_matches_the_closed_form(control, variant):
    # 20 000 draws: standard error at most 0.0035; 0.015 is more than four of them.
    assert abs(prob_beats_control(control, variant) - _exact_prob_beats(control, variant)) < 0.015


def test_variant_stats_match_independent_computations():
    stats = {s.key: s for s in variant_stats([("A", 200, 20), ("B", 180, 30)], control="A")}
    assert math.isclose(stats["B"].low, _wilson_by_bisection(30, 180)[0], abs_tol=1e-9)
    assert math.isclose(stats["B"].high, _wilson_by_bisection(30, 180)[1], abs_tol=1e-9)
    exact = _exact_prob_beats((20, 200), (30, 180))
    assert abs(stats["B"].beats_control - exact) < 0.015


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_prob_beats_control_is_symmetric(a, b, c, d):
    control, variant = (a, a + b), (c, c + d)
    forward = prob_beats_control(control, variant, draws=500, seed=1)
    backward = prob_beats_control(variant, control, draws=500, seed=1)
    assert 0.0 <= forward <= 1.0
    assert abs(forward + backward - 1.0) < 0.15


def test_variant_stats():
    stats = variant_stats([("A", 100, 10), ("B", 100, 30), ("C", 0, 0)], control="A")
    by_key = {s.key: s for s in stats}
    assert by_key["A"].beats_control is None and by_key["A"].rate == 0.1
    assert by_key["B"].beats_control > 0.99
    assert by_key["C"].rate is None and (by_key["C"].low, by_key["C"].high) == (0.0, 1.0)


@pytest.mark.parametrize(("r", "expected"), [(0.0, "a"), (0.249, "a"), (0.25, "b"), (0.999, "b")])
def test_pick_variant_follows_the_weights(r, expected):
    assert pick_variant([("a", 25), ("zero", 0), ("b", 75)], r) == expected


def test_pick_variant_without_weight():
    assert pick_variant([("a", 0)], 0.5) is None
    assert pick_variant([], 0.5) is None


@given(
    st.lists(st.integers(0, 100), min_size=1, max_size=5).filter(lambda w: sum(w) > 0),
    st.floats(0, 1, exclude_max=True),
)
def test_pick_variant_never_picks_a_zero_weight(weights, r):
    chosen = pick_variant(list(enumerate(weights)), r)
    assert weights[chosen] > 0


def test_pick_variant_shares_match_the_weights():
    counts = {"a": 0, "b": 0}
    steps = 1000
    for i in range(steps):
        counts[pick_variant([("a", 30), ("b", 70)], i / steps)] += 1
    assert counts == {"a": 300, "b": 700}


# --- report ----------------------------------------------------------------------------------

NEWS = {"utm_source": "news", "utm_medium": "email", "utm_campaign": "spring"}
ADS = {"gclid": "x"}


def test_aggregate_funnel_by_first_and_last_touch():
    rows = [
        FunnelRow(views=1),
        FunnelRow(views=1, first_touch=NEWS, last_touch=ADS),
        FunnelRow(qualified=1, first_touch=NEWS, last_touch=ADS),
        FunnelRow(disqualified=1),
        FunnelRow(
            booked=1,
            attended=1,
            won=1,
            revenue=Decimal("100"),
            currency="EUR",
            first_touch=NEWS,
            last_touch=ADS,
        ),
        FunnelRow(booked=1, won=1, attended=1, revenue=Decimal("5"), currency="CHF"),
    ]
    groups, total = aggregate_funnel(rows, "last")
    keys = [key for key, _ in groups]
    assert keys == [("google", "cpc", "(not set)"), ("", "", "")]
    google = dict(groups)[("google", "cpc", "(not set)")]
    assert (google.views, google.qualified, google.booked, google.won) == (1, 1, 1, 1)
    assert google.revenue == {"EUR": Decimal("100")}
    assert (total.views, total.qualified, total.disqualified, total.booked) == (2, 1, 1, 2)
    assert total.revenue == {"EUR": Decimal("100"), "CHF": Decimal("5")}
    first = dict(aggregate_funnel(rows, "first")[0])
    assert ("news", "email", "spring") in first
    with pytest.raises(ValueError):
        aggregate_funnel(rows, "middle")


def test_not_attributed_share():
    rows = [FunnelRow(booked=1), FunnelRow(booked=1, last_touch=ADS), FunnelRow(views=1)]
    assert not_attributed_share(rows) == Fraction(1, 2)
    assert not_attributed_share([FunnelRow(views=1)]) is None


@given(
    st.lists(
        st.builds(
            FunnelRow,
            views=st.integers(0, 1),
            booked=st.integers(0, 1),
            last_touch=st.sampled_from([None, NEWS, ADS]),
            first_touch=st.sampled_from([None, NEWS, ADS]),
        ),
        max_size=30,
    ),
    st.sampled_from(["first", "last"]),
)
def test_groups_add_up_to_the_total(rows, touch):
    groups, total = aggregate_funnel(rows, touch)
    assert sum(t.views for _, t in groups) == total.views == sum(r.views for r in rows)
    assert sum(t.booked for _, t in groups) == total.booked
    share = not_attributed_share(rows)
    if total.booked:
        assert 0 <= share <= 1
