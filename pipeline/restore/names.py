"""Names, offices and places: the second, lexicon-aware pass over a decoded text.

After the first decoding, the restored text shows where the words users look up are:

- the **header** (the lines above the document type: issuer "UBND TỈNH …", "SỞ Y TẾ", place and date),
- **signer blocks** (a title line such as "KT. GIÁM ĐỐC" / "PHÓ CHỦ TỊCH", then, after the seal and the
  scrawl, the signer's name),
- names after **ông / bà / đồng chí**.

Spans there are looked up in the phrase lexicons by their fold (:func:`lexicon.fold`, which garble and lost
marks leave alone, so "SOY TE" finds "Sở Y tế" even with the "Y" glued to the garble) and personal names
are decoded with the name priors instead of the syllable language model: a small chain
surname → middle → given over each token's candidates, scored by the channel plus the name prior (and the
"middle given" pair model). Document-level consistency: every occurrence of the same name (same fold) is
decoded jointly, its channel evidence summed; a phrase found in the header or a signer block is also
found in the body ("the header's issuer helps the body"). User-lexicon entries apply wherever they occur.
Tokens of a clean page that already carry valid marks are never changed, but for a signer's name word that
is no name at all ("Hoàng Văn Tháng": a month), which may be read as a listed name one mark away when the
document's rate of wrong marks (Vietnamese-model OCR) makes that likelier than the word as printed.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from pipeline.restore import signer_block
from pipeline.restore.candidates import has_marks, mark_features
from pipeline.restore.channel import GARBLE_CHAR
from pipeline.restore.config import RestoreConfig
from pipeline.restore.doc_channel import DocChannel
from pipeline.restore.lexicon import FEMALE_GIVEN, Lexicons, Phrase, fold
from pipeline.restore.normalize import apply_case, case_pattern, nfc, normalize_syllable, strip_diacritics
from pipeline.restore.slot import Override, Slot
from pipeline.restore.syllables import is_skeleton, is_valid_syllable
from pipeline.restore.tokenize import LETTER, is_roman_garble

# Consecutive folded words that make a line a signer title ("KT. GIÁM ĐỐC", "TM. ỦY BAN NHÂN DÂN").
_TITLE_PAIRS = {
    ("giam", "doc"), ("chu", "tich"), ("truong", "ban"), ("truong", "phong"), ("hieu", "truong"),
    ("bi", "thu"), ("thu", "truong"), ("cuc", "truong"), ("vien", "truong"), ("chanh", "van"),
    ("chanh", "thanh"), ("uy", "ban"), ("tong", "giam"), ("truong", "khoa"), ("truong", "tram"),
}  # fmt: skip
# Document types that end the header.
_DOC_TYPES = (
    "kehoach", "quyetdinh", "thongbao", "baocao", "huongdan", "totrinh", "chuongtrinh", "nghiquyet",
    "chithi", "giaymoi", "congvan", "phuongan", "dean", "quychehoatdong", "quyche",
)  # fmt: skip
# Folded line starts that say the top of a text is an official header.
_HEADER_MARKS = ("conghoaxahoi", "doclap", "hanhphuc", "ubnd", "uybannhandan")
# Words after "ông/bà" that end a name ("ông Nguyễn Văn An Phó Giám đốc Sở").
_NOT_NAME = {
    "phó", "giám", "đốc", "chủ", "tịch", "trưởng", "sở", "tỉnh", "huyện", "ủy", "ban", "phòng", "bộ", "cục",
    "viện", "trường", "hội", "đoàn", "đảng", "nhà", "ubnd", "và", "cùng",
}  # fmt: skip
_PHRASE_KINDS_BODY = ("office", "province", "district", "place")
# Middle names that make a capitalised line a name even when OCR spoilt the surname ("Bai Thi Binh").
_MIDDLE_FOLDS = {"van", "thi"}
_SEPARATORS = {"", "-", "–", ","}
# OCR specks that may sit between the words of a signer's name ("Le ‘Trung Diéu").
_SPECKS = set("‘’'`\"“”.-_~*")
# Confidence of a speck in a name line printed as nothing ("Đàm Ngọc Bình ae"): low, so it is reviewed.
_SPECK_CONFIDENCE = 0.5


def _joinable(line: str, a: Slot, b: Slot, title: bool = False) -> bool:
    """Two word tokens of a phrase: only spaces, a hyphen or a comma between them (in a signer title
    also the dot of "KT." and specks)."""
    between = line[a.piece.col + len(a.piece.text) : b.piece.col].strip()
    return between in _SEPARATORS or title and len(between) <= 2 and all(c in _SPECKS for c in between)


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


_FIGURES = re.compile(r"\d[.,/-]\d")  # figures joined by a separator: a decimal, a date, a number


def _is_text(slot: Slot) -> bool:
    """A token that makes its line text, not scrawl: a code of three letters or more ("KH-SYT"), or a figure
    that is no letter misread ("1/1/2000", "100", "0,0"; one or two digits alone may be: "6" for "ở"). A
    signature's scrawl reads as marks, letter soup and such lone digits; a figure taken out of the text
    would be silently lost."""
    text = slot.piece.text
    if slot.piece.kind in ("code", "protected") and _letters(text) >= 3:
        return True
    return sum(c.isdigit() for c in text) >= 3 or bool(_FIGURES.search(text))


def _has_letter(slot: Slot) -> bool:
    return bool(LETTER.search(slot.piece.text))


def _capitalised(slot: Slot) -> bool:
    first = slot.piece.text[:1]
    return first.isupper() or first in "¢&"


def _lower(text: str) -> str:
    return normalize_syllable(nfc(text.lower()))


@dataclass
class _Match:
    slots: list[Slot]
    phrase: Phrase
    parts: list[list[int]]  # phrase word indices per token


def _in_capitals(texts: list[str], share: float) -> bool:
    """At least ``share`` of the letters (and two of them) are capitals."""
    letters = [c for t in texts for c in t if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= share * len(letters)


def _case_agrees(m: _Match, share: float) -> bool:
    """The span is in capitals, or each token is capitalised exactly where the lexicon's word is."""
    if _in_capitals([s.piece.text for s in m.slots], share):
        return True
    for slot, idx in zip(m.slots, m.parts, strict=True):
        word = m.phrase.display[idx[0]] if idx[0] < len(m.phrase.display) else m.phrase.words[idx[0]]
        if _capitalised(slot) != word[:1].isupper():
            return False
    return True


