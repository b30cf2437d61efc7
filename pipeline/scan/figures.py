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
reading must also keep the word's shape (the same separators between runs of figures, at most one figure
more or fewer). A
word all three read alike is confirmed, and takes the new readings' confidence: a date read right but at
81 would otherwise send its field to review. A
page without doubtful figures costs nothing; a page with some, two Tesseract calls on a small image (about
0.3-0.5 s of CPU together).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from pipeline.external import tesseract
from pipeline.scan import ocr
from pipeline.scan.ocr import OcrLine

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
    changed their text (a confirmed word changes its confidence only)."""
    doubtful = [
        (line, i)
        for line in lines
        for i, word in enumerate(line.words)
        if word.conf < DOUBTFUL_CONFIDENCE and FIGURES.match(word.text)
    ]
    if not doubtful or SECOND_MODEL not in tesseract.available_languages():
        return 0
    stacked, cuts = ocr.stack_cuts(page, [line.words[i].bbox for line, i in doubtful], MARGIN)
    readers = [
        tesseract.recognize_words(stacked, lang=model, psm=4, timeout_s=timeout_s)
        for model in (lang, SECOND_MODEL)
    ]
    changed = 0
    for (line, i), cut in zip(doubtful, cuts, strict=True):
        old = line.words[i]
        new = [[w for w in read if cut.top <= w.top + w.height / 2 < cut.bottom] for read in readers]
        if any(len(found) != 1 for found in new) or new[0][0].text != new[1][0].text:
            continue
        text, conf = new[0][0].text, min(new[0][0].conf, new[1][0].conf)
        if text == old.text:  # confirmed: as sure as its least sure new reader
            line.words[i] = replace(old, conf=max(old.conf, conf))
        elif same_shape(text, old.text):
            line.words[i] = replace(old, text=text, conf=conf)
            changed += 1
        else:
            continue
        line.text = " ".join(w.text for w in line.words)
        line.conf = float(np.mean([w.conf for w in line.words]))
    return changed


def same_shape(text: str, old: str) -> bool:
    """Whether ``text`` is another reading of the figures ``old``: the same separators in the same order
    between runs of figures, and at most one figure more or fewer (a dotted zero read as "06": "20621"
    for "2021"); the same reading is no other one."""
    return text != old and abs(len(text) - len(old)) <= 1 and _RUNS.sub("0", text) == _RUNS.sub("0", old)
