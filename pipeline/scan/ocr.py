"""Stage 3: OCR a preprocessed page in reading order, keeping word confidences.

The page is cut into the blocks found by :mod:`pipeline.scan.layout` (two-column zones read left column, then
right column), the blocks are stacked into one tall image and Tesseract reads that image in a single call:
one call per page keeps Tesseract's start-up cost (loading the ``vie`` model) to once a page, as for plain
Tesseract, while the reading order is ours. Word boxes are mapped back to page coordinates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from pipeline.external import tesseract
from pipeline.scan import layout
from pipeline.timing import Stopwatch

BLOCK_GAP_PX = 40
# A word made only of these at the start or end of a line is a speck or seal remnant, not text: no line
# of an official document begins with "„" or ";." nor ends with a lone quote.
_STRAY_MARK = re.compile(r"^[„;.,:'`~_|^¸˛‚°º]+$")
# ... unless it is punctuation a line really ends with (" ." and ", ." typed with a space, "...") or
# begins with (an ellipsis), read confidently and set a space from the text: a speck read as "." is
# usually read with low confidence or lies far from the last word.
_END_PUNCTUATION = re.compile(r"^[.,:;…]+$")
_START_PUNCTUATION = re.compile(r"^(\.\.\.|…)$")
STRAY_MAX_CONF = 60.0  # a mark read with less confidence than this is a speck
# A mark further from its neighbour than this many word heights (and this many of the line's usual word
# gaps) is isolated: a space is 0.3-0.6 word heights, even in a justified line.
ISOLATED_HEIGHTS = 1.0
ISOLATED_GAPS = 2.5
# Marks glued to a word's letters that no Vietnamese word carries: a fold or ruled line read as "|" before
# "chức", a speck as "." or ";" before "rào", border toner as "_" before "UBND". An ellipsis ("...và") and
# quotes are real and stay.
_GLUED_LEAD = re.compile(r"^(?!\.\.\.|…)[|¦_~;:.]+(?=[^\W\d_])")
_GLUED_TRAIL = re.compile(r"(?<=[^\W\d_])[|¦_~^]+$")
# Something crossed a word that had a mark glued to it: its letters are doubtful, so it is to review
# (below pipeline.review.LOW_OCR_CONFIDENCE).
GLUED_MARK_MAX_CONF = 50.0
# Tesseract's "single column of text of variable sizes": the stacked blocks are exactly that.
STACKED_PSM = 4


@dataclass
class OcrWord:
    text: str
    conf: float  # 0..100
    bbox: tuple[int, int, int, int]  # left, top, right, bottom in the preprocessed page


@dataclass
class OcrLine:
    text: str
    conf: float
    bbox: tuple[int, int, int, int]
    block: int  # index of the layout segment it came from
    words: list[OcrWord] = field(default_factory=list)
    stray: list[OcrWord] = field(default_factory=list)  # marks trimmed from the line's ends

    def fit_words(self) -> None:
        """Text, confidence and box from the line's words (after words were trimmed, added or read again)."""
        self.text = " ".join(w.text for w in self.words)
        self.conf = float(np.mean([w.conf for w in self.words]))
        self.bbox = (
            min(w.bbox[0] for w in self.words),
            min(w.bbox[1] for w in self.words),
            max(w.bbox[2] for w in self.words),
            max(w.bbox[3] for w in self.words),
        )


@dataclass
class PageOcr:
    lines: list[OcrLine]
    segments: list[layout.Segment]
    timings: dict[str, float] = field(default_factory=dict)  # CPU ms: layout, tesseract, lines
    # "blocks": read in sohoa's blocks (layout's columns); "plain": as one block, Tesseract's own layout
    reading: str = "blocks"
    # what may hide text from any reading of the page (``layout.PageLayout.hidden``): a smear over lines
    hidden: list[str] = field(default_factory=list)
    # the text lines the layout found on the page (``layout.PageLayout.lines``; none for a plain reading)
    line_boxes: list[layout.Box] = field(default_factory=list)

    @property
    def mean_conf(self) -> float | None:
        confs = [w.conf for line in self.lines for w in line.words]
        return float(np.mean(confs)) if confs else None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def ocr_page(
    page: np.ndarray, dpi: int, *, lang: str = "vie", timeout_s: float = 180.0, columns: bool = True
) -> PageOcr:
    """OCR a single-channel page; ``columns=False`` reads it as one block (Tesseract's own layout)."""
    h, w = page.shape[:2]
    clock = Stopwatch()
    with clock("layout"):
        if columns:
            found = layout.find_layout(page, dpi)
        else:
            found = layout.PageLayout([layout.Segment(layout.Box(0, 0, w, h), "full")])
        segments = found.segments
        stacked, offsets = _stack(page, segments)
    psm = STACKED_PSM if columns else 3
    with clock("tesseract"):
        words = tesseract.recognize_words(stacked, lang=lang, psm=psm, timeout_s=timeout_s)
    with clock("lines"):
        lines = _lines(words, offsets, segments)
        kept = [ln for ln in lines if not is_noise(ln)]  # lines of marks only: specks, not text
    reading = "blocks" if columns else "plain"
    return PageOcr(kept, segments, clock.ms, reading, found.hidden, found.lines)


