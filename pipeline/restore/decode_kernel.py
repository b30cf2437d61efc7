"""The decoder's inner loops, compiled (numba): LM look-ups, the bigram pre-prune, forward-backward,
Viterbi and the 4-gram rescoring, one segment at a time.

Why compiled: in numpy the decoder had to advance all segments of a page together in padded
(segment, K, K, K) arrays to amortise per-call overhead, and still spent most of its time in that
overhead, in ``np.unique`` and in sorted searches over the whole model (half of all restoration time).
Here a segment is decoded without padding, and each LM score is a few short searches: the bigrams of
one word (:attr:`LMTables.bi_start`) and the trigrams of one context (:attr:`LMTables.tri_start`).

Scores are computed as :meth:`TrigramLM.score` computes them (float32 sums, then float32 scaling), so
the decisions are the numpy decoder's; sums of probabilities may differ in the last bits.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

NEG = -1e9  # "impossible" without the NaNs of -inf arithmetic
_RESCALE_EVERY = 4  # forward-backward steps between two rescalings (see _posteriors)


class LMTables(NamedTuple):
    """A :class:`~pipeline.restore.lm.TrigramLM`'s arrays as the compiled look-ups read them: a bigram is
    found among the bigrams of its first word, a trigram among those of its context (a few entries, a
    16-bit search), instead of in the whole sorted table."""

    uni_logp: np.ndarray  # float32 per word
    uni_logbo: np.ndarray  # float32 per word
    bi_start: np.ndarray  # int64 per word v (and one more): where v's bigrams start
    bi_w: np.ndarray  # uint16 second word of each bigram (sorted within each v)
    bi_logp: np.ndarray  # float32
    bi_logbo: np.ndarray  # float32
    tri_start: np.ndarray  # int64 per bigram (and one more): where the trigrams of that context start
    tri_w: np.ndarray  # uint16 third word of each trigram (sorted within each context)
    tri_logp: np.ndarray  # float32
    tri_keys: np.ndarray  # uint64 u << 32 | v << 16 | w, sorted: contexts that are not stored bigrams
    contexts_are_bigrams: bool  # every trigram's context is a stored bigram (tri_start finds them all)
    quad_ctx: np.ndarray  # uint64 a << 32 | b << 16 | c, sorted (empty: no 4-gram table)
    quad_ctx_logbo: np.ndarray  # float32
    quad_keys: np.ndarray  # uint64 a << 48 | b << 32 | c << 16 | d, sorted
    quad_logp: np.ndarray  # float32


class Settings(NamedTuple):
    """The decoding settings of :class:`~pipeline.restore.config.RestoreConfig` the kernel needs."""

    lm_weight: float
    temperature: float
    prune_keep: int
    prune_margin: float
    posterior_decoding: bool
    fourgram_weight: float
    fourgram_uncertain: float
    fourgram_min_post: float


# Up to this many entries, a linear scan finds a key sooner than a binary search.
_SCAN = 8

# The kernels spell array operations out as loops: numba compiles an array expression into far more code
# (a cold start compiled for 45 s instead of a few).


@nb.njit(cache=True)
def _scale(row: np.ndarray, m: int, factor: float) -> None:
    """Multiply the first ``m`` entries of ``row`` by ``factor``, in place."""
    for i in range(m):
        row[i] *= factor


@nb.njit(cache=True)
def _largest(row: np.ndarray, lo: int, hi: int) -> int:
    """Index of the largest of ``row[lo:hi]`` (the first of equals, as ``argmax``), from ``lo``."""
    at = lo
    for i in range(lo + 1, hi):
        if row[i] > row[at]:
            at = i
    return at


@nb.njit(cache=True)
def _find(keys: np.ndarray, lo: int, hi: int, key: np.integer) -> int:
    """Index of ``key`` in the sorted ``keys[lo:hi]``, or -1."""
    if hi - lo <= _SCAN:
        for i in range(lo, hi):
            if keys[i] == key:
                return i
        return -1
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < end and keys[lo] == key else -1


@nb.njit(cache=True)
def bigram_index(t: LMTables, v: int, w: int) -> int:
    """Row of the bigram (v, w) in the model, or -1."""
    return _find(t.bi_w, t.bi_start[v], t.bi_start[v + 1], np.uint16(w))


@nb.njit(cache=True)
def _bigram_logp(t: LMTables, v: int, w: int, row: int) -> np.float32:
    """log10 P(w | v) given the bigram's row (-1: backed off to the unigram)."""
    if row >= 0:
        return t.bi_logp[row]
    return t.uni_logbo[v] + t.uni_logp[w]


