"""Figures read with doubt are read again, each word on its own, by two models, and put to the vote.

Dates and numbers carry the fields archivists search by (the document's number, its date), and a figure
misread is wrong in a way restoration cannot repair: no dictionary or language model tells "20" from "26".
Tesseract reads a figure differently inside its line and alone: on a typewritten page the dotted zero of
"ngày 20" was read "26" (confidence 77) in its line and "20" alone, by ``vie`` (94) and by ``eng`` (95).
But a reading alone is no better by itself: the same page's "10" was read "16" alone by ``vie`` (93, more
confident than the right reading in the line) and "10" by ``eng``.

So after a page is read, every word made only of figures and their punctuation ("20", "2021",
"18/02/2022") read with less than :data:`DOUBTFUL_CONFIDENCE` is cut out of the page, the cuts are stacked
one under another and read again by the page's model, in one Tesseract call. A word read alone as it was
read in its line stays as it is; one read otherwise is disputed, and ``eng`` (a Latin model: figures are the
same in every language, and its fonts differ) reads the disputed ones, in one more call. The reading two of
the three agree on is kept: the word changes only when both new readings agree against the old one, and
keep its shape (the same separators between runs of figures, at most one figure more or fewer). A page
without doubtful figures costs nothing; one with some, a Tesseract call on a small image (0.1-0.3 s of
CPU), and a second one when a reading is disputed.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from pipeline.external import tesseract
from pipeline.scan import ocr
from pipeline.scan.ocr import OcrLine, OcrWord

# A word of figures: digits with the separators of dates, numbers and times, at least one digit.
FIGURES = re.compile(r"^(?=.*\d)[\d./\-:,]+$")
_RUNS = re.compile(r"\d+")
# Read with less confidence than this, a word of figures is read again (well-read figures score 90-96).
DOUBTFUL_CONFIDENCE = 88.0
# The second reader, a model of the Latin script's printed figures.
SECOND_MODEL = "eng"
# Margin around a word's box, in word heights.
MARGIN = 0.3


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
    first = _read_alone(page, [line.words[i] for line, i in doubtful], lang, timeout_s)
    disputed = [
        (line, i, new)
        for (line, i), new in zip(doubtful, first, strict=True)
        if new is not None and same_shape(new.text, line.words[i].text)
    ]
    if not disputed:
        return 0
    second = _read_alone(page, [line.words[i] for line, i, _ in disputed], SECOND_MODEL, timeout_s)
    changed = 0
    for (line, i, new), other in zip(disputed, second, strict=True):
        if other is None or other.text != new.text:
            continue  # the old reading and one new one against the other: no majority for a change
        line.words[i] = replace(line.words[i], text=new.text, conf=min(new.conf, other.conf))
        line.fit_words()
        changed += 1
    return changed


def _read_alone(page: np.ndarray, words: list[OcrWord], model: str, timeout_s: float) -> list[OcrWord | None]:
    """Each word's cut read on its own by ``model`` (one Tesseract call for all): the one word read in it,
    or None when it was read as none or as several."""
    cuts = ocr.read_cuts(page, [word.bbox for word in words], margin=MARGIN, lang=model, timeout_s=timeout_s)
    return [cut[0][1] if len(cut) == 1 else None for cut in cuts]


def same_shape(text: str, old: str) -> bool:
    """Whether ``text`` is another reading of the figures ``old``: the same separators in the same order
    between runs of figures, and at most one figure more or fewer (a dotted zero read as "06": "20621"
    for "2021"); the same reading is no other one."""
    return text != old and abs(len(text) - len(old)) <= 1 and _RUNS.sub("0", text) == _RUNS.sub("0", old)
