"""Section label from a heading, using the rule table ``dictionaries/section_labels.tsv``."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz

from .tables import label_rules
from .text import key

OTHER = "other"
MATCH_THRESHOLD = 80.0
NEAR_BEST = 10.0
# Characters legacy OCR reads for letters in capitalised headings ("T6 CHUC", "CHU P€"): read back as letters.
_LOOKALIKES = str.maketrans(
    {"€": "e", "¢": "o", "&": "o", "§": "o", "6": "o", "4": "a", "1": "i", "0": "o", "w": "u"}
)
# Words that may precede the telling phrase without changing the section's kind ("Các hình thức ...").
_LEADING_FILLERS = frozenset({"cac", "ve", "nhung", "cong", "tac"})


def section_labels() -> tuple[str, ...]:
    """Closed set of labels: those named in the table, in table order, then ``other``."""
    labels: list[str] = []
    for rule in label_rules():
        if rule.label not in labels:
            labels.append(rule.label)
    if OTHER not in labels:
        labels.append(OTHER)
    return tuple(labels)


def _heading_tokens(heading: str) -> list[str]:
    tokens = [t for t in key(heading.translate(_LOOKALIKES)).split() if t != "va"]
    # "Công tác tổ chức thực hiện": drop the filler words only when they start the heading.
    while len(tokens) > 2 and tokens[0] in _LEADING_FILLERS:
        tokens = tokens[1:]
    return tokens


@lru_cache(maxsize=4096)
def label_for(heading: str, level: int = 1) -> str:
    """Label of a section heading, ``other`` when no rule matches.

    Among the rules that fuzzily match the start of the heading nearly as well as the best one, the longest
    phrase wins, so "Đối tượng, hình thức khen thưởng" is ``khen_thuong`` rather than ``pham_vi_doi_tuong``
    while "Nội dung thi đua" stays ``noi_dung`` although "Đối tượng thi đua" is a near match.
    """
    tokens = _heading_tokens(heading[:300])
    if not tokens:
        return OTHER
    candidates: list[tuple[int, float, str]] = []
    for rule in label_rules():
        size = len(rule.tokens)
        phrase = " ".join(rule.tokens)
        for used in {max(1, size - 1), size, size + 1}:
            if used > len(tokens):
                continue
            score = fuzz.ratio(phrase, " ".join(tokens[:used]))
            if score < MATCH_THRESHOLD:
                continue
            if level > 1 and len(tokens) - used > rule.sub_extra_words:
                continue
            candidates.append((len(phrase), score, rule.label))
    if not candidates:
        return OTHER
    top = max(score for _, score, _ in candidates)
    return max(c for c in candidates if c[1] >= top - NEAR_BEST)[2]
