"""Page guard: a page whose OCR does not read as Vietnamese, read with reasonable confidence, is unreadable.

Tesseract always returns something. A page fed upside down that orientation missed, a page of noise, a
drawing or a badly damaged copy comes out as garbage with middling confidences (``SunuN 3u9H jq.L``) that
would otherwise reach the text, the tables and the PDF text layer of a document marked ``ok``. The guard
looks at what the OCR produced for the page as a whole: the mean word confidence and the share of words
that are valid Vietnamese syllables (:func:`pipeline.restore.vietnamese_share`). The batch marks an
unreadable page as failed with the reason, so its document is ``partial`` and says which page and why
(``page 2: unreadable (mean confidence 41, 38% valid syllables)``); a page read confidently but not in
Vietnamese says so instead (``text does not look Vietnamese (...)``).

Measured on the sample pages (scans, photocopies, a copy of a copy, typewriter, 200 dpi): readable pages
have a mean confidence of 84-94 and 91-99 % valid syllables; the same pages upside down 42-47 and
17-28 %, a page of noise 28 and 48 %.

The same evidence keeps sohoa never worse than plain Tesseract where its own reading goes wrong
(:func:`read_page`). The page is read in sohoa's blocks (:mod:`pipeline.scan.layout`); when that reading is
poor by its own evidence (below :data:`REREAD_CONFIDENCE` or :data:`REREAD_VALID_SYLLABLES`), the page is
read again plainly, with Tesseract's own layout, and the reading with the better evidence is kept; the page
record says which (``reading``: ``blocks`` or ``plain``). A good page is read once: the second reading costs
only the pages that need it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from pipeline.errors import PageError
from pipeline.scan import figures, missed_lines, ocr
from pipeline.scan.ocr import PageOcr
from pipeline.timing import Stopwatch

# Below this mean word confidence (0-100) a page is unreadable: halfway between the worst readable
# sample page (84) and the best garbage (47), nearer the garbage so that a poor but real page passes.
MIN_PAGE_CONFIDENCE = 60.0
# Below this share of valid Vietnamese syllables a page is unreadable (readable pages: 0.91 and more).
MIN_VALID_SYLLABLES = 0.6
# A page with fewer words than this (a signature page, a page number) is too short to judge.
MIN_WORDS_TO_JUDGE = 10
# A page on which OCR found no word at all but with this share of its pixels inked is not blank: a
# drawing, scribbles, or text the OCR could not see (blank pages after despeckle: under 0.5 %).
NO_TEXT_MIN_INK = 0.02
# A page read in blocks with a mean word confidence or a share of valid syllables below these is read again
# plainly (see the module's docstring). On the benchmark's 50 pages: clean, scanned and photocopied pages
# read 87-95 and 0.85-0.99 (signature pages, their recipients' acronyms no syllables, the lowest shares);
# copies of copies 76-89. At 0.9 six good signature pages were read twice for nothing (1-2 s of CPU each).
REREAD_CONFIDENCE = 85.0
REREAD_VALID_SYLLABLES = 0.8
# The plain reading replaces the blocks' only with evidence better by this much (mean confidence / 100 times
# the share of valid syllables) and with nearly as many letters: a reading that leaves out a column or the
# text under a seal would otherwise win on the confidence of what it kept (letters, not words: a reading
# that breaks words into pieces has more words, not more letters). A typed signature page read plainly
# lost the signer's three title lines under the seal, 7 % of its letters, and read "better" (95 / 0.91
# against 95 / 0.90: its recipients' acronyms are not syllables).
REREAD_MARGIN = 0.02
REREAD_MIN_LETTERS = 0.97


@dataclass(frozen=True)
class PageCheck:
    """What the guard measured on a page, and why it is unreadable (None when it reads fine)."""

    n_words: int
    mean_confidence: float | None
    valid_syllables: float | None  # share of words that are Vietnamese syllables
    ink: float  # share of the page's pixels that are ink
    problem: str | None
    letters: int = 0  # letters in the words read


def check_page(result: PageOcr, page: np.ndarray) -> PageCheck:
    """Judge the OCR of one preprocessed page (dark text on white)."""
    from pipeline.restore import vietnamese_share

    words = [w for line in result.lines for w in line.words if any(c.isalpha() for c in w.text)]
    ink = round(float(np.count_nonzero(page < 128)) / max(1, page.size), 4)
    if not words:
        problem = f"unreadable (no text found, {ink:.0%} inked)" if ink >= NO_TEXT_MIN_INK else None
        return PageCheck(0, None, None, ink, problem)
    conf = float(np.mean([w.conf for w in words]))
    share = vietnamese_share(" ".join(w.text for w in words))
    measured = f"mean confidence {conf:.0f}, {share:.0%} valid syllables"
    problem = None  # also for a page too short to judge
    if len(words) >= MIN_WORDS_TO_JUDGE and conf < MIN_PAGE_CONFIDENCE:
        problem = f"unreadable ({measured})"
    elif len(words) >= MIN_WORDS_TO_JUDGE and share < MIN_VALID_SYLLABLES:  # confident, another language
        problem = f"text does not look Vietnamese ({measured})"
    letters = sum(c.isalpha() for w in words for c in w.text)
    return PageCheck(len(words), round(conf, 2), round(share, 3), ink, problem, letters)


def read_page(
    page: np.ndarray,
    dpi: int,
    *,
    lang: str = "vie",
    timeout_s: float = 180.0,
    columns: bool = True,
    plain_page: np.ndarray | None = None,
) -> tuple[PageOcr, PageCheck]:
    """OCR a preprocessed page in sohoa's blocks, or plainly when that reads better by the page's own
    evidence (see the module's docstring); the result's ``reading`` says which was kept.

    ``plain_page`` is what the plain reading reads (default ``page``): the grey upright page (see
    :func:`plain_source`) reads better plainly than the binarised one, which on a copy of a copy breaks
    letters Tesseract reads whole in grey. Both readings are judged on ``page``'s ink."""
    result = ocr.ocr_page(page, dpi, lang=lang, timeout_s=timeout_s, columns=columns)
    clock = Stopwatch()
    with clock("guard"):
        check = check_page(result, page)
    if columns and needs_second_reading(check):
        with clock("second_reading"):
            plain = ocr.ocr_page(
                page if plain_page is None else plain_page, dpi, lang=lang, timeout_s=timeout_s, columns=False
            )
            plain_check = check_page(plain, page)
        if _better(plain_check, check):
            # the stages' times stay those of the first reading; the second one's cost is apart, and what
            # the layout found (text hidden, the lines) is on the page whichever way it is read
            plain.timings, plain.hidden, plain.line_boxes = result.timings, result.hidden, result.line_boxes
            result, check = plain, plain_check
    # Lines the reading left out, and figures it read with doubt, are read again on their own. The page is
    # read already: should Tesseract fail on these small images, the page stays as it was read.
    with clock("missed_lines"), contextlib.suppress(PageError):
        missed_lines.read_missed_lines(page, result, lang=lang, timeout_s=timeout_s)
    with clock("figures"), contextlib.suppress(PageError):
        figures.reread_figures(page, result.lines, lang=lang, timeout_s=timeout_s)
    result.timings = {**result.timings, **clock.ms}
    return result, check


def plain_source(
    upright: np.ndarray, binary: np.ndarray, marks: list[tuple[int, int, int, int]]
) -> np.ndarray:
    """The grey upright page for a plain reading, with the binarised page inside the boxes of the stamps
    and handwriting preprocessing took off (on a grey scan they are only taken off the binarised page):
    their text must no more reach a plain reading than sohoa's own."""
    if upright.shape != binary.shape:
        return binary
    out = upright.copy()
    for left, top, right, bottom in marks:
        rows, cols = slice(max(0, int(top)), int(bottom)), slice(max(0, int(left)), int(right))
        out[rows, cols] = binary[rows, cols]
    return out


def needs_second_reading(check: PageCheck) -> bool:
    """Whether a page's reading in blocks is poor enough by its own evidence to be read again plainly."""
    if check.n_words < MIN_WORDS_TO_JUDGE:
        return False
    return check.mean_confidence < REREAD_CONFIDENCE or check.valid_syllables < REREAD_VALID_SYLLABLES


def _better(other: PageCheck, first: PageCheck) -> bool:
    """Whether ``other`` reads better than ``first`` by the guard's evidence (see REREAD_MARGIN)."""
    if other.letters < REREAD_MIN_LETTERS * first.letters or other.mean_confidence is None:
        return False
    return _evidence(other) > _evidence(first) + REREAD_MARGIN


def _evidence(check: PageCheck) -> float:
    return (check.mean_confidence or 0.0) / 100.0 * (check.valid_syllables or 0.0)
