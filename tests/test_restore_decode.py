"""The joint decoder against brute force, and the shortcuts that make restoration fast leave it unchanged."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import re

import numpy as np
import pytest

import pipeline.restore.engine as engine
from pipeline.restore import restore_text, tokenize
from pipeline.restore.candidates import CandidateGenerator
from pipeline.restore.config import DEFAULT_CONFIG, RestoreConfig
from pipeline.restore.decode import Position, decode_segments
from pipeline.restore.decode_kernel import _keep_best, fourgram_correction, trigram_logp
from pipeline.restore.engine import models
from pipeline.restore.lm import TrigramLM
from pipeline.restore.normalize import strip_diacritics

# No candidate is pruned before the trigram pass, and neither the 4-gram correction nor the document cache
# moves the trigram posteriors: they are the exact ones.
_NO_PRUNING = RestoreConfig(prune_keep=16, prune_margin=1e9, fourgram_weight=0.0, topic_weight=0.0)
# Sentence by sentence: the document cache makes a sentence's reading depend on the rest of the text.
_NO_CACHE = RestoreConfig(topic_weight=0.0)


def _random_segments(rng: np.random.Generator, n: int, vocab: int) -> list[list[Position]]:
    segments = []
    for _ in range(n):
        length = int(rng.integers(1, 5))
        segment = []
        for _ in range(length):
            k = int(rng.integers(1, 4))
            ids = rng.choice(np.arange(10, vocab), size=k, replace=False).tolist()
            segment.append(Position(ids, rng.uniform(-4.0, 0.0, size=k).tolist()))
        segments.append(segment)
    return segments


def _brute_force(segment: list[Position], cfg: RestoreConfig) -> list[np.ndarray]:
    """Posterior of every candidate by enumerating every path: <s> <s> path </s> under the trigram LM."""
    lm = models().lm
    scale = math.log(10.0) / cfg.temperature
    paths = list(itertools.product(*(range(len(p.ids)) for p in segment)))
    logs = []
    for path in paths:
        words = [lm.bos, lm.bos] + [segment[t].ids[c] for t, c in enumerate(path)] + [lm.eos]
        tri = sum(float(lm.score(words[i - 2], words[i - 1], words[i])) for i in range(2, len(words)))
        chan = sum(segment[t].channel[c] for t, c in enumerate(path))
        logs.append((cfg.lm_weight * tri + chan) * scale)
    top = max(logs)
    weights = [math.exp(x - top) for x in logs]
    total = sum(weights)
    post = [np.zeros(len(p.ids)) for p in segment]
    for path, w in zip(paths, weights, strict=True):
        for t, c in enumerate(path):
            post[t][c] += w / total
    return post


def test_posteriors_are_those_of_every_path_enumerated():
    """Segments of different lengths and candidate counts decoded together (the recursions skip finished
    segments) give each position the posterior that enumerating all paths gives."""
    rng = np.random.default_rng(7)
    segments = _random_segments(rng, 12, len(models().lm.vocab))
    decoded = decode_segments(models().lm, segments, _NO_PRUNING)
    for segment, got in zip(segments, decoded, strict=True):
        want = _brute_force(segment, _NO_PRUNING)
        for g, w in zip(got.posterior, want, strict=True):
            assert np.allclose(g, w, atol=1e-9)
        assert got.best == [int(np.argmax(w)) for w in want]


def test_a_segment_decodes_the_same_alone_and_in_a_batch():
    """Batching is for speed only: each segment's result does not depend on the others (bit for bit)."""
    rng = np.random.default_rng(11)
    lm = models().lm
    segments = _random_segments(rng, 20, len(lm.vocab))
    together = decode_segments(lm, segments, _NO_CACHE)
    for segment, joint in zip(segments, together, strict=True):
        (alone,) = decode_segments(lm, [segment], _NO_CACHE)
        assert alone.best == joint.best
        for a, b in zip(alone.posterior, joint.posterior, strict=True):
            assert a.tolist() == b.tolist()


@pytest.mark.parametrize("keep, margin", [(4, 3.0), (2, 0.5), (16, 1e9)])
def test_the_prune_keeps_the_best_max_marginals_within_the_margin(keep, margin):
    """The candidates kept for the trigram pass are those a stable sort of the max-marginals puts in the
    first ``keep`` and within ``margin`` of the best, listed in their original order."""
    rng = np.random.default_rng(keep)
    for _ in range(200):
        m = int(rng.integers(1, 17))
        mm = rng.choice([-1.0, -2.5, -3.0, -4.0, -7.0], size=m) + rng.choice([0.0, -0.25], size=m)
        out = np.zeros(m, dtype=np.int64)
        count = _keep_best(mm, m, keep, margin, out)
        order = np.argsort(-mm, kind="stable")[:keep]
        want = sorted(int(c) for c in order if mm[c] >= mm[order[0]] - margin)
        assert out[:count].tolist() == want


