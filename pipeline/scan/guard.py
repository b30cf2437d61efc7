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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.scan.ocr import PageOcr

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


@dataclass(frozen=True)
class PageCheck:
    """What the guard measured on a page, and why it is unreadable (None when it reads fine)."""

    n_words: int
    mean_confidence: float | None
    valid_syllables: float | None  # share of words that are Vietnamese syllables
    ink: float  # share of the page's pixels that are ink
    problem: str | None


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
    return PageCheck(len(words), round(conf, 2), round(share, 3), ink, problem)
