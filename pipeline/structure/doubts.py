"""Header fields that may be wrong, flagged with a reason rather than passed off as read (issue 11).

A field is doubtful when a word in it is:

* not a Vietnamese syllable, an acronym or a figure ("ng", "Fác", "rpghiệp"): a damaged word, whatever the
  text came from, so this rule needs only the text;
* read under a received stamp with less than full confidence: the stamp's ink was taken off the page
  (``pipeline.scan.marks``) and took the strokes of the letters it covered with it, so a word there may be a
  real but wrong syllable ("giới" for "đổi") that only its confidence gives away;
* figures (a date, a number) that Tesseract read with less than :data:`DOUBTFUL_FIGURES_OCR`: a typewritten
  0 read as 6 or 9 still makes a valid date ("ngày 26" for "ngày 20");
* any word a person would be asked to review (:mod:`pipeline.review`: low OCR or restoration confidence).

The last three need the OCR words and the restoration's tokens: :func:`word_doubts` turns them into the
doubtful words of each line of the text, :func:`field_doubts` finds which of them lie in which field (the
lines each field was read from, and the word itself in the field's value). The header parser adds its own
reasons (a date repaired or unreadable, marks glued to a title's words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from pipeline.resources import dictionary_file
from pipeline.review import to_review

from .tables import abbreviation_meanings, doc_types
from .text import fold, key

# Tesseract confidence (0-100) below which a word of figures (a day, a year, a number) in a header field is
# doubtful. Printed and typewritten figures on clean and scanned pages are read at 88-97, on photocopies
# and archive scans at 79-96; the typewritten "20" read "26" on an archive scan at 77. A number glued to its
# symbol ("76/KH-UBND") is longer and read lower (68-91 when right): it is held to the general rule.
DOUBTFUL_FIGURES_OCR = 85.0
# A word under a stamp is doubtful below this OCR confidence or this restoration confidence: the words of
# stamped lines that were read right have 90-97 and 1.00 (generated archive scans), the damaged ones
# 22-89, or a restoration that hesitated (0.51-0.93).
STAMPED_OCR = 85.0
STAMPED_RESTORATION = 0.95
# Fields whose words are text (figures and codes are checked by their confidence only).
TEXT_FIELDS = ("issuer_parent", "issuer", "place", "title")
_EDGES = "“”\"«»()[]{}.,;:!?…'‘’*"
_DIGIT = re.compile(r"\d")
# A word of letters and figures with nothing between them; a code parts them ("30/2020/NĐ-CP", "Covid-19")
_GLUED_FIGURE = re.compile(r"^(?=.*\d)(?=.*[^\W\d_])[^\W_]+$")
_MARKED = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class WordDoubt:
    """A doubtful word of a line of the text as the record reads it (restored), and why."""

    word: str
    reason: str


NAMES_FILE = "names.tsv"


@lru_cache(maxsize=1)
def name_syllables() -> frozenset[str]:
    """Syllables of the place and person names restoration knows, lower case: names keep spellings that
    are no regular syllable ("Đắk Lắk", "Bắc Kạn")."""
    path = dictionary_file(NAMES_FILE)
    if not path.is_file():
        return frozenset()
    found: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                form = unicodedata.normalize("NFC", line.split("\t")[0])
                found.update(part.lower() for part in form.split())
    return frozenset(found)


def odd_words(value: str) -> list[str]:
    """The words of a field's value that are no Vietnamese syllable, name, acronym, code or figure."""
    # imported here: the restoration package loads its models' code (0.3 s), which reading a record
    # without this check does not need
    from pipeline.restore.syllables import is_valid_syllable

    odd = []
    for word in value.split():
        core = word.strip(_EDGES)
        if _DIGIT.search(core):
            if _GLUED_FIGURE.search(core):
                odd.append(core)  # letters and figures run together: "V4" for "V/v", "2O23"
            continue  # a figure or a code with one ("30/2020/NĐ-CP", "Covid-19")
        for part in re.split(r"[-–/]", core):
            if len(part) < 2 or not any(c.isalpha() for c in part):
                continue  # a letter alone is an abbreviation ("V/v") or a list's mark
            lower = unicodedata.normalize("NFC", part.lower())
            if is_valid_syllable(lower) or lower in name_syllables():
                continue
            if part.isupper() and len(part) >= 2 and not _MARKED.search(part.replace("Đ", "")):
                continue  # an acronym: "UBND", "HĐND", "THCS"
            odd.append(core)
            break
    return odd


