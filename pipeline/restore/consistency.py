"""Document-level consistency: a word that occurs several times with the same OCR form is read the same way.

The decoder reads every sentence on its own, so one garbled form ("S¢", "X4y") can come out one way in
one sentence and another way in the next when each context is weak. After the first decoding, the
occurrences of each form that disagree are re-decided jointly: the log posteriors of all occurrences are
summed (the evidence pooled, as if they were one token seen several times), and the pooled winner is
taken wherever the occurrence's own posterior does not speak clearly against it. An occurrence whose
context is decisive ("nhận thức" beside "thực hiện": same form "thuc", different words) keeps its own
reading, so clean and well-restored text cannot get worse.
"""

from __future__ import annotations

import math
from collections import defaultdict

from pipeline.restore.config import RestoreConfig
from pipeline.restore.slot import Slot


def _pooled_winner(members: list[Slot], floor: float) -> str:
    """The reading with the highest summed log posterior over all occurrences."""
    log_floor = math.log(floor)
    score: dict[str, float] = defaultdict(float)
    candidates = {w for m in members for w in m.words}
    for m in members:
        assert m.post is not None
        mine = {w: float(p) for w, p in zip(m.words, m.post, strict=True)}
        for w in candidates:
            p = mine.get(w, 0.0)
            score[w] += math.log(p) if p > floor else log_floor
    return max(sorted(score), key=lambda w: score[w])


def pool_repeated_words(slots: list[Slot], cfg: RestoreConfig) -> int:
    """Re-decide repeated OCR forms with disagreeing readings jointly; returns how many readings changed."""
    groups: dict[str, list[Slot]] = defaultdict(list)
    for s in slots:
        if s.fixed is None and len(s.words) > 1 and s.post is not None:
            groups[s.piece.text.lower()].append(s)
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
            if m.post[i] >= cfg.consistency_ratio * m.post[m.choice]:
                m.choice = i
                changed += 1
    return changed
