"""Busy time from external calendars: recurrences across DST, all-day, free, tentative, limits."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.ical.parse import Busy, Limits, ParseError, merge, parse_busy

WINDOW = (datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 5, 1, tzinfo=UTC))
BERLIN = "Europe/Berlin"


def cal(*events: str, extra: str = "") -> bytes:
    body = "".join(
        "BEGIN:VEVENT\r\nDTSTAMP:20300101T000000Z\r\n" + e.strip().replace("\n", "\r\n") + "\r\n"
        "END:VEVENT\r\n"
        for e in events
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + extra
        + body
        + "END:VCALENDAR\r\n"
    ).encode()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def busy(data: bytes, **kw) -> list[Busy]:
    return parse_busy(data, *WINDOW, BERLIN, **kw)


BERLIN_TZ = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
""".replace("\n", "\r\n")


def test_weekly_recurrence_keeps_local_time_across_dst():
    data = cal(
        """UID:weekly
DTSTART;TZID=Europe/Berlin:20300318T100000
DTEND;TZID=Europe/Berlin:20300318T110000
RRULE:FREQ=WEEKLY;COUNT=4""",
        extra=BERLIN_TZ,
    )
    starts = [b.start for b in busy(data)]
    # 10:00 Berlin is 09:00 UTC before 31 March 2030 and 08:00 UTC after it.
    assert starts == [
        utc(2030, 3, 18, 9),
        utc(2030, 3, 25, 9),
        utc(2030, 4, 1, 8),
        utc(2030, 4, 8, 8),
    ]


def test_exdate_and_recurrence_id_override():
    data = cal(
        """UID:daily
DTSTART;TZID=Europe/Berlin:20300401T090000
DTEND;TZID=Europe/Berlin:20300401T093000
RRULE:FREQ=DAILY;COUNT=3
EXDATE;TZID=Europe/Berlin:20300402T090000""",
        """UID:daily
RECURRENCE-ID;TZID=Europe/Berlin:20300403T090000
DTSTART;TZID=Europe/Berlin:20300403T140000
DTEND;TZID=Europe/Berlin:20300403T150000""",
        extra=BERLIN_TZ,
    )
    assert busy(data) == [
        Busy(utc(2030, 4, 1, 7), utc(2030, 4, 1, 7, 30)),
        Busy(utc(2030, 4, 3, 12), utc(2030, 4, 3, 13)),
    ]


def test_all_day_events_cover_the_hosts_local_days():
    data = cal("UID:off\nDTSTART;VALUE=DATE:20300410\nDTEND;VALUE=DATE:20300412")
    assert busy(data) == [Busy(utc(2030, 4, 9, 22), utc(2030, 4, 11, 22))]
    single = cal("UID:one\nDTSTART;VALUE=DATE:20300410")
    assert busy(single) == [Busy(utc(2030, 4, 9, 22), utc(2030, 4, 10, 22))]


def test_free_cancelled_and_tentative_events():
    data = cal(
        "UID:free\nDTSTART:20300410T080000Z\nDTEND:20300410T090000Z\nTRANSP:TRANSPARENT",
        "UID:gone\nDTSTART:20300410T100000Z\nDTEND:20300410T110000Z\nSTATUS:CANCELLED",
        "UID:maybe\nDTSTART:20300410T120000Z\nDTEND:20300410T130000Z\nSTATUS:TENTATIVE",
        "UID:yes\nDTSTART:20300410T140000Z\nDURATION:PT30M",
    )
    assert busy(data) == [Busy(utc(2030, 4, 10, 14), utc(2030, 4, 10, 14, 30))]
    assert busy(data, include_tentative=True) == [
        Busy(utc(2030, 4, 10, 12), utc(2030, 4, 10, 13)),
        Busy(utc(2030, 4, 10, 14), utc(2030, 4, 10, 14, 30)),
    ]


def test_x_wr_timezone_feed_is_repaired():
    """Google-style: UTC times plus X-WR-TIMEZONE; the series keeps its Berlin wall time."""
    data = cal(
        "UID:g\nDTSTART:20300325T090000Z\nDTEND:20300325T100000Z\nRRULE:FREQ=WEEKLY;COUNT=2",
        extra="X-WR-TIMEZONE:Europe/Berlin\r\n",
    )
    assert [b.start for b in busy(data)] == [utc(2030, 3, 25, 9), utc(2030, 4, 1, 8)]


def test_floating_times_are_read_in_the_hosts_zone():
    data = cal("UID:f\nDTSTART:20300410T100000\nDTEND:20300410T110000")
    assert busy(data) == [Busy(utc(2030, 4, 10, 8), utc(2030, 4, 10, 9))]


