"""Build dictionaries/lm_syllable3.npz: a pruned, quantised syllable trigram LM (interpolated Kneser-Ney).

Why this layout: the decoder scores thousands of (u, v, w) triples per page with vectorised numpy lookups,
so the model is three sorted integer key arrays (unigram ids, packed bigram keys, packed trigram keys) with
8-bit quantised log10 probabilities and back-off weights. Trigram keys are stored as context runs plus
16-bit last-word ids, so the file stays small; they are unpacked to uint64 on load.

Kneser-Ney (one absolute discount per order, D = n1 / (n1 + 2 n2)): the top order uses raw counts, the
bigram order continuation counts, unigrams add-1/2-smoothed continuation counts; probabilities are
interpolated. --min-bigram / --min-trigram prune rare n-grams (their mass is left to the back-off path);
the default keeps every bigram and trigram (about 19 MB from the full corpus, loads in well under a
second). --min-fourgram N adds a table of the 4-grams seen at least N times (2: 2.9 M of 12 M, +10 MB),
with which the decoder corrects its uncertain trigram posteriors (decode_kernel._fourgram_rescore);
not shipped: on dev it won 1 % of the stripped errors but lost 1 % on real English-model OCR and
10 % on the plans.
--bits 16 stores 16-bit levels (tried: no gain over 8 on dev). Usage:

    python scripts/build_lm.py [--corpus-dir ../shared/corpus] [--files a.txt.gz ...] [--min-trigram 2]

The held-out slice of devtools/corpus_split.py and long unaccented lines are never read.
"""

from __future__ import annotations

import argparse
import sys
import time
from array import array
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.corpus import DEFAULT_CORPUS_DIR, DEFAULT_FILES, training_lines  # noqa: E402
from pipeline.resources import DICTIONARIES  # noqa: E402
from pipeline.restore.lm_units import BOS, EOS, SPECIALS, UNK, sentences  # noqa: E402
from pipeline.restore.normalize import strip_diacritics  # noqa: E402
from pipeline.restore.syllables import is_valid_syllable  # noqa: E402

LOGP_MIN = -9.0  # quantisation range of log10 probabilities
LOGB_MIN = -5.0  # ... and of log10 back-off weights
MAX_VOCAB = 65_000


def quantize(values: np.ndarray, lo: float, bits: int = 8) -> np.ndarray:
    """log10 values in [lo, 0] on ``bits``-bit levels (uint8 or uint16; the loader reads the width)."""
    top = (1 << bits) - 1
    q = np.round((np.clip(values, lo, 0.0) - lo) / (-lo) * top)
    return q.astype(np.uint8 if bits == 8 else np.uint16)


def read_corpus(corpus_dir: Path, files: tuple[str, ...], limit: int | None) -> list[list[str]]:
    out: list[list[str]] = []
    cache: dict[str, str] = {}
    for n, line in enumerate(training_lines(corpus_dir, files)):
        if limit and n >= limit:
            break
        out.extend(sentences(line, "modern", cache))
    return out


def choose_vocab(sents: list[list[str]], min_syllable: int, min_other: int) -> list[str]:
    counts: Counter[str] = Counter()
    for s in sents:
        counts.update(s)
    vocab = list(SPECIALS)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    # Skeletons of marked syllables ("chuc" for "chức") are unaccented typing, not words: keep them out.
    skeletons = {strip_diacritics(w) for w, n in ranked if n >= min_syllable and is_valid_syllable(w)}
    for word, n in ranked:
        if word in SPECIALS:
            continue
        valid = is_valid_syllable(word)
        if not valid and (word in skeletons or not word.isascii()):
            continue  # invalid non-ASCII words are mostly OCR junk ("vién") in the corpus
        if (valid and n >= min_syllable) or n >= min_other:
            vocab.append(word)
        if len(vocab) >= MAX_VOCAB:
            break
    return vocab


def encode(sents: list[list[str]], vocab: list[str]) -> np.ndarray:
    """Flat id array: <s> w1 .. wn </s> <s> ..."""
    index = {w: i for i, w in enumerate(vocab)}
    unk, bos, eos = index[UNK], index[BOS], index[EOS]
    flat = array("I")
    for s in sents:
        flat.append(bos)
        flat.extend(index.get(w, unk) for w in s)
        flat.append(eos)
    return np.frombuffer(flat, dtype=np.uint32).astype(np.uint64)


def discount(counts: np.ndarray) -> float:
    n1 = float(np.sum(counts == 1))
    n2 = float(np.sum(counts == 2))
    return n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5