def _align(slots: list[Slot], phrase: Phrase) -> list[list[int]] | None:
    """Phrase words per token, when every token is a whole number of words ("SOY" = "sở" + "y")."""
    folds = [fold(w) for w in phrase.words]
    parts: list[list[int]] = []
    k = 0
    for slot in slots:
        want = fold(slot.piece.text)
        got = ""
        mine: list[int] = []
        while k < len(folds) and len(got) < len(want):
            got += folds[k]
            mine.append(k)
            k += 1
        if got != want or not mine:
            return None
        parts.append(mine)
    return parts if k == len(folds) else None


def _align_fuzzy(slots: list[Slot], key: str, target: str, phrase: Phrase) -> list[list[int]] | None:
    """Phrase words per token for a fuzzy match: each word goes to the token holding most of its letters
    once the folded span is aligned letter by letter with the phrase's fold; every token needs a word,
    except a lone letter split off one (it is then printed as nothing)."""
    owner = [i for i, s in enumerate(slots) for _ in fold(s.piece.text)]  # token of each key letter
    source = [0] * len(target)  # key letter each target letter is aligned with
    for tag, a0, a1, b0, b1 in Levenshtein.opcodes(key, target):
        for b in range(b0, b1):
            source[b] = min(a0 + (b - b0), a1 - 1) if tag != "insert" else min(a0, len(key) - 1)
    parts: list[list[int]] = [[] for _ in slots]
    pos = 0
    for w, word in enumerate(phrase.words):
        n = len(fold(word))
        votes = [owner[source[b]] for b in range(pos, pos + n)]
        parts[max(set(votes), key=votes.count)].append(w)
        pos += n
    flat = [w for part in parts for w in part]
    # A token without a word of its own must be a lone letter split off a word ("Hạnh p lúc").
    lone = all(part or len(fold(s.piece.text)) <= 1 for part, s in zip(parts, slots, strict=True))
    return parts if lone and flat == sorted(flat) else None


def _damaged(slot: Slot) -> bool:
    """OCR damage shows: digits or symbols among letters, or no Vietnamese syllable even without marks."""
    text = slot.piece.text
    return bool(GARBLE_CHAR.search(text)) or not is_skeleton(strip_diacritics(text.lower()))


