"""Small text helpers shared by the structure extractors.

Matching runs on a *folded* copy of each line: Vietnamese marks removed (đ→d), same length as the
original, so a match position found in the folded text cuts the original text at the same place. This is
what lets keyword rules written without diacritics work on clean, diacritic-less and OCR-damaged text
alike while the extracted values keep the text as written.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"\s*[\u2010-\u2015\u2212]\s*")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def _build_fold_table() -> dict[int, str]:
    """Map every precomposed Latin letter to its ASCII base letter (one char to one char)."""
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x2000):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    table[ord("Ð")] = "D"
    return table


_FOLD_TABLE = _build_fold_table()


def fold(text: str) -> str:
    """Remove Vietnamese marks letter by letter; the result has exactly the length of ``text``."""
    return text.translate(_FOLD_TABLE)


def key(text: str) -> str:
    """Comparison form: folded, lower case, punctuation turned into single spaces."""
    return _NON_WORD.sub(" ", fold(text).lower()).strip()


def squash(text: str) -> str:
    """Collapse runs of whitespace to one space and trim (the form every extracted value is given in)."""
    return _SPACES.sub(" ", text).strip()


def normalise_dashes(text: str) -> str:
    """Write en/em dashes and minus signs as `` - `` so one movement name compares equal across documents."""
    return squash(_DASHES.sub(" - ", text))


def upper_ratio(text: str) -> float:
    """Share of upper-case letters among the letters of ``text`` (0 when it has no letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if c.isupper()) / len(letters)


def is_caps(text: str, threshold: float = 0.75) -> bool:
    """True for lines set in capitals (headings, issuer names), tolerating a few OCR lower-case letters."""
    letters = sum(1 for c in text if c.isalpha())
    return letters >= 2 and upper_ratio(text) >= threshold


def split_lines(text: str) -> list[str]:
    """The line convention of the whole package: split on ``\\n`` only, drop a trailing ``\\r``.

    Line numbers in the record (``start_line``/``end_line``) and the per-line confidences refer to these
    lines, so a form feed or other control character inside a line does not shift them.
    """
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


_MATCH_VIEW = {cp: "-" for cp in range(0x2010, 0x2016)}
_MATCH_VIEW[0x2212] = "-"
_MATCH_VIEW.update({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def match_view(text: str) -> str:
    """Folded, ASCII-lower-cased, dashes unified; same length as ``text`` so positions carry over."""
    return fold(text).translate(_MATCH_VIEW)


_SYMBOL_PART = re.compile(r"[A-Za-zĐđ]+")


def clean_symbol(symbol: str) -> str:
    """A symbol with OCR's ``b`` for ``Đ`` inside a capital code written back (``BTbKT`` → ``BTĐKT``).

    Only lone lower-case ``b`` between capitals is changed: legitimate lower-case letters in codes
    (``TTg``, ``CTr``, ``QyĐ``) are never ``b``.
    """

    def fix(match: re.Match[str]) -> str:
        part = match.group()
        others = part.replace("b", "")
        if "b" in part and len(part) >= 3 and others.isupper() and len(others) == len(part) - part.count("b"):
            return part.replace("b", "Đ")
        return part

    return _SYMBOL_PART.sub(fix, symbol)


# Marks a speck, the copier's edge or a stamp leaves at the ends of a line ("SỞ Y TẾ .", "` Tổ chức ...").
_JUNK_MARKS = "_|¬~`'‘’.,:;^*ˆ•°"
_TRAILING_JUNK = re.compile(rf"(?:\s+[{_JUNK_MARKS}-]{{1,2}})+\s*$")
_TRAILING_JUNK_NO_DASH = re.compile(rf"(?:\s+[{_JUNK_MARKS}]{{1,2}})+\s*$")
_LEADING_JUNK = re.compile(rf"^\s*[{_JUNK_MARKS}]{{1,2}}\s+(?=\S)")


_ATTACHED_JUNK = "_|¬ˆ~`'"  # marks that never end a word, even when OCR glued them to it ("SỞ Y TẾ_")
_GLUED_LEADING_JUNK = "_|¬ˆ~"  # and those that never begin one ("_UBND TỈNH"; quotes may open a name)


def without_junk(text: str, dash: bool = False) -> str:
    """The line without stray marks at its ends: marks standing apart (a lone ``-`` at the end too when
    ``dash``: elsewhere a final dash may announce a continued name), and marks that never end or begin a
    word."""
    text = _LEADING_JUNK.sub("", text).lstrip(_GLUED_LEADING_JUNK)
    text = (_TRAILING_JUNK if dash else _TRAILING_JUNK_NO_DASH).sub("", text).strip()
    stripped = text.rstrip(_ATTACHED_JUNK).rstrip()
    return stripped if stripped else text


# A dot a speck left between two words, no space around it ("mới”.trong", "các.PGĐ"): after a lowercase
# word or a closing quote, before a letter. Abbreviations with a dot ("TT.Huyện", "TP.Hồ") start with a
# capital, and an address or e-mail has no closing quote and more dots or an @, so they stay.
_GLUED_DOT = re.compile(r"(?<![\w@./])([^\W\d_]*[a-zà-ỹđ]{2}|[^\W\d_]+[”\"»])\.(?=[^\W\d_])(?![\w]*[.@/])")


def without_glued_specks(text: str) -> str:
    """``text`` with a speck's dot glued between two words read as the space it stands in."""
    return _GLUED_DOT.sub(r"\1 ", text)


_MARKED_VOWEL = re.compile(r"[À-ÃÈ-ÊÌÍÒ-ÕÙÚÝĂĨŨƠƯẠ-Ỹ]")
_LOWER_WORD = re.compile(r"(?<![^\s(])[a-zà-ỹđ]+(?![^\s),.;:])")


def title_cased_words(text: str) -> str:
    """A mixed-case item with one word in capitals that carries a marked vowel ("đơn vị thuộc SỞ": the
    English model reads the horn of "ở" as a capital O) gets that word title-cased. Abbreviations have no
    marked vowels ("UBND", "BTĐKT") and stay, and so does a run of capitals ("UBND TỈNH")."""
    if not _LOWER_WORD.search(text):
        return text
    words = text.split(" ")
    cores = [word.strip(",.;:()") for word in words]
    caps = [len(core) >= 2 and core.isupper() for core in cores]
    out = []
    for i, (word, core) in enumerate(zip(words, cores, strict=True)):
        alone = not (i and caps[i - 1]) and not (i + 1 < len(caps) and caps[i + 1])
        if caps[i] and alone and _MARKED_VOWEL.search(core):
            word = word.replace(core, core[0] + core[1:].lower())
        out.append(word)
    return " ".join(out)
