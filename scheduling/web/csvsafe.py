"""Spreadsheet-safe CSV cells: no cell may start a formula. Pure: no Flask, no DB, no clock.

A cell that starts with =, +, -, @, tab or carriage return is read as a formula (or DDE call) by
Excel, LibreOffice and Google Sheets; OWASP's rule is to prefix such cells with a single quote,
which makes the spreadsheet show the text as typed. Quoting of commas, quotes and line breaks is
left to the csv module.
"""

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Return the value as text, with a leading single quote if a spreadsheet would run it."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    """Make every cell of a row safe."""
    return [safe_cell(value) for value in values]


def csv_chunks(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """A UTF-8 BOM (spreadsheet apps then read UTF-8), the header and safe rows, in chunks of
    200 rows, so a long export streams instead of building in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(safe_row(header))
    for number, row in enumerate(rows, start=1):
        writer.writerow(safe_row(row))
        if number % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