class NamePass:
    """The lexicon-aware second pass over one decoded text (see the module docstring)."""

    def __init__(
        self,
        lines: list[str],
        slots: list[Slot],
        doc: DocChannel,
        lex: Lexicons,
        scored: Callable[[str, bool, bool], list],
        cfg: RestoreConfig,
    ) -> None:
        self.lines = lines
        self.doc = doc
        self.lex = lex
        self.scored = scored
        self.cfg = cfg
        self.clean_page = not doc.garbled_doc and doc.rates.strip < cfg.unaccented_doc_strip
        self.by_line: dict[int, list[Slot]] = defaultdict(list)
        for s in slots:
            # a fixed token takes part when it is a word (a code: "UBND TỈNH"), never a figure ("0,32")
            if s.fixed is None or (s.piece.kind == "word" and _has_letter(s)):
                self.by_line[s.line].append(s)
        self.memory: set[str] = set()
        # A capital's slot -> the lowercase rest of its word that OCR split off ("N guyén").
        self.glued: dict[int, Slot] = {}
        # The first slot of a signer's name -> the specks around the name on its line.
        self.specks: dict[int, list[Slot]] = {}
        # Lines of seal and signature scrawl in the signer blocks of a garbled page, and header lines read
        # twice through their rule (:mod:`.signer_block`): the engine takes them out of the text as noise.
        self.scrawl_lines: set[int] = set()
        # Lines holding a code, an address or a figure ("KH-SYT", "www.soyte.gov.vn", "1/1/2000"): text,
        # never scrawl (looked for on a garbled page only, the one kind that has scrawl lines).
        self.coded_lines = {s.line for s in (slots if doc.garbled_doc else ()) if _is_text(s)}

    # --- where the names are -------------------------------------------------------------------------

    def _words(self, li: int) -> list[str]:
        return [fold(s.word()) for s in self.by_line.get(li, ())]

    def _line_fold(self, li: int) -> str:
        return "".join(self._words(li))

    def header_lines(self) -> list[int]:
        """Lines of the header: from the top to the document type, if one of the first three lines starts
        like a header ("UBND …", "ỦY BAN NHÂN DÂN …", "CỘNG HÒA XÃ HỘI …", "Độc lập …")."""
        top = [li for li in range(len(self.lines)) if self.by_line.get(li)][: self.cfg.header_max_lines]
        if not any(self._line_fold(li).startswith(_HEADER_MARKS) for li in top[:3]):
            return []
        out = []
        for li in top:
            if self._line_fold(li).startswith(_DOC_TYPES) and self._mostly_upper(li):
                break
            out.append(li)
        return out

    def _mostly_upper(self, li: int) -> bool:
        return _in_capitals([self.lines[li]], self.cfg.capitals_share)

    def is_title(self, li: int) -> bool:
        words = self._words(li)
        if not words or len(words) > 10 or not self._mostly_upper(li):
            return False
        return any(pair in _TITLE_PAIRS for pair in zip(words, words[1:], strict=False))

    def _name_line(self, li: int) -> list[Slot] | None:
        """The tokens of a line that holds only a personal name (and OCR specks), else None: 2 to
        ``max_name_tokens`` words, at least two capitalised, the first one a surname or the second
        "Văn" or "Thị".

        A name's words are capitalised: a line with two lowercase words is a sentence ("Nguyễn Văn An đã
        ký"), not a name; one is OCR's ("pinh" for "Đinh", "ky" for "Kỳ"). What the seal and the scrawl
        leave around a name is no part of it: a letter split off a word is glued back ("N guyén"), and a
        lone letter before the name, a speck after it or one lowercase word after three capitalised ones
        ("Dam Ngoc Binh ae") is a speck (see :meth:`_drop_specks`). A line starting with a dash is a list
        item ("- Đoàn Thanh niên;") unless three capitalised words follow and it does not end like one
        ("- pinh Van Hoan...")."""
        slots = self._name_tokens(li)
        if slots is None:
            for s in self.by_line.get(li, []):
                self.glued.pop(id(s), None)
        return slots

    def _name_tokens(self, li: int) -> list[Slot] | None:
        """:meth:`_name_line` before the split letters it glued are forgotten for a line that is no name."""
        line = self.lines[li]
        dashed = line.strip()[:1] in "-+•*"
        if dashed and line.rstrip().endswith((";", ":", ",")):
            return None
        got = self._trim_specks(line, [s for s in self.by_line.get(li, []) if s.piece.kind == "word"])
        if got is None:
            return None
        slots, specks = got
        if not 2 <= len(slots) <= self.cfg.max_name_tokens or sum(map(_capitalised, slots)) < 2:
            return None
        if dashed and (len(slots) < 3 or not all(map(_capitalised, slots[1:]))):
            return None
        if sum(s.piece.text[:1].islower() for s in slots) > 1:  # "6n" (Ôn) has no case to tell
            return None
        if not (self._surname_like(slots[0]) or fold(self._text(slots[1])) in _MIDDLE_FOLDS):
            return None
        self.specks[id(slots[0])] = specks
        return slots

    def _trim_specks(self, line: str, words: list[Slot]) -> tuple[list[Slot], list[Slot]] | None:
        """(the name's tokens, the specks around them) of a line's word tokens, split letters glued; None
        when something other than specks sits between the words or the line is a numbered heading."""
        slots = [s for s in words if _has_letter(s)]
        specks: list[Slot] = []
        while slots and len(fold(slots[-1].piece.text)) < 2 and not _capitalised(slots[-1]):
            specks.append(slots.pop())  # a speck after the name
        for a, b in zip(slots, slots[1:], strict=False):
            between = line[a.piece.col + len(a.piece.text) : b.piece.col].strip()
            if len(between) > 2 or any(c not in _SPECKS for c in between):
                return None
        slots = self._glue_split_letters(line, slots)
        if len(slots) >= 4 and not _capitalised(slots[-1]) and all(map(_capitalised, slots[-4:-1])):
            specks.append(slots.pop())  # a lowercase word after a whole name: a speck
        if not slots:
            return None
        first = slots[0].piece
        if line[first.col + len(first.text) :].startswith((".", ")")) or is_roman_garble(first.text):
            return None  # "V1. KHEN THƯỞNG", "V. TỔ CHỨC": a numbered heading
        if (
            len(slots) >= 3
            and len(self._text(slots[0])) == 1
            and not line[first.col + 1 : slots[1].piece.col].strip()
            and self._surname_like(slots[1])
        ):
            specks.append(slots.pop(0))  # "Z Nguyén Phi Ngọc": a speck before the name
        return slots, specks

    def _glue_split_letters(self, line: str, slots: list[Slot]) -> list[Slot]:
        """A capital letter that OCR split off its word ("N guyén", "N ga") is read with it: the pair is
        one name word, held by the capital's slot (the lowercase rest is printed as nothing)."""
        out: list[Slot] = []
        k = 0
        while k < len(slots):
            a = slots[k]
            b = slots[k + 1] if k + 1 < len(slots) else None
            if (
                b is not None
                and len(a.piece.text) == 1
                and a.piece.text.isupper()
                and b.piece.text[:1].islower()
                and line[a.piece.col + 1 : b.piece.col] == " "
                and is_skeleton(strip_diacritics(_lower(a.piece.text + b.piece.text)))
            ):
                self.glued[id(a)] = b
                out.append(a)
                k += 2
                continue
            out.append(a)
            k += 1
        return out

    def _text(self, slot: Slot) -> str:
        """The token's text, with the rest of its word when OCR split a letter off ("N" + "guyén")."""
        rest = self.glued.get(id(slot))
        return slot.piece.text + rest.piece.text if rest is not None else slot.piece.text

    def _drop_specks(self, span: list[Slot]) -> None:
        """Print the specks found around a signer's name as nothing (at a low confidence, for review)."""
        for slot in self.specks.get(id(span[0]), []):
            if slot.override is None and not self._trusted(slot):
                slot.override = Override("", "name", _SPECK_CONFIDENCE, [slot.piece.text])

    def _surname_like(self, slot: Slot) -> bool:
        """A listed surname, or one of the token's likeliest readings is ("Téng" may be "Tống"; "Minh"
        is no "Ninh")."""
        if fold(self._text(slot)) in self.lex.names.surname_folds:
            return True
        readings = self.scored(_lower(self._text(slot)), False, True)[: self.cfg.name_surname_readings]
        top = max(chan for _s, chan, _id, _c in readings)
        return any(
            self.lex.names.is_listed("surname", c.word) and chan >= top - self.cfg.name_surname_margin
            for _s, chan, _id, c in readings
        )

    def signer_names(self) -> tuple[list[int], list[list[Slot]]]:
        """(title lines, name spans) of the signer blocks. When the seal or the scrawl made the title
        unreadable, the last name-like line among the text's last lines is the signer's."""
        titles: list[int] = []
        names: list[list[Slot]] = []
        last_title = -(10**9)
        filled = [li for li in range(len(self.lines)) if self.by_line.get(li)]
        for li in reversed(filled[-self.cfg.signer_search_lines :]):
            span = self._name_line(li)
            if span is not None:
                names.append(span)
                break
        for li in range(len(self.lines)):
            if not self.by_line.get(li):
                continue
            if self.is_title(li):
                titles.append(li)
                last_title = li
                continue
            if li - last_title <= self.cfg.signer_search_lines:
                span = self._name_line(li)
                if span is not None:
                    if all(span[0] is not other[0] for other in names):
                        names.append(span)
                    last_title = -(10**9)
        return titles, names

    def titled_names(self) -> list[list[Slot]]:
        """Names after "ông", "bà", "đồng chí": the capitalised tokens that follow on the same line, the
        first a surname. The title itself is found by its fold (OCR may have spoilt it: "déng chi"), and
        restored with the name."""
        spans = []
        for li, slots in self.by_line.items():
            for k in range(len(slots) - 1):
                title = self._title_before(slots, k)
                if not title:
                    continue
                span = self._capitalised_run(li, slots, k)
                if len(span) >= 2 and fold(span[0].piece.text) in self.lex.names.surname_folds:
                    spans.append(span)
                    self._restore_title(slots[k + 1 - len(title) : k + 1], title)
        return spans

    @staticmethod
    def _title_before(slots: list[Slot], k: int) -> tuple[str, ...]:
        """The title words ending at token k ("ông", "bà", "đồng chí"), or ()."""
        f = fold(slots[k].piece.text)
        if f in ("ong", "ba"):
            return ("ông",) if f == "ong" else ("bà",)
        if f == "chi" and k > 0 and fold(slots[k - 1].piece.text) in ("dong", "deng"):  # é for ồ
            return ("đồng", "chí")
        return ()

    def _capitalised_run(self, li: int, slots: list[Slot], k: int) -> list[Slot]:
        span: list[Slot] = []
        for t in slots[k + 1 : k + 1 + self.cfg.max_name_tokens]:
            prev = span[-1] if span else slots[k]
            between = self.lines[li][prev.piece.col + len(prev.piece.text) : t.piece.col]
            if t.piece.kind != "word" or not _capitalised(t) or between.strip() or t.word() in _NOT_NAME:
                break
            span.append(t)
        return span

    def _restore_title(self, slots: list[Slot], title: tuple[str, ...]) -> None:
        for slot, word in zip(slots, title, strict=True):
            if slot.override is None and slot.word() != word and not self._trusted(slot):
                pattern = case_pattern(slot.piece.text)
                slot.override = Override(apply_case(word, pattern), "name", self.cfg.lexicon_confidence)

    def repeated_names(self, keys: set[tuple[str, ...]]) -> list[list[Slot]]:
        """Other occurrences of the signers' names (same folds, capitalised), anywhere in the text."""
        out: list[list[Slot]] = []
        if not keys:
            return out
        firsts = {k[0]: len(k) for k in keys}
        for slots in self.by_line.values():
            for i, s in enumerate(slots):
                n = firsts.get(fold(s.piece.text))
                if n is None or not _capitalised(s) or i + n > len(slots):
                    continue
                span = slots[i : i + n]
                if tuple(fold(t.piece.text) for t in span) in keys and all(_capitalised(t) for t in span):
                    out.append(span)
        return out

    # --- phrases: offices, places, the user's terms -----------------------------------------------------

    def _trusted(self, slot: Slot) -> bool:
        """A token a clean page printed with valid marks: never changed by a lexicon (in a name: only to
        a listed name when it is none, :meth:`_misread_name`)."""
        if not self.clean_page:
            return False
        low = _lower(slot.piece.text)
        return has_marks(low) and is_valid_syllable(low)

    def _matches(self, li: int, start: Callable[[Slot], bool]) -> list[_Match]:
        """Longest phrase matches of one line, left to right, not overlapping."""
        slots = self.by_line.get(li, [])
        index = self.lex.phrases
        out: list[_Match] = []
        i = 0
        while i < len(slots):
            best: _Match | None = None
            if slots[i].piece.kind == "word" and start(slots[i]):
                key = ""
                for j in range(i, min(i + self.cfg.max_phrase_tokens, len(slots))):
                    if j > i and (
                        slots[j].piece.kind != "word" or not _joinable(self.lines[li], slots[j - 1], slots[j])
                    ):
                        break
                    key += fold(slots[j].piece.text)
                    if len(key) > index.max_len:
                        break
                    phrase = index.get(key)
                    if phrase is not None:
                        parts = _align(slots[i : j + 1], phrase)
                        if parts is not None:
                            best = _Match(slots[i : j + 1], phrase, parts)
            if best is None:
                i += 1
            else:
                out.append(best)
                i += len(best.slots)
        return out

    def _inside_capitalised_run(self, li: int, first: Slot) -> bool:
        """The token before ``first`` is a capitalised word right next to it."""
        slots = self.by_line.get(li, [])
        k = next(i for i, s in enumerate(slots) if s is first)
        if k == 0:
            return False
        prev = slots[k - 1]
        between = self.lines[li][prev.piece.col + len(prev.piece.text) : first.piece.col]
        return prev.piece.kind == "word" and _capitalised(prev) and not between.strip()

    @staticmethod
    def _surface(phrase: Phrase, idx: list[int], upper: bool) -> str:
        """The phrase's words for one token, spelled as the lexicon prints them (or in capitals)."""
        text = " ".join(phrase.display[k] if k < len(phrase.display) else phrase.words[k] for k in idx)
        return text.upper() if upper else text

    def _apply(self, m: _Match, confidence: float) -> bool:
        """Print the phrase over its tokens unless a trusted token disagrees; True if it was taken."""
        wanted = [" ".join(m.phrase.words[k] for k in idx) for idx in m.parts]
        for slot, want in zip(m.slots, wanted, strict=True):
            if self._trusted(slot) and _lower(slot.piece.text) != want:
                return False
        upper = _in_capitals([s.piece.text for s in m.slots], self.cfg.capitals_share)
        for slot, idx, want in zip(m.slots, m.parts, wanted, strict=True):
            same_case = not upper or case_pattern(slot.piece.text) == "upper"
            if slot.override is not None or (slot.decoded and slot.word() == want and same_case):
                continue
            slot.override = Override(self._surface(m.phrase, idx, upper), "lexicon", confidence, [])
        return True

    def phrases(self, lines: list[int], body: bool) -> None:
        """Lexicon phrases starting with a capitalised token on ``lines``: every kind in the header and
        signer blocks; in the body user entries, phrases found in the header, and offices and places."""
        conf = self.cfg.lexicon_confidence
        for li in lines:
            for m in self._matches(li, _capitalised):
                key = "".join(fold(s.piece.text) for s in m.slots)
                if len(m.phrase.words) < 2 and not m.phrase.user:
                    continue  # one syllable: the language model knows it as well as a lexicon
                if body and not m.phrase.user and self._inside_capitalised_run(li, m.slots[0]):
                    continue  # "Triệu Quang Trí" is a name, not the province in it
                if body and not _case_agrees(m, self.cfg.capitals_share):
                    continue  # "Đo lường" at a sentence start is no "Đô Lương"
                if body and not (
                    m.phrase.user
                    or key in self.memory
                    or m.phrase.kind in _PHRASE_KINDS_BODY
                    and len(m.slots) >= 2
                ):
                    continue
                if m.phrase.kind == "name" and not m.phrase.user:
                    continue
                if self._apply(m, conf) and not body:
                    self.memory.add(key)

    def fuzzy_header(self, lines: list[int], titles: bool = False) -> None:
        """Header spans too damaged for an exact fold ("SOTAT CHIN", "Phi Yén"): the closest lexicon
        phrase within one edit per ``lexicon_fuzzy_letters`` folded letters if a token shows damage, one
        per ``lexicon_clean_fuzzy_letters`` if none does ("SONG HOA XA HOI": a real word misplaced).
        With ``titles``: the signer titles a seal stamped over ("3K G YAM DOC", "Pie AMADOC")."""
        for li in lines:
            slots = [s for s in self.by_line.get(li, []) if s.piece.kind == "word" and s.override is None]
            i = 0
            while i < len(slots):
                m = self._fuzzy_at(li, slots, i, titles)
                if m is not None and self._apply(m, self.cfg.lexicon_fuzzy_confidence):
                    i += len(m.slots)
                else:
                    i += 1

    def _fuzzy_at(self, li: int, slots: list[Slot], i: int, titles: bool) -> _Match | None:
        """The longest fuzzy phrase match starting at token i (capitalised, unless a title), or None."""
        best: _Match | None = None
        if not (_has_letter(slots[i]) if titles else _capitalised(slots[i])):
            return None
        cfg = self.cfg
        key = ""
        for j in range(i, min(i + cfg.max_phrase_tokens, len(slots))):
            if j > i and not _joinable(self.lines[li], slots[j - 1], slots[j], titles):
                break
            key += fold(slots[j].piece.text)
            # Damage shows: one edit per lexicon_fuzzy_letters letters; else only long spans, sparingly.
            damaged = titles or any(_damaged(s) for s in slots[i : j + 1])
            edits = len(key) // (cfg.lexicon_fuzzy_letters if damaged else cfg.lexicon_clean_fuzzy_letters)
            if not edits or j == i and not titles:
                continue
            keys = self.lex.phrases.keys_near(len(key), edits, titles)
            near = process.extract(key, keys, scorer=Levenshtein.distance, score_cutoff=edits, limit=8)
            # The phrase explaining most letters ("KT. GIÁM ĐỐC" over "GIÁM ĐỐC" for "3K G YAM DOC").
            got = max(near, key=lambda x: (len(x[0]) - 2 * x[1], len(x[0])), default=None)
            phrase = self.lex.phrases.get(got[0]) if got else None
            if phrase is None or len(phrase.words) < 2 or phrase.kind == "name":
                continue
            if (phrase.kind == "title") != titles:
                continue
            parts = _align_fuzzy(slots[i : j + 1], key, got[0], phrase)
            if parts is not None:
                best = _Match(slots[i : j + 1], phrase, parts)
        return best

    def signer_title_lines(self, names: list[list[Slot]]) -> list[int]:
        """The lines just above each signer's name, up to the recipients' list or the body."""
        out: list[int] = []
        for span in names:
            for li in range(span[0].line - 1, max(-1, span[0].line - self.cfg.signer_search_lines - 1), -1):
                text = self.lines[li].strip()
                listed = text[:1] in "-+•" and _letters(text) > 0  # a list item, not a lone speck "+"
                if listed or text.endswith(":") or len(self.by_line.get(li, [])) > 8:
                    break
                out.append(li)
        return out

    def _signer_block(self, span: list[Slot]) -> None:
        """Above a signer's name on a garbled page (up to the recipients' list): the deputy's title a seal
        lay over, written from the "KT." line above it, and the scrawl lines between the title and the
        name, or between the list and the name when no title line is left (:mod:`.signer_block`)."""
        name_line = span[0].line
        block = self.signer_title_lines([span])
        if not block:
            return
        titles = [li for li in block if self._titled(li)]
        top = max(titles) if titles else min(block) - 1
        if titles:
            words = [s.word() for s in self.by_line.get(top, [])]
            below = next((li for li in range(top + 1, name_line) if self.lines[li].strip()), None)
            slots = self.by_line.get(below, []) if below is not None else []
            deputy = signer_block.deputy_title(words, [s.word() for s in slots])
            if deputy and slots and not self._titled(below) and all(s.override is None for s in slots):
                signer_block.write_deputy(slots, deputy)
                top = below
        self.scrawl_lines |= signer_block.scrawl_lines(top, name_line, self._scrawl_line)

    def _header_ghosts(self, header: list[int]) -> None:
        """Header lines of a garbled page that are the line above read again through its rule
        (:func:`signer_block.is_ghost`): OCR noise, taken out with the scrawl."""
        filled = [li for li in header if self.lines[li].strip()]
        for above, li in zip(filled, filled[1:], strict=False):
            words = [s.word() for s in self.by_line.get(li, [])]
            if signer_block.is_ghost(self.lines[li], words, [s.word() for s in self.by_line.get(above, [])]):
                self.scrawl_lines.add(li)

    def _titled(self, li: int) -> bool:
        """A signer title line, also when a title was spelled over one token ("KT’ GIAMDOC")."""
        if self.is_title(li):
            return True
        folded = self._line_fold(li)
        return self._mostly_upper(li) and any(a + b in folded for a, b in _TITLE_PAIRS)

    def _scrawl_line(self, li: int) -> bool:
        """A non-blank line whose tokens are no text (:func:`signer_block.is_scrawl`); a line a lexicon
        phrase was read on is text."""
        slots = self.by_line.get(li, [])
        if any(s.override is not None for s in slots):
            return False
        words = [s.word() for s in slots]
        return bool(self.lines[li].strip()) and signer_block.is_scrawl(words, li in self.coded_lines)

    # --- personal names ---------------------------------------------------------------------------------

    def _candidates(self, slot: Slot, kind: str, misread: bool = False) -> dict[str, float]:
        """Candidate name syllables of one token with their channel scores (the best few by channel and
        name prior)."""
        low = _lower(self._text(slot))
        if self._trusted(slot):
            return {low: 0.0, **self._misread_name(low, kind)} if misread else {low: 0.0}
        scored = []
        for _score, chan, _id, c in self.scored(low, False, True):
            if c.kind in ("keep", "same") or is_valid_syllable(c.word):
                scored.append((chan + self._prior(kind, c.word), c.word, chan))
        scored.sort(reverse=True)
        return {w: chan for _s, w, chan in scored[: self.cfg.name_candidates]} or {low: 0.0}

    def _one_misread(self, span: list[Slot], kinds: list[str]) -> bool:
        """Every word of the name but one is a listed name of its position as printed ("Hoàng Văn" +
        "Tháng"): that one may be a misread name. A line of words that are no names ("DÙ ĐƯỢC NHIỀU
        NGƯỜI", a headline) is no name to correct."""
        unlisted = sum(
            not self.lex.names.is_listed(k, _lower(self._text(s))) for s, k in zip(span, kinds, strict=True)
        )
        return len(span) >= 3 and unlisted <= 1

    def _misread_name(self, low: str, kind: str) -> dict[str, float]:
        """Listed names of ``kind`` that a well-marked word which is no name at all may be, one mark
        apart ("Tháng" is a month, "Thắng" a given name: the Vietnamese model drops a breve), at the
        channel cost of a wrong mark. A listed name as printed stays, however rare."""
        names = self.lex.names
        if any(names.is_listed(k, low) for k in ("surname", "middle", "given")):
            return {}
        out = {}
        for reading in self.lex.names.same_skeleton(kind, low):
            missing, wrong = mark_features(low, reading)
            if missing + wrong == 1:
                out[reading] = self.doc.log_wrong
        return out

    def _prior(self, kind: str, word: str, prev: str = "") -> float:
        """Name prior of a reading; a token kept as it is (no Vietnamese syllable: a foreign or unlisted
        name on a clean page, mostly garble on an OCR'd or unaccented one) gets a fixed share, not the
        floor, so that clean foreign names stay as written."""
        if not is_valid_syllable(word):
            return self.cfg.name_unknown_logp if self.clean_page else self.cfg.keep_unknown_garbled_logp
        return self.lex.names.logp(kind, word, prev)

    def _fallback_channel(self, slot: Slot, word: str) -> float:
        """Channel score of a name syllable the token's own candidate list lacks (another occurrence's)."""
        low = _lower(self._text(slot))
        if strip_diacritics(low) == strip_diacritics(word):
            return self.doc.log_wrong if has_marks(low) else self.doc.log_strip
        return self.doc.log_garble + self.cfg.fuzzy_logp

    def decode_names(self, spans: list[list[Slot]]) -> None:
        """Decode each name (all occurrences of the same fold together) with the name priors."""
        groups: dict[tuple[str, ...], list[list[Slot]]] = defaultdict(list)
        for span in spans:
            if any(s.override is not None for s in span):
                continue
            groups[tuple(fold(self._text(s)) for s in span)].append(span)
        for occurrences in groups.values():
            self._decode_group(occurrences)

    def _decode_group(self, occurrences: list[list[Slot]]) -> None:
        n = len(occurrences[0])
        kinds = ["given"] if n == 1 else ["surname"] + ["middle"] * (n - 2) + ["given"]
        if n > 2 and any(fold(self._text(s)) == "thi" for s in occurrences[0][1:-1]):
            kinds[-1] = FEMALE_GIVEN  # "Lê Thị Thu Hằng": a woman's given name, not "Hùng"
        per_occ = [
            [self._candidates(s, k, self._one_misread(span, kinds)) for s, k in zip(span, kinds, strict=True)]
            for span in occurrences
        ]
        columns: list[dict[str, float]] = []
        for j in range(n):
            words = set().union(*(occ[j] for occ in per_occ))
            column = {}
            for w in words:
                column[w] = sum(
                    occ[j][w] if w in occ[j] else self._fallback_channel(span[j], w)
                    for occ, span in zip(per_occ, occurrences, strict=True)
                )
            columns.append(column)
        best, marginals, whole = _chain(columns, kinds, self._prior, self.cfg)
        chosen = [dict(marginals[j])[best[j]] for j in range(n)]
        weakest = min(range(n), key=chosen.__getitem__)
        for span in occurrences:
            # A name in capitals stays so; otherwise every word is capitalised ("DO Nhu" -> "Đỗ Như").
            upper = _in_capitals([s.piece.text for s in span], self.cfg.capitals_share)
            pattern = "upper" if upper else "title"
            for j, slot in enumerate(span):
                word = best[j]
                if self._trusted(slot) and word == _lower(slot.piece.text):
                    continue  # a clean page's well-marked name stays as printed
                alts = [apply_case(w, pattern) for w, _p in marginals[j] if w != word][:3]
                conf = self._name_confidence(word, kinds[j], chosen[j], whole if j == weakest else 1.0)
                if slot.piece.text[:1].islower() and not self.clean_page:
                    # a name word printed in lower case lost its capital to OCR ("au" for "Châu", "pinh"
                    # for "Đinh"): its letters may have gone with it
                    conf = min(conf, self.cfg.name_unknown_confidence)
                slot.override = Override(apply_case(word, pattern), "name", conf, alts)
                rest = self.glued.get(id(slot))
                if rest is not None and rest.override is None:
                    rest.override = Override("", "name", conf, [])
            self._drop_specks(span)

    def _name_confidence(self, word: str, kind: str, marginal: float, whole: float) -> float:
        """Confidence of one word of a decoded name: its posterior, but a name is right only when all its
        words are, so its least certain word takes the posterior of the whole reading (``whole``; 1.0 for
        the others): the review is sent to that word. On a damaged page a reading that is no Vietnamese
        syllable (garble kept for want of a better one), or a syllable no name of the corpus has in that
        place ("Thun" for "Thuấn": a word, never a given name), is a guess."""
        conf = min(marginal, whole)
        if self.clean_page:
            return conf
        if not is_valid_syllable(word) or not self.lex.names.is_listed(kind, word):
            conf = min(conf, self.cfg.name_unknown_confidence)
        return conf

    # --- the pass -----------------------------------------------------------------------------------------

    def run(self) -> None:
        header = self.header_lines()
        titles, signer_spans = self.signer_names()
        self.phrases(header + titles, body=False)
        self.fuzzy_header(header)
        self.fuzzy_header(self.signer_title_lines(signer_spans), titles=True)
        if self.doc.garbled_doc:
            for span in signer_spans:
                self._signer_block(span)
            self._header_ghosts(header)
        spans = signer_spans + self.titled_names()
        spans += self.repeated_names({tuple(fold(self._text(s)) for s in span) for span in signer_spans})
        spans = list({id(span[0]): span for span in spans}.values())
        span_lines = {s.line for span in spans for s in span}
        # A user's name entry spelled over the whole span wins outright.
        self.phrases(sorted(span_lines), body=True)
        self.decode_names(spans)
        context = set(header) | set(titles) | span_lines
        body = [li for li in self.by_line if li not in context]
        self.phrases(body, body=True)


