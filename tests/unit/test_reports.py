"""Dashboard arithmetic and report date ranges (pure code)."""

from collections import Counter
from dataclasses import astuple
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.attribution.dashboard import (
    CallRow,
    DateRange,
    Figures,
    date_range,
    one_row_per_meeting,
    parse_day,
    summarise,
)
from scheduling.errors import InvalidRequest

TODAY = date(2030, 1, 14)


def won(host, value, currency="EUR"):
    return CallRow(host, "confirmed", "won", Decimal(value), currency)


def lost(host, reason):
    return CallRow(host, "confirmed", "lost", lost_reason=reason)


def test_counts_for_a_known_set():
    rows = [
        CallRow(1, "confirmed", "attended"),
        CallRow(1, "confirmed", "no_show"),
        won(1, "1000.50"),
        won(2, "200.25"),
        won(2, "300", "CHF"),
        lost(2, "Price"),
        lost(1, "Price"),
        lost(1, "Timing"),
        CallRow(2, "confirmed"),
        CallRow(2, "cancelled"),
        CallRow(1, "rescheduled"),
    ]
    summary = summarise(rows, [1, 2])
    total = summary.total
    assert total.booked == 9
    assert total.cancelled == 1
    assert total.attended == 7  # attended 1 + won 3 + lost 3
    assert total.no_shows == 1
    assert total.won == 3 and total.lost == 3
    assert total.without_outcome == 1
    assert total.no_show_rate == Fraction(1, 8)
    assert total.revenue == (("CHF", Decimal("300")), ("EUR", Decimal("1200.75")))
    assert total.lost_by_reason == (("Price", 2), ("Timing", 1))
    by_host = dict(summary.by_host)
    assert by_host[1].booked == 5 and by_host[1].attended == 4 and by_host[1].no_shows == 1
    assert by_host[1].revenue == (("EUR", Decimal("1000.50")),)
    assert by_host[2].revenue == (("CHF", Decimal("300")), ("EUR", Decimal("200.25")))
    assert by_host[2].cancelled == 1 and by_host[2].no_show_rate == Fraction(0)


def test_no_show_rate_is_none_without_held_or_missed_calls():
    assert Figures().no_show_rate is None
    only_open = summarise([CallRow(1, "confirmed")]).total
    assert only_open.no_show_rate is None and only_open.without_outcome == 1
    assert summarise([CallRow(1, "confirmed", "no_show")]).total.no_show_rate == 1


def test_outcomes_of_cancelled_or_moved_bookings_do_not_count():
    rows = [
        CallRow(1, "cancelled", "won", Decimal("5"), "EUR"),
        CallRow(1, "rescheduled", "no_show"),
    ]
    total = summarise(rows).total
    assert total == Figures(cancelled=1)
    assert not total.is_empty  # a cancelled call is still something to show


def test_hosts_without_calls_get_zeros_and_keep_their_order():
    summary = summarise([CallRow(7, "confirmed", "attended")], [3, 9])
    assert [host for host, _ in summary.by_host] == [3, 9, 7]
    assert dict(summary.by_host)[3] == Figures()
    assert dict(summary.by_host)[3].is_empty


def test_removed_reasons_are_counted_last_among_equals():
    rows = [lost(1, None), lost(1, "Timing"), lost(1, "Price"), lost(1, "Price")]
    assert summarise(rows).total.lost_by_reason == (("Price", 2), ("Timing", 1), (None, 1))


rows_strategy = st.lists(
    st.builds(
        lambda host, status, outcome, cents, currency, reason: CallRow(
            host,
            status,
            outcome,
            Decimal(cents) / 100 if outcome == "won" else None,
            currency if outcome == "won" else None,
            reason if outcome == "lost" else None,
        ),
        st.integers(1, 4),
        st.sampled_from(["confirmed", "cancelled", "rescheduled"]),
        st.sampled_from([None, "attended", "no_show", "won", "lost"]),
        st.integers(0, 10**14 - 1),
        st.sampled_from(["EUR", "CHF", "USD"]),
        st.sampled_from([None, "Price", "Timing"]),
    ),
    max_size=60,
)


@given(rows_strategy)
def test_totals_are_the_sum_of_the_hosts(rows):
    summary = summarise(rows, [1, 2])
    hosts = [figures for _, figures in summary.by_host]
    for name in ("booked", "cancelled", "attended", "no_shows", "won", "lost", "without_outcome"):
        assert getattr(summary.total, name) == sum(getattr(f, name) for f in hosts)
    revenue = Counter()
    reasons = Counter()
    for figures in hosts:
        revenue.update(dict(figures.revenue))
        reasons.update(dict(figures.lost_by_reason))
    assert dict(summary.total.revenue) == dict(revenue)
    assert dict(summary.total.lost_by_reason) == dict(reasons)


