"""Document-level values derived from the title and body: type code, movement name, period."""

from __future__ import annotations

import re

from .tables import doc_types
from .text import match_view, normalise_dashes, squash

_QUOTED = re.compile(r"[“\"«]\s*([^“”\"«»\n]{3,300}?)\s*[”\"»]")
_PERIOD = re.compile(r"giai\s*doan\s*((?:19|20)\d\d)\s*-\s*((?:19|20)\d\d)")
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*-\s*((?:19|20)\d\d)(?!\d)")
_CAMPAIGN_CUES = ("phong trao", "thi dua", "van dong")
MAX_PERIOD_YEARS = 15


def doc_type_code(symbol: str | None, type_line_code: str | None, has_vv: bool) -> str | None:
    """Canonical type code: the symbol's type abbreviation, else the type line, else công văn rules."""
    if symbol:
        last = symbol.split("/")[-1]
        code = doc_types().code_for_symbol_part(re.split(r"\s?[-–]\s?", last)[0].strip())
        if code:
            return code
        return type_line_code or "CV"
    if type_line_code:
        return type_line_code
    return "CV" if has_vv else None


def _clean_campaign(text: str) -> str | None:
    text = normalise_dashes(text.replace("*", "")).strip(" ,.;:")
    return text if len(text.split()) >= 2 else None


def campaign_in_title(title: str | None) -> str | None:
    """The movement's name: the first quoted phrase of the title."""
    if not title:
        return None
    for match in _QUOTED.finditer(title):
        cleaned = _clean_campaign(match.group(1))
        if cleaned:
            return cleaned
    return None


def campaign_in_text(text: str) -> str | None:
    """A quoted name right after "phong trào" / "thi đua" / "cuộc vận động" in running text."""
    view = match_view(text)
    for match in _QUOTED.finditer(text):
        before = view[max(0, match.start() - 40) : match.start()]
        if any(cue in before for cue in _CAMPAIGN_CUES):
            cleaned = _clean_campaign(match.group(1))
            if cleaned:
                return cleaned
    return None


def period_in(text: str | None, loose: bool) -> tuple[int | None, int | None]:
    """Years of "giai đoạn 2021 - 2025" (or, when ``loose``, of any year range like "2021-2025")."""
    if not text:
        return None, None
    view = match_view(squash(text))
    patterns = (_PERIOD, _YEAR_RANGE) if loose else (_PERIOD,)
    for pattern in patterns:
        for match in pattern.finditer(view):
            start, end = int(match.group(1)), int(match.group(2))
            if 0 < end - start <= MAX_PERIOD_YEARS:
                return start, end
    return None, None
