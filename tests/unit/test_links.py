"""Booking link tokens: per purpose, per booking, per version, per secret."""

from scheduling.security.links import booking_token, check_booking_token


def test_tokens_differ_by_every_input_and_check():
    base = booking_token("s", "uid1", 1, "cancel")
    others = {
        booking_token("s2", "uid1", 1, "cancel"),
        booking_token("s", "uid2", 1, "cancel"),
        booking_token("s", "uid1", 2, "cancel"),
        booking_token("s", "uid1", 1, "reschedule"),
        booking_token("s", "uid1", 1, "view"),
    }
    assert base not in others and len(others) == 5
    assert len(base) == 32
    assert check_booking_token("s", "uid1", 1, "cancel", base)
    assert not check_booking_token("s", "uid1", 2, "cancel", base)
    assert not check_booking_token("s", "uid1", 1, "cancel", base[:-1] + "A")
    assert not check_booking_token("s", "uid1", 1, "cancel", "")


def test_unknown_purpose_raises():
    import pytest

    with pytest.raises(ValueError):
        booking_token("s", "u", 1, "delete")