def _chain(
    columns: list[dict[str, float]], kinds: list[str], prior: Callable[..., float], cfg: RestoreConfig
) -> tuple[list[str], list[list[tuple[str, float]]], float]:
    """Best name, per-position marginals and the posterior of the best name as a whole, of the chain
    surname → middle → given (log10 scores).

    A position's score is its (pooled) channel plus the weighted name prior; the given name's prior
    depends on the syllable before it (the "middle given" pair model).
    """
    w = cfg.name_prior_weight
    words = [sorted(c) for c in columns]
    # Forward (max and sum) over the chain, in natural-log units scaled by the temperature.
    scale = math.log(10.0) / cfg.temperature
    n = len(columns)
    fwd_max: list[dict[str, float]] = []
    fwd_sum: list[dict[str, float]] = []
    back: list[dict[str, str]] = []
    for j in range(n):
        fm, fs, bk = {}, {}, {}
        for c in words[j]:
            base = columns[j][c]
            if j == 0:
                fm[c] = fs[c] = (base + w * prior(kinds[j], c)) * scale
                continue
            best_prev, best_val, terms = "", -math.inf, []
            for p in words[j - 1]:
                step = (base + w * prior(kinds[j], c, p)) * scale
                val = fwd_max[j - 1][p] + step
                if val > best_val:
                    best_prev, best_val = p, val
                terms.append(fwd_sum[j - 1][p] + step)
            fm[c], bk[c], fs[c] = best_val, best_prev, _logsumexp(terms)
        fwd_max.append(fm)
        fwd_sum.append(fs)
        back.append(bk)
    last = max(fwd_max[-1], key=lambda c: fwd_max[-1][c])
    whole = math.exp(fwd_max[-1][last] - _logsumexp(list(fwd_sum[-1].values())))
    best = [last]
    for j in range(n - 1, 0, -1):
        best.append(back[j][best[-1]])
    best.reverse()
    # Backward sums for the marginals.
    bwd: list[dict[str, float]] = [dict.fromkeys(words[-1], 0.0)]
    for j in range(n - 1, 0, -1):
        nxt = bwd[0]
        cur = {}
        for p in words[j - 1]:
            cur[p] = _logsumexp(
                [(columns[j][c] + w * prior(kinds[j], c, p)) * scale + nxt[c] for c in words[j]]
            )
        bwd.insert(0, cur)
    marginals = []
    for j in range(n):
        logs = {c: fwd_sum[j][c] + bwd[j][c] for c in words[j]}
        z = _logsumexp(list(logs.values()))
        marginals.append(sorted(((c, math.exp(v - z)) for c, v in logs.items()), key=lambda x: -x[1]))
    return best, marginals, whole


def _logsumexp(values: list[float]) -> float:
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))
