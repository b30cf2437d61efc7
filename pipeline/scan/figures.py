"""Figures read with doubt are read again, each word on its own, by two models, and put to the vote.

Dates and numbers carry the fields archivists search by (the document's number, its date), and a figure
misread is wrong in a way restoration cannot repair: no dictionary or language model tells "20" from "26".
Tesseract reads a figure differently inside its line and alone: on a typewritten page the dotted zero of
"ngày 20" was read "26" (confidence 77) in its line and "20" alone, by ``vie`` (94) and by ``eng`` (95).
But a reading alone is no better by itself: the same page's "10" was read "16" alone by ``vie`` (93, more
confident than the right reading in the line) and "10" by ``eng``.

So after a page is read, every word made only of figures and their punctuation ("20", "2021",
"18/02/2022") read with less than :data:`DOUBTFUL_CONFIDENCE` is cut out of the page, the cuts are stacked
one under another, and the stack is read twice, by the page's model and by ``eng`` (a Latin model: figures
are the same in every language, and its fonts differ). Each word then has three readings, and the one at
least two agree on is kept: the word changes only when both new readings agree against the old one. A new
reading must also keep the word's shape (as many characters, the same separators in the same places). A
page without doubtful figures costs nothing; a page with some, two Tesseract calls on a small image (about
0.3-0.5 s of CPU together).
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
# The second reader, a model of the Latin script's printed figures.
SECOND_MODEL = "eng"
# Margin around a word's box, in word heights, and the white space between two cuts, in cut heights.
MARGIN = 0.3
GAP = 1.0


def reread_figures(page: np.ndarray, lines: list[OcrLine], *, lang: str, timeout_s: float) -> int:
    """Read the doubtful words of figures of ``lines`` again alone and keep the reading two of three
    agree on (see the module's docstring); the lines are updated in place. Returns how many words
    changed."""
    doubtful = [
        (line, i)
        for line in lines
        for i, word in enumerate(line.words)
        if word.conf < DOUBTFUL_CONFIDENCE and FIGURES.match(word.text)
    ]
    if not doubtful or SECOND_MODEL not in tesseract.available_languages():
        return 0
    stacked, spans = _stack([line.words[i] for line, i in doubtful], page)
    readers = [
        tesseract.recognize_words(stacked, lang=model, psm=4, timeout_s=timeout_s)
        for model in (lang, SECOND_MODEL)
    ]
    changed = 0
    for (line, i), (top, bottom) in zip(doubtful, spans, strict=True):
        old = line.words[i]
        new = [[w for w in read if top <= w.top + w.height / 2 < bottom] for read in readers]
        if any(len(found) != 1 for found in new):
            continue
        first, second = new[0][0], new[1][0]
        if first.text != second.text or not same_shape(first.text, old.text):
            continue
        line.words[i] = replace(old, text=first.text, conf=min(first.conf, second.conf))
        line.text = " ".join(w.text for w in line.words)
        line.conf = float(np.mean([w.conf for w in line.words]))
        changed += 1
    return changed


def same_shape(text: str, old: str) -> bool:
    """Whether ``text`` is another reading of the figures ``old``: as long, differing in figures only (a
    cut never adds or drops a separator); the same reading is no other one."""
    if text == old or len(text) != len(old):
        return False
    return all(a == b or (a.isdigit() and b.isdigit()) for a, b in zip(text, old, strict=True))


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