@given(rows_strategy)
def test_each_currency_is_summed_on_its_own(rows):
    total = summarise(rows).total
    for currency, amount in total.revenue:
        expected = sum(
            (r.deal_value for r in rows if r.status == "confirmed" and r.currency == currency),
            Decimal(0),
        )
        assert amount == expected
    confirmed = [r for r in rows if r.status == "confirmed"]
    assert total.booked == len(confirmed)
    assert total.attended == sum(r.outcome in ("attended", "won", "lost") for r in confirmed)
    assert total.booked == total.attended + total.no_shows + total.without_outcome
    assert total.won + total.lost <= total.attended
    rate = total.no_show_rate
    assert rate is None or 0 <= rate <= 1


def test_default_range_is_the_last_30_days_up_to_today():
    chosen = date_range(None, None, TODAY)
    assert chosen == DateRange(date(2029, 12, 16), TODAY)
    assert chosen.days == 30
    assert chosen.bounds() == (
        datetime(2029, 12, 16, tzinfo=UTC),
        datetime(2030, 1, 15, tzinfo=UTC),
    )


def test_only_from_or_only_to():
    assert date_range("2030-01-01", None, TODAY) == DateRange(date(2030, 1, 1), TODAY)
    assert date_range(None, "2030-01-05", TODAY) == DateRange(date(2029, 12, 7), date(2030, 1, 5))


def test_a_whole_leap_year_is_allowed_but_not_a_day_more():
    assert date_range("2028-01-01", "2028-12-31", TODAY).days == 366
    with pytest.raises(InvalidRequest, match="at most 366 days"):
        date_range("2028-01-01", "2029-01-01", TODAY)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2030/01/01", None, "year-month-day"),
        ("20300101", None, "year-month-day"),
        ("2030-1-1", None, "year-month-day"),
        ("２０３０-01-01", None, "year-month-day"),
        (None, "2030-02-30", "does not exist"),
        ("2030-13-01", None, "does not exist"),
        ("0001-01-01", None, "between the years"),
        (None, "9999-12-31", "between the years"),
        ("2030-01-10", "2030-01-09", "must not be before"),
        ("2030-02-01", None, "must not be before"),  # 'to' defaults to today, before 'from'
    ],
)
def test_bad_ranges_say_what_is_wrong(first, last, message):
    with pytest.raises(InvalidRequest, match=message):
        date_range(first, last, TODAY)


def test_parse_day_names_the_field():
    with pytest.raises(InvalidRequest) as caught:
        parse_day("soon", "from")
    assert "'from'" in caught.value.message and caught.value.fields == {"from": "format"}
    assert parse_day(" 2030-01-07 ", "to") == date(2030, 1, 7)


def test_a_collective_meeting_counts_once_in_the_totals_and_once_per_host():
    rows = [
        CallRow(1, "confirmed", meeting=7),
        CallRow(2, "confirmed", "won", Decimal("900"), "EUR", meeting=7),
        CallRow(1, "confirmed", "attended"),
    ]
    summary = summarise(rows, [1, 2])
    assert summary.total.booked == 2
    # The meeting's outcome was recorded on the second host's row: the total keeps it.
    assert summary.total.won == 1 and dict(summary.total.revenue) == {"EUR": Decimal("900")}
    by_host = dict(summary.by_host)
    assert by_host[1].booked == 2 and by_host[2].booked == 1


@given(rows_strategy, st.lists(st.integers(1, 3), max_size=60))
def test_meetings_change_only_the_totals(rows, meetings):
    tagged = [
        CallRow(*astuple(row)[:-1], meeting=meetings[i] if i < len(meetings) else None)
        for i, row in enumerate(rows)
    ]
    plain, summary = summarise(rows, [1, 2]), summarise(tagged, [1, 2])
    # Each host's own figures count every row of theirs, meetings or not.
    assert summary.by_host == plain.by_host
    # Everyone's totals count each meeting once: never more than the rows.
    for name in ("booked", "cancelled", "attended", "no_shows", "won", "lost"):
        assert getattr(summary.total, name) <= getattr(plain.total, name)
    calls = len(one_row_per_meeting(tagged))
    assert calls == sum(1 for r in tagged if r.meeting is None) + len(
        {r.meeting for r in tagged if r.meeting is not None}
    )


@given(rows_strategy)
def test_rows_each_their_own_meeting_count_as_before(rows):
    tagged = [CallRow(*astuple(row)[:-1], meeting=i) for i, row in enumerate(rows)]
    assert summarise(tagged, [1, 2]) == summarise(rows, [1, 2])
