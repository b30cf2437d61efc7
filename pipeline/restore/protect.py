"""Tokens the decoder must not treat as syllables: document codes, abbreviations, Roman numerals.

Codes like "1996/QD-UBND" keep their digits and structure; only abbreviation parts are mapped to their
official spelling, which restores the Đ that OCR or unaccented typing lost ("QD" -> "QĐ") and undoes the
English model's P/B for Đ ("QP" -> "QĐ"). The list is dictionaries/abbreviations.tsv.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.restore.tokenize import is_roman_garble

_ROMAN_VALID = re.compile(r"^(X{0,3})(IX|IV|V?I{0,3})$")


def load_abbreviations(path: Path) -> dict[str, str]:
    """Map every plausible garbled or unaccented spelling of an abbreviation to its official form."""
    table: dict[str, str] = {}
    if not path.exists():
        return table
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        abbr = line.split("\t")[0].strip()
        if not abbr:
            continue
        table[abbr] = abbr
        if "Đ" in abbr:
            table.setdefault(abbr.replace("Đ", "D"), abbr)
    return table


def code_variants(abbreviations: dict[str, str]) -> dict[str, str]:
    """Inside numbered document codes OCR also reads Đ as P or B ("12/QP-UBND"); standalone that would be
    too loose, and two-letter B forms are real abbreviations themselves ("GB")."""
    table = dict(abbreviations)
    for abbr in set(abbreviations.values()):
        if "Đ" in abbr:
            for sub in ("P", "B"):
                if sub == "B" and len(abbr) <= 2:
                    continue
                table.setdefault(abbr.replace("Đ", sub), abbr)
    return table


# Standalone, an abbreviation this long with its Đ read as P is no other word ("HPND" is "HĐND").
MIN_STANDALONE_P = 4


def garbled_variants(abbreviations: dict[str, str]) -> dict[str, str]:
    """In a garbled page a standalone abbreviation of four letters or more may have its Đ read as P
    ("TT. HPND huyện"); a shorter one would be too loose ("PT")."""
    table = dict(abbreviations)
    for abbr in set(abbreviations.values()):
        if "Đ" in abbr and len(abbr) >= MIN_STANDALONE_P and "-" not in abbr:
            table.setdefault(abbr.replace("Đ", "P"), abbr)
    return table


def restore_code(code: str, abbreviations: dict[str, str]) -> str:
    """Map the abbreviation parts of a code ("QD-UBND", "1996/QD-UBND", "NĐ-CP") to their official form."""
    whole = abbreviations.get(code)
    if whole:
        return whole
    parts = re.split(r"([/\-.:_])", code)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 1:
            out.append(part)
            continue
        if "-" in code and i + 2 < len(parts):
            joined = part + parts[i + 1] + parts[i + 2]
            if joined in abbreviations and abbreviations[joined] != joined:
                out.append(part)  # handled pairwise below only when needed
                continue
        out.append(abbreviations.get(part, part))
    result = "".join(out)
    # Pairs listed as one entry ("ND-CP" -> "NĐ-CP").
    for garbled, official in abbreviations.items():
        if "-" in garbled and garbled != official and garbled in result:
            result = re.sub(rf"(?<![A-Za-z]){re.escape(garbled)}(?![A-Za-z])", official, result)
    return result


def restore_roman(core: str) -> str | None:
    """Roman numeral of a heading read with digits ("I1" -> "II", "I11" -> "III"), or None if not one."""
    if not is_roman_garble(core):
        return None
    fixed = core.replace("1", "I").replace("l", "I")
    if fixed != core and _ROMAN_VALID.match(fixed):
        return fixed
    return None
