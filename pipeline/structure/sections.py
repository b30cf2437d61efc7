"""Numbered sections of the content: ``I.`` (level 1), ``1.`` (level 2), ``a)`` / ``1.1.`` (level 3).

Decisions use the line and its neighbours only, so numbering damaged by OCR (``I1.`` for ``II.``,
``V.TO CHUC`` without a space, ``¢)`` for ``c)``) is still recognised, and a decision's ``Điều 1.``
articles count as level-1 sections too.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from . import markers
from .doc import DocLines
from .labels import label_for
from .numerals import letter_item, roman_value, to_roman
from .record import Section
from .sequence import Expected, damaged_heading, damaged_letter, next_letter
from .text import is_caps, squash, without_junk

# "Điều 1." (legacy OCR reads the Đ as P or b: then the dot must be there, "biểu" is a word)
_DIEU = re.compile(r"^(?:dieu\s+(?P<n>\d{1,3})\s*[.:]?|[pb]ieu\s+(?P<m>\d{1,3})\s*[.:])\s*(?=\S|$)")
_ROMAN = re.compile(
    r"^([IVXl1|!\[\]]{1,6}v?)(?:\s*(?P<sep>[.,:;)]|\s[-–])|\s+(?=[^\W\d_]))\s*(?=[^\W\d_]|[\"“])"
)
_SUB_ARABIC = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s*(?=[^\W\d_]|[\"“])")
_ARABIC = re.compile(r"^(\d{1,2})\s*[.)]\s*(?=[^\W\d_]|[\"“])")
_LETTER = re.compile(r"^([a-zđ¢©])\s*\)\s*(?=\S)")
_TERMINATOR = re.compile(r"[.;](?=\s|$)")
_END_MARK = re.compile(r"\./\.?\s*$|\s/\.\s*$")
HEADING_MAX = 150
HEADING_CUT = 100
# A line at least this long that runs on without final punctuation was wrapped by the page layout.
WRAPPED_LINE = 45


@dataclass
class HeadingMatch:
    level: int
    number: str
    value: int  # numeric value for sequencing (roman/arabic/letter index)
    rest_offset: int  # where the heading text starts in the stripped line
    kind: str  # "roman", "arabic", "sub", "letter", "dieu"


def _stripped(line: str) -> tuple[str, int]:
    """The line without leading blanks and Markdown emphasis, and the offset removed."""
    lead = len(line) - len(line.lstrip(" \t*#\u00a0\x0c"))
    return line[lead:].rstrip(" \t*\u00a0\x0c"), lead


def heading_at(doc: DocLines, index: int, expected_roman: int | None = None) -> HeadingMatch | None:
    """Heading found at the start of line ``index``, judged without the surrounding numbering."""
    if not doc.usable(index):
        return None
    line, lead = _stripped(doc.head(index))
    folded = doc.folded[index][lead:]
    match = _DIEU.match(folded.lower())
    if match:
        number = int(match.group("n") or match.group("m"))
        return HeadingMatch(1, f"Điều {number}", number, match.end(), "dieu")
    match = _ROMAN.match(line)
    if match:
        found = _roman_heading(line, match, expected_roman)
        if found is not None:
            return found
    return _arabic_or_letter(line)


def _roman_heading(line: str, match: re.Match[str], expected_roman: int | None) -> HeadingMatch | None:
    token = match.group(1)
    rest = line[match.end() :]
    caps = is_caps(rest[:80])
    if token.isdigit():
        # "11." / "111." for II./III.: only for capitalised headings where a roman number is due
        value = len(token)
        if set(token) == {"1"} and value in (2, 3) and caps and expected_roman == value:
            return HeadingMatch(1, to_roman(value), value, match.end(), "roman")
        return None
    if not any(c in "IVX" for c in token):
        return None
    value = roman_value(token)
    plausible = caps or value == expected_roman or label_for(rest[:80], 1) != "other"
    if match.group("sep") is None:
        plausible = caps and label_for(rest[:80], 1) != "other"  # "II NỘI DUNG": OCR lost the dot
    if value and plausible and (caps or len(rest) <= HEADING_MAX):
        return HeadingMatch(1, to_roman(value), value, match.end(), "roman")
    return None


def _arabic_or_letter(line: str) -> HeadingMatch | None:
    match = _SUB_ARABIC.match(line)
    if match:
        major, minor = int(match.group(1)), int(match.group(2))
        return HeadingMatch(3, f"{major}.{minor}", minor, match.end(), "sub")
    match = _ARABIC.match(line)
    if match and 0 < int(match.group(1)) <= 40:
        return HeadingMatch(2, str(int(match.group(1))), int(match.group(1)), match.end(), "arabic")
    match = _LETTER.match(line)
    if match:
        letter = letter_item(match.group(1))
        if letter:
            return HeadingMatch(3, letter, ord(letter), match.end(), "letter")
    return None


def opens_content(doc: DocLines, index: int) -> HeadingMatch | None:
    """A heading that can open the content: ``I.``, ``1.``, ``Điều 1.``, or one whose number OCR damaged
    (``T, MỤC ĐÍCH``, ``1, Mục đích``)."""
    found = heading_at(doc, index)
    if found is not None or not doc.usable(index):
        return found
    damaged = damaged_heading(_stripped(doc.head(index))[0], Expected(), roman_doc=False)
    return HeadingMatch(*damaged) if damaged is not None else None


def _roman_document(doc: DocLines, start: int, stops: set[int]) -> bool:
    """Whether the content is numbered I, II, III: a roman heading, or a capitalised label line after a
    prefix that can only be a damaged roman numeral (``T,`` ``H.`` ``VỊ``)."""
    for index in range(start, len(doc)):
        if index in stops or not doc.usable(index):
            continue
        found = opens_content(doc, index)
        if found is not None and found.kind == "roman":
            return True
    return False


def _in_sequence(doc: DocLines, index: int, expected: Expected, roman_doc: bool) -> HeadingMatch | None:
    """The heading on line ``index`` with its number checked against the sequence (see ``sequence``)."""
    found = heading_at(doc, index, expected.roman)
    line = _stripped(doc.head(index))[0]
    if found is None:
        damaged = damaged_heading(line, expected, roman_doc) or damaged_letter(line, expected)
        return HeadingMatch(*damaged) if damaged else None
    if found.kind == "roman" and found.value == expected.roman - 1 and expected.roman > 1:
        # numbers never repeat: "I." after "I." is "II." that lost a stroke
        return replace(found, number=to_roman(expected.roman), value=expected.roman)
    if (found.kind == "arabic" and found.value != expected.arabic) or (
        found.kind == "letter" and found.number != expected.letter
    ):
        letter = damaged_letter(line, expected)  # "8)" read for "a)", "e)" for "c)"
        if letter:
            return HeadingMatch(*letter)
    if found.kind == "arabic" and roman_doc and found.number == "1" * expected.roman:
        rest = line[found.rest_offset :]
        if is_caps(rest[:80]) and label_for(rest[:80], 1) != "other":  # "1. MỤC ĐÍCH" read for "I."
            value = expected.roman
            return replace(found, level=1, number=to_roman(value), value=value, kind="roman")
    return found


def _advance(expected: Expected, found: HeadingMatch) -> None:
    if found.kind == "roman":
        expected.roman = found.value + 1
    if found.level == 1:
        expected.arabic, expected.letter = 1, "a"
    elif found.kind == "arabic":
        expected.arabic, expected.letter = found.value + 1, "a"
    elif found.kind == "letter":
        expected.letter = next_letter(found.number)


def scan_headings(doc: DocLines, start: int, stops: set[int]) -> list[tuple[int, HeadingMatch]]:
    """Every heading from line ``start`` on, numbered by the sequence where OCR damaged the number."""
    roman_doc = _roman_document(doc, start, stops)
    expected = Expected()
    found: list[tuple[int, HeadingMatch]] = []
    for index in range(start, len(doc)):
        if index in stops or not doc.usable(index):
            continue
        match = _in_sequence(doc, index, expected, roman_doc)
        if match is None:
            continue
        _advance(expected, match)
        found.append((index, match))
    return found


def _cut(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text[:size]
    space = cut.rfind(" ")
    return cut[:space] if space > size // 2 else cut


def _junk_bullet(text: str) -> bool:
    """A lone letter before a capitalised word: OCR's reading of a dash bullet ("z Trang phục ...")."""
    return text[:1].isalpha() and text[1:2] == " " and text[2:3].isupper()