def is_noise(line: OcrLine) -> bool:
    """Lines Tesseract 'read' from specks, signatures or seal remnants: low confidence and few letters.

    A real text line has at least one confidently read word, or is mostly letters and digits.
    """
    chars = [c for c in line.text if not c.isspace()]
    if not chars:
        return True
    alnum = sum(c.isalnum() for c in chars) / len(chars)
    best = max(w.conf for w in line.words)
    return (line.conf < 45 and best < 80) or (alnum < 0.5 and best < 85)


def _stack(page: np.ndarray, segments: list[layout.Segment]) -> tuple[np.ndarray, list[int]]:
    """Paste the segments one under another on white; returns the image and each segment's top in it."""
    width = max(s.box.width for s in segments) + 2 * BLOCK_GAP_PX
    height = sum(s.box.height for s in segments) + BLOCK_GAP_PX * (len(segments) + 1)
    stacked = np.full((height, width), 255, dtype=np.uint8)
    offsets = []
    y = BLOCK_GAP_PX
    for seg in segments:
        b = seg.box
        stacked[y : y + b.height, BLOCK_GAP_PX : BLOCK_GAP_PX + b.width] = page[
            b.top : b.bottom, b.left : b.right
        ]
        offsets.append(y)
        y += b.height + BLOCK_GAP_PX
    return stacked, offsets


# A stack of cuts is read in calls of at most this height (pixels): Tesseract refuses an image over 32,767
# pixels high, and a page that lost most of its lines would give more.
MAX_STACK_HEIGHT = 20_000


def read_cuts(
    page: np.ndarray, boxes: list[tuple[int, int, int, int]], *, margin: float, lang: str, timeout_s: float
) -> list[list[tuple[tuple[int, int, int], OcrWord]]]:
    """Each box (left, top, right, bottom) of ``page`` read on its own: cut out with ``margin`` of its
    height around it, the cuts stacked on white one under another and read together (``--psm 4``, a
    column of lines). Per box, the words read in its cut, in page coordinates, each with the key of its
    line in the reading (block, paragraph, line)."""
    out: list[list[tuple[tuple[int, int, int], OcrWord]]] = []
    cuts = []
    for left, top, right, bottom in boxes:
        pad = max(2, round(margin * (bottom - top)))
        x0, y0 = max(0, left - pad), max(0, top - pad)
        cuts.append((x0, y0, page[y0 : bottom + pad, x0 : right + pad]))
    gap = max(8, max((cut.shape[0] for _, _, cut in cuts), default=0))
    start = 0
    while start < len(cuts):
        end, height = start, gap
        while end < len(cuts) and (end == start or height + cuts[end][2].shape[0] + gap <= MAX_STACK_HEIGHT):
            height += cuts[end][2].shape[0] + gap
            end += 1
        out.extend(_read_stack(cuts[start:end], gap, height, lang, timeout_s))
        start = end
    return out


