"""vietnamese_share: a cheap "is this page Vietnamese?" score for the batch's language filter.

Uses only the rule-based syllable check on diacritic-stripped words, so it needs no model files and
scores garbled legacy OCR ("ngudi" is rare, "thuc", "hien" are fine) high and English prose low.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.restore.normalize import strip_diacritics
from pipeline.restore.syllables import parse

_WORD = re.compile(r"[^\W\d_]+")
_MAX_WORDS = 20_000


@lru_cache(maxsize=50_000)
def _is_skeleton(word: str) -> bool:
    skel = strip_diacritics(word.lower())
    if not skel.isascii() or len(skel) > 7:
        return False
    return parse(skel) is not None or parse(skel.replace("d", "đ", 1)) is not None


def vietnamese_share(text: str) -> float:
    """Share of alphabetic word tokens whose stripped lowercase form is a Vietnamese syllable skeleton."""
    if not isinstance(text, str) or not text:
        return 0.0
    words = _WORD.findall(text[:400_000])[:_MAX_WORDS]
    if not words:
        return 0.0
    return sum(1 for w in words if _is_skeleton(w)) / len(words)
