"""Years that cannot be right, repaired from the digits OCR confuses, and always sent to review.

Typewritten and photocopied pages lose the inside of a "0": Tesseract reads it as 6, 9 or 8 ("giai đoạn
2021 - 2925", "năm 2621"). Such a number in a year's place (after "năm" or "giai đoạn", in a range next to
a real year, at the end of a dd/mm/yyyy date) is no year an administrative document can carry, and a
wrong year in a plan is exactly what a user looks up. The repair changes as few digits as it can, only
along the usual confusions, and only when that gives exactly one year between 1900 and 2050. It is
never silent: a repaired year has reason ``number-repair`` and a confidence below the review threshold;
an implausible year with no clear repair is kept as printed and still flagged. A number elsewhere ("2621
hộ gia đình") is not a year and is never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.restore.normalize import strip_diacritics
from pipeline.restore.slot import Override, Slot

# Years a repair may give: the archive starts in 1945; plans look ahead to 2045-2050 at most.
YEAR_MIN, YEAR_MAX = 1900, 2050
# A number in a year's place from 2100 up to 2999 is a misread year. Below 1900 it may be history ("năm
# 1010"), and 2051-2099 a far target: both left alone.
_MISREAD = range(2100, 3000)
# Digits OCR mistakes for one another on worn or typewritten print (both ways).
_CONFUSABLE: dict[str, str] = {
    "0": "6983",
    "6": "058",
    "9": "08",
    "8": "0369",
    "3": "08",
    "1": "7",
    "7": "1",
    "5": "6",
}
# Below the review threshold: a repaired year is a guess from one page's digits.
REPAIRED_CONFIDENCE = 0.6
UNREPAIRED_CONFIDENCE = 0.3
# Words (without marks, lowercase) that announce a year: "năm 2025", "giai đoạn 2021 - 2025".
_YEAR_WORDS = frozenset({"nam", "doan"})
_FOUR_DIGITS = re.compile(r"\d{4}")
_DATE = re.compile(r"(\d{1,2}[/.-]\d{1,2}[/.-])(\d{4})")
_RANGE_GAP = re.compile(r"\s*[-–—]\s*")


def plausible(year: int) -> bool:
    return YEAR_MIN <= year <= YEAR_MAX


def misread(year: int) -> bool:
    """A year no document can carry and that no history reference explains ("2925", "2621")."""
    return year in _MISREAD


def _neighbours(digits: str) -> Iterable[str]:
    """Every string one usual digit confusion away."""
    for i, d in enumerate(digits):
        for r in _CONFUSABLE.get(d, ""):
            yield digits[:i] + r + digits[i + 1 :]


def repairs(digits: str) -> list[int]:
    """The plausible years the fewest usual confusions away (one, else two), smallest first."""
    one = {int(s) for s in _neighbours(digits) if plausible(int(s))}
    if one:
        return sorted(one)
    two = {int(t) for s in _neighbours(digits) for t in _neighbours(s) if plausible(int(t))}
    return sorted(two)


def best_repair(digits: str) -> int | None:
    """The one plausible year the fewest confusions away; None when there is none or several."""
    options = repairs(digits)
    return options[0] if len(options) == 1 else None


def _year_of(slot: Slot) -> tuple[str, str] | None:
    """(what stands before the year, its four digits) of a token that is or ends in a year, else None.
    Only numbers and dates (kind ``number``/``protected``) are looked at: every other word passes by."""
    if slot.piece.kind not in ("number", "protected"):
        return None
    text = slot.piece.text
    if _FOUR_DIGITS.fullmatch(text):
        return "", text
    m = _DATE.fullmatch(text)
    return (m.group(1), m.group(2)) if m else None


def _in_year_place(k: int, slots: Sequence[Slot], lines: Sequence[str]) -> bool:
    """After "năm"/"đoạn" (any OCR marks), or in a range beside a plausible year, or a whole date."""
    slot = slots[k]
    if _DATE.fullmatch(slot.piece.text):
        return True
    for j in (k - 1, k + 1):
        if not 0 <= j < len(slots) or slots[j].line != slot.line:
            continue
        other = slots[j]
        left, right = (other, slot) if j < k else (slot, other)
        gap = lines[slot.line][left.piece.col + len(left.piece.text) : right.piece.col]
        if j == k - 1 and gap.strip() == "" and strip_diacritics(other.piece.text.lower()) in _YEAR_WORDS:
            return True
        if _RANGE_GAP.fullmatch(gap) and _plausible_year_token(other):
            return True
    return False


def _plausible_year_token(slot: Slot) -> bool:
    """A token that is a plausible year, as printed or as repaired just before ("giai đoạn 2621 - 2925":
    2621 is repaired first, and then 2925 stands beside 2021)."""
    text = slot.override.text if slot.override is not None else slot.piece.text
    return bool(_FOUR_DIGITS.fullmatch(text)) and plausible(int(text))


def repair_years(slots: Sequence[Slot], lines: Sequence[str]) -> int:
    """Override every implausible year in a year's place; returns how many were found."""
    found = 0
    for k, slot in enumerate(slots):
        parts = _year_of(slot)
        if parts is None or not misread(int(parts[1])) or not _in_year_place(k, slots, lines):
            continue
        found += 1
        prefix, digits = parts
        year = best_repair(digits)
        if year is None:
            slot.override = Override(slot.piece.text, "number-repair", UNREPAIRED_CONFIDENCE, [])
        else:
            text = f"{prefix}{year}"
            slot.override = Override(text, "number-repair", REPAIRED_CONFIDENCE, [slot.piece.text])
    return found
