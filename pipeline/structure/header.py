"""The document's header block and title (Decree 30/2020/NĐ-CP layout).

A header has two columns: issuing body (parent and issuer), "Số: N/SYMBOL" and, for a công văn, the
"V/v ..." subject on the left; the national motto and "Place, ngày .. tháng .. năm .." on the right. OCR
gives them in reading order, column by column, or with the two columns merged into single lines, so the
parser does not rely on line order: it cuts every recognised item out of each header line and classifies
what is left. Below the header come the type line (``KẾ HOẠCH``) and the title (trích yếu).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from . import markers
from .dates import CENTURIES, read_issue_date, repair_year
from .doc import DocLines
from .doubts import repair_symbol
from .sections import opens_content
from .tables import canonical_symbol, doc_types
from .text import clean_symbol, fold, is_caps, key, squash, without_junk

MAX_HEADER_LINES = 60
MAX_TITLE_LINES = 6
WRAPPED_LINE = 45  # a title line at least this long was wrapped by the page layout

_MOTTO = "cong hoa xa hoi chu nghia viet nam"
_MOTTO_2 = "doc lap - tu do - hanh phuc"
_MOTTO_KEY = f"{_MOTTO} {key(_MOTTO_2)}"
# "Số: 87/KH-SNN" in match-view form; OCR reads "Số" as "S6", "So", "Sé", "S0", "$6" (a dollar sign for the S)
# and may glue it to the number; in the number, "l" and "|" stand for 1 and "o" for 0.
_NUMBER_SYMBOL = re.compile(
    r"^[^\w$§]{0,3}[s$§][^\s/]{0,2}?\s*(?P<colon>[:.;])?\s*"
    r"(?P<number>\d[\dol|]{0,5}|(?<=[:\s])[ol|]\d[\dol|]{0,4})?\s*/\s*"
    r"(?P<symbol>[a-z0-9$§][a-z0-9.\-/$§]*[a-z0-9]|[a-z0-9])"
)
# OCR reads the S of a symbol part as a section or dollar sign ("KH-§GDĐT", "$YT"), as it does in "Số".
_SYMBOL_S = str.maketrans({"§": "S", "$": "S"})
# The same line when "Số:" was lost altogether: a number and a symbol with a letter code ("153 /KH-SNV").
_BARE_NUMBER_SYMBOL = re.compile(
    r"^[^\w$§]{0,3}(?P<number>\d[\dol|]{0,5})\s*/\s*(?P<symbol>[a-z][a-z0-9.]*-[a-z0-9.\-/$§]*[a-z0-9])"
)
_NUMBER_DIGITS = str.maketrans(
    {"o": "0", "O": "0", "ø": "0", "Ø": "0", "l": "1", "|": "1", "I": "1", "i": "1"}
)
# In a date's numbers OCR may read 0 as O (or as ø: a typewriter's slashed zero) and 1 as l or I ("ngày 2O
# tháng 4 năm 2O21"), in its words â as 4.
_DATE_WORDS = re.compile(
    r",?\s*(?i:ng[a-z4]{1,3})\s*(?P<day>\d[\dOoøØlI|]?|[OoøØlI|]\d)?\s*(?i:th[a-z4]{2,4})\s*"
    r"(?P<month>\d[\dOoøØlI|]?|[OoøØlI|]\d)?\s*(?i:n[a-z4]{1,3})\s*(?P<year>[12][\dOoøØlI|]{3})(?![\dOoøØlI|])",
)
_VV = re.compile(r"^\W{0,3}v\s*/\s*v\b", re.IGNORECASE)
# Words that begin the name of an issuing body: a line starting with one is a new body, not the end of the
# line above it that ends in a dash ("UBND TỈNH LÂM ĐỒNG -" over "SỞ NỘI VỤ": the dash is a speck).
_ORGANISATION = re.compile(
    r"^(so|ubnd|uy ban|phong|ban|hoi dong|truong|trung tam|chi cuc|cuc|bo|van phong|thanh uy|tinh uy)\b"
)
_PLACE_LEVEL = re.compile(r"^(tinh|thanh pho|huyen|quan|thi xa|xa|phuong|thi tran|tp)\b")
_DECORATION = re.compile(r"^[\W_oO0]*$")
_OPEN_QUOTES = "“«"
_CLOSE_QUOTES = "”»"


@dataclass
class Header:
    issuer_parent: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    doc_symbol: str | None = None
    type_code: str | None = None  # from the type line
    has_vv: bool = False
    place: str | None = None
    issue_date: str | None = None
    title: str | None = None
    body_start: int = 0
    header_lines: list[int] = field(default_factory=list)
    # the lines each field was read from (record field names), to tell which doubtful words are in it
    lines: dict[str, list[int]] = field(default_factory=dict)
    # fields read with a repair or not read at all, and why (record field names)
    doubts: dict[str, str] = field(default_factory=dict)


def _blank_out(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _fuzzy_cut(line: str, view: str, needle: str, threshold: float) -> tuple[str, str, bool]:
    """Blank out a fuzzy occurrence of ``needle`` (match-view form) in the line and its view."""
    if len(view.strip()) < len(needle) * 0.8:
        return line, view, False
    found = fuzz.partial_ratio_alignment(needle, view, score_cutoff=threshold)
    if found is None:
        return line, view, False
    start, end = found.dest_start, found.dest_end
    return _blank_out(line, start, end), _blank_out(view, start, end), True


# How close a line must be to a type name to be the type line: any line, or a line of capitals with as many
# words (a type line is printed in capitals on a line of its own; a body or issuer line has other words).
TYPE_LINE_MATCH = 88
CAPS_TYPE_LINE_MATCH = 80


def _matches_type_name(line: str, text_key: str, name_key: str) -> bool:
    """Whether a short line is a type name, one letter of it possibly damaged: ``KI HOẠCH °`` (a worn
    "Ế" read as "I", a speck after it) for KẾ HOẠCH. Missing it made the type line the issuer."""
    score = fuzz.ratio(text_key, name_key)
    if score >= TYPE_LINE_MATCH:
        return True
    return score >= CAPS_TYPE_LINE_MATCH and is_caps(line) and len(text_key.split()) == len(name_key.split())


def find_type_line(doc: DocLines, limit: int) -> tuple[int, str] | None:
    """Index and code of the type line (``KẾ HOẠCH``, ``QUYẾT ĐỊNH`` ...) among the first lines."""
    names = doc_types().name_keys
    for index in range(min(limit, len(doc))):
        if not doc.usable(index):
            continue
        line = without_junk(doc.head(index).strip().strip("*#").strip())
        if len(line) > 40:
            continue
        text_key = key(line)
        if not text_key:
            continue
        for name_key, code in names.items():
            if _matches_type_name(line, text_key, name_key):
                return index, code
    return None


_REFERENCE = re.compile(r"\d+\s*/\s*[A-ZĐ]")
MAX_OPENING_LINES = 6


def _opening_paragraph(doc: DocLines, index: int) -> str:
    """The line and the lines the page wrapped it onto."""
    parts = [doc.lines[index].strip()]
    for nxt in range(index + 1, min(len(doc), index + MAX_OPENING_LINES)):
        previous = parts[-1]
        if not doc.usable(nxt) or len(previous) < WRAPPED_LINE or previous[-1:] in ".:;":
            break
        parts.append(doc.lines[nxt].strip())
    return " ".join(parts)


def _opens_the_body(doc: DocLines, index: int) -> bool:
    """ "Căn cứ ...", "Kính gửi: ...", "Thực hiện Kế hoạch số ... như sau:" open the body; a "Thực hiện ..."
    line that cites nothing and does not end in a colon is a title ("Thực hiện Phong trào thi đua “...”")
    whose type line above was lost."""
    view = doc.views[index]
    if not markers.is_body_opener(view):
        return False
    if not markers.starts_with_phrase(view, "thuc hien", 85.0):
        return True
    paragraph = without_junk(_opening_paragraph(doc, index))  # " :" standing apart is a speck
    return paragraph.endswith((":", ";")) or bool(_REFERENCE.search(paragraph))


def _body_boundary(doc: DocLines, limit: int) -> int:
    """First line that can only belong to the body: legal bases, addressee, a heading, a long sentence, or
    the recipients' "Nơi nhận:" (a last page scanned as a file of its own holds only the closing block, and
    its "Nơi nhận:" was taken for the title, so the recipients and the missing signer went unread)."""
    for index in range(min(limit, len(doc))):
        if not doc.usable(index):
            continue
        line = doc.lines[index].strip()
        if _opens_the_body(doc, index) or opens_content(doc, index) is not None:
            return index
        if markers.noi_nhan_score(doc.views[index]) >= markers.STRONG_NOI_NHAN:
            return index
        if len(line) > 100 and line[-1:] in ".:;" and not _VV.match(line):
            return index
    return min(limit, len(doc))


def _cut_items(header: Header, index: int, line: str, view: str) -> str:
    """Record every header item found on the line (number ``index``); return what is left of it."""
    line, view, _ = _fuzzy_cut(line, view, _MOTTO, 85.0)
    line, view, _ = _fuzzy_cut(line, view, _MOTTO_2, 85.0)
    if header.doc_symbol is None:
        line, view = _cut_number_symbol(header, line, view)
        if header.doc_symbol is not None:
            header.lines["doc_number"] = header.lines["doc_symbol"] = [index]
    date = _DATE_WORDS.search(fold(line))
    if date and header.issue_date is None and header.place is None:
        place_start = _place_start(fold(line), date.start())
        if place_start < date.start():
            place = squash(line[place_start : date.start()]).strip(" ,").lstrip(_PLACE_MARKS)
            header.place = (place[:1].upper() + place[1:]) or None  # OCR may lower the capital
        day, month, year = ((date.group(g) or "").translate(_NUMBER_DIGITS) for g in ("day", "month", "year"))
        if day and month:
            header.issue_date, doubt = read_issue_date(day, month, year)
            if doubt:
                header.doubts["issue_date"] = doubt
        header.lines["place"] = header.lines["issue_date"] = [index]
        line = _blank_out(line, place_start, date.end())
    return line


def _cut_number_symbol(header: Header, line: str, view: str) -> tuple[str, str]:
    """Record "Số: N/SYMBOL" (or its damaged forms) found on the line and blank it out."""
    match = _NUMBER_SYMBOL.search(view)
    if not (match and (match.group("colon") or match.group("number"))):
        match = _BARE_NUMBER_SYMBOL.search(view)
    if match is None:
        return line, view
    number = match.group("number")
    header.doc_number = number.translate(_NUMBER_DIGITS) if number else None
    symbol = line[match.start("symbol") : match.end("symbol")].translate(_SYMBOL_S)
    end = match.end()
    rest = _SPACED_PART.match(line, end) if "-" not in symbol else None
    if rest and not _is_syllable(rest.group("part")):
        symbol, end = f"{symbol}-{rest.group('part')}", rest.end()
        header.doubts["doc_symbol"] = (
            f"symbol read with a space for its dash: '{line[match.start('symbol') : end]}'"
        )
    header.doc_symbol = canonical_symbol(clean_symbol(symbol.translate(_SYMBOL_S).strip(" .")))
    return _blank_out(line, match.start(), end), _blank_out(view, match.start(), end)


# The issuer's part of a symbol after a space where OCR lost the dash ("87/KH SGDET"): capitals, no word
_SPACED_PART = re.compile(r" (?P<part>[A-ZĐ$§]{2,8})(?=\s|$)")


def _is_syllable(word: str) -> bool:
    """A Vietnamese syllable (a word of the line, not a symbol's part: "87/KH CỘNG HÒA" keeps its motto)."""
    from pipeline.restore.syllables import is_valid_syllable  # the restoration package loads lazily

    return is_valid_syllable(word.lower())


_PLACE_WORD = re.compile(r"^(?:[A-Z][a-z']*|TP\.|Tp\.|-)$")
_PLACE_MARKS = "\"'“”„‚«»`_|.,:;~*-"
_GLUED_MARK = re.compile(rf"^[{re.escape(_PLACE_MARKS)}]{{1,2}}(?=[A-Z])")
MAX_PLACE_WORDS = 6


def _place_start(folded: str, date_start: int) -> int:
    """Start of the place name written before ", ngày": capitalised words (``Bà Rịa - Vũng Tàu``).

    Walking back word by word stops at the first word that is not capitalised, so in a merged header line
    the issuer or symbol before the place is left out. A lower-case first word right at the start of what
    is left of the line is kept: OCR lowered its capital (``bong Thap`` for ``Đồng Tháp``).
    """
    words = list(re.finditer(r"\S+", folded[:date_start]))
    start = date_start
    taken = 0
    for position in range(len(words) - 1, -1, -1):
        word = words[position]
        if taken < MAX_PLACE_WORDS and _PLACE_WORD.match(word.group().rstrip(",")):
            start = word.start()
            taken += 1
            continue
        glued = _GLUED_MARK.match(word.group())  # a speck's mark glued to the place's first word
        if taken < MAX_PLACE_WORDS and glued and _PLACE_WORD.match(word.group()[glued.end() :].rstrip(",")):
            start = word.start()  # the mark is cut out with the place, and left out of its value
            break
        text = word.group()
        if position == 0 and taken and text.isalpha() and text.islower() and len(text) < 8:
            start = word.start()
        break
    return start


def _issuer_groups(candidates: list[str]) -> list[str]:
    """Join issuer lines split over two: ``ỦY BAN NHÂN DÂN`` + ``TỈNH AN GIANG``, ``... VÀ`` + ``ĐÀO TẠO``."""
    groups: list[str] = []
    for text in candidates:
        text_key = key(text)
        if not groups:
            groups.append(squash(text))
            continue
        previous = groups[-1]
        by_words = _PLACE_LEVEL.match(text_key) or text_key.startswith("va ") or key(previous).endswith(" va")
        dash_end = previous.rstrip().endswith("-") and not _ORGANISATION.match(text_key)
        if by_words:  # a dash left at the end of the line above is then a speck
            groups[-1] = squash(without_junk(previous, dash=True) + " " + text)
        elif dash_end or text.lstrip()[:1] == "-":
            groups[-1] = squash(previous + " " + text)
        else:
            groups.append(squash(text))
    return groups


_ABBREVIATION_END = re.compile(r"(?:^|\s)\S{1,3}\.$")  # "TP." "TX." end with a dot of their own


def _issuer_line(text: str) -> str:
    """An issuer line without a final dot OCR put after it (kept after an abbreviation: "UBND TP.")."""
    return text if _ABBREVIATION_END.search(text) else text.rstrip(".").rstrip()


# "SỞ" read with another marked vowel of its shape (O with a horn or a tone, or Ư: "SỬ NÔNG NGHIỆP");
# "SỐ" (a number), longer words ("SƠN LA") and "SO" of a text without marks are not it.
_SO = re.compile(r"^S[ÒÓỎÕỌƠỜỚỞỠỢƯỪỨỬỮỰ](?=\s+[^\W\d_])")


def _issuer_name(group: str) -> str:
    """An issuer in capitals (restoration may have lowered a word: "Sở Y TẾ"), its first word "SỞ" when
    OCR or restoration gave it another vowel: no issuing body begins with "SỬ" or "SƠ"."""
    return _SO.sub("SỞ", without_junk(group, dash=True).upper())


def _is_motto_fragment(text: str) -> bool:
    """A piece of the national motto that OCR split off (``VIỆT NAM``, ``Độc lập - Tự do``)."""
    text_key = key(text)
    if not 6 <= len(text_key) <= len(_MOTTO_KEY):
        return False
    return fuzz.partial_ratio(text_key, _MOTTO_KEY) >= 90


def _unbalanced(text: str) -> bool:
    opens = sum(text.count(q) for q in _OPEN_QUOTES)
    closes = sum(text.count(q) for q in _CLOSE_QUOTES)
    return opens > closes or text.count('"') % 2 == 1


def _opens_body(view: str) -> bool:
    """Openers that cannot start a title ("Thực hiện ..." can: many titles begin with it)."""
    return any(markers.starts_with_phrase(view, p, 85.0) for p in ("can cu", "kinh gui", "theo de nghi"))


def _next_usable(doc: DocLines, index: int) -> int:
    while index < len(doc) and not doc.usable(index):
        index += 1
    return index


def _blank_continues(doc: DocLines, index: int, parts: list[str]) -> int | None:
    """At a blank line inside a title: the next line if it obviously continues the title, else None."""
    nxt = _next_usable(doc, index + 1)
    if nxt >= len(doc) or not parts:
        return None
    following = doc.lines[nxt].strip()
    return nxt if following[:1].islower() or _unbalanced(" ".join(parts)) else None


def _ends_title(doc: DocLines, index: int, line: str, parts: list[str], caps_title: bool) -> bool:
    """Whether the (non-blank) line ``index`` is past the title begun with ``parts``."""
    view = doc.views[index]
    if markers.is_body_opener(view) or opens_content(doc, index) is not None:
        return True
    if line.startswith("(") or markers.is_role_line(line) or markers.is_noi_nhan(view):
        return True
    if is_caps(line) != caps_title and not _unbalanced(" ".join(parts)):
        return True  # e.g. the authority line "GIÁM ĐỐC SỞ Y TẾ" under a decision's title
    if _letter_soup(line) and not _unbalanced(" ".join(parts)):
        return True  # the rule under the title or a seal's edge read as letters ("on deeeEIeeE")
    return not _continues(parts[-1], line, " ".join(parts))


_WORD = re.compile(r"[^\W\d_]+")
# A line whose letters lie mostly outside Vietnamese syllables is no line of a title.
SOUP_SHARE = 0.5


def _letter_soup(line: str) -> bool:
    """Most of the line's letters are in words that are no Vietnamese syllable."""
    words = _WORD.findall(line)
    letters = sum(len(w) for w in words)
    good = sum(len(w) for w in words if _is_syllable(w))
    return letters > 0 and good < SOUP_SHARE * letters


def _title_after(doc: DocLines, start: int) -> tuple[str | None, int]:
    """Title lines from ``start`` (the line after the type line); returns (title, first line after it)."""
    index = _next_usable(doc, start)
    if index < len(doc) and (_opens_body(doc.views[index]) or opens_content(doc, index) is not None):
        return None, index
    parts: list[str] = []
    caps_title = False
    last = index - 1
    while index < len(doc) and len(parts) < MAX_TITLE_LINES:
        if not doc.usable(index):
            # a blank line ends the title unless the next line obviously continues it
            nxt = _blank_continues(doc, index, parts)
            if nxt is None:
                break
            index = nxt
            continue
        line = without_junk(doc.lines[index])
        if not parts:
            if line.startswith("(") or markers.is_role_line(line) or markers.is_noi_nhan(doc.views[index]):
                break
            caps_title = is_caps(line)
        elif _ends_title(doc, index, line, parts, caps_title):
            break
        parts.append(line)
        last = index
        index += 1
    parts, last = _without_body_paragraph(parts, last)
    return _title_text(parts), last + 1


_TITLE_END = re.compile(rf"(?:(?:{'|'.join(CENTURIES)})\d\d|[”\"»)])\W{{0,2}}$")
_LONE_LETTER = re.compile(r"^(?P<letter>[^\W\d_])\s+(?=[^\W\d_]{2})")
_FINAL_DOT = re.compile(r"(?<![.\s])\.$")
_QUOTE_DASH = re.compile(r"(?<=[”\"»)])\s+-$")


def _title_text(parts: list[str]) -> str | None:
    """The title from its lines: a title has no final dot, and a dash after a closing quote at the end of
    a line is a speck ("“...” -" over "giai đoạn 2019 - 2025"); nor does it begin with a lone small
    letter before a capital ("k Tổ chức ...": the edge of a stamp pressed over its first line)."""
    parts = [_QUOTE_DASH.sub("", part) for part in parts]
    title = _FINAL_DOT.sub("", without_junk(squash(" ".join(parts)), dash=True))
    lone = _LONE_LETTER.match(title)
    if lone and lone.group("letter").islower() and title[lone.end()].isupper():
        title = title[lone.end() :]
    return title or None


def _continues(previous: str, line: str, so_far: str) -> bool:
    """Whether ``line`` goes on with the title: it starts in lower case or with an opening quote (the
    movement's name), the previous line was wrapped by the page (long), or a quotation is still open."""
    starts = line[:1]
    return starts.islower() or starts in _OPEN_QUOTES or len(previous) >= WRAPPED_LINE or _unbalanced(so_far)


def _without_body_paragraph(parts: list[str], last: int) -> tuple[list[str], int]:
    """Drop an opening body paragraph ("Nhằm ..., ban hành Kế hoạch như sau:") glued under the title.

    A title has no colon at the end of a line; the paragraph that ends with one begins at the last line
    before it that starts with a capital, best where the title's quotes are balanced. OCR may make or
    break a quote (“Bộ” for học”), so when no such line keeps them balanced the last capital still cuts:
    a title glued to a paragraph is wrong whole. When the paragraph's first line was lost, what is left
    of it starts in lower case after the title's last line."""
    ends = [index for index, part in enumerate(parts) if index and part.rstrip().endswith(":")]
    if not ends:
        return parts, last
    # the paragraph's first line lost (a stamp over it): its rest goes on in lower case right after a
    # line that ends the title (a year, a closing quote)
    lost = [
        cut for cut in range(1, ends[0] + 1) if _TITLE_END.search(parts[cut - 1]) and parts[cut][:1].islower()
    ]
    starts = [cut for cut in range(ends[0], 0, -1) if parts[cut][:1].isupper()]
    balanced = [cut for cut in starts if not _unbalanced(" ".join(parts[:cut]))]
    # a capital line right after a line that ends a title, quotes balanced: the paragraph's own first line
    # ("... giai đoạn 2019 - 2022" / "Nhằm cụ thể hóa ..."), surer than a lower-case rest further down
    after_end = [cut for cut in sorted(balanced) if _TITLE_END.search(parts[cut - 1])]
    cut = (after_end or lost or balanced or starts or [None])[0]
    if cut is None:
        return parts, last
    return parts[:cut], last - (len(parts) - cut)


@dataclass
class _Leftovers:
    """What is left of the header lines once the items are cut out, by kind."""

    issuer_lines: list[tuple[int, str]] = field(default_factory=list)
    vv_parts: list[str] = field(default_factory=list)
    vv_lines: list[int] = field(default_factory=list)
    loose: list[tuple[int, str]] = field(default_factory=list)  # sentence-case lines: a header-less title


def _classify(header: Header, leftovers: _Leftovers, index: int, rest: str) -> None:
    rest = without_junk(rest)
    if not rest or _DECORATION.match(rest) or sum(c.isalpha() for c in rest) < 3:
        return  # decoration, or a letter or two left over from a cut item
    if _VV.match(rest):
        header.has_vv = True
        leftovers.vv_parts.append(rest)
        leftovers.vv_lines.append(index)
        header.header_lines.append(index)
    elif is_caps(rest) and not _is_motto_fragment(rest):
        leftovers.issuer_lines.append((index, _issuer_line(rest)))
        header.header_lines.append(index)
    elif leftovers.vv_parts and not is_caps(rest) and len(leftovers.vv_parts) < MAX_TITLE_LINES:
        leftovers.vv_parts.append(rest)
        leftovers.vv_lines.append(index)
        header.header_lines.append(index)
    elif not is_caps(rest):
        leftovers.loose.append((index, rest))


def parse_header(doc: DocLines) -> Header:
    """Header fields, title and the first line of the body."""
    header = Header()
    limit = min(MAX_HEADER_LINES, len(doc))
    boundary = _body_boundary(doc, limit)
    type_line = find_type_line(doc, boundary)
    end = type_line[0] if type_line else boundary
    if type_line:
        header.type_code = type_line[1]

    leftovers = _Leftovers()
    for index in range(end):
        if not doc.usable(index):
            continue
        original = doc.head(index)
        rest = _cut_items(header, index, original, doc.views[index])
        if rest != original:
            header.header_lines.append(index)
        _classify(header, leftovers, index, rest)

    issuer_lines = leftovers.issuer_lines
    if not type_line and not leftovers.vv_parts and leftovers.loose:
        # the type line was lost: capitals under the title are a decision's authority line, not the issuer
        issuer_lines = [(index, text) for index, text in issuer_lines if index < leftovers.loose[0][0]]
    groups = [_issuer_name(group) for group in _issuer_groups([text for _, text in issuer_lines])]
    if groups:
        header.issuer = groups[-1]
        header.issuer_parent = groups[0] if len(groups) > 1 else None
        header.lines["issuer"] = header.lines["issuer_parent"] = [index for index, _ in issuer_lines]
        _check_issuer(header)

    _check_symbol(header)

    title_lines: list[int] = []
    if type_line:
        header.title, header.body_start = _title_after(doc, type_line[0] + 1)
        title_lines = list(range(type_line[0] + 1, header.body_start))
    elif leftovers.vv_parts:
        header.title = _title_text(leftovers.vv_parts)
        header.body_start = end
        title_lines = leftovers.vv_lines
    elif leftovers.loose:
        header.title, header.body_start = _loose_title(leftovers.loose, end)
        title_lines = list(range(leftovers.loose[0][0], header.body_start))
    else:
        header.body_start = end
    if header.title:
        header.lines["title"] = title_lines
        header.title, reasons = _title_doubts(header.title)
        reasons += _wrapped_dashes(doc, title_lines)
        if reasons:
            header.doubts["title"] = "; ".join(reasons)
    return header


def _check_issuer(header: Header) -> None:
    """Flag an issuer that reads like a type name (:func:`_matches_type_name`): a type line too damaged to
    be found where it stood, or split over lines; the real issuer is then the line above, and neither may
    pass as read."""
    issuer = header.issuer or ""
    issuer_key = key(issuer)
    if any(_matches_type_name(issuer, issuer_key, name_key) for name_key in doc_types().name_keys):
        header.doubts["issuer"] = f"'{issuer}' reads like the type line"


def _check_symbol(header: Header) -> None:
    """The symbol's issuer part written back when it is one letter off the issuer's abbreviation."""
    if header.doc_symbol and header.issuer:
        header.doc_symbol, repaired = repair_symbol(header.doc_symbol, header.issuer)
        if repaired:
            header.doubts["doc_symbol"] = "; ".join(filter(None, (header.doubts.get("doc_symbol"), repaired)))


# A mark glued to the front of a word ("Phát động phong ;rào", "Tổ chức .nực hiện"), or a bar anywhere
# in a word ("phong trào|", "|HOẠCH"): a stamp's or a speck's ink read with the letters. No title writes
# them so; the word they stick to is damaged.
_GLUED_FRONT = re.compile(r"(?<!\S)[.;:,|\-](?=[^\W\d_])")
_BAR = re.compile(r"\|")
# Marks a title does not hold (a question in a movement's name or a semicolon is rare; OCR makes "?" and
# ";" of a speck or a comma often)
_UNUSUAL_MARKS = re.compile(r"[?!¿¡„+=#@^~<>{}\\;]")
_TITLE_YEAR = re.compile(r"(?<!\d)[12]\d{3}(?!\d)")


def without_glued_junk(title: str) -> tuple[str, list[str]]:
    """The title without marks glued to its words' fronts and without bars; and the damaged words as read."""
    damaged = [word for word in title.split() if _GLUED_FRONT.match(word) or "|" in word]
    if not damaged:
        return title, []
    return squash(_BAR.sub(" ", _GLUED_FRONT.sub("", title))), damaged


_WORD_DASH_END = re.compile(r"[^\W\d_]\W?\s+-$")


def _wrapped_dashes(doc: DocLines, title_lines: list[int]) -> list[str]:
    """A dash where the page wrapped a title between words ("nói không với -" over "rác thải"): a
    speck's, or the title's own dash that the page put there; a range of years ("2021 -" over "2025")
    wraps so often that it is not counted."""
    ends = [i for i in title_lines[:-1] if _WORD_DASH_END.search(doc.lines[i].rstrip())]
    starts = [i for i in title_lines[1:] if doc.lines[i].lstrip().startswith("- ")]
    return ["a dash where a line of it wraps (a speck's, or its own)"] if ends or starts else []


_YEAR_BEFORE = re.compile(r"(?:\bnam(?: hoc)?|\bdoan|\d{4}\s*-)\s*$")
_YEAR_AFTER = re.compile(r"^\s*-\s*\d{4}")


def _year_context(title: str, match: re.Match[str]) -> bool:
    """Whether a number of the title stands where a year does: after "năm", "năm học", "giai đoạn", or
    in a range of years ("2923 - 2024"); a count ("2600 hộ") is not a year to repair."""
    before = fold(title[max(0, match.start() - 16) : match.start()]).lower()
    return bool(_YEAR_BEFORE.search(before) or _YEAR_AFTER.match(title[match.end() :]))


def _title_doubts(title: str) -> tuple[str, list[str]]:
    """The title cleaned of what OCR added, and what was found: marks glued to words (taken off), a year
    that cannot be one with its one plausible reading ("2923": 2023, a typewritten 0 read as 9), marks no
    title holds (kept: the reason says where to look)."""
    title, junk = without_glued_junk(title)
    reasons = ["marks glued to words: " + ", ".join(repr(w) for w in junk)] if junk else []

    def year(match: re.Match[str]) -> str:
        repaired = repair_year(match.group()) if _year_context(title, match) else None
        if repaired:
            reasons.append(f"year read as '{match.group()}', taken as {repaired}")
        return repaired or match.group()

    title = _TITLE_YEAR.sub(year, title)
    marks = [word for word in title.split() if _UNUSUAL_MARKS.search(word)]
    if marks:
        reasons.append("marks a title does not hold: " + ", ".join(repr(w) for w in marks))
    return title, reasons


def _loose_title(loose: list[tuple[int, str]], end: int) -> tuple[str | None, int]:
    """Title of a text whose header was not captured: the first run of consecutive unclassified lines that
    go on with each other; the lines after it up to ``end`` (an opening paragraph) belong to the body."""
    run = [loose[0]]
    for index, text in loose[1:]:
        if index > run[-1][0] + 2 or not _continues(run[-1][1], text, " ".join(t for _, t in run)):
            break
        run.append((index, text))
    if len(run) > MAX_TITLE_LINES:
        return None, end
    return _title_text([text for _, text in run]), run[-1][0] + 1
