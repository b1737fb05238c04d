"""Which regional conventions a language is shown with: clock, first weekday, weekday names.

Pure: no Flask, no DB, no clock.
"""

from collections.abc import Iterable

from babel import Locale, UnknownLocaleError

# A language without a region follows these conventions. Bare English is this (EU) app's
# British English: 24-hour clock and Monday first; an American gets en_US from Accept-Language.
DEFAULT_REGIONS = {"en": "GB"}


def _parse(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def formatting_locale(language: str, accepted: Iterable[str] = ()) -> str:
    """The locale to format with: the chosen language, in the first region the browser names.

    `accepted` are Accept-Language tags, best first; only tags of the same language count, so a
    German page for an `en-US` browser is formatted the German way.
    """
    for tag in accepted:
        locale = _parse(tag)
        if locale is not None and locale.language == language and locale.territory:
            return f"{locale.language}_{locale.territory}"
    region = DEFAULT_REGIONS.get(language)
    return f"{language}_{region}" if region else language


def clock_hours(locale: str, asked: str | None = None) -> int:
    """12 or 24: the clock asked for (`?clock=12|24`), else the locale's usual one."""
    if asked in ("12", "24"):
        return int(asked)
    parsed = _parse(locale) or Locale("en", "GB")
    pattern = parsed.time_formats["short"].pattern
    return 12 if ("h" in pattern or "K" in pattern) else 24


def time_pattern(hours: int) -> str:
    """A CLDR pattern for hours and minutes on that clock ('a' is the locale's AM/PM)."""
    return "h:mm a" if hours == 12 else "HH:mm"


def first_weekday(locale: str) -> int:
    """The first day of the week where the locale is at home (0 = Monday, 6 = Sunday)."""
    parsed = _parse(locale) or Locale("en", "GB")
    return parsed.first_week_day


def weekday_names(locale: str, first: int, width: str = "abbreviated") -> list[str]:
    """The seven weekday names in the locale, starting with `first` (0 = Monday)."""
    parsed = _parse(locale) or Locale("en", "GB")
    names = parsed.days["format"][width]
    return [names[(first + offset) % 7] for offset in range(7)]
