"""Which words a person must check: one rule for the tables, the report and ``Results.tokens()``.

A word is *to review* when either step was unsure of it: Tesseract read it with a low confidence, or the
restoration chose its form with a low posterior. Neither alone is enough: a word Tesseract could barely see
(confidence 0) may still get restoration confidence 1.00, because the language model likes what it was given.

The restoration reports tokens by (line, column) of the raw text; a scanned page's OCR lines hold words with
confidences, and a raw line is its OCR words joined by single spaces. :func:`attach_ocr_confidence` gives each
token the confidence of the OCR word it lies in, so that every later reader applies the same rule to the
stored tokens. Tokens of a text dump have no OCR confidence (None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# Tesseract word confidence (0-100) below which a word is to review.
LOW_OCR_CONFIDENCE = 60.0
# Restoration posterior (0-1) below which a restored token is to review.
LOW_CONFIDENCE = 0.8
# The same for a word decoded with the personal-name lexicon (reason "name"). A name is what users look up
# first, and the language model knows least about it: an unmarked given name ("Dung") is Dung, Dũng or Dụng
# with priors near 0.85-0.94 for the commonest, so at 0.8 a wrong name could pass unflagged.
LOW_NAME_CONFIDENCE = 0.95

_PIECE = re.compile(r"\S+")


def to_review(ocr_confidence: float | None, confidence: float | None, reason: str | None = None) -> bool:
    """True when the OCR confidence (0-100, None for text dumps) or the restoration confidence is low
    (stricter for a personal name: ``reason`` "name")."""
    if ocr_confidence is not None and ocr_confidence < LOW_OCR_CONFIDENCE:
        return True
    threshold = LOW_NAME_CONFIDENCE if reason == "name" else LOW_CONFIDENCE
    return confidence is not None and confidence < threshold


def token_to_review(token: dict) -> bool:
    """:func:`to_review` of a stored restoration token (a dict with ``confidence`` and ``ocr_confidence``);
    a word a person corrected or confirmed (``corrected``, :mod:`pipeline.outputs.corrections`) is not."""
    if token.get("corrected"):
        return False
    return to_review(token.get("ocr_confidence"), token.get("confidence"), token.get("reason"))


def count_to_review(tokens: Iterable[dict]) -> int:
    return sum(1 for t in tokens if token_to_review(t))


def attach_ocr_confidence(
    tokens: Iterable[dict], raw_lines: Sequence[str], word_confidences: Sequence[Sequence[float] | None]
) -> None:
    """Set ``ocr_confidence`` on each token: the confidence of the OCR word its first character lies in.

    ``word_confidences[i]`` are the confidences of the words of raw line ``i`` in order (None for a line
    without OCR words). When a line's pieces and words do not pair up one to one, its tokens get the lowest
    word confidence of the line: a doubtful line is better over-reviewed than silently passed.
    """
    spans: dict[int, list[tuple[int, int, float]] | float | None] = {}
    for token in tokens:
        line = int(token["line"])
        if line not in spans:
            spans[line] = _line_spans(raw_lines, word_confidences, line)
        found = spans[line]
        if found is None or isinstance(found, float):
            token["ocr_confidence"] = found
            continue
        col = int(token["col"])
        token["ocr_confidence"] = next((conf for start, end, conf in found if start <= col < end), None)


def _line_spans(
    raw_lines: Sequence[str], word_confidences: Sequence[Sequence[float] | None], line: int
) -> list[tuple[int, int, float]] | float | None:
    confs = word_confidences[line] if 0 <= line < len(word_confidences) else None
    if not confs:
        return None
    raw = raw_lines[line] if line < len(raw_lines) else ""
    pieces = list(_PIECE.finditer(raw))
    if len(pieces) != len(confs):
        return float(min(confs))
    return [(p.start(), p.end(), float(c)) for p, c in zip(pieces, confs, strict=True)]
