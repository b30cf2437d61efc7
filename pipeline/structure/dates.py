"""Vietnamese dates in the forms administrative documents write them, to ISO strings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

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


# Years an issue date may fall in (Decree 30's layout, the archives' documents): the centuries "19" and "20"
# that the header's date pattern names, and not after next year (a document is not dated in the future).
CENTURIES = ("19", "20")
# A typewritten 0 with a dot or a bar in it is read as 6 or 9 ("ngày 65 tháng 9 năm 2923").
TYPEWRITTEN_ZERO = "69"
MAX_REPAIRED_DIGITS = 4


def plausible_year(year: int, today: dt.date | None = None) -> bool:
    """A year an administrative document may be dated in."""
    return str(year)[:2] in CENTURIES and len(str(year)) == 4 and year <= (today or dt.date.today()).year + 1


def zero_readings(digits: str) -> Iterator[str]:
    """The figures with some of their 6s and 9s read as the typewritten 0 they may be (each choice once,
    the figures as written not among them); none when too many figures could be."""
    spots = [i for i, c in enumerate(digits) if c in TYPEWRITTEN_ZERO]
    if len(spots) > MAX_REPAIRED_DIGITS:
        return
    for mask in range(1, 1 << len(spots)):
        chars = list(digits)
        for bit, spot in enumerate(spots):
            if mask >> bit & 1:
                chars[spot] = "0"
        yield "".join(chars)


def repair_year(year: str) -> str | None:
    """The one year that a four-figure number outside the centuries :data:`CENTURIES` stands for ("2923":
    2023), else None; a year of those centuries is never changed (a plan's period runs into the future:
    "giai đoạn 2024 - 2029"). The rule is restoration's (:func:`pipeline.restore.years.best_repair`: the
    fewest usual digit confusions, one answer only), so a title or a date reads the same year whether or
    not the text went through restoration first."""
    if year[:2] in CENTURIES:
        return None
    from pipeline.restore.years import best_repair  # the restoration package loads lazily

    repaired = best_repair(year)
    return None if repaired is None else str(repaired)


def read_issue_date(
    day: str, month: str, year: str, today: dt.date | None = None
) -> tuple[str | None, str | None]:
    """The ISO date of a header's "ngày D tháng M năm Y" and, when it is not simply read as written, why.

    A date whose figures cannot be a date's (day 65, month 19, year 2923) is tried with the day's and
    month's 6s and 9s read as the typewritten 0 they often are, and with the year :func:`repair_year`
    gives; it is taken only when exactly one such reading makes a plausible date, and then with the
    reason, so that the field is flagged rather than passed off as read. A date that stays impossible
    gives None and the reason: an empty field that says why, not a wrong one. A date that exists but lies
    after next year is kept as written, with the reason.
    """
    written = f"{day} tháng {month} năm {year}"
    iso = iso_date(day, month, year)
    if iso is not None and plausible_year(int(year), today):
        return iso, None
    if iso is not None and str(year)[:2] in CENTURIES:
        return iso, f"date read as '{written}' lies in the future"
    if int(day) <= 31 and int(month) <= 12 and str(year)[:2] in CENTURIES:
        return None, f"date read as '{written}' is not a possible date"
    years = [year] if year[:2] in CENTURIES else [y for y in (repair_year(year),) if y]
    found: set[str] = set()
    for text in (day + month, *zero_readings(day + month)):
        d, m = text[: len(day)], text[len(day) :]
        for y in years:
            repaired = iso_date(d, m, y)
            if repaired is not None and plausible_year(int(y), today):
                found.add(repaired)
    if len(found) == 1:
        repaired = found.pop()
        return repaired, f"date read as '{written}', taken as {repaired} (figures of a typewritten 0 misread)"
    return None, f"date read as '{written}' is not a possible date"


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
