"""Document-level consistency: a word that occurs several times with the same OCR form is read the same way.

The decoder reads every sentence on its own, so one garbled form ("S¢", "X4y") can come out one way in
one sentence and another way in the next when each context is weak. After the first decoding, the
occurrences of a form that disagree are re-decided jointly: the log posteriors of all occurrences are
summed (the evidence pooled, as if they were one token seen several times), and an occurrence takes the
pooled winner unless its own posterior speaks clearly against it. Forms that stand for one word wherever
they occur (OCR garble; a capitalised word inside a line: a name, place or office) follow the pooled
reading more readily (``consistency_ratio``) than plain lowercase forms (``consistency_plain_ratio``),
which take part only on garbled pages: "thuc" is "thực" beside "hiện" and "thức" after "nhận", and a
clean or unaccented page's context says which. Clean text is therefore left as it is.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from pipeline.restore.channel import GARBLE_CHAR
from pipeline.restore.config import RestoreConfig
from pipeline.restore.normalize import strip_diacritics
from pipeline.restore.slot import Slot
from pipeline.restore.syllables import is_skeleton


def _pooled_winner(members: list[Slot], floor: float) -> str:
    """The reading with the highest summed log posterior over all occurrences."""
    log_floor = math.log(floor)
    score: dict[str, float] = defaultdict(float)
    candidates = {w for m in members for w in m.words}
    for m in members:
        assert m.post is not None
        mine = dict(zip(m.words, m.post.tolist(), strict=True))  # tolist: Python floats at once
        for w in candidates:
            p = mine.get(w, 0.0)
            score[w] += math.log(p) if p > floor else log_floor
    return max(sorted(score), key=lambda w: score[w])


def _strong_form(slot: Slot, prev: Slot | None, line: str) -> bool:
    """Forms that stand for one word wherever they occur: OCR garble ("S¢", "chirc": no plain syllable)
    and capitalised words inside a line (names, places, offices). A plain lowercase form ("thuc") is
    often several words, each in its own context: it follows the pooled reading only on weaker evidence."""
    text = slot.piece.text
    if GARBLE_CHAR.search(text) or not (is_skeleton(_skeleton(text)) or text.lower() in slot.words):
        return True
    if not text[:1].isupper() or prev is None or prev.line != slot.line:
        return False
    between = line[prev.piece.col + len(prev.piece.text) : slot.piece.col]
    return not _SENTENCE_PUNCT.search(between)  # a capital after "." starts a sentence: no name


_SENTENCE_PUNCT = re.compile(r"[.!?:;…]")


def _skeleton(text: str) -> str:
    return strip_diacritics(text.lower())


def pool_repeated_words(slots: list[Slot], lines: list[str], garbled: bool, cfg: RestoreConfig) -> int:
    """Re-decide repeated OCR forms with disagreeing readings jointly; returns how many readings changed.

    Plain lowercase forms take part only in a garbled page, whose contexts are noisy themselves; in clean
    or unaccented text the decoder's reading of "thuc" from its context is the better one.
    """
    groups: dict[str, list[Slot]] = defaultdict(list)
    strong: set[int] = set()
    prev: Slot | None = None
    for s in slots:
        if s.fixed is None and len(s.words) > 1 and s.post is not None:
            if _strong_form(s, prev, lines[s.line]):
                strong.add(id(s))
                groups[s.piece.text.lower()].append(s)
            elif garbled:
                groups[s.piece.text.lower()].append(s)
        prev = s
    changed = 0
    for members in groups.values():
        if len(members) < 2 or len({m.words[m.choice] for m in members}) < 2:
            continue
        best = _pooled_winner(members, cfg.consistency_floor)
        for m in members:
            if m.words[m.choice] == best or best not in m.words:
                continue
            i = m.words.index(best)
            assert m.post is not None
            ratio = cfg.consistency_ratio if id(m) in strong else cfg.consistency_plain_ratio
            if m.post[i] >= ratio * m.post[m.choice]:
                m.choice = i
                changed += 1
    return changed
