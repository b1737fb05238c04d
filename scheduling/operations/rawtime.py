"""Fast reads of instant columns for queries that return thousands of rows (slots, feeds)."""

from datetime import UTC, datetime

from sqlalchemy import String, type_coerce


def raw(column):
    """Read an instant column as stored: parsing thousands in one tight loop beats per-value
    type processing several times over."""
    return type_coerce(column, String())


def as_utc(value) -> datetime:
    """A raw instant column value as an aware UTC datetime (SQLite gives naive ISO text)."""
    if isinstance(value, str):
        # Parsing the offset is several times cheaper than replace(tzinfo=...) afterwards.
        return datetime.fromisoformat(value + "+00:00")
    return value if value.tzinfo is UTC else value.astimezone(UTC)
