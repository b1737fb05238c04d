"""Spreadsheet-safe CSV cells: no cell may start a formula. Pure: no Flask, no DB, no clock.

A cell that starts with =, +, -, @, tab or carriage return is read as a formula (or DDE call) by
Excel, LibreOffice and Google Sheets; OWASP's rule is to prefix such cells with a single quote,
which makes the spreadsheet show the text as typed. Quoting of commas, quotes and line breaks is
left to the csv module.
"""

from collections.abc import Iterable

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
