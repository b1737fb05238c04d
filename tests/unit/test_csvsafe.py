"""Formula injection in CSV exports: dangerous first characters get a single-quote prefix."""

import csv
import io
from decimal import Decimal

import pytest

from scheduling.web.csvsafe import safe_cell, safe_row


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '=HYPERLINK("https://evil.example","click")',
            '\'=HYPERLINK("https://evil.example","click")',
        ),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=", "'="),
    ],
)
def test_formula_starts_get_a_quote(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    "value",
    ["Grace Hopper", "grace@example.com", "2030-01-08T10:00:00+01:00", "a=b", "1-2", " =1", ""],
)
def test_harmless_text_is_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (42, "42"), (Decimal("1500.00"), "1500.00"), (-5, "'-5")],
)
def test_other_values_become_text(value, expected):
    assert safe_cell(value) == expected


def test_row_round_trips_through_csv_with_prefixes():
    row = safe_row(["=cmd|' /C calc'!A0", 'say "hi", ok', "line\nbreak", None])
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == [
        "'=cmd|' /C calc'!A0",
        'say "hi", ok',
        "line\nbreak",
        "",
    ]


def test_csv_chunks_stream_a_bom_the_header_and_safe_rows():
    import csv
    import io

    from scheduling.web.csvsafe import csv_chunks

    chunks = list(csv_chunks(["a", "=b"], ([n, "=1+1"] for n in range(450))))
    assert len(chunks) == 3  # 200, 200, then the rest
    text = "".join(chunks)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["a", "'=b"] and len(rows) == 451
    assert rows[1] == ["0", "'=1+1"]
