"""Vietnamese dates in the forms administrative documents write them, to ISO strings."""

from __future__ import annotations

import datetime as dt
import re

from .text import fold

# "ngày 15 tháng 9 năm 2022" (folded); OCR may damage the words, so they are matched loosely.
LONG_DATE = re.compile(
    r"\bng\w{1,3}\s*(\d{1,2})\s+th\w{2,4}\s*(\d{1,2})\s+n\w{1,3}\s*((?:19|20)\d\d)\b", re.IGNORECASE
)
NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*((?:19|20)\d\d)\b")


def iso_date(day: str | int, month: str | int, year: str | int) -> str | None:
    """ISO date string when the parts make a real calendar date, else None."""
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except (TypeError, ValueError):
        return None


def find_date(text: str) -> tuple[str | None, int, int]:
    """First date written long or numeric in ``text``: (ISO or None, start, end) in ``text`` positions."""
    folded = fold(text)
    matches = [m for m in (LONG_DATE.search(folded), NUMERIC_DATE.search(folded)) if m]
    if not matches:
        return None, -1, -1
    match = min(matches, key=lambda m: m.start())
    return iso_date(match.group(1), match.group(2), match.group(3)), match.start(), match.end()


_TIMESTAMP = re.compile(
    r"(\d{1,2})[./\-](\d{1,2})[./\-](\d{4})(?:\D+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(?:([+\-]\d{2}):?(\d{2}))?"
)
_ISO_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?\s*(?:([+\-]\d{2}):?(\d{2}))?"
)


def iso_timestamp(text: str) -> str | None:
    """Signing time of a digital-signature block as ISO 8601 (``2022-09-15T09:12:33+07:00``), else None."""
    match = _ISO_TIMESTAMP.search(text)
    if match:
        year, month, day = match.group(1), match.group(2), match.group(3)
    else:
        match = _TIMESTAMP.search(text)
        if not match:
            return None
        day, month, year = match.group(1), match.group(2), match.group(3)
    date = iso_date(day, month, year)
    if date is None:
        return None
    hour, minute, second, tz_hour, tz_minute = (match.group(i) for i in range(4, 9))
    if hour is None:
        return date
    try:
        moment = dt.time(int(hour), int(minute), int(second or 0))
    except ValueError:
        return date
    stamp = f"{date}T{moment.isoformat()}"
    if tz_hour is not None:
        stamp += f"{tz_hour}:{tz_minute}"
    return stamp
