"""Recognisers for the fixed phrases of the administrative format, on folded views of a line.

They accept residual OCR damage: the phrases are compared without diacritics and with rapidfuzz, and the
small words are matched loosely.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from .text import fold, is_caps, key

BULLET = re.compile(r"^\s*[-+•*–—·▪]\s*")
_BODY_OPENERS = ("can cu", "thuc hien", "kinh gui", "theo de nghi", "xet de nghi")


@lru_cache(maxsize=8192)
def _leading_words(view: str) -> tuple[str, ...]:
    return tuple(key(view).split()[:6])


def starts_with_phrase(view: str, phrase: str, threshold: float = 80.0) -> bool:
    """Whether the line (in :func:`key` or match-view form) begins with ``phrase`` up to OCR damage."""
    words = _leading_words(view[:60])
    size = len(phrase.split())
    if len(words) < size:
        return False
    return fuzz.ratio(" ".join(words[:size]), phrase) >= threshold


def is_body_opener(view: str) -> bool:
    """Lines that open the body of a document: legal bases, the addressee line of a công văn."""
    return any(starts_with_phrase(view, phrase, 85.0) for phrase in _BODY_OPENERS)


def is_noi_nhan(view: str) -> bool:
    """The "Nơi nhận:" line that opens the recipients list (possibly merged with the signer's title)."""
    return starts_with_phrase(view, "noi nhan", 70.0) and ":" in view[:20]


def is_kinh_gui(view: str) -> bool:
    return starts_with_phrase(view, "kinh gui", 80.0)


def is_bullet(line: str) -> bool:
    return bool(BULLET.match(line)) and bool(line.strip().strip("-+•*–—·▪ ").strip())


_ROLE_WORDS = (
    r"GIAM DOC|CHU TICH|TRUONG BAN|TRUONG PHONG|CHANH VAN PHONG|HIEU TRUONG|THU TRUONG|BO TRUONG|"
    r"TONG GIAM DOC|VIEN TRUONG|CUC TRUONG|CHI CUC TRUONG|CHANH THANH TRA|BI THU|TRUONG KHOA|"
    r"CHANH AN|VIEN TRUONG|TRUONG DOAN|TONG CUC TRUONG|THU KY|CHU NHIEM"
)
# "KT. GIÁM ĐỐC", "TM. ỦY BAN NHÂN DÂN", "Q. CHÁNH VĂN PHÒNG": a delegation prefix and capitals to the end.
_PREFIXED_ROLE = re.compile(
    r"(?:^|(?<=[\s;:.,]))(?:KT|TM|TL|TUQ|Q)\s?\.\s*[A-Z][A-Z .,\-]*[A-Z]\s*$", re.IGNORECASE
)
_BARE_ROLE = re.compile(
    rf"(?:^|(?<=[\s;:.,]))(?:PHO\s+)?(?:{_ROLE_WORDS})(?:\s+TH\S{{3,6}}\s+TR\S{{2,4}})?\s*$", re.IGNORECASE
)


def role_span(line: str) -> tuple[int, int] | None:
    """Span of a signer's title at the end of a line (whole line, or the right column of a merged line)."""
    line = line.rstrip()
    if len(line) > MAX_ROLE_LINE:
        return None
    folded = fold(line)
    for pattern in (_PREFIXED_ROLE, _BARE_ROLE):
        match = pattern.search(folded)
        if match is None:
            continue
        # the title itself must be set in capitals in the original line
        if not is_caps(line[match.start() : match.end()], 0.9):
            continue
        return match.start(), match.end()
    return None


def is_role_line(line: str) -> bool:
    """A line that is only a signer's title (``KT. GIÁM ĐỐC``, ``PHÓ GIÁM ĐỐC``)."""
    span = role_span(line)
    return span is not None and not line[: span[0]].strip()


# A capitalised word; OCR may have read a letter inside it as a digit or symbol (``Qu6c``).
MAX_ROLE_LINE = 160
_NAME_WORD = re.compile(r"^[A-Z](?=[^\s]*[a-z])[a-z0-9'€¢&§]*$|^[A-Z]$")
_NOT_NAME_WORDS = frozenset(
    {"Noi", "Gui", "Luu", "Kinh", "Ban", "So", "Phong", "Uy", "Cong", "Bao", "Nhu", "Cac", "Ubnd"}
)


def name_like(text: str) -> bool:
    """A person's name as signed: 2 to 5 capitalised words (``Lê Ngọc Châu``) or the same in capitals."""
    text = text.strip().strip(".,;")
    words = fold(text).split()
    if not 2 <= len(words) <= 5 or len(text) > 45:
        return False
    if words[0] in _NOT_NAME_WORDS:
        return False
    if all(w.isalpha() and w.isupper() for w in words):
        return not re.search(_ROLE_WORDS, " ".join(words))
    return all(_NAME_WORD.match(w) for w in words)
