"""The restoration models, loaded from dictionaries/ once per process.

Loading the syllable inventory, trigram LM, learned OCR channel and abbreviations takes about half a
second, so every restore_text call of a process shares one :class:`Models`. Batch
workers load it when they start and report :func:`model_loads` to show it stays at one per process.

The models depend on the configuration only through ``RestoreConfig.channel_key()`` (which rows of the
confusion table become rules); one model set is kept per distinct key, so the default config loads once.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Callable

from pipeline.resources import dictionary_file
from pipeline.restore import model_cache
from pipeline.restore.candidates import CandidateGenerator
from pipeline.restore.channel import SEED_RULES, load_learned_channel, merge_rules
from pipeline.restore.config import DEFAULT_CONFIG, RestoreConfig
from pipeline.restore.lexicon import Lexicons, LexiconSettings, UserLexicon, read_rows
from pipeline.restore.lm import TrigramLM
from pipeline.restore.protect import code_variants, garbled_variants, load_abbreviations
from pipeline.restore.syllables import Inventory

# Cached letter-model scores before the cache is emptied: bounds memory on huge batches.
_LETTER_CACHE_LIMIT = 500_000
# Allocations between two collections of the youngest objects (the interpreter's default is 700).
_YOUNG_OBJECTS = 10_000
# Compiled lexicons kept (one per user lexicon and lexicon setting): a batch uses one or two.
_LEXICON_CACHE_LIMIT = 8
# Configs whose call memos are kept (a process uses one or two; experiments that try many stay bounded).
_CALL_MEMO_CONFIGS = 8


class Models:
    """Everything loaded from dictionaries/: read-only after construction except its caches."""

    def __init__(self, config: RestoreConfig = DEFAULT_CONFIG) -> None:
        self.inventory = Inventory.load(dictionary_file("syllables.tsv"))
        self.lm = TrigramLM(dictionary_file("lm_syllable3.npz"))
        learned = load_learned_channel(dictionary_file("ocr_confusions.tsv"), config)
        self.letter_channel: Callable[[str, str, float], float | None] | None = (
            learned.same_length_logp if learned and learned.char_logp else None
        )
        self._letter_cache: dict[tuple[str, str, float], float | None] = {}
        self._call_memos: dict[RestoreConfig, dict] = {}
        self.rules = merge_rules(learned.rules, SEED_RULES) if learned else SEED_RULES
        token_map = learned.token_map if learned else {}
        skeletons = set(self.inventory.by_skeleton)
        known = set(self.inventory.counts) | {
            w for w in self.lm.vocab if w.isalpha() and w.isascii() and w not in skeletons
        }
        self.generator = CandidateGenerator(self.inventory.by_skeleton, known, self.rules, token_map)
        self.abbreviations = load_abbreviations(dictionary_file("abbreviations.tsv"))
        self.code_abbreviations = code_variants(self.abbreviations)
        self.garbled_abbreviations = garbled_variants(self.abbreviations)
        total = {}
        for skel, words in self.inventory.by_skeleton.items():
            counts = [self.inventory.counts[w] for w in words]
            bare = sum(self.inventory.counts[w] for w in words if w == skel)
            total[skel] = 1.0 - bare / max(sum(counts), 1)
        self.p_marked = total  # P(a token with this skeleton should carry marks)
        # Raw corpus frequency (not the LM's Kneser-Ney unigram, which underrates "dõi": it follows
        # "theo" almost always) orders candidates before the decoder sees them.
        n_total = float(sum(self.inventory.counts.values()) or 1)
        self.log_freq = {w: math.log10((c + 1) / n_total) for w, c in self.inventory.counts.items()}
        self.name_rows = read_rows(dictionary_file("names.tsv"))
        self.from_cache = False
        self._lexicons: dict[tuple[LexiconSettings, UserLexicon | None], Lexicons] = {}
        self._lexicon_lock = threading.Lock()

    def __getstate__(self) -> dict:
        """What :mod:`~pipeline.restore.model_cache` pickles: all but the trigram arrays (stored apart, to be
        memory-mapped), the caches and the lock."""
        state = dict(self.__dict__)
        for name in ("lm", "_letter_cache", "_call_memos", "_lexicons", "_lexicon_lock"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.from_cache = True
        self._letter_cache = {}
        self._call_memos = {}
        self._lexicons = {}
        self._lexicon_lock = threading.Lock()

    def call_memo(self, config: RestoreConfig) -> dict:
        """A memo the restoration of one config keeps across calls (its user bounds its size): what a
        call derives from these models and the config alone is the same on every page of a batch."""
        got = self._call_memos.get(config)
        if got is None:
            if len(self._call_memos) >= _CALL_MEMO_CONFIGS:
                self._call_memos.clear()
            got = self._call_memos.setdefault(config, {})
        return got

    def lexicons(self, config: RestoreConfig, user: UserLexicon | None = None) -> Lexicons:
        """The name, place and office lexicons (with ``user``'s entries), compiled once per setting."""
        settings = LexiconSettings(
            lexicon_share=config.name_lexicon_share,
            pair_strength=config.name_pair_strength,
            pair_cap=config.name_pair_cap,
            floor=config.name_prior_floor,
            female_share=config.name_female_share,
            user_share=config.user_lexicon_share,
        )
        key = (settings, user)
        got = self._lexicons.get(key)
        if got is None:
            with self._lexicon_lock:
                got = self._lexicons.get(key)
                if got is None:
                    got = Lexicons(self.name_rows, self.log_freq, settings, user)
                    if len(self._lexicons) >= _LEXICON_CACHE_LIMIT:
                        self._lexicons.clear()
                    self._lexicons[key] = got
        return got

    def letter_logp(self, token: str, word: str, floor: float) -> float | None:
        """Learned letter-by-letter log10 P(token | word) of the English OCR model, or None if unknown.

        Cached: the same (token, candidate) pairs recur on every page of a batch. ``floor`` is
        RestoreConfig.letter_floor, the per-letter bound.
        """
        if self.letter_channel is None:
            return None
        key = (token, word, floor)
        got = self._letter_cache.get(key, False)
        if got is False:
            if len(self._letter_cache) > _LETTER_CACHE_LIMIT:
                self._letter_cache.clear()
            got = self.letter_channel(token, word, floor)
            self._letter_cache[key] = got
        return got  # type: ignore[return-value]


_MODELS: dict[tuple[float, int, int, int], Models] = {}
_LOCK = threading.Lock()
# How many times this process has built the models; batch workers report it to show it stays at one.
_LOADS = 0


def models(config: RestoreConfig = DEFAULT_CONFIG) -> Models:
    """The process's models for ``config`` (built on first use, thread-safe)."""
    global _LOADS
    key = config.channel_key()
    got = _MODELS.get(key)
    if got is None:
        with _LOCK:
            got = _MODELS.get(key)
            if got is None:
                got, _ = model_cache.load_or_build(key, lambda: Models(config))
                _MODELS[key] = got
                _LOADS += 1
                _spare_the_collector()
    return got


def _spare_the_collector() -> None:
    """Leave the models out of the garbage collector's work, and collect young objects less often.

    Why: the models are some 60,000 long-lived Python objects (dictionaries, lexicons, the confusion
    table), and restoring a page makes tens of thousands of short-lived ones (candidates, scores,
    records): with the interpreter's defaults, collections took 12 % of restoration time (20,000
    garbled words: 0.49 s of 4 s; 0.26 of 2.1 s stripped) and walked the models at every full one.
    ``gc.freeze`` moves every object alive now out of the collections (its cost: one of them that later
    becomes part of an unreachable cycle is not freed; objects freed by reference counting, nearly all,
    are), and a young generation of 10,000 objects instead of 700 makes the collections 20 times fewer
    (0.17 and 0.05 s on the same texts). Both are process-wide: the threshold is only ever raised.
    """
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, _YOUNG_OBJECTS), middle, old)


def model_loads() -> int:
    """How many times this process has built the models (1 once warm with the default config)."""
    return _LOADS