def test_memo_kept_across_calls_is_bounded_and_changes_nothing(monkeypatch):
    """The page-independent score terms are remembered across calls: a warm memo, a cold one and one
    emptied every few tokens give the same restoration, and the memo never outgrows its bound."""
    text = "Uy ban nhan dan tinh da ban hanh ke hoach phat trien kinh te\nS¢ Tai chinh c6 y kien vé viéc"
    memo = models().call_memo(DEFAULT_CONFIG)
    memo.clear()
    cold = restore_text(text)
    warm = restore_text(text)
    monkeypatch.setattr(engine, "_TERMS_LIMIT", 5)
    memo.clear()
    small = restore_text(text)
    assert 0 < len(memo) <= 5
    assert cold == warm == small


def test_cached_chunks_tokenize_as_uncached_ones():
    """A short chunk's pieces come from a cache; they are those the chunk gives when tokenised afresh, at
    the chunk's own columns (long chunks are always tokenised afresh)."""
    long_chunk = "x" * (tokenize._CACHED_CHUNK_LEN + 5) + ",tỉnh"
    line = f'  "Sở Tài chính," c6 153/KH-UBND tỉnh,giai đoạn (2021-2025)... {long_chunk} www.a.vn. 7'
    for _ in range(2):  # cold, then from the cache
        fresh: list[tokenize.Piece] = []
        for m in re.finditer(r"\S+", line):
            tokenize._chunk_pieces(m.group(), m.start(), fresh)
        assert tokenize.tokenize_line(line) == fresh
    assert any(p.text == "tỉnh" and p.col == line.index("tỉnh,giai") for p in fresh)


def _topic_text(lm, rare: int, common: int, gap: float) -> list[list[Position]]:
    """Twenty sentences that are sure of the rare word, then one that hesitates between the two."""
    sure = [[Position([rare], [0.0])] for _ in range(20)]
    return [*sure, [Position([common, rare], [0.0, gap])]]


@pytest.mark.parametrize("redecode", [1, 0])
def test_a_word_the_text_keeps_using_wins_its_hesitant_occurrence(redecode: int):
    """The document cache: "phở" read with certainty twenty times makes the hesitant reading "phở" too,
    where sentence by sentence the far more frequent "phố" wins; the posterior moves with the decision,
    whether the sentence is decoded again or its posteriors are rescaled (``topic_redecode=0``)."""
    lm = models().lm
    rare, common = lm.id("phở"), lm.id("phố")
    segments = _topic_text(lm, rare, common, -0.5)
    alone = decode_segments(lm, segments, _NO_CACHE)[-1]
    cached = decode_segments(lm, segments, dataclasses.replace(DEFAULT_CONFIG, topic_redecode=redecode))[-1]
    assert alone.best == [0]
    assert cached.best == [1]
    assert cached.posterior[0][1] > alone.posterior[0][1]
    assert np.isclose(cached.posterior[0].sum(), 1.0)


def test_the_cache_needs_the_word_to_recur():
    """Once is no topic: a single sure "phở" elsewhere leaves the hesitant sentence as it was."""
    lm = models().lm
    rare, common = lm.id("phở"), lm.id("phố")
    segments = [[Position([rare], [0.0])], [Position([common, rare], [0.0, -0.5])]]
    alone = decode_segments(lm, segments, _NO_CACHE)[-1]
    cached = decode_segments(lm, segments, DEFAULT_CONFIG)[-1]
    assert cached.best == alone.best == [0]
    assert np.allclose(cached.posterior[0], alone.posterior[0])


def _with_one_fourgram(words: str) -> TrigramLM:
    """A copy of the shipped model (which has no 4-gram table) with a table of one 4-gram, ``words``:
    log10 P = -0.01 after its context, whose back-off weight is -1.5."""
    lm = copy.copy(models().lm)
    a, b, c, d = (lm.id(w) for w in words.split())
    lm.quad_ctx = np.array([a << 32 | b << 16 | c], dtype=np.uint64)
    lm.quad_keys = np.array([(a << 48) | (b << 32) | (c << 16) | d], dtype=np.uint64)
    lm.quad_logp = np.array([-0.01], dtype=np.float32)
    lm.quad_ctx_logbo = np.array([-1.5], dtype=np.float32)
    lm._tables = None  # the copy's own compiled-decoder tables, with the 4-gram table
    return lm


