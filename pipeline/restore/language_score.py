"""vietnamese_share: a cheap "is this page Vietnamese?" score for the batch's language filter.

Uses only the rule-based syllable check on diacritic-stripped words (digits and symbols an English OCR
model puts for Vietnamese letters are folded back first: "t6" -> "to"), so it needs no model files and
scores garbled legacy OCR high and English prose low.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.restore.normalize import strip_diacritics
from pipeline.restore.syllables import is_skeleton
from pipeline.restore.tokenize import LETTER

_TOKEN = re.compile(r"[^\s\"'“”‘’()\[\]{},.;:!?…/\\|<>*=+_–—-]+")
# The most likely letter behind the commonest garble characters (the strongest seed rules of channel.py):
# one letter each is enough to make "t6" and "S¢" count as syllable skeletons.
_FOLD = str.maketrans({"6": "o", "0": "o", "1": "l", "4": "a", "&": "o", "¢": "o", "§": "o", "@": "o"})
# A sample of this many tokens (from the first _MAX_CHARS characters) decides: the score is a share, and
# huge texts must not cost more than a page's worth of checks.
_MAX_TOKENS = 20_000
_MAX_CHARS = 400_000


@lru_cache(maxsize=50_000)
def _is_vietnamese_token(token: str) -> bool:
    skel = strip_diacritics(token.lower().translate(_FOLD))
    return skel.isascii() and skel.isalpha() and is_skeleton(skel)


def vietnamese_share(text: str) -> float:
    """Share of alphabetic word tokens whose stripped lowercase form is a Vietnamese syllable skeleton."""
    if not isinstance(text, str) or not text:
        return 0.0
    tokens = [t for t in _TOKEN.findall(text[:_MAX_CHARS])[:_MAX_TOKENS] if LETTER.search(t)]
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if _is_vietnamese_token(t)) / len(tokens)
