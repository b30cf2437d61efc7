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

from dataclasses import dataclass

import numpy as np

from pipeline.restore.config import RestoreConfig
from pipeline.restore.lm import TrigramLM

LN10 = float(np.log(10.0))
NEG = -1e9  # "impossible" without the NaNs of -inf arithmetic


@dataclass
class Position:
    ids: np.ndarray  # LM ids of the candidates (int64), at most RestoreConfig.max_candidates
    channel: np.ndarray  # channel log10 scores, same length


@dataclass
class Decoded:
    best: list[int]  # index of the chosen candidate at each position
    posterior: list[np.ndarray]  # posterior probability of every candidate at each position


def _lse(x: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def decode_segments(lm: TrigramLM, segments: list[list[Position]], config: RestoreConfig) -> list[Decoded]:
    """Decode segments (each at most ``config.max_segment_len`` positions) in batches of similar length.

    A bigram max-marginal pass first drops candidates that cannot win under any context (keeping at most
    ``config.prune_keep``), so the trigram cube stays small; pruned candidates get posterior 0.
    """
    lm_weight, temperature = config.lm_weight, config.temperature
    out: list[Decoded | None] = [None] * len(segments)
    order = sorted(range(len(segments)), key=lambda i: len(segments[i]))
    for i in range(0, len(order), config.decode_batch):
        idx = order[i : i + config.decode_batch]
        batch = [segments[j] for j in idx]
        keep = _bigram_prune(lm, batch, lm_weight, config.prune_keep, config.prune_margin)
        pruned = [
            [Position(p.ids[kp], p.channel[kp]) for p, kp in zip(seg, ks, strict=True)]
            for seg, ks in zip(batch, keep, strict=True)
        ]
        for j, seg, ks, dec in zip(
            idx, batch, keep, _decode_batch(lm, pruned, lm_weight, temperature), strict=True
        ):
            best = [int(kp[b]) for kp, b in zip(ks, dec.best, strict=True)]
            posts = []
            for p, kp, post in zip(seg, ks, dec.posterior, strict=True):
                full = np.zeros(len(p.ids))
                full[kp] = post
                posts.append(full)
            out[j] = Decoded(best, posts)
    return [d for d in out if d is not None]


def _bigram_prune(
    lm: TrigramLM, segs: list[list[Position]], lm_weight: float, keep_k: int, margin: float
) -> list[list[np.ndarray]]:
    """Indices of the candidates worth a trigram decode, per position (bigram Viterbi max-marginals).

    At most ``keep_k`` per position, and only those within ``margin`` (log10) of the best max-marginal.
    """
    n_seg = len(segs)
    lengths = np.array([len(s) for s in segs])
    t_max = int(lengths.max())
    k = max(max(len(p.ids) for p in s) for s in segs)
    if k == 1:
        return [[np.zeros(1, dtype=np.int64) for _ in seg] for seg in segs]
    ids = np.full((n_seg, t_max + 2, k), lm.eos, dtype=np.int64)
    em = np.full((n_seg, t_max + 2, k), NEG)
    ids[:, 0, 0] = lm.bos
    em[:, 0, 0] = 0.0
    for s, seg in enumerate(segs):
        for t, p in enumerate(seg):
            ids[s, t + 1, : len(p.ids)] = p.ids
            em[s, t + 1, : len(p.ids)] = p.channel
        em[s, len(seg) + 1, 0] = 0.0
    valid = em > NEG / 2
    ok = valid[:, :-1, :, None] & valid[:, 1:, None, :]
    sidx, tidx, bi, ci = np.nonzero(ok)
    pair = np.full((n_seg, t_max + 1, k, k), NEG)  # pair[s, j-1]: (pos j-1, pos j)
    pair[sidx, tidx, bi, ci] = lm.bigram_score(ids[sidx, tidx, bi], ids[sidx, tidx + 1, ci]) * lm_weight
    last = lengths + 1
    fwd = [em[:, 0]]
    f = em[:, 0]
    for j in range(1, t_max + 2):
        new = np.max(f[:, :, None] + pair[:, j - 1], axis=1) + em[:, j]
        f = np.where((j <= last)[:, None], new, f)
        fwd.append(f)
    bwd: list[np.ndarray] = [np.zeros((n_seg, k))] * (t_max + 2)
    b = np.zeros((n_seg, k))
    for j in range(t_max + 1, 0, -1):
        bwd[j] = b
        prev = np.max(pair[:, j - 1] + (em[:, j] + b)[:, None, :], axis=2)
        b = np.where((j > last)[:, None], 0.0, prev)
    # Max-marginals of every (segment, position, candidate) at once; then per position a cheap slice.
    mm = np.stack(fwd[1 : t_max + 1], axis=1) + np.stack(bwd[1 : t_max + 1], axis=1)  # (S, T, K)
    mm = np.where(valid[:, 1 : t_max + 1], mm, NEG)
    order = np.argsort(-mm, axis=2)[:, :, :keep_k]
    top = np.take_along_axis(mm, order, axis=2)
    good = top >= top[:, :, :1] - margin
    single = np.zeros(1, dtype=np.int64)
    out: list[list[np.ndarray]] = []
    for s, seg in enumerate(segs):
        keeps = []
        for t, p in enumerate(seg):
            if len(p.ids) == 1:
                keeps.append(single)
            else:
                keeps.append(np.sort(order[s, t][good[s, t]]))
        out.append(keeps)
    return out


def _decode_batch(
    lm: TrigramLM, segs: list[list[Position]], lm_weight: float, temperature: float
) -> list[Decoded]:
    n_seg = len(segs)
    lengths = np.array([len(s) for s in segs])
    t_max = int(lengths.max())
    k = max(max(len(p.ids) for p in s) for s in segs)
    # Padded candidate ids and channel scores; two virtual <s> positions in front.
    ids = np.full((n_seg, t_max + 3, k), lm.eos, dtype=np.int64)
    chan = np.full((n_seg, t_max + 3, k), NEG)
    ids[:, 0:2, 0] = lm.bos
    chan[:, 0:2, 0] = 0.0
    for s, seg in enumerate(segs):
        for t, p in enumerate(seg):
            ids[s, t + 2, : len(p.ids)] = p.ids
            chan[s, t + 2, : len(p.ids)] = p.channel
        ids[s, len(seg) + 2, 0] = lm.eos  # </s> after the last position
        chan[s, len(seg) + 2, 0] = 0.0
    # Trigram scores for real (non-padded) triples only, scattered into the padded cube.
    valid = chan > NEG / 2  # (S, T+3, K)
    a_ok = valid[:, :-2, :, None, None] & valid[:, 1:-1, None, :, None] & valid[:, 2:, None, None, :]
    sidx, tidx, ai, bi, ci = np.nonzero(a_ok)
    u = ids[sidx, tidx, ai]
    v = ids[sidx, tidx + 1, bi]
    w = ids[sidx, tidx + 2, ci]
    scale = LN10 / temperature
    cube = np.full((n_seg, t_max + 1, k, k, k), NEG)  # cube[s, j-2]: triple at padded positions j-2, j-1, j
    cube[sidx, tidx, ai, bi, ci] = lm.score(u, v, w) * (lm_weight * scale)
    em = chan * scale
    last = lengths + 2  # padded index of </s> per segment
    j_end = t_max + 2
    # Forward: state at padded position j is (candidate at j-1, candidate at j).
    delta = em[:, 0, :, None] + em[:, 1, None, :]
    alpha = delta.copy()
    alpha_at = {1: alpha}
    back_at: dict[int, np.ndarray] = {}
    for j in range(2, j_end + 1):
        step = cube[:, j - 2]  # (S, a, b, c)
        cand = delta[:, :, :, None] + step
        back_at[j] = np.argmax(cand, axis=1)
        active = (j <= last)[:, None, None]
        delta = np.where(active, np.max(cand, axis=1) + em[:, j, None, :], delta)
        alpha = np.where(active, _lse(alpha[:, :, :, None] + step, axis=1) + em[:, j, None, :], alpha)
        alpha_at[j] = alpha
    best_b = np.argmax(delta[:, :, 0], axis=1)  # final state (b, </s>)
    log_z = _lse(alpha[:, :, 0], axis=1)
    # Backward: beta[j] over the states of position j; zero at and after </s>.
    beta = np.zeros((n_seg, k, k))
    beta_at = {j_end: beta}
    for j in range(j_end, 2, -1):
        step = cube[:, j - 2]
        prev = _lse(step + em[:, j, None, None, :] + beta[:, None, :, :], axis=3)
        beta = np.where((j > last)[:, None, None], 0.0, prev)
        beta_at[j - 1] = beta
    # Posterior marginals of every position at once: sum over the previous candidate of alpha * beta.
    both = np.stack([alpha_at[j] + beta_at[j] for j in range(2, t_max + 2)], axis=1)  # (S, T, b, c)
    post_all = np.exp(_lse(both, axis=2) - log_z[:, None, None])
    results: list[Decoded] = []
    for s, seg in enumerate(segs):
        n = len(seg)
        path = [0] * n
        b_idx, c_idx = int(best_b[s]), 0
        for j in range(n + 2, 2, -1):
            a_idx = int(back_at[j][s, b_idx, c_idx])
            path[j - 3] = b_idx
            b_idx, c_idx = a_idx, b_idx
        posts = []
        for t in range(n):
            real = len(seg[t].ids)
            post = post_all[s, t, :real]
            total = post.sum()
            posts.append(post / total if total > 0 else np.full(real, 1.0 / real))
        results.append(Decoded(path, posts))
    return results
