"""Loading of the two rule tables shipped in ``dictionaries/``.

Document-type codes and section-label rules live in TSV files rather than in code so analysts can extend
them (a new type code, another heading wording) without touching the extractor.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.resources import dictionary_file

from .text import fold, key

_log = logging.getLogger(__name__)

DOC_TYPES_FILE = "doc_types.tsv"
SECTION_LABELS_FILE = "section_labels.tsv"


def _rows(path: Path) -> list[dict[str, str]]:
    """Rows of a TSV with a header line; ``#`` lines are comments.

    A missing table is logged and read as empty: extraction then still runs (labels become ``other``,
    types come only from what the text spells out) instead of failing every document of a batch.
    """
    if not path.is_file():
        _log.warning("structure table %s not found; continuing without it", path)
        return []
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k}
        for row in csv.DictReader(lines, delimiter="\t")
    ]


@dataclass(frozen=True)
class DocTypes:
    """Type codes (``KH``, ``QĐ`` ...) and printed type names (``KẾ HOẠCH`` ...)."""

    codes: tuple[str, ...]
    names: dict[str, str]  # code -> name as printed in the table
    folded_codes: dict[str, str]  # folded lower-case code -> code (first row wins)
    name_keys: dict[str, str]  # name in key form -> code

    def code_for_symbol_part(self, part: str) -> str | None:
        """Canonical code for one segment of a document symbol, exact spelling first, then folded."""
        if part in self.names:
            return part
        return self.folded_codes.get(fold(part).lower())


@lru_cache(maxsize=1)
def doc_types() -> DocTypes:
    rows = _rows(dictionary_file(DOC_TYPES_FILE))
    codes = tuple(row["code"] for row in rows if row.get("code"))
    names = {row["code"]: row.get("name", "") for row in rows if row.get("code")}
    folded: dict[str, str] = {}
    for code in codes:
        folded.setdefault(fold(code).lower(), code)
    name_keys = {key(name): code for code, name in names.items() if name}
    return DocTypes(codes=codes, names=names, folded_codes=folded, name_keys=name_keys)


@dataclass(frozen=True)
class LabelRule:
    label: str
    tokens: tuple[str, ...]  # phrase in key form, split, without "va"
    sub_extra_words: int


@lru_cache(maxsize=1)
def label_rules() -> tuple[LabelRule, ...]:
    rules = []
    for row in _rows(dictionary_file(SECTION_LABELS_FILE)):
        tokens = tuple(t for t in key(row.get("phrase", "")).split() if t != "va")
        if not row.get("label") or not tokens:
            continue
        extra = row.get("sub_extra_words") or "3"
        rules.append(LabelRule(row["label"], tokens, int(extra) if extra.isdigit() else 3))
    return tuple(rules)


ABBREVIATIONS_FILE = "abbreviations.tsv"


@lru_cache(maxsize=1)
def symbol_codes() -> dict[str, str]:
    """Codes a document symbol is made of (type codes and issuer abbreviations), by lookup key.

    The key is the code without marks, in capitals (``SGDDT`` for ``SGDĐT``); a key two codes share
    (``DA``: ``DA`` and ``ĐA``) is left out, so only an unambiguous spelling is ever written back.
    """
    codes = list(doc_types().codes)
    path = dictionary_file(ABBREVIATIONS_FILE)
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip() and not line.lstrip().startswith("#"):
                    codes.extend(part for part in line.split("\t")[0].strip().split("-") if part)
    by_key: dict[str, set[str]] = {}
    for code in codes:
        if code.replace("Đ", "").replace("đ", "").isalpha():
            by_key.setdefault(fold(code).upper(), set()).add(code)
    return {k: next(iter(v)) for k, v in by_key.items() if len(v) == 1}


@lru_cache(maxsize=1)
def abbreviation_meanings() -> dict[str, str]:
    """What each listed abbreviation stands for, by its canonical form (``SYT``: "Sở Y tế")."""
    meanings: dict[str, str] = {}
    path = dictionary_file(ABBREVIATIONS_FILE)
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2 and parts[0].strip() and not line.lstrip().startswith("#"):
                    meanings[parts[0].strip()] = parts[1].strip()
    return meanings


_SYMBOL_PARTS = re.compile(r"[^\W\d_]+")
# Letters a symbol part needs before a D or P in it may be read as a lost Đ: "SGDDT", "SGDPT" are
# "SGDĐT", but a short issuer part ("DB", "PB") is as likely an unlisted code of its own.
MIN_LETTERS_FOR_D = 4
_NOT_D = re.compile(r"[^Đđ]")


def _plain(part: str) -> str:
    """A symbol part without the marks a speck or a misread vowel put on its letters (Đ is a letter)."""
    return _NOT_D.sub(lambda m: fold(m.group()), part)


def _canonical_part(part: str) -> str:
    codes = symbol_codes()
    if part in doc_types().names or part in codes.values():
        return part
    plain = _plain(part)
    long_enough = len(plain) >= MIN_LETTERS_FOR_D
    code = codes.get(fold(plain).upper())
    short_issuer = not long_enough and code not in doc_types().codes  # type codes (QĐ) are few and known
    if code is not None and "Đ" in code and "Đ" not in plain.upper() and short_issuer:
        code = None
    if code is None and "P" in plain and long_enough:  # legacy OCR reads Đ as P: "SGDPT"
        code = codes.get(fold(plain).upper().replace("P", "D"))
        if code is not None and "Đ" not in code:
            code = None
    return code if code is not None else plain


def canonical_symbol(symbol: str) -> str:
    """A document symbol with each letter part checked against the type codes and issuer abbreviations:
    ``KH-SÝT`` (a speck on the Y) gives ``KH-SYT``, ``KH-SGDDT`` gives ``KH-SGDĐT``; an unknown part only
    loses stray marks."""
    return _SYMBOL_PARTS.sub(lambda m: _canonical_part(m.group()), symbol)