def test_fourgram_correction_backs_off_inside_a_known_context():
    """In a stored 4-gram context the listed continuation gets its 4-gram score in place of the trigram
    one and an unlisted one pays the context's back-off weight; another context changes nothing. (A
    one-entry table on a copy of the shipped model, which has none.)"""
    lm = _with_one_fourgram("ủy ban nhân dân")
    a, b, c, right = (lm.id(w) for w in ("ủy", "ban", "nhân", "dân"))
    wrong = lm.id("dan")
    assert lm.has_fourgrams
    t = lm.tables()
    got = [
        fourgram_correction(t, *window) for window in ((a, b, c, right), (a, b, c, wrong), (b, c, right, a))
    ]
    assert np.isclose(got[0], -0.01 - float(lm.score(b, c, right)), atol=1e-6)
    assert np.isclose(got[1], -1.5)
    assert got[2] == 0.0


def test_a_stored_fourgram_sharpens_an_uncertain_position():
    """The decoder's 4-gram pass (a one-entry table on a copy of the shipped model, which has none): a
    continuation the table lists after its context gains posterior at a position the trigram left
    uncertain, which stays a distribution; a position outside the context is not moved."""
    lm = _with_one_fourgram("ủy ban nhân dân")
    a, b, c, right = (lm.id(w) for w in ("ủy", "ban", "nhân", "dân"))
    wrong = lm.id("dần")
    context = [Position([a], [0.0]), Position([b], [0.0]), Position([c], [0.0])]
    segments = [[*context, Position([wrong, right], [0.0, -4.0])], [Position([wrong, right], [0.0, -4.0])]]
    trigram = decode_segments(lm, segments, dataclasses.replace(_NO_CACHE, fourgram_weight=0.0))
    fourgram = decode_segments(lm, segments, _NO_CACHE)
    assert trigram[0].posterior[3].max() < DEFAULT_CONFIG.fourgram_uncertain
    assert fourgram[0].posterior[3][1] > trigram[0].posterior[3][1] + 0.005
    assert np.isclose(fourgram[0].posterior[3].sum(), 1.0)
    assert np.allclose(fourgram[1].posterior[0], trigram[1].posterior[0])


def test_fourgram_rescoring_keeps_posteriors_normalised():
    """The 4-gram pass and the cache renormalise what they move: every position still sums to one."""
    rng = np.random.default_rng(5)
    lm = models().lm
    segments = _random_segments(rng, 30, len(lm.vocab))
    for dec in decode_segments(lm, segments, DEFAULT_CONFIG):
        for p in dec.posterior:
            assert np.isclose(p.sum(), 1.0) and (p >= 0).all()


def _rewrites_unpruned(gen: CandidateGenerator, token: str, cfg: RestoreConfig) -> list[tuple[str, float]]:
    """The rewrite search as first written: every form of every round built and looked up."""
    found: dict[str, float] = {}
    frontier = [(token, 0.0)]
    for depth in range(cfg.rewrite_depth):
        nxt = []
        for form, cost in frontier:
            for new, c in gen._one_rewrite(form, cost):
                key = strip_diacritics(new)
                if key in gen.by_skeleton and found.get(key, -99.0) < c:
                    found[key] = c
                if depth + 1 < cfg.rewrite_depth and c > cfg.rewrite_expand_floor:
                    nxt.append((new, c))
        frontier = nxt
    found.pop(strip_diacritics(token), None)
    return sorted(found.items(), key=lambda kv: -kv[1])[: cfg.rewrite_skeletons]


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_the_last_rewrite_round_finds_what_building_every_form_finds(depth):
    """The last round skips forms whose unchanged head or tail no skeleton starts or ends with: the
    skeletons found, their costs and their order stay those of the full search."""
    cfg = RestoreConfig(rewrite_depth=depth)
    gen = models().generator
    tokens = ["c6", "thirc", "nguoi", "quyét", "s¢", "d&", "tinh", "chinh", "ph6ng", "1ao", "dông", "xa"]
    tokens += ["tnrờng", "huyén", "ciia", "dé", "vièc", "cüa", "nhân", "bé", "tinh", "qu6c", "h0i"]
    found_any = False
    for token in tokens:
        got = gen._rewrites(token, cfg)
        assert got == _rewrites_unpruned(gen, token, cfg), token
        found_any = found_any or bool(got)
    assert found_any