def test_window_clips_and_overlaps_merge():
    data = cal(
        "UID:a\nDTSTART:20300228T230000Z\nDTEND:20300301T010000Z",
        "UID:b\nDTSTART:20300410T080000Z\nDTEND:20300410T090000Z",
        "UID:c\nDTSTART:20300410T083000Z\nDTEND:20300410T100000Z",
        "UID:d\nDTSTART:20300601T080000Z\nDTEND:20300601T090000Z",
    )
    assert busy(data) == [
        Busy(WINDOW[0], utc(2030, 3, 1, 1)),
        Busy(utc(2030, 4, 10, 8), utc(2030, 4, 10, 10)),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html>not a calendar</html>", "not"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n", "not an iCalendar"),
        (b"", "not"),
    ],
)
def test_malformed_data_gives_a_clear_error(data, message):
    with pytest.raises(ParseError, match=message):
        busy(data)


def test_one_broken_event_does_not_hide_the_others():
    data = cal(
        "UID:x\nDTSTART:garbage\nDTEND:20300410T090000Z",
        "UID:y\nDTSTART:20300411T080000Z\nDTEND:20300411T090000Z",
    )
    assert busy(data) == [Busy(utc(2030, 4, 11, 8), utc(2030, 4, 11, 9))]


def test_limits():
    many = cal(*[f"UID:{i}\nDTSTART:20300410T080000Z\nDTEND:20300410T090000Z" for i in range(6)])
    with pytest.raises(ParseError, match="6 events; at most 5"):
        busy(many, limits=Limits(max_events=5))
    with pytest.raises(ParseError, match="larger than"):
        busy(many, limits=Limits(max_bytes=100))
    every_second = cal("UID:s\nDTSTART:20300301T000000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY")
    with pytest.raises(ParseError, match="repeats more than 1000"):
        busy(every_second, limits=Limits(max_occurrences=1000))


def test_busy_weekday_series_stay_within_the_default_limit():
    series = [
        f"UID:s{i}\nDTSTART:20300301T{8 + i % 9:02d}0000Z\nDURATION:PT30M\n"
        "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"
        for i in range(100)
    ]
    assert len(busy(cal(*series))) > 0  # 100 series x 43 weekdays: no false alarm


def test_rdates_count():
    data = cal(
        "UID:r\nDTSTART:20300401T080000Z\nDURATION:PT1H\nRDATE:20300402T080000Z,20300403T080000Z"
    )
    assert len(busy(data)) == 3
    with pytest.raises(ParseError):
        busy(data, limits=Limits(max_occurrences=2))


def test_several_resources_are_read_together():
    one = cal("UID:a\nDTSTART:20300410T080000Z\nDTEND:20300410T090000Z")
    two = cal("UID:b\nDTSTART:20300411T080000Z\nDTEND:20300411T090000Z")
    assert len(parse_busy([one, two], *WINDOW, BERLIN)) == 2


instants = st.integers(min_value=0, max_value=10_000).map(
    lambda minutes: datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
)
spans = st.lists(
    st.tuples(instants, st.integers(min_value=1, max_value=600)).map(
        lambda pair: (pair[0], pair[0] + timedelta(minutes=pair[1]))
    ),
    max_size=30,
)


