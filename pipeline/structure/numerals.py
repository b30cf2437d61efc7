"""Section numbers as OCR reads them: roman numerals with ``1``/``l``/``|`` for ``I`` and the like."""

from __future__ import annotations

import re

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
_VALID_ROMAN = re.compile(r"^X{0,3}(IX|IV|V?I{0,3})$")
# Characters that legacy OCR produces for a capital I in a heading number.
_I_LOOKALIKES = str.maketrans(dict.fromkeys("1l|![]ÍÌ", "I"))
_LETTER_LOOKALIKES = {"¢": "c", "©": "c", "ç": "c", "é": "e", "è": "e"}


def roman_value(token: str) -> int | None:
    """Value of a roman numeral possibly mangled by OCR (``I1`` → 2, ``I1I`` → 3, ``1V`` → 4), else None.

    A token made only of digits is an arabic number, not a roman one: callers decide about ``11``.
    """
    if not token or len(token) > 7:
        return None
    cleaned = token.translate(_I_LOOKALIKES)
    if not _VALID_ROMAN.match(cleaned.upper()):
        cleaned = "".join(c for c in cleaned if not c.islower())  # "Vv." read for "V."
    cleaned = cleaned.upper()
    if not cleaned or not _VALID_ROMAN.match(cleaned):
        return None
    total = 0
    previous = 0
    for char in reversed(cleaned):
        value = _ROMAN_VALUES[char]
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    return total or None


def to_roman(value: int) -> str:
    """Canonical roman numeral for 1..39 (section counts never come near that)."""
    parts = []
    for number, symbol in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            parts.append(symbol)
            value -= number
    return "".join(parts)


def letter_item(token: str) -> str | None:
    """Letter of an ``a)``-style item (``¢)`` read for ``c)``), else None."""
    token = _LETTER_LOOKALIKES.get(token, token)
    if len(token) == 1 and (("a" <= token <= "z") or token == "đ"):
        return token
    return None
