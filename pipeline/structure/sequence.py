"""Section numbers that OCR damaged, read from their place in the numbering sequence.

On photocopies the numeral is what OCR damages most (``1,`` ``T,`` ``1L`` ``HIỊ.`` ``VỊ`` ``'VI.`` ``H.`` for
``I.`` … ``VI.``) while the heading words are read correctly. Sections come in order (I, II, III …; 1., 2. …
under each of them; a), b) … under those), so a capitalised line whose words match a section label after a
short numeral-like prefix takes the numeral that the sequence expects (its own reading when that is the
next one or the one after). A junk-prefixed or comma-separated ``2,`` / ``+2.`` / ``_3.`` takes its number
only when it is the expected one or 1 (numbering restarts under a subheading); ``8)`` / ``b]`` take the
expected letter. In a document numbered I, II, III a capitalised label line whose numeral faded away
altogether is a section too, and ``sections.py`` renumbers a roman numeral that repeats the previous one
(``I.PHẠM VI`` after ``I.``: numbers never repeat).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .labels import OTHER, label_for
from .numerals import roman_value, to_roman
from .text import fold, is_caps

# What OCR makes of I, V and X in a heading number on a photocopy: digits, l, |, T, H, dotted or accented I,
# Y for V.
_NUMERAL_CHARS = frozenset("IVXYl1|!TtHLiỊÌÍĨỈịìíĩỉ[]")
_DIGITS = frozenset("0123456789")
_SEPARATORS = frozenset(".,:;)")
# Marks a speck or the copier's edge leaves around a number.
_JUNK = frozenset("'‘’`´_-+~\"*•·^¬|")
_LEAD = (_JUNK - {"|"}) | {".", ","}  # marks before the numeral ("|" is a numeral: "|." for "I.")
MAX_CORE = 4
MAX_LEAD = 3
# An unnumbered capitalised heading ("NỘI DUNG THI ĐUA" whose numeral faded) is at most this long.
MAX_BARE_HEADING = 60
_LETTER_ITEM = re.compile(r"^([^\s\w]?)(\S)\s*[)\]}]\s*(?=[^\W\d_])")
# Letters OCR (or restoration of its garble) confuses, taken only when the sequence expects the other one.
_LOOKALIKE = {"e": "c", "o": "c"}
_LETTER_READINGS = {"8": "a", "ạ": "a", "à": "a", "á": "a", "6": "b", "¢": "c", "©": "c", "(": "c", "ð": "đ"}


@dataclass
class Expected:
    """The numbers the sequence expects next at each level."""

    roman: int = 1
    arabic: int = 1
    letter: str = "a"


@dataclass
class Prefix:
    core: str  # the numeral without junk and separators
    rest_offset: int  # where the heading words start
    separator: bool  # a separator (. , : ; )) followed the numeral


def numeral_prefix(line: str) -> Prefix | None:
    """The short numeral-like prefix of a line, or None when the line starts with a word."""
    index = 0
    while index < len(line) and index < MAX_LEAD and line[index] in _LEAD:
        index += 1
    while index < len(line) and line[index].isspace():
        index += 1
    start = index
    allowed = _NUMERAL_CHARS | _DIGITS | _SEPARATORS | _JUNK
    after_separator = _SEPARATORS | _JUNK - _NUMERAL_CHARS  # "HIỊ.TIÊU": the numeral ends at its dot
    while index < len(line) and line[index] in allowed and index - start <= MAX_CORE + 2:
        if index > start and line[index - 1] in _SEPARATORS and line[index] not in after_separator:
            break
        index += 1
    run = line[start:index]
    core = "".join(c for c in run if c not in _SEPARATORS and (c not in _JUNK or c in _NUMERAL_CHARS))
    separator = any(c in _SEPARATORS for c in run)
    if not core or len(core) > MAX_CORE:
        return None
    if index < len(line) and not line[index].isspace() and not separator:
        return None  # the run is the start of a word ("TIÊU", "HÌNH")
    while index < len(line) and (line[index].isspace() or line[index] in _JUNK):
        index += 1
    if index >= len(line) or not (line[index].isalpha() or line[index] in '"“'):
        return None
    return Prefix(core, index, separator)


def _roman_value(core: str, expected: int) -> int:
    """The value a damaged roman numeral stands for: its reading when it is the next one or the one after
    (a heading was lost in between), else the expected one."""
    read = roman_value(core) if not core.isdigit() else None
    if read is not None and expected <= read <= expected + 1:
        return read
    return expected


def damaged_heading(line: str, expected: Expected, roman_doc: bool) -> tuple[int, str, int, int, str] | None:
    """(level, number, value, rest_offset, kind) of a heading whose numeral OCR damaged, else None."""
    prefix = numeral_prefix(line)
    if prefix is None:
        return _bare_heading(line, expected, roman_doc)
    rest = line[prefix.rest_offset :]
    digits = set(prefix.core) <= _DIGITS
    if is_caps(rest[:80]) and (roman_doc or not digits):
        labelled = label_for(rest[:80], 1) != OTHER
        shaped = prefix.separator and len(rest.split()) >= 2 and set(prefix.core) <= _NUMERAL_CHARS | {"1"}
        if labelled or shaped:
            value = _roman_value(prefix.core, expected.roman)
            return 1, to_roman(value), value, prefix.rest_offset, "roman"
    if digits and len(prefix.core) <= 2 and rest[:1].isupper():
        value = int(prefix.core)
        # "+1." or "1," after "2.": the numbering restarts under a new subheading
        if value in (expected.arabic, 1):
            return 2, str(value), value, prefix.rest_offset, "arabic"
    return None


def _bare_heading(line: str, expected: Expected, roman_doc: bool) -> tuple[int, str, int, int, str] | None:
    """A capitalised label line whose numeral faded altogether, in a document numbered I, II, III."""
    text = line.strip()
    if not roman_doc or len(text) > MAX_BARE_HEADING or not is_caps(text, 0.95):
        return None
    if not text[:1].isalpha() or label_for(text, 1) == OTHER:
        return None
    return 1, to_roman(expected.roman), expected.roman, len(line) - len(line.lstrip()), "roman"


def damaged_letter(line: str, expected: Expected) -> tuple[int, str, int, int, str] | None:
    """An ``a)`` item read as ``8)``, ``ạ)``, ``b]``, ``c}``: it takes the letter the sequence expects."""
    match = _LETTER_ITEM.match(line)
    if match is None:
        return None
    char = match.group(2)
    reading = _LETTER_READINGS.get(char, fold(char).lower() if char.isalpha() else None)
    if reading != expected.letter and _LOOKALIKE.get(char) == expected.letter:
        reading = expected.letter  # "e)" where "c)" is due: the restoration read the "¢" of "c)" as "e"
    if reading != expected.letter:
        return None
    rest = line[match.end() :]
    if not rest[:1].isupper():
        return None
    return 3, expected.letter, ord(expected.letter), match.end(), "letter"


def next_letter(letter: str) -> str:
    """The letter after ``letter`` in the order items are lettered (a, b, c, d, đ, e ...)."""
    if letter == "d":
        return "đ"
    if letter == "đ":
        return "e"
    return chr(ord(letter) + 1) if letter < "z" else letter
