"""Legal bases: the documents cited after "Căn cứ" / "Thực hiện" before the content starts.

Each reference is read as written: ``Quyết định số 1258/QĐ-TTg ngày 21/8/2017 của Thủ tướng Chính phủ``
gives type QĐ, number 1258, symbol QĐ-TTg, date 2017-08-21, issuer "Thủ tướng Chính phủ".
"""

from __future__ import annotations

import re

from . import markers
from .dates import find_date
from .doc import DocLines
from .tables import doc_types
from .text import clean_symbol, fold, key, squash

_REFERENCE = re.compile(
    r"(?<![\w/])(?P<number>\d{1,6})\s*/\s*(?P<symbol>(?:\d{4}\s*/\s*)?[A-Za-z][A-Za-z0-9]*(?:\s?[-–]\s?[A-Za-z0-9]+)*)"
)
# "của" as OCR leaves it when restoration missed it: "cua", "cia", "ctia", "ciia".
_ISSUER_START = re.compile(r"^\s*,?\s*(?:c[a-z¢]{0,2}a|do)\s+", re.IGNORECASE)
# Words after which an issuer's name has certainly ended ("của UBND tỉnh về việc ...").
_ISSUER_STOP_WORDS = frozenset(["ve", "nham", "tren", "cho", "so", "theo", "tai", "ngay"])
_ISSUER_STOP_PAIRS = frozenset(
    {
        "ban hanh",
        "quy dinh",
        "huong dan",
        "to chuc",
        "trien khai",
        "thuc hien",
        "phat dong",
        "sua doi",
        "phe duyet",
        "giai doan",
        "dong thoi",
        "chi dao",
        "ve viec",
    }
)
_OPENERS = ("can cu", "thuc hien")
_MAX_ISSUER_WORDS = 12


def _type_before(folded_lower: str, start: int) -> str | None:
    window = key(folded_lower[max(0, start - 30) : start])
    best: tuple[int, str] | None = None
    for name_key, code in doc_types().name_keys.items():
        position = window.rfind(name_key)
        if position >= 0 and (best is None or position > best[0]):
            best = (position, code)
    return best[1] if best else None


def _code_from_symbol(symbol: str) -> str | None:
    last = symbol.split("/")[-1]
    return doc_types().code_for_symbol_part(re.split(r"\s?[-–]\s?", last)[0].strip())


def _issuer_after(paragraph: str, folded: str, position: int) -> str | None:
    match = _ISSUER_START.match(folded[position : position + 12])
    if not match:
        return None
    begin = position + match.end()
    text = paragraph[begin : begin + 200]
    type_names = doc_types().name_keys
    words: list[str] = []
    for word_match in re.finditer(r"\S+", text):
        word = word_match.group()
        ahead = key(text[word_match.start() : word_match.start() + 24])
        pair = " ".join(ahead.split()[:2])
        if words and (
            key(word) in _ISSUER_STOP_WORDS
            or pair in _ISSUER_STOP_PAIRS
            or any(ahead.startswith(name + " ") for name in type_names)
        ):
            break
        words.append(word)
        if word[-1:] in ",;.:)(" or len(words) >= _MAX_ISSUER_WORDS:
            break
    issuer = squash(" ".join(words)).strip(" ,;.:()")
    if issuer.lower().endswith((" và", " va")):
        issuer = issuer[:-3].rstrip()  # "... Đào tạo và" when "về" was misread: a name never ends with "và"
    return issuer or None


def references_in(paragraph: str) -> list[dict]:
    """Every numbered document cited in one paragraph."""
    folded = fold(paragraph)
    lower = folded.lower()
    found = []
    for match in _REFERENCE.finditer(folded):
        symbol = clean_symbol(squash(paragraph[match.start("symbol") : match.end("symbol")]))
        code = _code_from_symbol(symbol) or _type_before(lower, match.start())
        after = match.end()
        date_iso, date_start, date_end = find_date(paragraph[after : after + 45])
        if date_start >= 0 and key(paragraph[after : after + date_start]) in ("", "ngay"):
            after += date_end
        else:
            date_iso = None
        found.append(
            {
                "doc_type": code,
                "number": match.group("number"),
                "symbol": symbol,
                "date": date_iso,
                "issuer": _issuer_after(paragraph, folded, after),
            }
        )
    return found


def _paragraphs(doc: DocLines, start: int, end: int) -> list[str]:
    """Paragraphs of the preamble: a blank line or a line opening a new basis starts a new one."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for index in range(start, end):
        if not doc.usable(index):
            if current:
                paragraphs.append(current)
                current = []
            continue
        line = doc.lines[index].strip()
        opener = any(markers.starts_with_phrase(doc.views[index], p, 80.0) for p in _OPENERS)
        if current and (opener or current[-1].endswith((";", ":"))):
            paragraphs.append(current)
            current = []
        current.append(line)
    if current:
        paragraphs.append(current)
    return [" ".join(p) for p in paragraphs]


def legal_bases(doc: DocLines, start: int, end: int) -> list[dict]:
    """References cited in the "Căn cứ ..." / "Thực hiện ..." paragraphs between ``start`` and ``end``."""
    bases: list[dict] = []
    for paragraph in _paragraphs(doc, start, min(end, len(doc))):
        view = fold(paragraph[:40]).lower()
        if any(markers.starts_with_phrase(view, p, 80.0) for p in _OPENERS):
            bases.extend(references_in(paragraph[:5000]))
    return bases
