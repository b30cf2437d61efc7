"""Text lines the page's reading left out are read on their own and put back in reading order.

Tesseract sometimes reads nothing of a line it is given with the rest of a page: on copies of copies it
left out "Số: 153/KH-SNV" (the document's number), a section heading "IV. KHEN THƯỞNG", a line "65%." and
the signer's block under the seal, on pages marked ``ok``. The layout (:mod:`pipeline.scan.layout`) had
found those lines; the reading just has no word on them. So after a page is read, each line box the layout
found that holds ink but no word read (or a stretch of a line as wide as several words with no word on it)
is cut out, the cuts are stacked and read in one Tesseract call, and what is read there with the
confidence of text (:data:`MIN_CONFIDENCE`, and not noise by :func:`pipeline.scan.ocr.is_noise`) goes
back into the page's lines, in its block, by its height. Specks and rules are no lines of text, nor is a
seal with a signature: a box must be half a line to two lines high and inked like print
(:data:`MIN_INK`). A page with no such box costs nothing more; one with some, one Tesseract call on a
small image (0.2-0.5 s of CPU).
"""

from __future__ import annotations

import numpy as np

from pipeline.scan import ocr
from pipeline.scan.layout import Box, line_height, overlap_share
from pipeline.scan.ocr import OcrLine, OcrWord, PageOcr

# A stretch of a line box with no word on it is missed when it is this many line heights wide.
MIN_WIDTH_LINES = 1.5
# ... and at least this high (in line heights): lower boxes are rules, dotted leaders and speck rows;
# higher ones a seal with a signature over lines (read in a cut, it gave nothing the page had not read).
MIN_HEIGHT_LINES = 0.5
MAX_HEIGHT_LINES = 2.0
# ... and this share of it is ink: a row of print is inked 8-13 %, a row of specks under 1 %.
MIN_INK = 0.04
# A line read in a cut is kept with at least this mean word confidence (the page guard's floor).
MIN_CONFIDENCE = 60.0
# Margin around a cut, in its heights.
MARGIN = 0.3
# A word read in a cut that shares this much of its box with a word the page's reading has is that word
# (a cut of a block several lines high holds the lines that were read in it too).
SAME_WORD = 0.3


def read_missed_lines(page: np.ndarray, result: PageOcr, *, lang: str, timeout_s: float) -> int:
    """Read the line boxes of ``result`` that no word was read on (see the module's docstring) and insert
    the lines read there into ``result.lines``. Returns how many lines were put back."""
    boxes = missed_boxes(page, result)
    if not boxes:
        return 0
    read = [w.bbox for line in result.lines for w in line.words]
    found = []
    for cut in ocr.read_cuts(page, boxes, margin=MARGIN, lang=lang, timeout_s=timeout_s):
        lines: dict[tuple[int, int, int], list[OcrWord]] = {}
        for key, word in cut:  # a cut may hold words the page's reading has
            if not any(overlap_share(word.bbox, other) > SAME_WORD for other in read):
                lines.setdefault(key, []).append(word)
        found.extend(_line(line_words) for line_words in lines.values())
    kept = [line for line in found if _is_text(line)]
    for line in kept:
        _insert(result, line)
    return len(kept)


def missed_boxes(page: np.ndarray, result: PageOcr) -> list[tuple[int, int, int, int]]:
    """The stretches of the layout's line boxes that hold ink like print and no word read: (left, top,
    right, bottom) each."""
    if not result.line_boxes:
        return []
    line = line_height(result.line_boxes)
    words = [w.bbox for ln in result.lines for w in ln.words]
    out = []
    for box in result.line_boxes:
        if not MIN_HEIGHT_LINES * line <= box.height <= MAX_HEIGHT_LINES * line:
            continue
        for left, right in _unread_stretches(box, words, MIN_WIDTH_LINES * line):
            ink = page[box.top : box.bottom, left:right] < 128
            if ink.size and ink.mean() >= MIN_INK:
                out.append((left, box.top, right, box.bottom))
    return out


def _unread_stretches(
    box: Box, words: list[tuple[int, int, int, int]], min_width: float
) -> list[tuple[int, int]]:
    """The stretches (left, right) of ``box`` at least ``min_width`` wide that no word whose centre
    lies in the box covers."""
    covered = sorted(
        (max(box.left, x0), min(box.right, x1))
        for x0, y0, x1, y1 in words
        if box.left <= (x0 + x1) / 2 < box.right and box.top <= (y0 + y1) / 2 < box.bottom
    )
    stretches, start = [], box.left
    for x0, x1 in [*covered, (box.right, box.right)]:
        if x0 - start >= min_width:
            stretches.append((start, x0))
        start = max(start, x1)
    return stretches


def _is_text(line: OcrLine) -> bool:
    """A line read in a cut is text: read with the confidence of text, not noise by the page's own rule,
    with two letters or figures at least (a lone mark is a speck)."""
    return line.conf >= MIN_CONFIDENCE and not ocr.is_noise(line) and sum(c.isalnum() for c in line.text) >= 2


def _line(words: list[OcrWord]) -> OcrLine:
    line = OcrLine("", 0.0, words[0].bbox, 0, words)
    line.fit_words()
    return line


def _insert(result: PageOcr, line: OcrLine) -> None:
    """Put ``line`` into the page's lines: in the block whose box holds its centre, before the first line
    of that block (or of a later one) that lies lower."""
    cx, cy = (line.bbox[0] + line.bbox[2]) / 2, (line.bbox[1] + line.bbox[3]) / 2
    line.block = next(
        (
            i
            for i, seg in enumerate(result.segments)
            if seg.box.left <= cx < seg.box.right and seg.box.top <= cy < seg.box.bottom
        ),
        0,
    )
    at = next(
        (
            i
            for i, other in enumerate(result.lines)
            if other.block > line.block
            or (other.block == line.block and (other.bbox[1] + other.bbox[3]) / 2 > cy)
        ),
        len(result.lines),
    )
    result.lines.insert(at, line)
