"""The `date` filter, drawn without Django's locale machinery for the formats our pages use.

Django's own filter looks up formats and translations for every value it formats; a list page formats two
moments a row and spent a fifth of its template time there (issue 28, bench/profile.py). This filter writes the
same English words and numbers for the format characters below (tests/core/test_request_cost.py compares it with
Django's for every format in the templates) and hands anything else (other characters, named formats, escapes, a
time format on a date) to Django's filter. Installed as a builtin (config/settings.py TEMPLATES), so it replaces
`date` in every template, the minutes' PDFs included.
"""

import datetime as dt
import functools
from collections.abc import Callable

from django import template
from django.template.defaultfilters import date as django_date

register = template.Library()

MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Django's format characters (django.utils.dateformat), as it writes them in English.
DATE_PARTS: dict[str, Callable[[dt.date], str]] = {
    "j": lambda d: str(d.day),
    "d": lambda d: f"{d.day:02d}",
    "F": lambda d: MONTHS[d.month],
    "M": lambda d: MONTHS[d.month][:3],
    "n": lambda d: str(d.month),
    "m": lambda d: f"{d.month:02d}",
    "Y": lambda d: f"{d.year:04d}",
    "l": lambda d: WEEKDAYS[d.weekday()],
    "D": lambda d: WEEKDAYS[d.weekday()][:3],
}
TIME_PARTS: dict[str, Callable[[dt.datetime], str]] = {
    "H": lambda d: f"{d.hour:02d}",
    "i": lambda d: f"{d.minute:02d}",
    "s": lambda d: f"{d.second:02d}",
}


@functools.lru_cache(maxsize=64)
def _parts(format_string: str) -> tuple[tuple[bool, str], ...] | None:
    """The format as (is a character to fill, the character or the literal text), or None when this filter does
    not write it (Django's does)."""
    if format_string.isupper() and "_" in format_string:  # a named format, e.g. "DATETIME_FORMAT"
        return None
    parts = []
    for char in format_string:
        if char in DATE_PARTS or char in TIME_PARTS:
            parts.append((True, char))
        elif char.isalpha() or char == "\\":
            return None
        else:
            parts.append((False, char))
    return tuple(parts)


@register.filter(expects_localtime=True, is_safe=False)
def date(value: dt.date | None, arg: str | None = None) -> str:
    """As django.template.defaultfilters.date, faster for the formats our pages use."""
    if value in (None, ""):
        return ""
    parts = _parts(arg) if arg else None
    if parts is None or not isinstance(value, dt.date):
        return django_date(value, arg)
    timed = isinstance(value, dt.datetime)
    if not timed and any(filled and char in TIME_PARTS for filled, char in parts):
        return django_date(value, arg)  # Django refuses a time on a date in its own words
    return "".join(
        (DATE_PARTS.get(char) or TIME_PARTS[char])(value) if filled else char  # type: ignore[arg-type]
        for filled, char in parts
    )
