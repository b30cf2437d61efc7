"""Deterministic damage of clean Vietnamese text, for tests and benchmarks.

``strip_diacritics`` removes all marks (đ→d, case kept): text typed without a Vietnamese keyboard.
``garble`` imitates legacy OCR run with an English model, as seen in the project's development seed:
most marks dropped, some vowels read as Latin-1 accented letters (ế→é), others as digits or symbols
(ó→6, â→4, ở→&, Đ→P), ư read as u/ir, roman numerals read with ones (II→I1), an occasional lost space.
The same text and seed always give the same output.
"""

from __future__ import annotations

import random
import re
import unicodedata

_MARKS = re.compile(r"[\u0300-\u036f]")


def strip_diacritics(text: str) -> str:
    """Remove every Vietnamese mark, keeping case and everything else."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", _MARKS.sub("", decomposed))


def _base(char: str) -> str:
    return strip_diacritics(char)


def _family(char: str) -> str | None:
    """Vowel family of a Vietnamese letter: 'a', 'ă', 'â', 'e', 'ê', 'o', 'ô', 'ơ', 'u', 'ư', 'i', 'y'."""
    lower = char.lower()
    decomposed = unicodedata.normalize("NFD", lower)
    base = decomposed[0]
    if base not in "aeiouy":
        return None
    if "\u0306" in decomposed:
        return "ă"
    if "\u0302" in decomposed:
        return {"a": "â", "e": "ê", "o": "ô"}[base]
    if "\u031b" in decomposed:
        return {"o": "ơ", "u": "ư"}[base]
    return base


# (replacement, weight) per vowel family, for letters carrying a mark; the rest of the weight drops marks.
_READINGS: dict[str, list[tuple[str, float]]] = {
    "a": [("4", 0.05), ("á", 0.05)],
    "ă": [("i", 0.05), ("ä", 0.05)],
    "â": [("4", 0.08), ("i", 0.05), ("ã", 0.05)],
    "e": [("é", 0.3)],
    "ê": [("é", 0.45), ("€", 0.03)],
    "o": [("6", 0.08), ("d", 0.03), ("é", 0.03)],
    "ô": [("6", 0.1), ("ô", 0.05)],
    "ơ": [("a", 0.08), ("e", 0.08), ("¢", 0.05), ("&", 0.03)],
    "u": [("ú", 0.03)],
    "ư": [("ir", 0.1), ("w", 0.05), ("d", 0.03)],
    "i": [("1", 0.03), ("í", 0.03)],
    "y": [("ý", 0.05)],
}
_CONSONANTS = {"Đ": [("P", 0.3), ("b", 0.1), ("D", 0.6)], "đ": [("d", 0.95), ("d", 0.05)]}
_ROMAN_LINE = re.compile(r"^(\s*)(II|III)(\.)", re.MULTILINE)


def _read(char: str, rng: random.Random) -> str:
    if char in _CONSONANTS:
        return _pick(_CONSONANTS[char], rng, _base(char))
    family = _family(char)
    plain = _base(char)
    if family is None or plain == char and family in "aeiouy":
        return char
    replacement = _pick(_READINGS.get(family, []), rng, plain)
    return replacement.upper() if char.isupper() and replacement.isalpha() else replacement


def _pick(options: list[tuple[str, float]], rng: random.Random, default: str) -> str:
    roll = rng.random()
    for replacement, weight in options:
        if roll < weight:
            return replacement
        roll -= weight
    return default


def _roman(match: re.Match[str], rng: random.Random) -> str:
    numeral = match.group(2)
    if rng.random() < 0.5:
        numeral = numeral[0] + "1" + numeral[2:]
    return match.group(1) + numeral + match.group(3)


def garble(text: str, seed: int = 13) -> str:
    """Legacy-OCR-style damage of ``text`` (deterministic for a given seed)."""
    rng = random.Random(seed)
    text = _ROMAN_LINE.sub(lambda m: _roman(m, rng), unicodedata.normalize("NFC", text))
    out = []
    for char in text:
        if char == " " and out and out[-1] == "." and rng.random() < 0.05:
            continue  # "V. TỔ CHỨC" read as "V.TO CHUC"
        out.append(_read(char, rng))
    return "".join(out)
