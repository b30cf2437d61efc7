"""Joint decoding of sentences: channel x trigram LM, Viterbi for the best path, forward-backward for
per-token posteriors (the confidence reported to users and used to flag tokens for review).

A position carries candidate LM ids with channel log10 scores; fixed tokens (numbers, codes, commas) are
positions with one candidate, so they still give the LM its context. Segments are cut at
``RestoreConfig.max_segment_len`` positions by the caller; LM weight, temperature and pruning come from
the same config. The loops over positions and candidates are compiled (:mod:`decode_kernel`); this
module holds what works on a whole text at once: flattening the candidates, and the document cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from pipeline.restore.config import RestoreConfig
from pipeline.restore.decode_kernel import Settings, decode_flat
from pipeline.restore.lm import TrigramLM


@dataclass
class Position:
    ids: Sequence[int]  # LM ids of the candidates, at most RestoreConfig.max_candidates
    channel: Sequence[float]  # channel log10 scores, same length


@dataclass
class Decoded:
    best: list[int]  # index of the chosen candidate at each position
    posterior: list[np.ndarray]  # posterior probability of every candidate at each position


def decode_segments(lm: TrigramLM, segments: list[list[Position]], config: RestoreConfig) -> list[Decoded]:
    """:func:`decode` of segments given as lists of positions, the results per segment."""
    cands = Candidates.of(segments)
    post, best = decode(lm, cands, config)
    best_l, starts, ends = best.tolist(), cands.starts.tolist(), (cands.starts + cands.sizes).tolist()
    out: list[Decoded] = []
    for lo, n in zip(cands.pos_start.tolist(), cands.per_seg.tolist(), strict=True):
        hi = lo + n
        out.append(
            Decoded(best_l[lo:hi], [post[a:b] for a, b in zip(starts[lo:hi], ends[lo:hi], strict=True)])
        )
    return out


def decode(lm: TrigramLM, cands: Candidates, config: RestoreConfig) -> tuple[np.ndarray, np.ndarray]:
    """Decode every segment of a text (each at most ``config.max_segment_len`` positions) on its own:
    the posterior of every candidate and the index (within its position) of each position's choice.

    A bigram max-marginal pass first drops candidates that cannot win under any context (keeping at most
    ``config.prune_keep``), so the trigram trellis stays small; pruned candidates get posterior 0. With a
    4-gram table (a model built with one), positions whose best posterior is below
    ``config.fourgram_uncertain`` are rescored: most tone errors left by a trigram need one more word of
    context, and a 4-gram trellis would cost K times the trigram one. The chosen candidate is the best
    path's (Viterbi) or, with ``config.posterior_decoding``, each position's most probable one. Then the
    document cache (:func:`_topic_bonus`) decodes again the segments where the text's own words may win.
    """
    post, best = _decode_pass(lm, cands, config)
    for _ in range(config.topic_rounds if config.topic_weight > 0 and cands.per_seg.size else 0):
        now = post, cands.starts + best
        bonus = _topic_bonus(lm, cands, now, config)
        redo = _segments_to_redo(cands, now, bonus, config)
        if config.posterior_decoding and not config.topic_redecode:
            _rescale(cands, post, best, redo, bonus, config.temperature)
        elif redo:
            _redecode(lm, cands, post, best, redo, bonus, config)
    return post, best


@dataclass
class Candidates:
    """Every candidate of every segment of a text in flat arrays, in segment and position order: what
    the compiled decoder reads, and what the document cache works on (per-position numpy calls would
    cost more than the decoding)."""

    ids: np.ndarray  # LM id of each candidate
    chan: np.ndarray  # channel log10 score of each candidate
    seg_of: np.ndarray  # segment of each candidate
    sizes: np.ndarray  # candidates per position
    starts: np.ndarray  # flat index of each position's first candidate
    pos_seg: np.ndarray  # segment of each position
    per_seg: np.ndarray  # positions per segment
    pos_start: np.ndarray  # index of each segment's first position

    @classmethod
    def of(cls, segments: list[list[Position]]) -> Candidates:
        sizes = np.fromiter((len(p.ids) for s in segments for p in s), dtype=np.int64)
        n_cand = int(sizes.sum())
        # chain flattens the per-position lists in C: a generator per value would cost more than the rest.
        ids = np.fromiter(
            chain.from_iterable(p.ids for s in segments for p in s), dtype=np.int64, count=n_cand
        )
        chan = np.fromiter(
            chain.from_iterable(p.channel for s in segments for p in s), dtype=np.float64, count=n_cand
        )
        per_seg = np.fromiter((len(s) for s in segments), dtype=np.int64, count=len(segments))
        return cls.from_arrays(ids, chan, sizes, per_seg)

    @classmethod
    def from_arrays(
        cls, ids: np.ndarray, chan: np.ndarray, sizes: np.ndarray, per_seg: np.ndarray
    ) -> Candidates:
        """From the candidates in order, the candidates per position and the positions per segment."""
        pos_seg = np.repeat(np.arange(per_seg.size), per_seg)
        return cls(
            ids,
            chan,
            np.repeat(pos_seg, sizes),
            sizes,
            np.cumsum(sizes) - sizes,
            pos_seg,
            per_seg,
            np.cumsum(per_seg) - per_seg,
        )


def _redecode(
    lm: TrigramLM,
    cands: Candidates,
    post: np.ndarray,
    best: np.ndarray,
    redo: list[int],
    bonus: np.ndarray,
    config: RestoreConfig,
) -> None:
    """Decode segments ``redo`` again with the bonus on the channel, in place in ``post`` and ``best``.
    Candidates the first pass gave less than ``topic_keep_post`` stay out (a much smaller trellis); they
    get posterior 0."""
    in_redo = np.zeros(cands.per_seg.size, dtype=bool)
    in_redo[redo] = True
    cand_in, pos_in = in_redo[cands.seg_of], in_redo[cands.pos_seg]
    ids = cands.ids[cand_in]
    sizes = cands.sizes[pos_in]
    starts = np.cumsum(sizes) - sizes
    keep = (post[cand_in] >= config.topic_keep_post) | (bonus[ids] > 0)  # a topical word pruned before
    keep[starts + best[pos_in]] = True
    where = np.flatnonzero(keep)
    kept = np.add.reduceat(keep, starts).astype(np.int64) if sizes.size else np.zeros(0, dtype=np.int64)
    small = Candidates.from_arrays(
        ids[where], (cands.chan[cand_in] + bonus[ids])[where], kept, cands.per_seg[redo]
    )
    again, new_best = _decode_pass(lm, small, config, prune=False)
    # Back to every candidate of each position (the ones left out get 0).
    full = np.zeros(ids.size)
    full[where] = again
    post[cand_in] = full
    in_position = where - np.repeat(starts, sizes)[where]  # each kept candidate's index in its position
    best[pos_in] = in_position[small.starts + new_best]


def _rescale(
    cands: Candidates,
    post: np.ndarray,
    best: np.ndarray,
    redo: list[int],
    bonus: np.ndarray,
    temperature: float,
) -> None:
    """In place, the posteriors a decoding of segments ``redo`` with the bonus added to the channel would
    give, position by position: every path through candidate c gains the factor 10 ** (bonus /
    temperature), so its marginal does, up to the neighbours' own shifts (second order; a second decoding
    costs as much as the first)."""
    for seg in redo:
        for pos in range(cands.pos_start[seg], cands.pos_start[seg] + cands.per_seg[seg]):
            lo, hi = cands.starts[pos], cands.starts[pos] + cands.sizes[pos]
            b = bonus[cands.ids[lo:hi]]
            if hi - lo > 1 and b.max() > b.min():
                q = post[lo:hi] * np.power(10.0, (b - b.max()) / temperature)
                total = q.sum()
                if total > 0:
                    post[lo:hi] = q / total
                    best[pos] = int(np.argmax(q))


def _topic_bonus(
    lm: TrigramLM, cands: Candidates, now: tuple[np.ndarray, np.ndarray], config: RestoreConfig
) -> np.ndarray:
    """log10 bonus per LM id for the words this text is about (a document cache, unigram rescaling).

    Why: the LM is trained mostly on legal text, and a page about something else uses its own words over
    and over ("quán" on a page about noodle shops, read "quân"/"quận" where the context is short). A word
    the first pass expects here (sum of its posteriors) many times more often than the LM's unigram
    predicts gets ``topic_weight`` times the log of that ratio (capped at ``topic_cap``), if it is
    expected at least ``topic_min_count`` times; the sentences with a candidate it changes are decoded
    again. Frequent function words are never that much above their unigram, so they are not moved.
    """
    ids, post = cands.ids, now[0]
    n_vocab = len(lm.uni_logp)
    soft = np.bincount(ids, weights=post, minlength=n_vocab)
    n_pos = cands.sizes.size
    expected = n_pos * np.power(10.0, np.asarray(lm.uni_logp, dtype=np.float64))
    with np.errstate(divide="ignore"):
        ratio = np.log10(np.maximum(soft, 1e-12) / expected)
    bonus = config.topic_weight * np.clip(ratio, 0.0, config.topic_cap)
    bonus[soft < config.topic_min_count] = 0.0
    bonus[[lm.bos, lm.eos, lm.unk, lm.num, lm.comma]] = 0.0
    return bonus


def _segments_to_redo(
    cands: Candidates, now: tuple[np.ndarray, np.ndarray], bonus: np.ndarray, config: RestoreConfig
) -> list[int]:
    """Segments where the bonus may change a decision: a candidate whose posterior, raised by its bonus
    over the chosen one's plus ``topic_slack`` (log10), would overtake the chosen one (only they are
    decoded again: most sentences of a page have none)."""
    if not bonus.any():
        return []
    ids, seg_of, sizes = cands.ids, cands.seg_of, cands.sizes
    post, chosen = now
    pos_of = np.repeat(np.arange(sizes.size), sizes)
    raised = bonus[ids] - bonus[ids[chosen]][pos_of]
    # A candidate the bigram pre-pass dropped (posterior 0) counts as if it had ``topic_keep_post``.
    floor = np.where(raised > 0, config.topic_keep_post, 1e-300)
    lifted = np.log10(np.maximum(post, floor)) + (raised + config.topic_slack) / config.temperature
    threat = (lifted > np.log10(np.maximum(post[chosen], 1e-300))[pos_of]) & (
        np.arange(ids.size) != chosen[pos_of]
    )
    threat &= (post > config.topic_keep_post) | (raised > 0)
    return np.unique(seg_of[threat]).tolist()


def _decode_pass(
    lm: TrigramLM, cands: Candidates, config: RestoreConfig, prune: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """One decoding of every segment of ``cands`` (see :func:`decode`). ``prune=False`` skips the bigram
    pre-pass for segments with no more than ``prune_keep`` candidates anywhere (the second decoding of
    the document cache, whose candidates survived the first)."""
    settings = Settings(
        float(config.lm_weight),
        float(config.temperature),
        int(config.prune_keep),
        float(config.prune_margin),
        bool(config.posterior_decoding),
        float(config.fourgram_weight),
        float(config.fourgram_uncertain),
        float(config.fourgram_min_post),
    )
    return decode_flat(
        lm.tables(), cands.ids, cands.chan, cands.sizes, cands.per_seg, lm.bos, lm.eos, prune, settings
    )