def word_spans(raw: str, words: Sequence[Mapping[str, Any]]) -> list[tuple[int, int, Mapping[str, Any]]]:
    """(start, end, word) of each OCR word in its raw line (the line is its words joined by spaces); none
    when they do not pair up one to one."""
    pieces = list(re.finditer(r"\S+", raw))
    if len(pieces) != len(words):
        return []
    return [(p.start(), p.end(), w) for p, w in zip(pieces, words, strict=True)]


def ocr_tokens(raw_lines: Sequence[str], line_words: Sequence[Sequence[Mapping[str, Any]]]) -> list[dict]:
    """Tokens in the restoration's form (:func:`word_doubts`) made of the OCR words themselves, for a
    document that was not restored."""
    tokens = []
    for line, (raw, words) in enumerate(zip(raw_lines, line_words, strict=False)):
        for start, _, word in word_spans(raw, words):
            text = raw[start:].split(None, 1)[0]
            tokens.append({"line": line, "col": start, "restored": text, "ocr_confidence": word.get("conf")})
    return tokens


def word_doubts(
    tokens: Iterable[Mapping[str, Any]],
    raw_lines: Sequence[str],
    line_words: Sequence[Sequence[Mapping[str, Any]]],
) -> dict[int, list[WordDoubt]]:
    """Doubtful words of each line, from the restoration's tokens (``line`` and ``col`` in the raw text,
    ``restored``, ``confidence``, ``ocr_confidence``) and the OCR words of each raw line (``under_stamp``
    when a received stamp lay over the word, :func:`pipeline.scan.marks.under_stamp`)."""
    found: dict[int, list[WordDoubt]] = {}
    spans: dict[int, list[tuple[int, int, Mapping[str, Any]]]] = {}
    for token in tokens:
        line, col = int(token["line"]), int(token["col"])
        word = str(token.get("restored") or token.get("original") or "").strip(_EDGES)
        if not word or line >= len(raw_lines):
            continue
        ocr, restored = token.get("ocr_confidence"), token.get("confidence")
        if line not in spans:
            spans[line] = word_spans(raw_lines[line], line_words[line] if line < len(line_words) else ())
        under = any(w.get("under_stamp") for start, end, w in spans[line] if start <= col < end)
        reason = None
        if word.isdigit() and ocr is not None and ocr < DOUBTFUL_FIGURES_OCR:
            reason = f"figures '{word}' read with OCR confidence {ocr:.0f}"
        elif under and (
            (ocr is not None and ocr < STAMPED_OCR)
            or (restored is not None and restored < STAMPED_RESTORATION)
            or _letters_restored(token)
        ):
            reason = f"'{word}' read under the stamp ({_confidences(ocr, restored)}{_read_as(token)})"
        elif to_review(ocr, restored, token.get("reason")):
            reason = f"'{word}' read with low confidence ({_confidences(ocr, restored)})"
        if reason:
            found.setdefault(line, []).append(WordDoubt(word, reason))
    return found


def _letters_restored(token: Mapping[str, Any]) -> bool:
    """Whether restoration changed the word's letters, not only its marks: under a stamp that is a letter
    the stamp took, put back from the context (:func:`pipeline.restore.restore_text`'s ``damaged``), which a
    person checks however sure the language model is."""
    original, restored = token.get("original"), token.get("restored")
    return bool(original and restored) and fold(str(original)).lower() != fold(str(restored)).lower()


def _read_as(token: Mapping[str, Any]) -> str:
    return f", OCR read '{token['original']}'" if _letters_restored(token) else ""


def _confidences(ocr: float | None, restored: float | None) -> str:
    parts = []
    if ocr is not None:
        parts.append(f"OCR {ocr:.0f}")
    if restored is not None:
        parts.append(f"restoration {restored:.2f}")
    return ", ".join(parts) or "no confidence"