def group_stats(keys_ctx: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sorted context keys: unique contexts, sum of values, number of distinct continuations."""
    ctx, start = np.unique(keys_ctx, return_index=True)
    sums = np.add.reduceat(values, start)
    distinct = np.diff(np.append(start, len(keys_ctx)))
    return ctx, sums.astype(np.float64), distinct.astype(np.float64)


def lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.searchsorted(sorted_keys, keys)
    idx = np.minimum(idx, len(sorted_keys) - 1)
    return idx, sorted_keys[idx] == keys


def build(
    ids: np.ndarray,
    vocab_size: int,
    bos: int,
    min_bigram: int,
    min_trigram: int,
    bits: int = 8,
    min_fourgram: int = 0,
    fourgram_gain: float = 0.0,
) -> dict[str, np.ndarray]:
    m16 = np.uint64(0xFFFF)
    s16, s32 = np.uint64(16), np.uint64(32)
    # Raw n-gram counts (never across a sentence start).
    ok2 = ids[1:] != bos
    big = (ids[:-1] << s16 | ids[1:])[ok2]
    bi_keys, bi_counts = np.unique(big, return_counts=True)
    del big
    ok3 = (ids[1:-1] != bos) & (ids[2:] != bos)
    tri = (ids[:-2] << s32 | ids[1:-1] << s16 | ids[2:])[ok3]
    tri_keys, tri_counts = np.unique(tri, return_counts=True)
    del tri
    print(f"  {len(bi_keys):,} bigrams, {len(tri_keys):,} trigrams", flush=True)

    # Continuation counts for bigrams: distinct left neighbours; bigrams after <s> keep raw counts.
    suffix = tri_keys & np.uint64(0xFFFFFFFF)
    suf_keys, suf_n = np.unique(suffix, return_counts=True)
    bi_kn = np.zeros(len(bi_keys), dtype=np.float64)
    pos, hit = lookup(bi_keys, suf_keys)
    bi_kn[pos[hit]] = suf_n[hit]
    starts_bos = (bi_keys >> s16) == np.uint64(bos)
    bi_kn[starts_bos] = bi_counts[starts_bos]

    # Unigrams: continuation counts N1+(. w).
    w_of_bi = (bi_keys & m16).astype(np.int64)
    uni_cont = np.bincount(w_of_bi, minlength=vocab_size).astype(np.float64)
    d1 = 0.0
    total_cont = uni_cont.sum()
    p1 = (uni_cont + 0.5) / (total_cont + 0.5 * vocab_size)
    p1[bos] = 1e-9

    # Bigram level (KN continuation counts).
    d2 = discount(bi_kn[bi_kn > 0].astype(np.int64))
    v_of_bi = (bi_keys >> s16).astype(np.int64)
    ctx2, sum2, n2 = group_stats(bi_keys >> s16, bi_kn)
    gamma1 = np.ones(vocab_size)
    gamma1[ctx2.astype(np.int64)] = np.where(sum2 > 0, d2 * n2 / np.maximum(sum2, 1e-9), 1.0)
    p2 = np.maximum(bi_kn - d2, 0) / np.maximum(sum2[np.searchsorted(ctx2, bi_keys >> s16)], 1e-9)
    p2 = p2 + gamma1[v_of_bi] * p1[w_of_bi]

    # Trigram level (raw counts).
    d3 = discount(tri_counts)
    ctx3, sum3, n3 = group_stats(tri_keys >> s16, tri_counts.astype(np.float64))
    gamma2_ctx = d3 * n3 / sum3  # back-off weight for each bigram context (u, v)
    ctx_idx = np.searchsorted(ctx3, tri_keys >> s16)
    bpos, _ = lookup(bi_keys, suffix)
    p3 = np.maximum(tri_counts - d3, 0) / sum3[ctx_idx] + gamma2_ctx[ctx_idx] * p2[bpos]
    print(f"  discounts: D1={d1:.3f} D2={d2:.3f} D3={d3:.3f}", flush=True)

    # Back-off weights stored on the bigram entries that serve as trigram contexts.
    bi_bo = np.ones(len(bi_keys))
    cpos, chit = lookup(bi_keys, ctx3)
    bi_bo[cpos[chit]] = gamma2_ctx[chit]

    # Prune: bigram entries are needed when frequent or when they carry a back-off weight for kept trigrams.
    keep3 = tri_counts >= min_trigram
    keep2 = bi_counts >= min_bigram
    needed_ctx = np.unique(tri_keys[keep3] >> s16)
    npos, nhit = lookup(bi_keys, needed_ctx)
    keep2[npos[nhit]] = True
    print(f"  kept {keep2.sum():,} bigrams, {keep3.sum():,} trigrams", flush=True)

    kept_tri = tri_keys[keep3]
    runs, run_len = np.unique(kept_tri >> s16, return_counts=True)
    quads = build_fourgrams(ids, bos, tri_keys, p3, min_fourgram, fourgram_gain, bits) if min_fourgram else {}
    return quads | {
        "uni_logp": quantize(np.log10(p1), LOGP_MIN, bits),
        "uni_logbo": quantize(np.log10(gamma1), LOGB_MIN, bits),
        "bi_keys": bi_keys[keep2].astype(np.uint32),
        "bi_logp": quantize(np.log10(p2[keep2]), LOGP_MIN, bits),
        "bi_logbo": quantize(np.log10(bi_bo[keep2]), LOGB_MIN, bits),
        "tri_ctx": runs.astype(np.uint32),
        "tri_ctx_len": run_len.astype(np.uint32),
        "tri_w": (kept_tri & m16).astype(np.uint16),
        "tri_logp": quantize(np.log10(p3[keep3]), LOGP_MIN, bits),
        "quant": np.array([LOGP_MIN, LOGB_MIN], dtype=np.float64),
        "discounts": np.array([d1, d2, d3]),
    }


def build_fourgrams(
    ids: np.ndarray,
    bos: int,
    tri_keys: np.ndarray,
    p3: np.ndarray,
    min_count: int,
    min_gain: float,
    bits: int,
) -> dict[str, np.ndarray]:
    """The 4-gram table the decoder corrects uncertain trigram posteriors with (interpolated KN on top of
    the trigram level, ``p3`` over every ``tri_keys`` entry).

    Why pruned this hard: a full 4-gram table would be several times the trigram one. Only 4-grams seen
    ``min_count`` times are kept, and of those only the ones whose probability differs from the back-off
    estimate (bo(a b c) P3(d | b c)) by ``min_gain`` log10 or more: the others would change no decision.
    The back-off weight of each kept context is renormalised over what was dropped.
    """
    s16, s32, s48 = np.uint64(16), np.uint64(32), np.uint64(48)
    ok = (ids[1:-2] != bos) & (ids[2:-1] != bos) & (ids[3:] != bos)
    quad = (ids[:-3] << s48 | ids[1:-2] << s32 | ids[2:-1] << s16 | ids[3:])[ok]
    keys, counts = np.unique(quad, return_counts=True)
    del quad
    d4 = discount(counts)
    ctx, csum, cn = group_stats(keys >> s16, counts.astype(np.float64))
    cidx = np.searchsorted(ctx, keys >> s16)
    tpos, thit = lookup(tri_keys, keys & np.uint64(0xFFFFFFFFFFFF))
    if not thit.all():
        raise ValueError("every 4-gram's last three words must be a counted trigram")
    p3q = p3[tpos]
    p4 = np.maximum(counts - d4, 0) / csum[cidx] + (d4 * cn / csum)[cidx] * p3q

    def backoff(keep: np.ndarray) -> np.ndarray:
        kept4 = np.bincount(cidx[keep], weights=p4[keep], minlength=len(ctx))
        kept3 = np.bincount(cidx[keep], weights=p3q[keep], minlength=len(ctx))
        return np.clip((1.0 - kept4) / np.maximum(1.0 - kept3, 1e-9), 1e-9, 1.0)

    keep = counts >= min_count
    gain = np.abs(np.log10(p4) - np.log10(backoff(keep)[cidx] * p3q))
    keep &= gain >= min_gain
    bo = backoff(keep)
    kept = keys[keep]
    runs, run_len = np.unique(kept >> s16, return_counts=True)
    print(f"  D4={d4:.3f}: {len(keys):,} 4-grams, kept {len(kept):,} in {len(runs):,} contexts", flush=True)
    return {
        "quad_ctx": runs,
        "quad_ctx_len": run_len.astype(np.uint32),
        "quad_w": (kept & np.uint64(0xFFFF)).astype(np.uint16),
        "quad_logp": quantize(np.log10(p4[keep]), LOGP_MIN, bits),
        "quad_ctx_logbo": quantize(np.log10(bo[np.searchsorted(ctx, runs)]), LOGB_MIN, bits),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--files", nargs="*", default=list(DEFAULT_FILES))
    ap.add_argument(
        "--limit-lines", type=int, default=None, help="read only this many lines (for quick tests)"
    )
    ap.add_argument(
        "--min-syllable", type=int, default=2, help="min count for a Vietnamese syllable in the vocab"
    )
    ap.add_argument(
        "--min-other", type=int, default=30, help="min count for other words (names, loans, codes)"
    )
    ap.add_argument("--min-bigram", type=int, default=1)
    ap.add_argument("--min-trigram", type=int, default=1)
    ap.add_argument(
        "--min-fourgram", type=int, default=0, help="min count of a stored 4-gram (0: no 4-gram table)"
    )
    ap.add_argument(
        "--fourgram-gain", type=float, default=0.0, help="min |log10 P4 - back-off estimate| of a 4-gram"
    )
    ap.add_argument("--bits", type=int, choices=(8, 16), default=8, help="quantisation levels: 2**bits")
    ap.add_argument("--out", type=Path, default=DICTIONARIES / "lm_syllable3.npz")
    args = ap.parse_args(argv)
    t0 = time.time()
    sents = read_corpus(args.corpus_dir, tuple(args.files), args.limit_lines)
    print(f"read {len(sents):,} sentences in {time.time() - t0:.0f}s", flush=True)
    vocab = choose_vocab(sents, args.min_syllable, args.min_other)
    ids = encode(sents, vocab)
    del sents
    print(f"vocab {len(vocab):,}, {len(ids):,} ids ({time.time() - t0:.0f}s)", flush=True)
    arrays = build(
        ids,
        len(vocab),
        vocab.index(BOS),
        args.min_bigram,
        args.min_trigram,
        args.bits,
        args.min_fourgram,
        args.fourgram_gain,
    )
    arrays["vocab"] = np.array("\n".join(vocab))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB) in {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
