"""Slot start strings (the slots endpoint's) are exactly isoformat() in the visitor's zone,
pieces cached or not: odd offsets (seconds, quarter hours), transitions, microseconds."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.availability.zones import local_isoformats

ZONES = ["Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu", "Africa/Casablanca", "UTC"]
BASE = datetime(1890, 1, 1, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.lists(st.integers(0, 200 * 366 * 86_400), max_size=60),
    st.sampled_from([0, 1, 999_999]),
)
def test_iso_strings_are_isoformat(name, seconds, micro):
    zone = ZoneInfo(name)
    moments = sorted(BASE + timedelta(seconds=s, microseconds=micro * (s % 2)) for s in seconds)
    assert local_isoformats(moments, name) == [m.astimezone(zone).isoformat() for m in moments]