def _paragraph_lines(
    doc: DocLines, index: int, found: HeadingMatch, stop: int, heading_lines: Collection[int]
) -> tuple[list[str], int]:
    """The heading line and the lines that go on with its paragraph; returns them and the last index."""
    line, _ = _stripped(doc.lines[index])
    parts = [without_junk(line[found.rest_offset :])]
    caps = is_caps(parts[0][:80])
    last = index
    for nxt in range(index + 1, stop):
        if not doc.usable(nxt) or nxt in heading_lines or heading_at(doc, nxt) is not None:
            break
        text = doc.lines[nxt].strip()
        if markers.is_bullet(text) or _junk_bullet(text) or _ends_content(parts[-1]):
            break
        previous = doc.lines[nxt - 1].strip()
        if not (text[:1].islower() or len(previous) >= WRAPPED_LINE):
            break  # a short line followed by a new sentence: the heading stood on its own line
        if found.level == 1 and found.kind != "dieu" and not (caps and is_caps(text) and len(text) < 90):
            break
        if len(" ".join(parts)) > 2000:
            break
        parts.append(without_junk(text))  # a stray " :" at a line end is not the heading's colon
        last = nxt
    return parts, last


def _terminator(paragraph: str) -> re.Match[str] | None:
    """The end of the first sentence: a ``;`` or a ``.`` not followed by a lower-case word (OCR puts stray
    dots inside sentences on photocopies: "phát. hiện")."""
    for match in _TERMINATOR.finditer(paragraph):
        following = paragraph[match.end() :].lstrip()[:1]
        if match.group() == ";" or not following.islower():
            return match
    return None