@nb.njit(cache=True)
def _trigram_logp(t: LMTables, u: int, v: int, w: int, context: int, bigram: np.float32) -> np.float32:
    """log10 P(w | u, v) as :meth:`TrigramLM.score`, given the row of the bigram (u, v) (``context``, -1
    if not stored) and the bigram score of (v, w)."""
    row = -1
    if context >= 0:
        row = _find(t.tri_w, t.tri_start[context], t.tri_start[context + 1], np.uint16(w))
    elif not t.contexts_are_bigrams:
        key = np.uint64(u) << np.uint64(32) | np.uint64(v) << np.uint64(16) | np.uint64(w)
        row = _find(t.tri_keys, 0, t.tri_keys.size, key)
    if row >= 0:
        return t.tri_logp[row]
    if context >= 0:
        return bigram + t.bi_logbo[context]
    return bigram


@nb.njit(cache=True)
def trigram_logp(t: LMTables, u: int, v: int, w: int) -> np.float32:
    """log10 P(w | u, v) of one triple (tests compare it with :meth:`TrigramLM.score`)."""
    row = bigram_index(t, v, w)
    return _trigram_logp(t, u, v, w, bigram_index(t, u, v), _bigram_logp(t, v, w, row))


@nb.njit(cache=True)
def fourgram_correction(t: LMTables, a: int, b: int, c: int, d: int) -> float:
    """log10 P4(d | a, b, c) - log10 P(d | b, c): what the 4-gram table changes in the trigram score of d
    (zero where the context (a, b, c) has no stored 4-grams).

    Why a correction and not a full 4-gram decoder: a 4-gram trellis would cost K times the trigram one;
    the decoder adds this to the trigram posteriors of the few uncertain positions only."""
    ctx = np.uint64(a) << np.uint64(32) | np.uint64(b) << np.uint64(16) | np.uint64(c)
    ci = _find(t.quad_ctx, 0, t.quad_ctx.size, ctx)
    if ci < 0:
        return 0.0
    qi = _find(t.quad_keys, 0, t.quad_keys.size, ctx << np.uint64(16) | np.uint64(d))
    if qi >= 0:
        return np.float32(t.quad_logp[qi] - trigram_logp(t, b, c, d))
    return t.quad_ctx_logbo[ci]


@nb.njit(cache=True)
def _ascending(ids: np.ndarray, lo: int, m: int) -> np.ndarray:
    """The order of ``ids[lo:lo+m]`` ascending (an insertion sort: a position has a few candidates)."""
    order = np.empty(m, dtype=np.int64)
    for i in range(m):
        at = i
        while at > 0 and ids[lo + order[at - 1]] > ids[lo + i]:
            order[at] = order[at - 1]
            at -= 1
        order[at] = i
    return order


@nb.njit(cache=True)
def _rows_of_followers(
    t: LMTables, v: int, ids: np.ndarray, lo: int, order: np.ndarray, out: np.ndarray
) -> None:
    """Into ``out[c]``, the row of the bigram (v, candidate c) or -1, for the candidates ``ids[lo:]`` taken
    in ascending ``order``: one walk through v's bigrams, each search starting where the last ended
    (galloping), instead of a search of the whole range per candidate."""
    at, hi = t.bi_start[v], t.bi_start[v + 1]
    for i in range(order.size):
        key = np.uint16(ids[lo + order[i]])
        step, left, right = 1, at, at
        while right < hi and t.bi_w[right] < key:
            left = right + 1
            right = at + step
            step *= 2
        right = min(right + 1, hi)
        while left < right:
            mid = (left + right) >> 1
            if t.bi_w[mid] < key:
                left = mid + 1
            else:
                right = mid
        at = left
        out[order[i]] = left if left < hi and t.bi_w[left] == key else -1


