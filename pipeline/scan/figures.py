"""Figures read with doubt are read again, each word on its own.

Dates and numbers carry the fields archivists search by (the document's number, its date), and a figure
misread is wrong in a way restoration cannot repair: no dictionary or language model tells "20" from "26".
Tesseract reads a figure worse inside its line than alone: on a typewritten page the dotted zero of
"ngày 20" was read "26" (confidence 77) in the line and "20" (94) alone, with the same ``vie`` model. So
after a page is read, every word made only of figures and their punctuation ("20", "2021", "18/02/2022")
read with less than :data:`DOUBTFUL_CONFIDENCE` is cut out of the page, the cuts are stacked one under
another and read in a single Tesseract call (one word per line, ``--psm 4``), and the new reading replaces
the old one when it is more confident by :data:`BETTER_BY`, has the same characters except figures, and as
many of them. A page without doubtful figures costs nothing; a page with some, one Tesseract call (about
0.2-0.4 s of CPU).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from pipeline.external import tesseract
from pipeline.scan.ocr import OcrLine, OcrWord

# A word of figures: digits with the separators of dates, numbers and times, at least one digit.
FIGURES = re.compile(r"^(?=.*\d)[\d./\-:,]+$")
# Read with less confidence than this, a word of figures is read again (well-read figures score 90-96).
DOUBTFUL_CONFIDENCE = 88.0
# The word's new reading replaces the old one only when this much more confident.
BETTER_BY = 8.0
# Margin around a word's box, in word heights, and the white space between two cuts, in cut heights.
MARGIN = 0.3
GAP = 1.0


def reread_figures(page: np.ndarray, lines: list[OcrLine], *, lang: str, timeout_s: float) -> int:
    """Read the doubtful words of figures of ``lines`` again alone (see the module's docstring); the
    lines are updated in place. Returns how many words changed."""
    doubtful = [
        (line, i)
        for line in lines
        for i, word in enumerate(line.words)
        if word.conf < DOUBTFUL_CONFIDENCE and FIGURES.match(word.text)
    ]
    if not doubtful:
        return 0
    stacked, spans = _stack([line.words[i] for line, i in doubtful], page)
    read = tesseract.recognize_words(stacked, lang=lang, psm=4, timeout_s=timeout_s)
    changed = 0
    for (line, i), (top, bottom) in zip(doubtful, spans, strict=True):
        found = [w for w in read if top <= w.top + w.height / 2 < bottom]
        old = line.words[i]
        if len(found) != 1 or not _better(found[0].text, found[0].conf, old):
            continue
        line.words[i] = replace(old, text=found[0].text, conf=found[0].conf)
        line.text = " ".join(w.text for w in line.words)
        line.conf = float(np.mean([w.conf for w in line.words]))
        changed += 1
    return changed


def _better(text: str, conf: float, old: OcrWord) -> bool:
    """Whether ``text`` read with ``conf`` is a better reading of the figures ``old``: more confident by
    BETTER_BY, as long, and differing in figures only (a cut never adds or drops a separator)."""
    if text == old.text or conf < old.conf + BETTER_BY or len(text) != len(old.text):
        return False
    return all(a == b or (a.isdigit() and b.isdigit()) for a, b in zip(text, old.text, strict=True))


def _stack(words: list[OcrWord], page: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The words cut out of ``page`` with a margin, stacked on white one under another (left-aligned):
    the image and each cut's (top, bottom) band in it, bands touching so that every word falls in one."""
    cuts = []
    for word in words:
        left, top, right, bottom = word.bbox
        pad = max(2, round(MARGIN * (bottom - top)))
        cuts.append(
            page[max(0, top - pad) : min(page.shape[0], bottom + pad), max(0, left - pad) : right + pad]
        )
    gap = max(8, round(GAP * max(cut.shape[0] for cut in cuts)))
    height = sum(cut.shape[0] for cut in cuts) + gap * (len(cuts) + 1)
    width = max(cut.shape[1] for cut in cuts) + 2 * gap
    stacked = np.full((height, width), 255, np.uint8)
    spans = []
    y = gap
    for cut in cuts:
        stacked[y : y + cut.shape[0], gap : gap + cut.shape[1]] = cut
        spans.append((y - gap // 2, y + cut.shape[0] + gap // 2))
        y += cut.shape[0] + gap
    return stacked, spans
