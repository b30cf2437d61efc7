"""Case of same-shape letters: a capital OCR read inside a sentence where the word is never capitalised.

In a typewriter or other mono face the capitals of c, o, s, v, w, x, z (and the marked o's) are the small
letters drawn taller, and the small l has a foot like the capital L; OCR often takes one for the other:
"chung sức Xây dựng" for "chung sức xây dựng", "thuộc Lĩnh vực" for "thuộc lĩnh vực".
The restoration keeps each token's case as printed, and the language model cannot tell case, so such a
capital stays. Inside a sentence, right after a lowercase word with only a space between, most syllables
are never capitalised, and a few often are (names and offices: "ông Xuân", "sở Công thương"). The table
``case_inside.tsv`` (built by ``scripts/build_case.py`` from the training corpus) says how often each
same-shape syllable stands there and how often it is capitalised; a capitalised token whose share is tiny
is lowercased (reason ``case``, the printed form as alternative). A share that is small but not tiny
lowercases it too, flagged for review: the capital may be an unusual name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from pipeline.resources import dictionary_file
from pipeline.restore.normalize import nfc, normalize_syllable

if TYPE_CHECKING:  # the engine imports this module: its record type is only named here
    from pipeline.restore.engine import TokenRecord

__all__ = ["SAME_SHAPE_FIRST", "CaseTable", "case_table", "inside_pairs", "lower_inside_capitals"]

# First letters whose capital looks like the small letter in a mono face (lowercase, NFC).
SAME_SHAPE_FIRST = frozenset("closvwxz" + "óòỏõọôốồổỗộơớờởỡợ")

_WORD = re.compile(r"[^\W\d_]+")
_SPACE = re.compile(r"[ \t]+")

# A syllable must have stood inside a sentence this often for its share to be trusted.
MIN_INSIDE = 300
# Capitalised share at or under which the capital is taken for an OCR case error without doubt ...
SURE_SHARE = 0.002
# ... and at or under which it is lowercased still, but flagged for review.
UNSURE_SHARE = 0.01
# The confidence of a lowercasing made with doubt (under pipeline.review's threshold: it is reviewed).
UNSURE_CONFIDENCE = 0.5
# Tokens another pass decided on with knowledge of names, codes or noise are left as they are.
_DECIDED = frozenset({"name", "lexicon", "code", "protected", "roman-numeral", "noise", "number-repair"})


def _is_title(word: str) -> bool:
    return word[:1].isupper() and word[1:] == word[1:].lower()


def inside_pairs(line: str) -> Iterator[tuple[str, bool]]:
    """(lowercase word, whether capitalised) of each same-shape word standing right after a lowercase word
    of ``line`` with only spaces between: the places the rule looks at, for the builder to count."""
    prev_end, prev_lower = -1, False
    for m in _WORD.finditer(line):
        word = m.group()
        if prev_lower and _SPACE.fullmatch(line, prev_end, m.start()):
            low = word.lower()
            if low[:1] in SAME_SHAPE_FIRST and (word == low or _is_title(word)):
                yield low, word != low
        prev_end, prev_lower = m.end(), word == word.lower()


@dataclass(frozen=True)
class CaseTable:
    """Per syllable (lowercase, modern tone placement): times inside a sentence, times capitalised there."""

    counts: dict[str, tuple[int, int]]

    def share(self, word: str) -> float | None:
        """The capitalised share of ``word`` inside a sentence, None when seen too rarely to tell."""
        got = self.counts.get(word)
        if got is None or got[0] < MIN_INSIDE:
            return None
        return got[1] / got[0]


@lru_cache(maxsize=1)
def case_table() -> CaseTable:
    """The shipped table (read once per process)."""
    counts: dict[str, tuple[int, int]] = {}
    with dictionary_file("case_inside.tsv").open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            word, inside, capital = line.rstrip("\n").split("\t")
            counts[word] = (int(inside), int(capital))
    return CaseTable(counts)


def lower_inside_capitals(
    tokens: Sequence[TokenRecord], lines: Sequence[str], table: CaseTable | None = None
) -> None:
    """Lowercase, in place, the capitalised same-shape tokens that stand right after a lowercase word of
    their line, are not followed by another capitalised word, and are (nearly) never capitalised there.
    ``tokens`` are restoration records in text order, their ``col`` a column of ``lines``; the caller
    rebuilds the text from their ``restored``."""
    table = table or case_table()
    for k in range(1, len(tokens)):
        prev, token = tokens[k - 1], tokens[k]
        if not _next_to(prev, token, lines) or not _is_lowercase_word(prev.restored):
            continue
        if (
            k + 1 < len(tokens)
            and _next_to(token, tokens[k + 1], lines)
            and tokens[k + 1].restored[:1].isupper()
        ):
            continue  # a run of capitals is a name or an office ("tại Sở Nội vụ", even misread "Sử Nội vụ")
        _lower_if_never_capitalised(token, table)


def _next_to(prev: TokenRecord, token: TokenRecord, lines: Sequence[str]) -> bool:
    """``token`` follows ``prev`` on the same line with only spaces between."""
    if prev.line != token.line:
        return False
    return bool(_SPACE.fullmatch(lines[token.line][prev.col + len(prev.original) : token.col]))


def _is_lowercase_word(word: str) -> bool:
    return bool(_WORD.fullmatch(word)) and word == word.lower()


def _lower_if_never_capitalised(token: TokenRecord, table: CaseTable) -> None:
    word = token.restored
    if token.reason in _DECIDED or not _WORD.fullmatch(word) or not _is_title(word):
        return
    low = word.lower()
    if low[:1] not in SAME_SHAPE_FIRST:
        return
    share = table.share(normalize_syllable(nfc(low)))
    if share is None or share > UNSURE_SHARE:
        return
    token.alternatives = [word] + [a.lower() for a in token.alternatives if a.lower() != low]
    token.restored = low
    token.changed = low != token.original
    token.reason = "case"
    if share > SURE_SHARE:
        token.confidence = min(token.confidence, UNSURE_CONFIDENCE)