def test_trigram_scores_are_the_same_with_the_context_shortcut():
    """Searching the trigram table only for triples whose context is a stored bigram answers as searching
    it for every triple (stored triples, triples of a stored context, triples of unknown contexts)."""
    lm = copy.copy(models().lm)
    rng = np.random.default_rng(7)
    stored = lm.tri_keys[rng.integers(0, lm.tri_keys.size, 3000)]
    u, v, w = (
        stored >> np.uint64(32),
        (stored >> np.uint64(16)) & np.uint64(0xFFFF),
        stored & np.uint64(0xFFFF),
    )
    other = rng.integers(0, len(lm.vocab), size=(3, 3000)).astype(np.uint64)
    u, v, w = (np.concatenate([a, b, a]) for a, b in zip((u, v, w), other, strict=True))
    w[-3000:] = other[2]  # stored contexts, mostly unstored words
    assert lm._contexts_are_bigrams()
    shortcut = lm.score(u, v, w)
    lm._trigram_contexts_known = False
    full = lm.score(u, v, w)
    assert np.array_equal(shortcut, full)
    assert np.array_equal(shortcut[:3000], lm.tri_logp[np.searchsorted(lm.tri_keys, stored)])


def test_a_stored_model_knows_its_trigram_contexts_when_mapped(tmp_path):
    """The trigram-context check and the decoder's trigram index are stored with the model's arrays: a
    process that maps them does not compute them again, and gets what computing them gives."""
    lm = copy.copy(models().lm)
    lm._trigram_contexts_known = None
    lm.save(tmp_path)
    mapped = TrigramLM.mapped(tmp_path)
    assert mapped._trigram_contexts_known is lm._contexts_are_bigrams()
    for got, want in zip(mapped.tables(), lm.tables(), strict=True):  # the decoder's index, stored too
        assert np.array_equal(got, want)
    (tmp_path / "trigram_contexts_are_bigrams.txt").unlink()  # an entry stored before the flag existed
    assert TrigramLM.mapped(tmp_path)._trigram_contexts_known is None


def test_the_compiled_lookups_answer_as_the_model():
    """The decoder's look-ups (a bigram among its first word's, a trigram among its context's) give the
    model's scores bit for bit: stored triples, stored contexts with other words, random triples; and the
    same with the search of the whole table that a model whose contexts are not all bigrams needs."""
    lm = models().lm
    rng = np.random.default_rng(3)
    stored = lm.tri_keys[rng.integers(0, lm.tri_keys.size, 500)]
    u, v = stored >> np.uint64(32), (stored >> np.uint64(16)) & np.uint64(0xFFFF)
    other = rng.integers(0, len(lm.vocab), size=(3, 500)).astype(np.uint64)
    triples = np.concatenate(
        [
            np.stack([u, v, stored & np.uint64(0xFFFF)]),
            np.stack([u, v, other[2]]),
            other,
        ],
        axis=1,
    ).astype(np.int64)
    want = lm.score(*triples)
    tables = lm.tables()
    for t in (tables, tables._replace(contexts_are_bigrams=False)):
        got = np.array([trigram_logp(t, *(int(x) for x in triple)) for triple in triples.T], dtype=np.float32)
        assert np.array_equal(got, want)


def test_the_best_path_mode_shares_the_posteriors_and_reads_a_clear_sentence_alike():
    """``posterior_decoding=0`` (Viterbi) takes its confidences from the same forward-backward as the
    default mode: on a sentence whose every word is clear the two read the same, with the same
    confidences."""
    text = "Cac don vi c6 trach nhiém t6 chirc thuc hién Ké hoach nay, bdo cdo két qua vé S¢ truéc ngay 15."
    best_path = restore_text(text, config=dataclasses.replace(DEFAULT_CONFIG, posterior_decoding=0))
    marginal = restore_text(text)
    assert best_path.text == marginal.text
    assert [t.confidence for t in best_path.tokens] == pytest.approx([t.confidence for t in marginal.tokens])


def test_restoring_runs_no_full_garbage_collection():
    """The models are out of the collector's way (frozen) and young objects are collected in large
    batches: restoring some thousands of words runs no full collection (each walked every object of the
    models) and a few young ones (with the interpreter's defaults, over 30 on this text)."""
    import gc

    models()
    text = "\n".join(
        f"Cac don vi c6 trach nhiém t6 chirc thuc hién Ké hoach s6 {i}, bdo cdo két qua vé S¢ truéc ngay 15."
        for i in range(200)
    )
    restore_text(text)  # the first call fills the caches
    runs: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            runs.append(info["generation"])

    gc.callbacks.append(count)
    try:
        restore_text(text.replace("15", "20"))
    finally:
        gc.callbacks.remove(count)
    assert gc.get_freeze_count() > 10_000
    assert 2 not in runs
    assert len(runs) <= 5
