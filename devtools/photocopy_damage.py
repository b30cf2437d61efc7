"""Photocopy-OCR-style damage of a clean plan, for the structure tests and ``benchmarks/structure_bench.py``.

``photocopy(text)`` imitates what Tesseract's Vietnamese model makes of a photocopied plan (seen on the
generated photocopies in ``samples/``): the words are read, but the section numerals are mangled (``1,``
``T,`` ``1L`` ``HIỊ.`` ``VỊ`` ``'VI.`` ``H.``, a lost space in ``I.PHẠM VI``), ``2.`` becomes ``2,`` or
``+2.``, ``a)`` becomes ``8)``, "Số:" turns into ``$6:`` or ``S6:``, a speck puts a mark on a letter of the
symbol (``KH-SÝT``), the type line may be lost, and stray marks sit at line ends and on the signer's name.
"""

from __future__ import annotations

import random
import re
import unicodedata

_ROMAN_READINGS = {
    "I": ["1,", "T,", "l.", "I,", "'I.", "|."],
    "II": ["H.", "1L", "11.", "Il.", "II,", "'II.", "I."],
    "III": ["HIỊ.", "IIl.", "HII.", "1II.", "HỊ.", "H."],
    "IV": ["1V.", "IV,", "lV.", "'IV.", "_ IV."],
    "V": ["V,", "'V.", "V:", "Y."],
    "VI": ["VỊ", "'VI.", "VI,", "Vl."],
    "VII": ["VIỊ.", "VlI.", "VII,"],
}
_SPECKS = {"Y": "Ý", "O": "Ó", "A": "Á", "E": "É", "U": "Ú", "I": "Í", "N": "Ñ", "T": "Ť", "S": "Š"}
_NUMBER_WORDS = ["$6:", "S6:", "S0:", "Sé:", "Sô:", "$ố:"]
_LINE_END_JUNK = [" .", " -", " :", " |", " ¬", " _", " '", "."]
_ROMAN_LINE = re.compile(r"^(\s*)(I|II|III|IV|V|VI|VII)\.\s+(?=\S)")
_ARABIC_LINE = re.compile(r"^(\s*)(\d{1,2})\.\s+(?=[^\W\d_])")
_LETTER_LINE = re.compile(r"^(\s*)([a-e])\)\s+")
_NUMBER_LINE = re.compile(r"^(\s*)Số:\s*(\d+)\s*/\s*(\S+)")
_TYPE_LINE = re.compile(r"^\s*(KẾ HOẠCH|QUYẾT ĐỊNH|HƯỚNG DẪN|CÔNG VĂN|THÔNG BÁO|BÁO CÁO)\s*$")
_NAME_LINE = re.compile(r"^[A-ZĐÂĂÊÔƠƯ][^\s\d]*(?: [A-ZĐÂĂÊÔƠƯ][^\s\d]*){1,4}$")


def _speck(symbol: str, rng: random.Random) -> str:
    """A mark on one letter of the issuer part of the symbol (``KH-SYT`` → ``KH-SÝT``)."""
    head, dash, tail = symbol.partition("-")
    if not dash:
        return symbol
    spots = [i for i, c in enumerate(tail) if c in _SPECKS]
    if not spots:
        return symbol
    spot = rng.choice(spots)
    return head + dash + tail[:spot] + _SPECKS[tail[spot]] + tail[spot + 1 :]


def _number_line(match: re.Match[str], rng: random.Random) -> str:
    word = rng.choice(_NUMBER_WORDS)
    symbol = _speck(match.group(3), rng) if rng.random() < 0.5 else match.group(3)
    number = match.group(2)
    if rng.random() < 0.15:
        number = number.replace("1", "l", 1).replace("0", "O", 1)
    gap = rng.choice(["", " "])
    return f"{match.group(1)}{word}{gap}{number}{rng.choice(['', ' '])}/{symbol}"


def _numeral(line: str, rng: random.Random) -> str:
    roman = _ROMAN_LINE.match(line)
    if roman and rng.random() < 0.85:
        reading = rng.choice(_ROMAN_READINGS[roman.group(2)])
        space = "" if rng.random() < 0.25 and reading.endswith(".") else " "
        return roman.group(1) + reading + space + line[roman.end() :]
    arabic = _ARABIC_LINE.match(line)
    if arabic and rng.random() < 0.35:
        number = arabic.group(2)
        reading = rng.choice([f"{number},", f"+{number}.", f"_{number}.", f"'{number}.", f".{number}.,"])
        return arabic.group(1) + reading + " " + line[arabic.end() :]
    letter = _LETTER_LINE.match(line)
    if letter and rng.random() < 0.3:
        item = {"a": "8)", "b": "b]", "c": "¢)"}.get(letter.group(2), letter.group(2) + "}")
        return letter.group(1) + item + " " + line[letter.end() :]
    return line


def photocopy(text: str, seed: int = 7) -> str:
    """Photocopy-OCR-style damage of a clean plan (deterministic for a given text and seed)."""
    rng = random.Random(f"{seed}:{len(text)}")
    lose_type_line = rng.random() < 0.35
    out = []
    for line in unicodedata.normalize("NFC", text).split("\n"):
        number = _NUMBER_LINE.match(line)
        if number:
            line = _number_line(number, rng) + line[number.end() :]
        elif _TYPE_LINE.match(line) and lose_type_line:
            out.append(rng.choice(["", "- .", "."]))
            continue
        else:
            line = _numeral(line, rng)
        if _NAME_LINE.match(line.strip()) and len(line.split()) >= 3 and rng.random() < 0.6:
            line = line.rstrip() + rng.choice([" -", " .", " '", " ˆ", "_"])
        elif line.strip() and rng.random() < 0.1:
            line = line.rstrip() + rng.choice(_LINE_END_JUNK)
        out.append(line)
    return "\n".join(out)
