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

BLOCK_GAP_PX = 40
# A word made only of these at the start or end of a line is a speck or seal remnant, not text: no line
# of an official document begins with "„" or ";." nor ends with a lone quote.
_STRAY_MARK = re.compile(r"^[„;.,:'`~_|^¸˛‚]+$")
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


@dataclass
class PageOcr:
    lines: list[OcrLine]
    segments: list[layout.Segment]
    noise: list[OcrLine] = field(default_factory=list)  # dropped as non-text, kept for the record

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
    if columns:
        segments = layout.find_segments(page, dpi)
    else:
        segments = [layout.Segment(layout.Box(0, 0, w, h), "full")]
    stacked, offsets = _stack(page, segments)
    psm = STACKED_PSM if columns else 3
    words = tesseract.recognize_words(stacked, lang=lang, psm=psm, timeout_s=timeout_s)
    lines = _lines(words, offsets, segments)
    return PageOcr([ln for ln in lines if not is_noise(ln)], segments, [ln for ln in lines if is_noise(ln)])


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
        lines[-1].words.append(OcrWord(word.text, word.conf, bbox))
    for line in lines:
        _trim_stray_marks(line)
        if not line.words:  # nothing but marks: kept (as noise, see is_noise) with its marks
            continue
        line.text = " ".join(w.text for w in line.words)
        line.conf = float(np.mean([w.conf for w in line.words]))
        line.bbox = (
            min(w.bbox[0] for w in line.words),
            min(w.bbox[1] for w in line.words),
            max(w.bbox[2] for w in line.words),
            max(w.bbox[3] for w in line.words),
        )
    return lines


def _trim_stray_marks(line: OcrLine) -> None:
    while line.words and _STRAY_MARK.match(line.words[0].text):
        line.stray.append(line.words.pop(0))
    while line.words and _STRAY_MARK.match(line.words[-1].text):
        line.stray.append(line.words.pop())