@given(spans)
def test_merge_covers_exactly_the_same_minutes(intervals):
    merged = merge(intervals)

    def covered(items):
        return {
            start + timedelta(minutes=m)
            for start, end in items
            for m in range(int((end - start).total_seconds() // 60))
        }

    assert covered([(b.start, b.end) for b in merged]) == covered(intervals)
    for first, second in pairwise(merged):
        assert first.end < second.start  # sorted, disjoint, not touching


def test_own_booking_copies_are_ignored():
    data = cal(
        "UID:ours@rendezvous\nDTSTART:20300410T080000Z\nDTEND:20300410T090000Z",
        "UID:theirs\nDTSTART:20300411T080000Z\nDTEND:20300411T090000Z",
    )
    assert busy(data, ignore_uids=frozenset({"ours@rendezvous"})) == [
        Busy(utc(2030, 4, 11, 8), utc(2030, 4, 11, 9))
    ]


# -- hostile and broken calendars (review of issue 6) -------------------------------------------

GOOD = "UID:good\nDTSTART:20300411T080000Z\nDTEND:20300411T090000Z"
GOOD_BUSY = [Busy(utc(2030, 4, 11, 8), utc(2030, 4, 11, 9))]


@pytest.mark.parametrize(
    "broken",
    [
        "UID:b\nDTEND:20300410T090000Z",  # no DTSTART
        "UID:b\nDTSTART:20300410T080000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;INTERVAL=0",
        "UID:b\nDTSTART:20300410T080000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;INTERVAL=-2",
        "UID:b\nDTSTART:20300410T080000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;INTERVAL=x",
        "UID:b\nDTSTART:20300410T080000Z\nDURATION:PT1H\nRRULE:FREQ=FOO",
        "UID:b\nDTSTART:20300410T080000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=99999999999",
        "UID:b\nDTSTART:20300410T080000Z\nDURATION:PT1H\nRRULE:FREQ=MONTHLY;BYDAY=99MO",
        "UID:b\nDTSTART:20300410T080000Z\nDURATION:PT1H\nRRULE:FREQ=YEARLY;BYMONTH=13",
        "UID:b\nDTSTART:99991231T230000Z\nDURATION:PT2H",  # would overflow the expansion
        "UID:b\nDTSTART:20300410T080000Z\nDURATION:P99999999W",
    ],
)
def test_a_broken_event_is_dropped_and_the_rest_read_at_once(broken):
    """INTERVAL=0 used to hang the worker forever; the others failed the whole calendar."""
    started = datetime.now(UTC)
    assert busy(cal(broken, GOOD)) == GOOD_BUSY
    assert datetime.now(UTC) - started < timedelta(seconds=2)


def test_a_fine_grained_series_walked_from_long_ago_is_refused_at_once():
    """The rule engine steps from DTSTART: FREQ=HOURLY since the year 1 used to run for ever."""
    ancient = cal("UID:h\nDTSTART:00010101T000000Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY", GOOD)
    started = datetime.now(UTC)
    with pytest.raises(ParseError, match="repeat too often for too long"):
        busy(ancient)
    assert datetime.now(UTC) - started < timedelta(seconds=2)
    # A daily series from 1950 and an ended minutely one are fine.
    fine = cal(
        "UID:d\nDTSTART:19500101T120000Z\nDURATION:PT30M\nRRULE:FREQ=DAILY",
        "UID:m\nDTSTART:19900101T000000Z\nDURATION:PT1M\nRRULE:FREQ=MINUTELY;COUNT=10",
    )
    assert len(busy(fine)) == (WINDOW[1] - WINDOW[0]).days


def test_odd_but_readable_calendars():
    event = "UID:a\nDTSTART:20300410T080000Z\nDTEND:20300410T090000Z\nSUMMARY:caf\u00e9"
    expected = [Busy(utc(2030, 4, 10, 8), utc(2030, 4, 10, 9))]
    data = cal(event)
    assert busy(b"\xef\xbb\xbf" + data) == expected  # byte-order mark
    assert busy(data.replace(b"\r\n", b"\n")) == expected  # bare LF
    assert busy(data.replace("é".encode(), b"\xe9")) == expected  # Latin-1, not UTF-8
    folded = data.replace(b"DTEND:20300410T090000Z", b"DTEND:2030041\r\n 0T090000Z")
    assert busy(folded) == expected
    # An unknown X-WR-TIMEZONE is ignored, not fatal; an unknown TZID reads as local time.
    assert busy(cal(event, extra="X-WR-TIMEZONE:Mars/Olympus\r\n")) == expected
    unknown = cal("UID:u\nDTSTART;TZID=Mars/Olympus:20300410T100000\nDURATION:PT1H")
    assert busy(unknown) == expected  # 10:00 in Berlin (the host's zone) is 08:00 UTC
    ten_thousand_exdates = cal(
        "UID:x\nDTSTART:20300301T080000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY\n"
        + "\n".join(
            f"EXDATE:{(datetime(2030, 3, 1, 8) + timedelta(days=i)):%Y%m%dT%H%M%SZ}"
            for i in range(10_000)
        )
    )
    assert busy(ten_thousand_exdates) == []


def test_a_web_page_is_named_as_such():
    with pytest.raises(ParseError, match="web page, not a calendar"):
        busy(b"\r\n  <!DOCTYPE html><html><body>Sign in</body></html>")


def test_one_unreadable_caldav_resource_does_not_block_the_others():
    good = cal(GOOD)
    assert busy([b"<html>oops</html>", good, b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"]) == GOOD_BUSY
    with pytest.raises(ParseError, match="web page"):
        busy([b"<html>oops</html>"])
    assert busy([]) == []


def test_rules_that_never_match_are_cut_off_by_the_time_limit():
    """Every 30 February: the rule engine searches up to the year 9999 for each such series."""
    never = [
        f"UID:n{i}\nDTSTART:20300101T080000Z\nDURATION:PT1H\n"
        "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"
        for i in range(40)
    ]
    data = cal(GOOD, *never)
    started = datetime.now(UTC)
    with pytest.raises(ParseError, match=r"took longer than 0\.1 s"):
        busy(data, limits=Limits(max_seconds=0.1))
    assert datetime.now(UTC) - started < timedelta(seconds=3)
    # With time enough, the same calendar reads (the series' first date lies before the window).
    assert busy(cal(GOOD, never[0])) == GOOD_BUSY


def test_series_split_for_the_time_limit_keep_overrides_and_zones():
    data = cal(
        "UID:s\nDTSTART;TZID=Europe/Berlin:20300304T100000\nDURATION:PT1H\n"
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=4;COUNT=3",
        "UID:s\nRECURRENCE-ID;TZID=Europe/Berlin:20300404T100000\n"
        "DTSTART;TZID=Europe/Berlin:20300405T150000\nDURATION:PT1H",
        GOOD,
        extra=BERLIN_TZ,
    )
    assert busy(data) == [
        Busy(utc(2030, 3, 4, 9), utc(2030, 3, 4, 10)),  # CET
        Busy(utc(2030, 4, 5, 13), utc(2030, 4, 5, 14)),  # moved, CEST
        GOOD_BUSY[0],
    ]