def _figures(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\d+", text)}


def _in_value(word: str, value: str) -> bool:
    """Whether a doubtful word is part of a field's value: its figures (a date's "26" in "2021-04-26") or
    one of its words."""
    if _DIGIT.search(word) and _figures(word) & _figures(value):
        return True
    words = set(key(word).split())
    return bool(words & set(key(value).split()))


# Fields every administrative document's header has (Decree 30/2020/NĐ-CP): when a header was read but one
# of them was not found in it, OCR lost or broke it.
REQUIRED_FIELDS = ("issuer", "doc_number", "doc_symbol", "place", "issue_date", "title")
_YEAR = re.compile(r"(?<!\d)[12]\d{3}(?!\d)")
_AND = frozenset({"va", "và"})


def issuer_initials(issuer: str) -> str:
    """The issuer's name as a symbol abbreviates it: the first letter of each word but "và", and an
    abbreviation in it whole ("SỞ GIÁO DỤC VÀ ĐÀO TẠO": SGDĐT, "UBND HUYỆN ĐỨC TRỌNG": UBNDHĐT)."""
    letters = []
    for word in re.findall(r"[^\W\d_]+", issuer):
        if word.lower() in _AND:
            continue
        whole = word.isupper() and len(word) >= 2 and word in abbreviation_meanings()
        letters.append(word if whole else word[0].upper())
    return "".join(letters)


def symbol_doubt(symbol: str | None, issuer: str | None) -> str | None:
    """Why a document symbol may be misread: it has no part after the type code ("KH" for "KH-SGDĐT"),
    or none of its parts is the issuer's abbreviation, by its initials or by the abbreviation table
    ("KH-SGDET" under "SỞ GIÁO DỤC VÀ ĐÀO TẠO")."""
    if not symbol or not issuer:
        return None
    parts = [part for part in re.split(r"[-/]", symbol) if re.search(r"[^\W\d_]", part)]
    if len(parts) < 2 and all(part in doc_types().codes for part in parts):
        return f"symbol '{symbol}' has no issuer's part"
    initials = fold(issuer_initials(issuer)).upper()
    issuer_key = key(issuer)
    for part in parts:  # a công văn's symbol begins with the issuer's part ("SYT-TCCB")
        plain = fold(part).upper()
        meaning = abbreviation_meanings().get(part)
        if (len(plain) >= 2 and initials.startswith(plain)) or (meaning and key(meaning) in issuer_key):
            return None
    return f"symbol '{symbol}' names no part of the issuer '{issuer}' ({issuer_initials(issuer)})"


def repair_symbol(symbol: str, issuer: str) -> tuple[str, str | None]:
    """A symbol whose issuer part is one letter off the issuer's listed abbreviation ("KH-SGDET" under
    "SỞ GIÁO DỤC VÀ ĐÀO TẠO": SGDĐT) with that part written back, and the reason; else the symbol as it
    is and None. Only a listed abbreviation is written, and only when one part is the one letter off."""
    if symbol_doubt(symbol, issuer) is None:
        return symbol, None
    initials = fold(issuer_initials(issuer)).upper()
    known = {fold(code).upper(): code for code in abbreviation_meanings()}
    targets = {known[initials[:size]] for size in range(2, len(initials) + 1) if initials[:size] in known}
    parts = re.split(r"([-/])", symbol)
    fixes = []
    for index, part in enumerate(parts):
        if len(part) < 3 or part in doc_types().codes:
            continue
        near = [t for t in targets if Levenshtein.distance(fold(part).upper(), fold(t).upper()) == 1]
        if len(near) == 1:
            fixes.append((index, near[0]))
    if len(fixes) != 1:
        return symbol, None
    index, target = fixes[0]
    parts[index] = target
    repaired = "".join(parts)
    return repaired, f"symbol read as '{symbol}', taken as '{repaired}' (the issuer's abbreviation)"


def _implausible_years(value: str) -> list[str]:
    """Four-figure numbers of a text that look like years and cannot be one ("năm học 2923 - 2024")."""
    return [year for year in _YEAR.findall(value) if not year.startswith(("19", "20"))]


def _header_gaps(fields: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, reason) for what a header read should have and does not: a required field not found, an
    issuer of one word, a symbol that names no part of the issuer."""
    if any(fields.get(name) for name in ("issuer", "doc_number", "issue_date")):  # a header was read
        for name in REQUIRED_FIELDS:
            if fields.get(name) in (None, ""):
                yield name, "not found in the header"
    issuer = fields.get("issuer")
    if isinstance(issuer, str) and len(issuer.split()) == 1:
        yield "issuer", f"issuer '{issuer}' is a single word; a body's name has two or more"
    symbol = symbol_doubt(fields.get("doc_symbol"), issuer)
    if symbol:
        yield "doc_symbol", symbol


def _signer_gaps(fields: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, reason) for a signer block read in part. Every plan closes with the signer's title over the
    name (Decree 30/2020/NĐ-CP); the seal is pressed over the title, and on a faded or grey copy its ink
    is as dark as the title's, so the title can be lost with it while the rest of the page reads well."""
    if fields.get("signer_name") and not fields.get("signer_title"):
        yield "signer_title", "no title read above the signer's name: the seal may cover it"
    if fields.get("recipients") and not fields.get("signer_name"):
        for name in ("signer_title", "signer_name"):
            yield name, "no signer read after the recipients: the seal or the signature may cover it"


_NAME_MARK = re.compile(r"[^\w\s-]|(?<=\w)-|-(?=\w)")
ISSUER_FIELDS = ("issuer_parent", "issuer")


def name_damage(name: str) -> list[str]:
    """What an issuing body's name should not hold: marks in or after its words (a dot only ends an
    abbreviation of two letters at most: "TP."), a dash that joins nothing ("DÂN. - HUYỆN" holds a
    dot; "- -"), the same words twice in a row ("SỞ Y TẾ Y TẾ")."""
    found = []
    words = name.split()
    for index, word in enumerate(words):
        if word == "-":
            if index in (0, len(words) - 1) or words[index - 1] == "-":
                found.append("a dash that joins nothing")
            continue
        abbreviation = word.endswith(".") and len(word) <= 3 and word[:-1].isalpha()
        if not abbreviation and _NAME_MARK.search(word):
            found.append(f"'{word}'")
    for size in (1, 2, 3):
        for index in range(len(words) - 2 * size + 1):
            if words[index : index + size] == words[index + size : index + 2 * size] and words[index] != "-":
                found.append(f"'{' '.join(words[index : index + size])}' twice")
    return found


def _value_doubts(
    name: str, value: str, lines: Sequence[int], doubts: Mapping[int, Sequence[WordDoubt]]
) -> Iterator[str]:
    """Reasons a field's value may be wrong: its words that are no word or no year, and the doubtful
    words of its lines that are in it."""
    if name in ISSUER_FIELDS:
        yield from (f"{what} in a body's name" for what in name_damage(value))
    if name in TEXT_FIELDS:
        yield from (f"'{word}' is no Vietnamese word" for word in odd_words(value))
        yield from (f"'{year}' is no year" for year in _implausible_years(value))
    for line in lines:
        for doubt in doubts.get(line, ()):
            if _in_value(doubt.word, value):
                yield doubt.reason


def field_doubts(
    fields: Mapping[str, Any],
    lines: Mapping[str, Sequence[int]],
    doubts: Mapping[int, Sequence[WordDoubt]] | None,
    parsed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Why each doubtful field may be wrong: the parser's own reasons (``parsed``), what the header and the
    signer block lack (:func:`_header_gaps`, :func:`_signer_gaps`), words that are no word, doubtful words
    (:func:`word_doubts`) on a line the field was read from that are in its value."""
    reasons: dict[str, list[str]] = {}

    def add(name: str, why: str) -> None:
        if why not in reasons.setdefault(name, []):
            reasons[name].append(why)

    for name, why in [*(parsed or {}).items(), *_header_gaps(fields), *_signer_gaps(fields)]:
        add(name, why)
    for name, value in fields.items():
        if isinstance(value, str) and value:
            for why in _value_doubts(name, value, lines.get(name, ()), doubts or {}):
                add(name, why)
    if not fields.get("issuer_parent") and "issuer" in reasons:  # a damaged issuer may have swallowed it
        add("issuer_parent", "not found; the damaged issuer may hold it")
    return {name: "; ".join(whys) for name, whys in reasons.items()}
