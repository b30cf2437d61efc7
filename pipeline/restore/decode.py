"""Joint decoding of a sentence: channel x trigram LM, Viterbi for the best path, forward-backward for
per-token posteriors (the confidence reported to users and used to flag tokens for review).

Positions carry candidate LM ids with channel log10 scores; fixed tokens (numbers, codes, commas) are
positions with a single candidate so they still give the LM its context.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.restore.lm import TrigramLM

LN10 = float(np.log(10.0))


@dataclass
class Position:
    ids: np.ndarray  # LM ids of the candidates (int64)
    channel: np.ndarray  # channel log10 scores, same length


@dataclass
class Decoded:
    best: list[int]  # index of the chosen candidate at each position
    posterior: list[np.ndarray]  # posterior probability of every candidate at each position


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def lm_tables(lm: TrigramLM, segments: list[list[Position]]) -> list[list[np.ndarray]]:
    """All trigram scores every segment needs, in one vectorised LM call.

    Table t of a segment has shape (K[t-2], K[t-1], K[t]); one extra table scores the end of sentence.
    """
    bos = np.array([lm.bos], dtype=np.int64)
    eos = np.array([lm.eos], dtype=np.int64)
    shapes: list[tuple[int, int, int]] = []
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    ws: list[np.ndarray] = []
    for seg in segments:
        ids = [bos, bos] + [p.ids for p in seg] + [eos]
        for t in range(2, len(ids)):
            a, b, c = ids[t - 2], ids[t - 1], ids[t]
            grid = np.meshgrid(a, b, c, indexing="ij")
            shapes.append(grid[0].shape)
            us.append(grid[0].ravel())
            vs.append(grid[1].ravel())
            ws.append(grid[2].ravel())
    if not shapes:
        return [[] for _ in segments]
    scores = lm.score(np.concatenate(us), np.concatenate(vs), np.concatenate(ws))
    out: list[list[np.ndarray]] = []
    k = 0
    offset = 0
    for seg in segments:
        tables = []
        for _ in range(len(seg) + 1):
            shape = shapes[k]
            size = shape[0] * shape[1] * shape[2]
            tables.append(scores[offset : offset + size].reshape(shape).astype(np.float64))
            offset += size
            k += 1
        out.append(tables)
    return out


def decode_segment(
    seg: list[Position], tables: list[np.ndarray], lm_weight: float, temperature: float
) -> Decoded:
    """Viterbi path and forward-backward posteriors over one segment (natural-log internally)."""
    n = len(seg)
    scale = LN10 / temperature
    chan = [p.channel.astype(np.float64) * scale for p in seg]
    lmt = [t * (lm_weight * scale) for t in tables]
    # t = 0: previous two are <s>, states (b=<s>, c).
    delta = lmt[0][0] + chan[0][None, :]  # states (b=<s>, c): shape (1, K0)
    alphas = [delta.copy()]
    backptr: list[np.ndarray] = [np.zeros_like(delta, dtype=np.int64)]
    for t in range(1, n):
        s = lmt[t]  # (K[t-2] or 1, K[t-1], K[t])
        cand = delta[:, :, None] + s  # (a, b, c)
        backptr.append(np.argmax(cand, axis=0))
        delta = np.max(cand, axis=0) + chan[t][None, :]
        alphas.append(_logsumexp(alphas[-1][:, :, None] + s, axis=0) + chan[t][None, :])
    end = lmt[n][:, :, 0]  # (b, c) -> </s>
    final = delta + end
    b, c = np.unravel_index(int(np.argmax(final)), final.shape)
    path = [0] * n
    path[n - 1] = int(c)
    prev_b = int(b)
    for t in range(n - 1, 0, -1):
        a = int(backptr[t][prev_b, path[t]])
        path[t - 1] = prev_b
        prev_b = a
    # Backward pass: beta over the states (b, c) of position t.
    beta = end.copy()
    log_z = float(_logsumexp((alphas[-1] + beta).ravel(), axis=0))
    posts: list[np.ndarray] = [np.empty(0)] * n
    for t in range(n - 1, -1, -1):
        post = np.exp(_logsumexp(alphas[t] + beta, axis=0) - log_z)
        total = post.sum()
        posts[t] = post / total if total > 0 else np.full(len(post), 1.0 / len(post))
        if t > 0:
            beta = _logsumexp(lmt[t] + chan[t][None, None, :] + beta[None, :, :], axis=2)
    return Decoded(path, posts)
