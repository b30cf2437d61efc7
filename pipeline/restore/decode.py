"""Joint decoding of sentences: channel x trigram LM, Viterbi for the best path, forward-backward for
per-token posteriors (the confidence reported to users and used to flag tokens for review).

A position carries candidate LM ids with channel log10 scores; fixed tokens (numbers, codes, commas) are
positions with one candidate, so they still give the LM its context. Why batched: per-position numpy calls
cost microseconds each, far too slow for thousands of positions, so all segments of a page advance
together, one time step at a time, in padded (segment, K, K, K) arrays. Segments are cut at
``RestoreConfig.max_segment_len`` positions by the caller; LM weight, temperature, pruning and batch size
come from the same config.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from pipeline.restore.config import RestoreConfig
from pipeline.restore.lm import TrigramLM

LN10 = float(np.log(10.0))
NEG = -1e9  # "impossible" without the NaNs of -inf arithmetic


@dataclass
class Position:
    ids: Sequence[int]  # LM ids of the candidates, at most RestoreConfig.max_candidates
    channel: Sequence[float]  # channel log10 scores, same length


@dataclass
class Decoded:
    best: list[int]  # index of the chosen candidate at each position
    posterior: list[np.ndarray]  # posterior probability of every candidate at each position


@dataclass
class _Batch:
    """Segments of one batch as padded arrays: (segment, position, candidate), in ascending length (the
    recursions then work on the segments still running, a suffix of the batch, at each step)."""

    ids: np.ndarray  # int64, padding = </s>
    chan: np.ndarray  # channel log10, padding = NEG
    lengths: np.ndarray  # positions per segment
    counts: np.ndarray  # (segment, position): real candidates (0 past the segment's end)

    @classmethod
    def gather(cls, lm: TrigramLM, flat: _Flat, idx: np.ndarray) -> _Batch:
        """The batch of segments ``idx`` (ascending length) of the flat candidates ``flat``: gathers and
        one scatter for the whole batch (per-position numpy calls would cost more than the decoding)."""
        idx = np.asarray(idx, dtype=np.int64)
        lengths = flat.per_seg[idx]
        if (np.diff(lengths) < 0).any():
            raise ValueError("a batch's segments must come in ascending length")
        n_pos = int(lengths.sum())
        before = np.repeat(np.cumsum(lengths) - lengths, lengths)  # the segment's first row, per row
        t_of = np.arange(n_pos) - before
        pos = np.repeat(flat.pos_start[idx], lengths) + t_of  # each row's position in ``flat``
        n = flat.sizes[pos]
        t_max, k = int(lengths.max()), int(n.max())
        seg_of = np.repeat(np.arange(idx.size), lengths)
        n_cand = int(n.sum())
        flat_c = np.arange(n_cand) - np.repeat(np.cumsum(n) - n, n)
        cand = np.repeat(flat.starts[pos], n) + flat_c  # each candidate's index in ``flat``
        flat_s, flat_t = np.repeat(seg_of, n), np.repeat(t_of, n)
        ids = np.full((idx.size, t_max, k), lm.eos, dtype=np.int64)
        chan = np.full((idx.size, t_max, k), NEG)
        ids[flat_s, flat_t, flat_c] = flat.ids[cand]
        chan[flat_s, flat_t, flat_c] = flat.chan[cand]
        counts = np.zeros((idx.size, t_max), dtype=np.int64)
        counts[seg_of, t_of] = n
        return cls(ids, chan, lengths, counts)


class _TrigramMemo:
    """The trigram scores the first decoding of a text asked for, for its second decoding (the document
    cache's), whose triples are nearly all among them: a search in this small sorted table instead of
    three in the model's. Scores are the model's exactly (each triple's score depends on it alone)."""

    def __init__(self, lm: TrigramLM):
        self.lm = lm
        self.keys = np.zeros(0, dtype=np.uint64)  # sorted, distinct u << 32 | v << 16 | w
        self.values = np.zeros(0, dtype=np.float32)
        self.learning = True  # remember the triples asked for (the first decoding)

    def score(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """log10 P(w | u, v) for aligned id arrays of one shape, as :meth:`TrigramLM.score`."""
        s16, s32 = np.uint64(16), np.uint64(32)
        keys, inverse = np.unique(
            u.astype(np.uint64) << s32 | v.astype(np.uint64) << s16 | w.astype(np.uint64), return_inverse=True
        )
        out = np.empty(keys.size, dtype=np.float32)
        at = np.minimum(np.searchsorted(self.keys, keys), max(self.keys.size - 1, 0))
        known = self.keys[at] == keys if self.keys.size else np.zeros(keys.size, dtype=bool)
        out[known] = self.values[at[known]]
        new = keys[~known]
        if new.size:
            m16 = np.uint64(0xFFFF)
            out[~known] = self.lm.score(new >> s32, (new >> s16) & m16, new & m16)
            if self.learning:
                self._remember(new, out[~known])
        return out[inverse].reshape(u.shape)

    def _remember(self, keys: np.ndarray, values: np.ndarray) -> None:
        if not self.keys.size:
            self.keys, self.values = keys, values  # sorted and distinct already
            return
        keys, values = np.concatenate([self.keys, keys]), np.concatenate([self.values, values])
        order = np.argsort(keys, kind="stable")
        self.keys, self.values = keys[order], values[order]


def decode_segments(lm: TrigramLM, segments: list[list[Position]], config: RestoreConfig) -> list[Decoded]:
    """Decode segments (each at most ``config.max_segment_len`` positions) in batches of similar length.

    A bigram max-marginal pass first drops candidates that cannot win under any context (keeping at most
    ``config.prune_keep``), so the trigram cube stays small; pruned candidates get posterior 0. The chosen
    candidate is the best path's (Viterbi) or, with ``config.posterior_decoding``, each position's most
    probable one.
    """
    flat = _Flat.of(segments)
    memo = _TrigramMemo(lm)
    out = _decode_pass(lm, flat, config, trigrams=memo)
    memo.learning = False
    for _ in range(config.topic_rounds if config.topic_weight > 0 and segments else 0):
        now = flat.decisions(out)
        bonus = _topic_bonus(lm, flat, now, config)
        redo = _segments_to_redo(flat, now, bonus, config)
        if config.posterior_decoding and not config.topic_redecode:
            for i in redo:
                out[i] = _rescaled(segments[i], out[i], bonus, config.temperature)
        elif redo:
            _redecode(lm, out, redo, bonus, config, flat, now, memo)
    return out


@dataclass
class _Flat:
    """Every candidate of every segment in one flat array, in segment and position order (built once per
    text: the batches and each step of the document cache read them, and per-position numpy calls would
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
    def of(cls, segments: list[list[Position]]) -> _Flat:
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
    def from_arrays(cls, ids: np.ndarray, chan: np.ndarray, sizes: np.ndarray, per_seg: np.ndarray) -> _Flat:
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

    def decisions(self, decoded: list[Decoded]) -> tuple[np.ndarray, np.ndarray]:
        """(posterior of every candidate, flat index of every position's chosen candidate)."""
        post = np.concatenate([p for d in decoded for p in d.posterior]) if self.ids.size else np.zeros(0)
        chosen = self.starts + np.fromiter(
            chain.from_iterable(d.best for d in decoded), dtype=np.int64, count=self.sizes.size
        )
        return post, chosen


def _redecode(
    lm: TrigramLM,
    out: list[Decoded],
    redo: list[int],
    bonus: np.ndarray,
    config: RestoreConfig,
    flat: _Flat,
    now: tuple[np.ndarray, np.ndarray],
    trigrams: _TrigramMemo | None = None,
) -> None:
    """Decode segments ``redo`` (ascending) again with the bonus on the channel, in place in ``out``.
    Candidates the first pass gave less than ``topic_keep_post`` stay out (a much smaller trellis); they
    keep posterior 0. ``flat`` and ``now`` (:meth:`_Flat.decisions` of ``out``) are the text's candidates
    and decisions as flat arrays: per-position numpy calls would cost more than the decoding."""
    in_redo = np.zeros(flat.per_seg.size, dtype=bool)
    in_redo[redo] = True
    cand_in, pos_in = in_redo[flat.seg_of], in_redo[flat.pos_seg]
    ids, chan = flat.ids[cand_in], flat.chan[cand_in]
    post = now[0][cand_in]
    sizes = flat.sizes[pos_in]
    starts = np.cumsum(sizes) - sizes
    chosen = starts + (now[1] - flat.starts)[pos_in]
    keep = (post >= config.topic_keep_post) | (bonus[ids] > 0)  # a topical word pruned in the first pass
    keep[chosen] = True
    where = np.flatnonzero(keep)
    cand = (where - np.repeat(starts, sizes)[where]).tolist()  # index within its position
    kept = np.add.reduceat(keep, starts).astype(np.int64) if sizes.size else np.zeros(0, dtype=np.int64)
    bounds = np.concatenate([[0], np.cumsum(kept)]).tolist()
    small = _Flat.from_arrays(ids[where], (chan + bonus[ids])[where], kept, flat.per_seg[redo])
    again = _decode_pass(lm, small, config, prune=False, trigrams=trigrams)
    # Back to every candidate of each position (the ones left out get 0), as one flat array cut into views.
    full = np.zeros(ids.size)
    full[where] = np.concatenate([p for dec in again for p in dec.posterior])
    new_best = np.fromiter(chain.from_iterable(dec.best for dec in again), dtype=np.int64, count=sizes.size)
    best = np.asarray(cand)[np.asarray(bounds[:-1], dtype=np.int64) + new_best].tolist()
    lo, hi = starts.tolist(), (starts + sizes).tolist()
    pos = 0
    for i, length in zip(redo, flat.per_seg[redo].tolist(), strict=True):
        end = pos + length
        out[i] = Decoded(best[pos:end], [full[a:b] for a, b in zip(lo[pos:end], hi[pos:end], strict=True)])
        pos = end


def _rescaled(segment: list[Position], dec: Decoded, bonus: np.ndarray, temperature: float) -> Decoded:
    """The posteriors a decoding with the bonus added to the channel would give, position by position:
    every path through candidate c gains the factor 10 ** (bonus / temperature), so its marginal does,
    up to the neighbours' own shifts (second order; a second decoding costs as much as the first)."""
    best, post = list(dec.best), list(dec.posterior)
    for t, p in enumerate(segment):
        if len(p.ids) > 1:
            b = bonus[list(p.ids)]
            if b.max() > b.min():
                q = post[t] * np.power(10.0, (b - b.max()) / temperature)
                total = q.sum()
                if total > 0:
                    post[t] = q / total
                    best[t] = int(np.argmax(post[t]))
    return Decoded(best, post)


def _topic_bonus(
    lm: TrigramLM, flat: _Flat, now: tuple[np.ndarray, np.ndarray], config: RestoreConfig
) -> np.ndarray:
    """log10 bonus per LM id for the words this text is about (a document cache, unigram rescaling).

    Why: the LM is trained mostly on legal text, and a page about something else uses its own words over
    and over ("quán" on a page about noodle shops, read "quân"/"quận" where the context is short). A word
    the first pass expects here (sum of its posteriors) many times more often than the LM's unigram
    predicts gets ``topic_weight`` times the log of that ratio (capped at ``topic_cap``), if it is
    expected at least ``topic_min_count`` times; the sentences with a candidate it changes are decoded
    again. Frequent function words are never that much above their unigram, so they are not moved.
    """
    ids, post = flat.ids, now[0]
    n_vocab = len(lm.uni_logp)
    soft = np.bincount(ids, weights=post, minlength=n_vocab)
    n_pos = flat.sizes.size
    expected = n_pos * np.power(10.0, np.asarray(lm.uni_logp, dtype=np.float64))
    with np.errstate(divide="ignore"):
        ratio = np.log10(np.maximum(soft, 1e-12) / expected)
    bonus = config.topic_weight * np.clip(ratio, 0.0, config.topic_cap)
    bonus[soft < config.topic_min_count] = 0.0
    bonus[[lm.bos, lm.eos, lm.unk, lm.num, lm.comma]] = 0.0
    return bonus


def _segments_to_redo(
    flat: _Flat, now: tuple[np.ndarray, np.ndarray], bonus: np.ndarray, config: RestoreConfig
) -> list[int]:
    """Segments where the bonus may change a decision: a candidate whose posterior, raised by its bonus
    over the chosen one's plus ``topic_slack`` (log10), would overtake the chosen one (only they are
    decoded again: most sentences of a page have none)."""
    if not bonus.any():
        return []
    ids, seg_of, sizes = flat.ids, flat.seg_of, flat.sizes
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


def _with_bonus(segment: list[Position], bonus: np.ndarray) -> list[Position]:
    return [
        p if len(p.ids) == 1 else Position(p.ids, (np.asarray(p.channel) + bonus[list(p.ids)]).tolist())
        for p in segment
    ]


def _decode_pass(
    lm: TrigramLM,
    flat: _Flat,
    config: RestoreConfig,
    prune: bool = True,
    trigrams: _TrigramMemo | None = None,
) -> list[Decoded]:
    """One decoding of every segment of ``flat`` (see :func:`decode_segments`). ``prune=False`` skips the
    bigram pre-pass for batches with no more than ``prune_keep`` candidates anywhere (the second decoding
    of the document cache, whose candidates survived the first). ``trigrams``: where the trigram scores
    are looked up (the model's)."""
    lm_weight, temperature = config.lm_weight, config.temperature
    n_segments = flat.per_seg.size
    out: list[Decoded | None] = [None] * n_segments
    order = np.argsort(flat.per_seg, kind="stable").tolist()  # ascending length, ties in segment order
    for i in range(0, len(order), config.decode_batch):
        idx = order[i : i + config.decode_batch]
        batch = _Batch.gather(lm, flat, np.asarray(idx, dtype=np.int64))
        n_seg, t_max, k = batch.ids.shape
        if prune or k > config.prune_keep:
            keep = _bigram_prune(lm, batch, lm_weight, config.prune_keep, config.prune_margin)  # (S, T, k2)
        else:  # every real candidate, the padding slots pointing at the impossible column
            keep = np.where(np.arange(k)[None, None, :] < batch.counts[:, :, None], np.arange(k), k)
        # One impossible candidate column more: the unused keep slots point at it.
        wide_ids = np.concatenate([batch.ids, np.full((n_seg, t_max, 1), lm.eos, dtype=np.int64)], axis=2)
        wide_chan = np.concatenate([batch.chan, np.full((n_seg, t_max, 1), NEG)], axis=2)
        pruned_ids = np.take_along_axis(wide_ids, keep, axis=2)
        pruned_chan = np.take_along_axis(wide_chan, keep, axis=2)
        best, post = _decode_batch(
            lm,
            pruned_ids,
            pruned_chan,
            batch.lengths,
            lm_weight,
            temperature,
            not config.posterior_decoding,
            trigrams,
        )
        full = np.zeros((n_seg, t_max, k + 1))
        np.put_along_axis(full, keep, np.where(pruned_chan > NEG / 2, post, 0.0), axis=2)
        full = full[:, :, :k]
        _normalise(full, batch.counts)
        if config.fourgram_weight > 0 and lm.has_fourgrams:
            _fourgram_rescore(lm, batch, full, config)
        if config.posterior_decoding:
            chosen = np.argmax(full, axis=2)
        else:
            chosen = np.take_along_axis(keep, best[:, :, None], axis=2)[:, :, 0]
        counts, chosen_l = batch.counts.tolist(), chosen.tolist()
        for j, s in zip(idx, range(len(idx)), strict=True):
            n = int(batch.lengths[s])
            rows = zip(full[s, :n], counts[s][:n], strict=True)  # row views: cheaper than indexing each
            out[j] = Decoded(chosen_l[s][:n], [row[:c] for row, c in rows])
    return [d for d in out if d is not None]


def _fourgram_rescore(lm: TrigramLM, b: _Batch, post: np.ndarray, config: RestoreConfig) -> None:
    """Sharpen the trigram posteriors of uncertain positions with the 4-gram table, in place.

    Most tone errors left by the trigram decoder need one more word of context ("quán ăn" vs "quân đội"
    three words on). A 4-gram trellis would cost K times the trigram one, so only the candidates of
    positions whose best posterior is below ``config.fourgram_uncertain`` are rescored: each candidate's
    log posterior gets the 4-gram correction (log P4 - log P3, :meth:`TrigramLM.fourgram_correction`)
    of the four windows it takes part in, with the neighbours at their most probable readings; the
    position is then renormalised, so the confidence still reflects the decision.
    """
    n_seg, t_max, k = post.shape
    uncertain = (post.max(axis=2) < config.fourgram_uncertain) & (b.counts > 1)
    s_idx, t_idx, c_idx = np.nonzero(uncertain[:, :, None] & (post > config.fourgram_min_post))
    if s_idx.size == 0:
        return
    # The most probable reading of every position, three <s> in front and </s> after the end (padding).
    best_ids = np.take_along_axis(b.ids, np.argmax(post, axis=2)[:, :, None], axis=2)[:, :, 0]
    seq = np.full((n_seg, t_max + 7), lm.eos, dtype=np.int64)
    seq[:, :3] = lm.bos
    seq[:, 3 : 3 + t_max] = best_ids
    cand = b.ids[s_idx, t_idx, c_idx]
    at = t_idx + 3  # the candidate's column in seq
    corr = np.zeros(s_idx.size, dtype=np.float64)
    for offset in range(4):
        end = at + offset  # the window seq[end-3 .. end] holds the candidate at column ``at``
        inside = end <= b.lengths[s_idx] + 3  # up to the segment's </s>
        words = []
        for r in range(4):
            col = end - 3 + r
            words.append(np.where(col == at, cand, seq[s_idx, col]))
        corr += np.where(inside, lm.fourgram_correction(*words), 0.0)
    scale = config.fourgram_weight * config.lm_weight * LN10 / config.temperature
    logp = np.log(np.maximum(post[s_idx, t_idx, c_idx], 1e-300)) + corr * scale
    new = np.zeros_like(post)
    # Per position: subtract its max before exp (numerical safety), then renormalise.
    peak = np.full((n_seg, t_max), -np.inf)
    np.maximum.at(peak, (s_idx, t_idx), logp)
    new[s_idx, t_idx, c_idx] = np.exp(logp - peak[s_idx, t_idx])
    total = new.sum(axis=2)
    rows = uncertain & (total > 0)
    post[rows] = new[rows] / total[rows][:, None]


def _normalise(post: np.ndarray, counts: np.ndarray) -> None:
    """Posteriors summing to one over each position's real candidates (uniform where all vanished)."""
    total = post.sum(axis=2, keepdims=True)
    post /= np.where(total > 0, total, 1.0)
    empty = (total[:, :, 0] <= 0) & (counts > 0)
    if empty.any():
        k = post.shape[2]
        post[empty] = (np.arange(k) < counts[empty][:, None]) / counts[empty][:, None]


def _windows(counts: np.ndarray, width: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Every combination of real candidates in ``width`` consecutive padded positions, without a dense mask.

    ``counts`` (segment, position) holds how many candidates each position has, always the first ones of
    its row (0 where there is no position). Returns the flat index of each combination's first position,
    window = segment * (positions - width + 1) + first position, and the candidate index at each of the
    ``width`` positions: the same combinations a ``nonzero`` over the (segment, position, K, ..., K) mask
    would list (in another order), at the cost of the real combinations only.
    """
    n_win = counts.shape[1] - width + 1
    # Candidates at each position of every window, per window (int32: the divisions below are faster).
    sizes = [counts[:, i : i + n_win].astype(np.int32).ravel() for i in range(width)]
    per = sizes[0].copy()
    for n in sizes[1:]:
        per *= n
    window = np.repeat(np.arange(per.size), per)
    rank = np.arange(window.size, dtype=np.int32) - np.repeat((np.cumsum(per) - per).astype(np.int32), per)
    # The window's combinations in row-major order: the last position's candidate varies fastest.
    slots: list[np.ndarray] = []
    for n in sizes[:0:-1]:
        rank, slot = np.divmod(rank, np.repeat(n, per))
        slots.append(slot)
    slots.append(rank)
    return window, slots[::-1]


def _running(lengths: np.ndarray, n_pos: int, before: int) -> list[int]:
    """Per padded position j (0 .. n_pos-1): the first segment for which j is a real position or its
    </s>, with ``before`` virtual <s> positions in front (``lengths`` ascending, so the segments still
    running at j are that one and all after it)."""
    return np.searchsorted(lengths, np.arange(n_pos) - before, side="left").tolist()


def _bigram_prune(lm: TrigramLM, b: _Batch, lm_weight: float, keep_k: int, margin: float) -> np.ndarray:
    """Indices of the candidates worth a trigram decode, (segment, position, keep): bigram Viterbi
    max-marginals. At most ``keep_k`` per position, only those within ``margin`` (log10) of the best
    max-marginal, in their original order; unused slots hold K (no candidate)."""
    n_seg, t_max, k = b.ids.shape
    if k == 1:
        return np.where(b.counts[:, :, None] > 0, 0, 1)
    ids = np.full((n_seg, t_max + 2, k), lm.eos, dtype=np.int64)
    em = np.full((n_seg, t_max + 2, k), NEG)
    ids[:, 0, 0] = lm.bos
    em[:, 0, 0] = 0.0
    ids[:, 1:-1] = b.ids
    em[:, 1:-1] = b.chan
    em[np.arange(n_seg), b.lengths + 1, 0] = 0.0
    valid = em > NEG / 2
    window, (bi, ci) = _windows(valid.sum(axis=2), 2)
    first = (window + window // (t_max + 1)) * k  # flat index of the window's first position, candidate 0
    flat_ids = ids.ravel()
    pair = np.full((n_seg, t_max + 1, k, k), NEG)  # pair[s, j-1]: (pos j-1, pos j)
    pair.ravel()[window * (k * k) + bi * k + ci] = (
        lm.bigram_score(flat_ids[first + bi], flat_ids[first + k + ci]) * lm_weight
    )
    # Padded position j is </s> or a real one for the segments from running[j] on (lengths ascending).
    running = _running(b.lengths, t_max + 2, 1)
    fwd = np.empty((n_seg, t_max + 2, k))  # a finished segment keeps its last value
    fwd[:, 0] = em[:, 0]
    for j in range(1, t_max + 2):
        s0 = running[j]
        fwd[:s0, j] = fwd[:s0, j - 1]
        fwd[s0:, j] = np.max(fwd[s0:, j - 1, :, None] + pair[s0:, j - 1], axis=1) + em[s0:, j]
    bwd = np.zeros((n_seg, t_max + 2, k))  # zero at and after </s>
    for j in range(t_max, 0, -1):
        s0 = running[j + 1]
        bwd[s0:, j] = np.max(pair[s0:, j] + (em[s0:, j + 1] + bwd[s0:, j + 1])[:, None, :], axis=2)
    # Max-marginals of every (segment, position, candidate) at once.
    mm = fwd[:, 1 : t_max + 1] + bwd[:, 1 : t_max + 1]  # (S, T, K)
    mm = np.where(valid[:, 1 : t_max + 1], mm, NEG)
    order = np.argsort(-mm, axis=2, kind="stable")[:, :, :keep_k]
    top = np.take_along_axis(mm, order, axis=2)
    good = (top >= top[:, :, :1] - margin) & (top > NEG / 2)
    # Kept candidates in their original order, then the unused slots (K: no candidate).
    keyed = np.sort(np.where(good, order, k + order), axis=2)
    return np.where(keyed < k, keyed, k)


def _decode_batch(
    lm: TrigramLM,
    core_ids: np.ndarray,
    core_chan: np.ndarray,
    lengths: np.ndarray,
    lm_weight: float,
    temperature: float,
    viterbi: bool = True,
    trigrams: _TrigramMemo | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(chosen candidate, posterior) per (segment, position, candidate) of a padded batch: forward-backward
    marginals, and the best path (``viterbi``) or each position's most probable candidate."""
    n_seg, t_max, k = core_ids.shape
    # Two virtual <s> positions in front, </s> after each segment's last position.
    ids = np.full((n_seg, t_max + 3, k), lm.eos, dtype=np.int64)
    chan = np.full((n_seg, t_max + 3, k), NEG)
    ids[:, 0:2, 0] = lm.bos
    chan[:, 0:2, 0] = 0.0
    ids[:, 2:-1] = core_ids
    chan[:, 2:-1] = core_chan
    chan[np.arange(n_seg), lengths + 2, 0] = 0.0
    # Trigram scores for real (non-padded) triples only, scattered into the padded cube.
    valid = chan > NEG / 2  # (S, T+3, K)
    window, (ai, bi, ci) = _windows(valid.sum(axis=2), 3)
    first = (window + 2 * (window // (t_max + 1))) * k  # flat index of the window's first position
    flat_ids = ids.ravel()
    u = flat_ids[first + ai]
    v = flat_ids[first + k + bi]
    w = flat_ids[first + 2 * k + ci]
    scale = LN10 / temperature
    cube = np.full((n_seg, t_max + 1, k, k, k), NEG)  # cube[s, j-2]: triple at padded positions j-2, j-1, j
    cube.ravel()[window * (k**3) + (ai * k + bi) * k + ci] = (trigrams or lm).score(u, v, w) * (
        lm_weight * scale
    )
    em = chan * scale
    j_end = t_max + 2
    # The segments from running[j] on have a real position or their </s> at padded position j.
    running = _running(lengths, j_end + 1, 2)
    post = _marginals(cube, em, running, t_max)
    if not viterbi:
        return np.argmax(post, axis=2), post
    # The best path (max-product): state at padded position j is (candidate at j-1, candidate at j); a
    # finished segment keeps its last value.
    delta = em[:, 0, :, None] + em[:, 1, None, :]
    back_at: dict[int, np.ndarray] = {}
    for j in range(2, j_end + 1):
        s0 = running[j]
        cand = delta[s0:, :, :, None] + cube[s0:, j - 2]  # (S, a, b, c)
        back_at[j] = np.zeros((n_seg, k, k), dtype=np.int64)
        back_at[j][s0:] = np.argmax(cand, axis=1)
        delta = delta.copy()
        delta[s0:] = np.max(cand, axis=1) + em[s0:, j, None, :]
    best = np.zeros((n_seg, t_max), dtype=np.int64)
    best_b = np.argmax(delta[:, :, 0], axis=1)  # final state (b, </s>)
    for s in range(n_seg):
        b_idx, c_idx = int(best_b[s]), 0
        for j in range(int(lengths[s]) + 2, 2, -1):
            a_idx = int(back_at[j][s, b_idx, c_idx])
            best[s, j - 3] = b_idx
            b_idx, c_idx = a_idx, b_idx
    return best, post


# Forward-backward steps between two rescalings: a step multiplies the mass by at least e^-25 or so (the
# least LM probability, times the best candidate's emission, 1), four by e^-100, far above underflow.
_RESCALE_EVERY = 4


def _marginals(cube: np.ndarray, em: np.ndarray, running: list[int], t_max: int) -> np.ndarray:
    """Posterior marginals of every (segment, position, candidate) by forward-backward in probability
    space, each step rescaled to sum one per segment.

    Why not in log space: a log-sum-exp per step costs an exp and a log of the whole (segment, K, K, K)
    step, twice (forward and backward); here the transition cube is exponentiated once and each step is
    a product and a sum. Scores are natural-log and bounded (LM log-probabilities, channel scores shifted
    by their position's best), so nothing a path could win underflows. Positions past a segment's end
    come out as anything finite: the caller masks them.
    """
    n_seg, j_top, k = em.shape
    j_end = j_top - 1
    trans = np.exp(cube)  # (S, T+1, a, b, c), impossible triples 0
    emit = np.exp(em - np.max(em, axis=2, keepdims=True))  # (S, T+3, K), impossible candidates 0
    alpha = np.empty((n_seg, j_end + 1, k, k))
    alpha[:, 1] = emit[:, 0, :, None] * emit[:, 1, None, :]
    for j in range(2, j_end + 1):
        s0 = running[j]
        alpha[:s0, j] = alpha[:s0, j - 1]
        step = np.einsum("sab,sabc->sbc", alpha[s0:, j - 1], trans[s0:, j - 2]) * emit[s0:, j, None, :]
        alpha[s0:, j] = step / _step_total(step) if j % _RESCALE_EVERY == 0 else step
    beta = np.ones((n_seg, j_end + 1, k, k))  # one at and after </s>
    for j in range(j_end, 2, -1):
        s0 = running[j]
        step = np.sum(trans[s0:, j - 2] * (emit[s0:, j, None, :] * beta[s0:, j])[:, None], axis=3)
        beta[s0:, j - 1] = step / _step_total(step) if j % _RESCALE_EVERY == 0 else step
    both = np.sum(alpha[:, 2 : t_max + 2] * beta[:, 2 : t_max + 2], axis=2)  # (S, T, c)
    total = both.sum(axis=2, keepdims=True)
    return both / np.where(total > 0, total, 1.0)


def _step_total(step: np.ndarray) -> np.ndarray:
    """Per segment, the sum of a (segment, K, K) step (1 where it is 0), for rescaling."""
    total = step.sum(axis=(1, 2))
    return np.where(total > 0, total, 1.0)[:, None, None]
