"""Multi-syllable terms of each section ("thi đua", "khen thưởng", "ủy ban nhân dân"), with their counts.

Vietnamese writes one syllable per word-space, so "thi đua" is two tokens to a whitespace split; the word
segmentation of underthesea (``word_tokenize``, a CRF model shipped inside the package: nothing is
downloaded) joins the syllables of a word. A term is such a word of two or more syllables, in lower case.
Each section is counted on its own text (heading and body up to its first subsection), so a document's
terms add up over its sections without counting a line twice; to get a top-level section with its
subsections, add the rows of the sections whose ``parent_order`` leads to it.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

from .text import is_caps

MIN_SYLLABLES = 2
MAX_LINE_CHARS = 1_000  # a printed line is far shorter: longer ones are junk, cut to keep the cost bounded
MAX_TEXT_CHARS = 50_000  # a section longer than this (some 800 lines) is counted on its first part only
# Segmentation sometimes leaves the conjunction at the edge of a chunk ("sở giáo dục và").
_EDGE_WORDS = frozenset({"và", "hoặc"})

_log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], list[str]] | None:
    """underthesea's word segmentation, loaded once per process (about 3 s), or None if unavailable."""
    try:
        from underthesea import word_tokenize
    except Exception:  # a broken install must not stop the batch: terms are left empty
        _log.warning("underthesea is not available: section terms are left empty", exc_info=True)
        return None
    return word_tokenize


def warm_up() -> None:
    """Load the word segmentation now (a worker does it before its first task, not inside one)."""
    tokenize = _segmenter()
    if tokenize is not None:
        tokenize("thi đua")  # the model itself is read on the first call


def _term(token: str) -> str | None:
    syllables = unicodedata.normalize("NFC", token).lower().split()
    while syllables and syllables[0] in _EDGE_WORDS:
        syllables = syllables[1:]
    while syllables and syllables[-1] in _EDGE_WORDS:
        syllables = syllables[:-1]
    if len(syllables) < MIN_SYLLABLES or not all(s.isalpha() for s in syllables):
        return None
    return " ".join(syllables)


def section_terms(text: str) -> list[tuple[str, int]]:
    """Multi-syllable terms of ``text`` with their counts, most frequent first (then alphabetical).

    Lines set in capitals are lowered first: the segmenter was trained on running text.
    """
    tokenize = _segmenter()
    if tokenize is None or not text.strip():
        return []
    lines = [line[:MAX_LINE_CHARS] for line in text[:MAX_TEXT_CHARS].splitlines()]
    lines = [line.lower() if is_caps(line) else line for line in lines]
    counts: Counter[str] = Counter()
    for token in tokenize("\n".join(line for line in lines if line.strip())):
        term = _term(token)
        if term:
            counts[term] += 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def terms_by_section(lines: Sequence[str], spans: Sequence[tuple[int, int, int]]) -> list[dict]:
    """Rows ``{section_order, term, count}`` for sections given as (order, first line, last line)."""
    rows: list[dict] = []
    for order, first, last in spans:
        text = "\n".join(lines[first : last + 1])
        rows.extend(
            {"section_order": order, "term": term, "count": count} for term, count in section_terms(text)
        )
    return rows