@nb.njit(cache=True)
def _pair_tables(
    t: LMTables, ids: np.ndarray, size: np.ndarray, first: np.ndarray, kmax: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per padded step j (see :func:`_decode_segment`), the bigram row and the bigram score of every pair
    (candidate at j-1, candidate at j): the trigram's back-off and, one step on, its context."""
    n = size.size
    rows = np.empty((n, kmax, kmax), dtype=np.int64)
    scores = np.empty((n, kmax, kmax), dtype=np.float32)
    for j in range(1, n):
        order = _ascending(ids, first[j], size[j])
        for a in range(size[j - 1]):
            v = ids[first[j - 1] + a]
            _rows_of_followers(t, v, ids, first[j], order, rows[j, a])
            for b in range(size[j]):
                scores[j, a, b] = _bigram_logp(t, v, ids[first[j] + b], rows[j, a, b])
    return rows, scores


@nb.njit(cache=True)
def _max_marginals(
    pair: np.ndarray, em: np.ndarray, size: np.ndarray, first: np.ndarray, weight: float
) -> np.ndarray:
    """Bigram Viterbi max-marginal of every candidate at every real step (forward plus backward best path
    scores, log10). ``em`` holds the channel log10 scores (0 for <s> and </s>)."""
    n = size.size
    kmax = pair.shape[1]
    w32 = np.float32(weight)
    fwd = np.empty((n, kmax))
    bwd = np.zeros((n, kmax))
    fwd[1, 0] = 0.0
    for j in range(2, n):
        for c in range(size[j]):
            best = NEG * 2
            for a in range(size[j - 1]):
                best = max(best, fwd[j - 1, a] + np.float64(pair[j, a, c] * w32))
            fwd[j, c] = best + em[first[j] + c]
    for j in range(n - 2, 0, -1):
        for a in range(size[j]):
            best = NEG * 2
            for c in range(size[j + 1]):
                best = max(best, np.float64(pair[j + 1, a, c] * w32) + (em[first[j + 1] + c] + bwd[j + 1, c]))
            bwd[j, a] = best
    for j in range(2, n - 1):
        for c in range(size[j]):
            fwd[j, c] += bwd[j, c]
    return fwd


@nb.njit(cache=True)
def _keep_best(mm: np.ndarray, m: int, keep: int, margin: float, out: np.ndarray) -> int:
    """Into ``out``, in their original order, the candidates among the first ``m`` with the ``keep`` best
    max-marginals (the first of equals, as a stable sort) that are within ``margin`` of the best; their
    count."""
    taken = np.zeros(m, dtype=np.bool_)
    top = NEG * 2
    for r in range(min(keep, m)):
        pick, value = -1, NEG * 2
        for c in range(m):
            if not taken[c] and (pick < 0 or mm[c] > value):
                pick, value = c, mm[c]
        if r == 0:
            top = value
        if value < top - margin or value <= NEG / 2:
            break
        taken[pick] = True
    count = 0
    for c in range(m):
        if taken[c]:
            out[count] = c
            count += 1
    return count


@nb.njit(cache=True)
def _prune(
    pair: np.ndarray, em: np.ndarray, size: np.ndarray, first: np.ndarray, s: Settings, kept: np.ndarray
) -> np.ndarray:
    """Candidates worth a trigram decoding, per padded step (count; indices in ``kept``): bigram Viterbi
    max-marginals, at most ``prune_keep`` per position within ``prune_margin`` (log10) of the best, in
    their original order."""
    n = size.size
    mm = _max_marginals(pair, em, size, first, s.lm_weight)
    count = np.ones(n, dtype=np.int64)
    for j in range(2, n - 1):
        count[j] = _keep_best(mm[j], size[j], s.prune_keep, s.prune_margin, kept[j])
    return count


@nb.njit(cache=True)
def _forward(trans: np.ndarray, emit: np.ndarray, count: np.ndarray) -> np.ndarray:
    """alpha[j, b, c]: mass of the paths up to step j ending with the kept candidates b, c (rescaled)."""
    n, kk = emit.shape
    alpha = np.zeros((n, kk, kk))
    alpha[1, 0, 0] = 1.0
    for j in range(2, n):
        total = 0.0
        for b in range(count[j - 1]):
            for c in range(count[j]):
                x = 0.0
                for a in range(count[j - 2]):
                    x += alpha[j - 1, a, b] * trans[j, a, b, c]
                alpha[j, b, c] = x * emit[j, c]
                total += alpha[j, b, c]
        if j % _RESCALE_EVERY == 0 and total > 0:
            for b in range(count[j - 1]):
                _scale(alpha[j, b], count[j], 1.0 / total)
    return alpha


@nb.njit(cache=True)
def _backward(trans: np.ndarray, emit: np.ndarray, count: np.ndarray) -> np.ndarray:
    """beta[j, a, b]: mass of the paths from step j on, given the kept candidates a, b (rescaled)."""
    n, kk = emit.shape
    beta = np.zeros((n, kk, kk))
    for b in range(count[n - 2]):  # (last position's candidate, </s>)
        beta[n - 1, b, 0] = 1.0
    for j in range(n - 1, 2, -1):
        total = 0.0
        for a in range(count[j - 2]):
            for b in range(count[j - 1]):
                x = 0.0
                for c in range(count[j]):
                    x += trans[j, a, b, c] * emit[j, c] * beta[j, b, c]
                beta[j - 1, a, b] = x
                total += x
        if j % _RESCALE_EVERY == 0 and total > 0:
            for a in range(count[j - 2]):
                _scale(beta[j - 1, a], count[j - 1], 1.0 / total)
    return beta


@nb.njit(cache=True)
def _posteriors(trans: np.ndarray, emit: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Posterior of every kept candidate at every padded step, by forward-backward in probability space
    (a log-sum-exp per step would cost an exp and a log per state), rescaled every few steps: a step
    multiplies the mass by at least e^-25 or so, four are far above underflow.

    ``trans[j, a, b, c]``: exp of the scaled trigram score of the kept candidates a, b, c at j-2, j-1, j;
    ``emit[j, c]``: exp of the scaled channel score, shifted by the step's best."""
    alpha = _forward(trans, emit, count)
    beta = _backward(trans, emit, count)
    n, kk = emit.shape
    post = np.zeros((n, kk))
    for j in range(2, n - 1):
        total = 0.0
        for c in range(count[j]):
            for b in range(count[j - 1]):
                post[j, c] += alpha[j, b, c] * beta[j, b, c]
            total += post[j, c]
        if total > 0:
            _scale(post[j], count[j], 1.0 / total)
    return post


@nb.njit(cache=True)
def _best_path(cube: np.ndarray, em: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The kept candidate of each padded step on the best path (max-product, log space; the first of
    equals, as ``argmax``)."""
    n, kk = em.shape
    delta = np.empty((n, kk, kk))
    back = np.zeros((n, kk, kk), dtype=np.int64)
    delta[1, 0, 0] = em[0, 0] + em[1, 0]
    for j in range(2, n):
        for b in range(count[j - 1]):
            for c in range(count[j]):
                pick, value = 0, NEG * 4
                for a in range(count[j - 2]):
                    x = delta[j - 1, a, b] + cube[j, a, b, c]
                    if a == 0 or x > value:
                        pick, value = a, x
                back[j, b, c] = pick
                delta[j, b, c] = value + em[j, c]
    path = np.zeros(n, dtype=np.int64)
    b_idx = 0
    for b in range(1, count[n - 2]):
        if delta[n - 1, b, 0] > delta[n - 1, b_idx, 0]:
            b_idx = b
    c_idx = 0
    for j in range(n - 1, 2, -1):
        a_idx = back[j, b_idx, c_idx]
        path[j - 1] = b_idx
        b_idx, c_idx = a_idx, b_idx
    return path


@nb.njit(cache=True)
def _most_probable(ids: np.ndarray, size: np.ndarray, first: np.ndarray, post: np.ndarray) -> np.ndarray:
    """Three <s>, each position's most probable reading, </s>: the 4-gram windows' neighbours."""
    n = size.size
    seq = np.empty(n + 1, dtype=np.int64)
    seq[0] = seq[1] = seq[2] = ids[first[0]]
    for j in range(2, n - 1):
        seq[j + 1] = ids[_largest(post, first[j], first[j] + size[j])]
    seq[n] = ids[first[n - 1]]
    return seq


@nb.njit(cache=True)
def _fourgram_shift(t: LMTables, seq: np.ndarray, at: int, word: int) -> float:
    """Sum of the 4-gram corrections of the (up to) four windows holding ``word`` at column ``at`` of
    ``seq`` (windows reaching past </s> left out)."""
    corr = 0.0
    window = np.empty(4, dtype=np.int64)
    for end in range(at, min(at + 4, seq.size)):
        for r in range(4):
            col = end - 3 + r
            window[r] = word if col == at else seq[col]
        corr += fourgram_correction(t, window[0], window[1], window[2], window[3])
    return corr


@nb.njit(cache=True)
def _fourgram_rescore(
    t: LMTables, ids: np.ndarray, size: np.ndarray, first: np.ndarray, post: np.ndarray, s: Settings
) -> None:
    """Sharpen the posteriors of uncertain positions with the 4-gram table, in place (see
    :func:`pipeline.restore.decode.decode`): each candidate's log posterior gets the correction
    of the four windows it takes part in, the neighbours at their most probable readings; the position
    is renormalised."""
    seq = _most_probable(ids, size, first, post)
    scale = s.fourgram_weight * s.lm_weight * np.log(10.0) / s.temperature
    for j in range(2, size.size - 1):
        lo, m = first[j], size[j]
        if m < 2 or post[_largest(post, lo, lo + m)] >= s.fourgram_uncertain:
            continue
        logp = np.empty(m)
        peak = -np.inf
        for c in range(m):
            logp[c] = -np.inf
            if post[lo + c] > s.fourgram_min_post:
                shift = _fourgram_shift(t, seq, j + 1, ids[lo + c])
                logp[c] = np.log(max(post[lo + c], 1e-300)) + shift * scale
                peak = max(peak, logp[c])
        if peak == -np.inf:
            continue
        total = 0.0
        for c in range(m):
            logp[c] = np.exp(logp[c] - peak) if logp[c] > -np.inf else 0.0
            total += logp[c]
        for c in range(m):
            post[lo + c] = logp[c] / total


@nb.njit(cache=True)
def _emissions(
    chan: np.ndarray, first: np.ndarray, kept: np.ndarray, count: np.ndarray, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scaled channel scores of the kept candidates, and their exp shifted by each step's best."""
    n = count.size
    kk = 1
    for j in range(n):
        kk = max(kk, count[j])
    em = np.zeros((n, kk))
    emit = np.zeros((n, kk))
    for j in range(n):
        top = NEG * 2
        for c in range(count[j]):
            em[j, c] = chan[first[j] + kept[j, c]] * scale
            top = max(top, em[j, c])
        for c in range(count[j]):
            emit[j, c] = np.exp(em[j, c] - top)
    return em, emit


@nb.njit(cache=True)
def _trigram_steps(
    t: LMTables, ids: np.ndarray, first: np.ndarray, kept: np.ndarray, count: np.ndarray,
    rows: np.ndarray, pair: np.ndarray, weight: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per padded step j, the scaled trigram score of every kept triple (candidates at j-2, j-1, j) and
    its exp. The bigram rows and scores of ``_pair_tables`` give the back-off and the context."""
    n = count.size
    kk = 1
    for j in range(n):
        kk = max(kk, count[j])
    w32 = np.float32(weight)
    cube = np.zeros((n, kk, kk, kk))
    trans = np.zeros((n, kk, kk, kk))
    for j in range(2, n):
        for a in range(count[j - 2]):
            ka = kept[j - 2, a]
            u = ids[first[j - 2] + ka]
            for b in range(count[j - 1]):
                kb = kept[j - 1, b]
                v = ids[first[j - 1] + kb]
                context = rows[j - 1, ka, kb]
                for c in range(count[j]):
                    kc = kept[j, c]
                    x = np.float64(_trigram_logp(t, u, v, ids[first[j] + kc], context, pair[j, kb, kc]) * w32)
                    cube[j, a, b, c] = x
                    trans[j, a, b, c] = np.exp(x)
    return cube, trans


@nb.njit(cache=True)
def _spread(
    post: np.ndarray,
    kept: np.ndarray,
    count: np.ndarray,
    size: np.ndarray,
    first: np.ndarray,
    out: np.ndarray,
) -> None:
    """The kept candidates' posteriors into ``out`` over every candidate (0 where pruned), each position
    summing to one (uniform where all vanished)."""
    for j in range(2, size.size - 1):
        lo, m = first[j], size[j]
        total = 0.0
        for c in range(count[j]):
            out[lo + kept[j, c]] = post[j, c]
            total += post[j, c]
        if total > 0:
            _scale(out[lo:], m, 1.0 / total)
        else:
            for c in range(m):
                out[lo + c] = 1.0 / m


@nb.njit(cache=True)
def _decode_segment(
    t: LMTables, ids: np.ndarray, chan: np.ndarray, size: np.ndarray, first: np.ndarray, prune: bool,
    s: Settings, post_out: np.ndarray, best_out: np.ndarray,
) -> None:  # fmt: skip
    """Decode one segment given as padded steps: two <s>, the positions, </s> (``size`` candidates from
    ``first`` in ``ids``/``chan``). Writes every candidate's posterior (0 if pruned) into ``post_out``
    and each position's chosen candidate into ``best_out``."""
    n = size.size
    kmax = 1
    for j in range(n):
        kmax = max(kmax, size[j])
    rows, pair = _pair_tables(t, ids, size, first, kmax)
    kept = np.zeros((n, kmax), dtype=np.int64)
    if prune or kmax > s.prune_keep:
        count = _prune(pair, chan, size, first, s, kept)
    else:
        count = size.copy()
        for j in range(n):
            for c in range(size[j]):
                kept[j, c] = c
    scale = np.log(10.0) / s.temperature
    em, emit = _emissions(chan, first, kept, count, scale)
    cube, trans = _trigram_steps(t, ids, first, kept, count, rows, pair, s.lm_weight * scale)
    _spread(_posteriors(trans, emit, count), kept, count, size, first, post_out)
    if s.fourgram_weight > 0 and t.quad_ctx.size > 0:
        _fourgram_rescore(t, ids, size, first, post_out, s)
    if s.posterior_decoding:
        for j in range(2, n - 1):
            best_out[j - 2] = _largest(post_out, first[j], first[j] + size[j]) - first[j]
    else:
        path = _best_path(cube, em, count)
        for j in range(2, n - 1):
            best_out[j - 2] = kept[j, path[j]]


@nb.njit(cache=True)
def decode_flat(
    t: LMTables, ids: np.ndarray, chan: np.ndarray, sizes: np.ndarray, per_seg: np.ndarray, bos: int,
    eos: int, prune: bool, s: Settings,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Decode every segment of a text given as flat arrays: the candidates' LM ids and channel log10
    scores in order, the candidates per position and the positions per segment. Returns the posterior
    of every candidate and the index (within its position) of each position's chosen candidate."""
    post = np.zeros(ids.size)
    best = np.zeros(sizes.size, dtype=np.int64)
    cand = 0
    pos = 0
    for seg in range(per_seg.size):
        length = per_seg[seg]
        n = length + 3
        # Padded steps: <s> <s> the positions </s>, as one small array of ids and scores.
        m = 0
        for i in range(length):
            m += sizes[pos + i]
        pad_ids = np.zeros(m + 3, dtype=np.int64)
        pad_chan = np.zeros(m + 3)
        size = np.ones(n, dtype=np.int64)
        first = np.zeros(n, dtype=np.int64)
        pad_ids[0] = pad_ids[1] = bos
        first[1] = 1
        k = 2
        for i in range(length):
            first[i + 2] = k
            size[i + 2] = sizes[pos + i]
            for c in range(sizes[pos + i]):
                pad_ids[k] = ids[cand + c]
                pad_chan[k] = chan[cand + c]
                k += 1
            cand += sizes[pos + i]
        first[n - 1] = k
        pad_ids[k] = eos
        seg_post = np.zeros(m + 3)
        seg_best = np.zeros(length, dtype=np.int64)
        _decode_segment(t, pad_ids, pad_chan, size, first, prune, s, seg_post, seg_best)
        for i in range(m):
            post[cand - m + i] = seg_post[2 + i]
        for i in range(length):
            best[pos + i] = seg_best[i]
        pos += length
    return post, best