def _heading_text(
    doc: DocLines, index: int, found: HeadingMatch, stop: int, heading_lines: Collection[int] = ()
) -> tuple[str, str, int, bool]:
    """(heading, remainder after a colon, last line of the heading paragraph, heading consumed paragraph)."""
    parts, last = _paragraph_lines(doc, index, found, stop, heading_lines)
    paragraph = without_junk(squash(" ".join(parts)))  # a stray " :" at the end is not the heading's colon
    colon = paragraph.find(":")
    if 0 <= colon <= HEADING_MAX:
        return _clean(paragraph[:colon]), paragraph[colon + 1 :].strip(), last, True
    if found.level == 1 and found.kind != "dieu":
        return _clean(_cut(paragraph, HEADING_MAX * 2)), "", last, True
    terminator = _terminator(paragraph)
    if terminator and terminator.start() <= HEADING_MAX:
        heading = paragraph[: terminator.start()]
        return _clean(heading), "", last, not paragraph[terminator.end() :].strip(" ./")
    if len(paragraph) <= HEADING_MAX:
        return _clean(paragraph), "", last, True
    return _clean(_cut(paragraph, HEADING_CUT)), "", last, False


def _clean(heading: str) -> str:
    return without_junk(squash(heading), dash=True).strip(" .;:,/*_|¬~`'‘’ˆ-")


def _ends_content(text: str) -> bool:
    return bool(_END_MARK.search(text))


def find_sections(
    doc: DocLines,
    start: int,
    stops: set[int],
    line_confidences: Sequence[float] | None = None,
) -> list[Section]:
    """Sections from line ``start`` on; a line in ``stops`` (recipients, signer ...) ends the open ones."""
    found = scan_headings(doc, start, stops)
    heading_lines = {index for index, _ in found}

    ends = _content_ends(doc, start, stops)
    sections: list[Section] = []
    stack: list[Section] = []
    for position, (index, match) in enumerate(found):
        limit = ends(index)
        for later_index, later in found[position + 1 :]:
            if later.level <= match.level:
                limit = min(limit, later_index)
                break
        end = _last_content_line(doc, index, limit)
        heading, remainder, heading_end, consumed = _heading_text(doc, index, match, limit, heading_lines)
        body = [remainder] if remainder else []
        if not consumed:
            body = [_stripped(doc.lines[index])[0][match.rest_offset :]]
            heading_end = index
        body += [doc.lines[i] for i in range(heading_end + 1, end + 1) if i not in doc.masked]
        while stack and stack[-1].level >= match.level:
            stack.pop()
        section = Section(
            order=len(sections) + 1,
            level=match.level,
            number=match.number,
            heading=heading,
            label=label_for(heading, match.level),
            parent_order=stack[-1].order if stack else None,
            text="\n".join(body).strip(),
            start_line=index,
            end_line=end,
            mean_confidence=_mean_confidence(doc, index, end, line_confidences),
        )
        sections.append(section)
        stack.append(section)
    return sections


def _content_ends(doc: DocLines, start: int, stops: set[int]):
    """Function giving, for a heading line, the first line after it that is outside the content."""
    boundaries = sorted(i for i in stops if i >= start)
    end_marks = [i + 1 for i in range(start, len(doc)) if doc.usable(i) and _ends_content(doc.head(i))]
    cuts = sorted(set(boundaries) | set(end_marks))

    def first_after(index: int) -> int:
        for cut in cuts:
            if cut > index:
                return cut
        return len(doc)

    return first_after


def _last_content_line(doc: DocLines, index: int, limit: int) -> int:
    end = index
    for i in range(index, min(limit, len(doc))):
        if doc.usable(i):
            end = i
    return end


def _mean_confidence(
    doc: DocLines, start: int, end: int, confidences: Sequence[float] | None
) -> float | None:
    if confidences is None:
        return None
    values = []
    for i in range(start, min(end, len(confidences) - 1) + 1):
        if doc.blank(i):
            continue
        try:
            value = float(confidences[i])
        except (TypeError, ValueError):
            continue
        if value == value:  # skip NaN
            values.append(value)
    return sum(values) / len(values) if values else None