def _read_stack(
    cuts: list[tuple[int, int, np.ndarray]], gap: int, height: int, lang: str, timeout_s: float
) -> list[list[tuple[tuple[int, int, int], OcrWord]]]:
    """The cuts pasted a gap apart and read in one call; per cut, its words back in page coordinates (the
    bands around the cuts touch, so every word read falls in one)."""
    stacked = np.full((height, max(cut.shape[1] for _, _, cut in cuts) + 2 * gap), 255, np.uint8)
    bands = []
    y = gap
    for x0, y0, cut in cuts:
        stacked[y : y + cut.shape[0], gap : gap + cut.shape[1]] = cut
        bands.append((y - gap // 2, y + cut.shape[0] + gap // 2, x0 - gap, y0 - y))
        y += cut.shape[0] + gap
    words = tesseract.recognize_words(stacked, lang=lang, psm=STACKED_PSM, timeout_s=timeout_s)
    return [
        [
            (
                (w.block, w.par, w.line),
                OcrWord(
                    w.text, w.conf, (w.left + dx, w.top + dy, w.left + w.width + dx, w.top + w.height + dy)
                ),
            )
            for w in words
            if top <= w.top + w.height / 2 < bottom
        ]
        for top, bottom, dx, dy in bands
    ]


def _lines(
    words: list[tesseract.TesseractWord], offsets: list[int], segments: list[layout.Segment]
) -> list[OcrLine]:
    lines: list[OcrLine] = []
    current_key = None
    for word in words:
        centre = word.top + word.height / 2
        seg_index = max(0, int(np.searchsorted(offsets, centre, side="right")) - 1)
        seg = segments[seg_index].box
        dx = seg.left - BLOCK_GAP_PX
        dy = seg.top - offsets[seg_index]
        bbox = (word.left + dx, word.top + dy, word.left + word.width + dx, word.top + word.height + dy)
        key = (word.block, word.par, word.line)
        if key != current_key:
            lines.append(OcrLine("", 0.0, bbox, seg_index))
            current_key = key
        lines[-1].words.append(_unglued(OcrWord(word.text, word.conf, bbox)))
    for line in lines:
        _trim_stray_marks(line)
        if not line.words:  # nothing but marks: kept (as noise, see is_noise) with its marks
            continue
        line.fit_words()
    return lines


def _unglued(word: OcrWord) -> OcrWord:
    """The word without marks glued to its letters (see ``_GLUED_LEAD``), then with a capped confidence."""
    text = _GLUED_TRAIL.sub("", _GLUED_LEAD.sub("", word.text))
    if text == word.text:
        return word
    return OcrWord(text, min(word.conf, GLUED_MARK_MAX_CONF), word.bbox)


def _trim_stray_marks(line: OcrLine) -> None:
    """Move specks read as marks (or as one letter, see :func:`_is_stray_letter`) off the ends of the line
    into ``line.stray``; real punctuation stays."""
    while line.words and _is_stray(line.words, 0, _START_PUNCTUATION):
        line.stray.append(line.words.pop(0))
    while line.words and _is_stray(line.words, len(line.words) - 1, _END_PUNCTUATION):
        line.stray.append(line.words.pop())


def _is_stray(words: list[OcrWord], i: int, punctuation: re.Pattern) -> bool:
    if _STRAY_MARK.match(words[i].text):
        return not _is_real_punctuation(words, i, punctuation)
    return _is_stray_letter(words, i)


def _is_stray_letter(words: list[OcrWord], i: int) -> bool:
    """A single character at an end of its line, read with low confidence and far from the line's text: a
    speck or a stamp's fragment read as a letter ("ngành, R" with "R" read at 22 a third of the page away).
    A real one-letter word at a line's end sits a space from its neighbour, or is read confidently."""
    word = words[i]
    return len(words) >= 2 and len(word.text) == 1 and word.conf < STRAY_MAX_CONF and _isolated(words, i)


def _is_real_punctuation(words: list[OcrWord], i: int, pattern: re.Pattern) -> bool:
    """Whether the mark ``words[i]`` at an end of its line is punctuation: confident and not isolated."""
    mark = words[i]
    if len(words) < 2 or not pattern.match(mark.text) or mark.conf < STRAY_MAX_CONF:
        return False
    return not _isolated(words, i)


def _isolated(words: list[OcrWord], i: int) -> bool:
    """Whether ``words[i]``, at an end of its line, lies further from its neighbour than a space can be."""
    mark = words[i]
    neighbour = words[i - 1] if i else words[1]
    gap = mark.bbox[0] - neighbour.bbox[2] if i else neighbour.bbox[0] - mark.bbox[2]
    others = words[:i] + words[i + 1 :]
    heights = [w.bbox[3] - w.bbox[1] for w in others if not _STRAY_MARK.match(w.text)]
    height = float(np.median(heights)) if heights else float(neighbour.bbox[3] - neighbour.bbox[1])
    gaps = [b.bbox[0] - a.bbox[2] for a, b in zip(others, others[1:], strict=False)]
    usual = ISOLATED_GAPS * float(np.median(gaps)) if gaps else 0.0
    return gap > max(ISOLATED_HEIGHTS * height, usual)
