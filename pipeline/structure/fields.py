"""Document-level values derived from the title and body: type code, movement name, period."""

from __future__ import annotations

import re

from .tables import doc_types
from .text import key, match_view, normalise_dashes, squash

_QUOTED = re.compile(r"[“\"«]\s*([^“”\"«»\n]{3,300}?)\s*[”\"»]")
_PERIOD = re.compile(r"giai\s*doan\s*((?:19|20)\d\d)\s*-\s*((?:19|20)\d\d)")
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*-\s*((?:19|20)\d\d)(?!\d)")
_CAMPAIGN_CUES = ("phong trao", "thi dua", "van dong")
MAX_PERIOD_YEARS = 15


def doc_type_code(
    symbol: str | None, type_line_code: str | None, has_vv: bool, title: str | None = None, opening: str = ""
) -> str | None:
    """Canonical type code: the symbol's type abbreviation, else the type line, else công văn rules; when
    the type line was lost, the type the title starts with ("Kế hoạch tổ chức ...") or the one the opening
    announces ("... ban hành Kế hoạch ... như sau:")."""
    if symbol:
        last = symbol.split("/")[-1]
        code = doc_types().code_for_symbol_part(re.split(r"\s?[-–]\s?", last)[0].strip())
        if code:
            return code
    if type_line_code:
        return type_line_code
    if has_vv:
        return "CV"
    code = _type_in_title(title) or _type_announced(opening)
    if code:
        return code
    return "CV" if symbol else None


def _type_in_title(title: str | None) -> str | None:
    words = key(title or "").split()
    for name_key, code in doc_types().name_keys.items():
        size = len(name_key.split())
        if size >= 2 and " ".join(words[:size]) == name_key:
            return code
    return None


# A lookahead, so that the matches may overlap: in "Sở Xây dựng ban hành Kế hoạch" the verb is "ban hành".
_ANNOUNCED = re.compile(
    r"(?=\b(?:ban hanh|xay dung|trien khai)\s+(?P<name>[a-z]+ [a-z]+)\b[^:;]{0,120}?sau\s*:)"
)


def _type_announced(opening: str) -> str | None:
    """The type named in "... ban hành / xây dựng <type> ... (như) sau:" in the text before the content."""
    names = doc_types().name_keys
    for match in _ANNOUNCED.finditer(match_view(opening)):
        code = names.get(match.group("name"))
        if code:
            return code
    return None


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
