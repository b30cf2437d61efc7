"""Recognisers for the fixed phrases of the administrative format, on folded views of a line.

They accept residual OCR damage: the phrases are compared without diacritics and with rapidfuzz, and the
small words are matched loosely.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

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


# Letters that legacy OCR reads as digits or symbols in "Nơi" ("N¢i", "N&i", "N6i").
_NOI_LOOKALIKES = str.maketrans({"¢": "o", "&": "o", "6": "o", "0": "o", "€": "o"})
NOI_NHAN_COLON = 16  # the colon of "Nơi nhận:" comes right after the two words (and a stray mark or two)
STRONG_NOI_NHAN = 85.0


def noi_nhan_score(view: str) -> float:
    """How well the start of a line reads as "Nơi nhận:" (0 when it cannot be that line).

    The phrase must open the line and its colon follow it at once, and the second word must be "nhận" (a
    body line wrapped before "nơi nhiều hộ nghèo:" starts with a similar pair of words). Letters standing
    alone there are specks OCR read as letters (a copy of a copy), not words.
    """
    colon = view.find(":")
    if not 0 <= colon <= NOI_NHAN_COLON:
        return 0.0
    words = key(view[:colon].translate(_NOI_LOOKALIKES)).split()
    if len(words) > 2:  # a speck before or between the words read as a letter: "Nơi i nhận:"
        words = [w for w in words if len(w) > 1]
    if len(words) != 2 or fuzz.ratio(words[1], "nhan") < 75:
        return 0.0
    score = fuzz.ratio(" ".join(words), "noi nhan")
    return score if score >= 70 else 0.0


def is_noi_nhan(view: str) -> bool:
    """The "Nơi nhận:" line that opens the recipients list (possibly merged with the signer's title)."""
    return noi_nhan_score(view) > 0


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
# OCR may read the dot of "KT." as a colon, a comma or an apostrophe on a photocopy, or lose it.
# The delegation prefix itself (footer.canonical_title reads its letters from group 1 or 2).
DELEGATION_PREFIX = r"(?:(KT|TM|TL|TUQ|Q)\s?[.:,’'`]|(KT|TM|TL)\s)"
_PREFIXED_ROLE = re.compile(
    rf"(?:^|(?<=[\s;:.,])){DELEGATION_PREFIX}\s*[A-Z][A-Z .,\-]*[A-Z]\s*$", re.IGNORECASE
)
_BARE_ROLE = re.compile(
    rf"(?:^|(?<=[\s;:.,]))(?:PHO\s+)?(?:{_ROLE_WORDS})(?:\s+TH\S{{3,6}}\s+TR\S{{2,4}})?\s*$", re.IGNORECASE
)


_ROLE_TRAIL = re.compile(r"(?:[\s_ˆ˜]|[^\w\s])+$")  # ˆ and ˜ are "letters" to the regex engine


def role_span(line: str) -> tuple[int, int] | None:
    """Span of a signer's title at the end of a line (whole line, or the right column of a merged line);
    stray marks after it ("KT. GIÁM ĐỐC -", "PHÓ GIÁM ĐỐC ˆ") are left out."""
    line = _ROLE_TRAIL.sub("", line)
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
    """A line that is only a signer's title (``KT. GIÁM ĐỐC``, ``PHÓ GIÁM ĐỐC``), perhaps after the
    remains of a damaged first word (``é -KẾ GIÁM ĐỐC``, ``HỌ GIÁM ĐỐC``)."""
    return role_title(line) is not None


# What a photocopy leaves of a title's first word ("KT." read "é -KE", "PHÓ" read "HÓ"): a few short
# pieces, no word of three letters or more.
_LONG_WORD = re.compile(r"[^\W\d_]{3}")
_MAX_DAMAGED_LEAD = 8


def role_title(line: str) -> str | None:
    """The signer's title a title line holds, or None if the line is no title line. A damaged first word
    before the title is dropped, and read as "PHÓ" when its letters are one edit from it (a deputy's
    title: "HỌ GIÁM ĐỐC" is "PHÓ GIÁM ĐỐC")."""
    span = role_span(line)
    if span is None:
        return None
    lead, title = line[: span[0]].strip(), line[span[0] : span[1]].strip()
    if not lead:
        return title
    if len(lead) > _MAX_DAMAGED_LEAD or _LONG_WORD.search(lead):
        return None
    last = fold(lead.split()[-1]).lower().strip("-.,:;'`‘’_~")
    deputy = fold(title).upper().startswith("PHO")
    if 2 <= len(last) <= 3 and Levenshtein.distance(last, "pho") <= 1 and not deputy:
        return "PHÓ " + title
    return title


# A capitalised word; OCR may have read a letter inside it as a digit or symbol (``Qu6c``).
MAX_ROLE_LINE = 160
_NAME_WORD = re.compile(r"^[A-Z](?=[^\s]*[a-z])[a-z0-9'€¢&§]*$|^[A-Z]$")
_NOT_NAME_WORDS = frozenset(
    {"Noi", "Gui", "Luu", "Kinh", "Ban", "So", "Phong", "Uy", "Cong", "Bao", "Nhu", "Cac", "Ubnd"}
)


# A stray mark a speck or the signature's pen stroke leaves after a name ("Hoàng Văn Thắng -").
_TRAILING_MARK = re.compile(r"\s*(?:[_ˆ˜]|[^\w\s]){1,2}\s*$")


def without_trailing_mark(text: str) -> str:
    """The text without one trailing mark that is not a letter or digit (nor a closing bracket or quote)."""
    text = text.strip()
    match = _TRAILING_MARK.search(text)
    if match and not any(c in ')]”»"' for c in match.group()):
        text = text[: match.start()]
    return text


def name_like(text: str) -> bool:
    """A person's name as signed: 2 to 5 capitalised words (``Lê Ngọc Châu``) or the same in capitals;
    one trailing stray mark is tolerated."""
    text = without_trailing_mark(text).strip(".,;")
    words = fold(text).split()
    if not 2 <= len(words) <= 5 or len(text) > 45:
        return False
    if words[0] in _NOT_NAME_WORDS:
        return False
    if all(w.isalpha() and w.isupper() for w in words):
        return not re.search(_ROLE_WORDS, " ".join(words))
    return all(_NAME_WORD.match(w) for w in words)
