"""Candidate clean syllables for one observed token, with channel features.

Three sources, cheapest first: (1) the token itself when it is a known syllable or word; (2) every
syllable sharing its diacritic-free skeleton (the typed-without-marks and wrong-mark cases); (3) skeletons
reached by reversing OCR confusion rules (digits and symbols for letters, "irc" for "ức"), and as a last
resort rapidfuzz neighbours within one edit. Features are document-independent so results are cached per
token (and per :class:`~pipeline.restore.config.RestoreConfig`, whose limits shape the lists);
:mod:`pipeline.restore.doc_channel` turns them into log-probabilities with the document's error rates.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from pipeline.restore.channel import Rule
from pipeline.restore.config import DEFAULT_CONFIG, RestoreConfig
from pipeline.restore.normalize import normalize_syllable, strip_diacritics

# Cached candidate lists per config before the cache is emptied: bounds memory on huge batches.
_CACHE_LIMIT = 200_000
# Character pairs whose matching rules are remembered (garble brings few distinct pairs; a bound anyway).
_RULES_AT_LIMIT = 100_000


class Candidate(NamedTuple):
    """One clean reading of a token (a named tuple: a garbled token has dozens, built on every new token,
    and a frozen dataclass costs several times as much to create)."""

    word: str  # lowercase clean form
    kind: str  # "same" | "skeleton" | "rewrite" | "fuzzy" | "keep"
    n_missing: int = 0  # marks present in the candidate, absent from the token
    n_wrong: int = 0  # marked letters of the token that differ from the candidate
    rule_logp: float = 0.0  # sum of rewrite-rule log10 probabilities (rewrite/fuzzy)
    marked: bool = False  # the candidate carries Vietnamese marks (set by the generator)


_HORN = "\u031b"  # the combining horn of ư and ơ


def horn_swaps(word: str) -> list[str]:
    """The word with one horned vowel's letter swapped, its tone kept ("sử" -> "sở", "sợ" -> "sự"):
    Tesseract's ``vie`` model reads one for the other where the bowl under the horn is bold or blurred,
    and a syllable's skeleton does not reach it (u and o are different letters)."""
    nfd = unicodedata.normalize("NFD", word)
    if _HORN not in nfd:
        return []
    out = []
    for i in range(len(nfd) - 1):
        if nfd[i + 1] == _HORN and nfd[i] in "uo":
            swapped = nfd[:i] + ("o" if nfd[i] == "u" else "u") + nfd[i + 1 :]
            out.append(unicodedata.normalize("NFC", swapped))
    return out


@lru_cache(maxsize=100_000)
def has_marks(word: str) -> bool:
    return strip_diacritics(word) != word


def mark_features(observed: str, clean: str) -> tuple[int, int]:
    """(missing, wrong) mark counts between two same-skeleton lowercase words."""
    missing = wrong = 0
    for o, c in zip(observed, clean, strict=False):
        if o == c:
            continue
        if strip_diacritics(o) == o:
            missing += 1
        else:
            wrong += 1
    return missing, wrong


def _offer(out: dict[str, Candidate], word: str, logp: float, stored_logp: float | None = None) -> None:
    """Add a rewrite candidate unless the word is already there as a better reading."""
    prev = out.get(word)
    if prev is None or (prev.kind in ("rewrite", "fuzzy") and prev.rule_logp < logp):
        out[word] = Candidate(word, "rewrite", rule_logp=logp if stored_logp is None else stored_logp)


class _RulesAt(dict[str, list[tuple[str, str, float, bool, int]]]):
    """The rules whose garbled side can start with a pair (the next one or two characters of a form), in
    the rule order (the search keeps the first of equally good skeletons): one-character rules of its first
    character, longer ones whose second character matches too. Filled on the first look-up of a pair, so
    the rewrite loops read it with one dict look-up; bounded by ``_RULES_AT_LIMIT`` pairs."""

    def __init__(self, by_first: dict[str, list[tuple[str, str, float, bool, int]]]) -> None:
        super().__init__()
        self.by_first = by_first

    def __missing__(self, pair: str) -> list[tuple[str, str, float, bool, int]]:
        rules = [
            r for r in self.by_first.get(pair[0], ()) if r[4] == 1 or (len(pair) == 2 and r[0][1] == pair[1])
        ]
        if len(self) < _RULES_AT_LIMIT:
            self[pair] = rules
        return rules


class CandidateGenerator:
    """Builds and caches candidate lists for lowercase tokens.

    The dictionaries and rules are fixed when the models load; the list limits come from the
    :class:`RestoreConfig` of each call, so the cache is kept per config.
    """

    def __init__(
        self,
        by_skeleton: dict[str, list[str]],
        known_words: set[str],
        rules: tuple[Rule, ...],
        token_map: dict[str, list[tuple[str, float]]] | None = None,
    ):
        self.token_map = token_map or {}
        self.by_skeleton = by_skeleton
        self.skeleton_list = list(by_skeleton)
        self.known = known_words
        self.rules = rules
        # Per first character: (garbled, clean, log10 p, onset only, garbled length) of each rule, as plain
        # tuples: the rewrite search reads them hundreds of times per token.
        self._rules_by_first: dict[str, list[tuple[str, str, float, bool, int]]] = {}
        for rule in rules:
            if rule.garbled:
                self._rules_by_first.setdefault(rule.garbled[0], []).append(
                    (rule.garbled, rule.clean, rule.logp, rule.onset_only, len(rule.garbled))
                )
        # Each rule's clean side without marks (the last rewrite round builds stripped forms directly).
        self._bare_clean = {rule.clean: strip_diacritics(rule.clean) for rule in rules}
        # The rules that can match where the next two characters of a form are these (filled on demand).
        self._rules_at = _RulesAt(self._rules_by_first)
        self._caches: dict[RestoreConfig, dict[tuple[str, bool], list[Candidate]]] = {}
        # Every start and every end of a skeleton (the last rewrite round skips forms that match neither).
        self._prefixes = {skel[:i] for skel in by_skeleton for i in range(len(skel) + 1)}
        self._suffixes = {skel[i:] for skel in by_skeleton for i in range(len(skel) + 1)}

    def candidates(
        self, token: str, garbled_doc: bool, config: RestoreConfig = DEFAULT_CONFIG, damaged: bool = False
    ) -> list[Candidate]:
        """Candidates for a lowercase NFC token. ``garbled_doc`` enables rewrites of valid-looking tokens;
        ``damaged`` (a word a stamp lay over) adds every syllable skeleton one edit away."""
        cache = self._caches.get(config)
        if cache is None:
            cache = self._caches.setdefault(config, {})
        key = (token, garbled_doc, damaged)
        got = cache.get(key)
        if got is None:
            got = self._build(token, garbled_doc, config, damaged)
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            cache[key] = got
        return got

    def _build(
        self, token: str, garbled_doc: bool, cfg: RestoreConfig, damaged: bool = False
    ) -> list[Candidate]:
        """Cheapest sources first; the costlier ones only when the cheap ones found nothing or the page is
        garbled or the token is not plain letters."""
        out: dict[str, Candidate] = {}
        norm = normalize_syllable(token)
        if norm in self.known:
            out[norm] = Candidate(norm, "same")
        skel = strip_diacritics(norm)
        self._add_marked_alike(out, norm, skel, cfg)
        is_plain = skel.isalpha() and skel.isascii()
        if not out or garbled_doc or not is_plain:
            for variant, logp in self._rewrites(norm, cfg):
                for word in self.by_skeleton.get(variant, ())[: cfg.rewrite_words]:
                    _offer(out, word, logp)
        if not out or garbled_doc or not is_plain:  # again: the rewrites may have found something
            # Whole-token confusions seen in the synthetic OCR pairs ("cia" -> "của").
            for word, logp in self.token_map.get(norm, ())[: cfg.token_map_words]:
                _offer(out, word, logp, max(logp, cfg.token_map_floor))
        if not out and is_plain and cfg.fuzzy_min_len <= len(skel) <= cfg.fuzzy_max_len:
            self._add_fuzzy(out, skel, cfg, cfg.fuzzy_skeletons)
        elif damaged and is_plain:
            self._add_fuzzy(out, skel, cfg, cfg.damaged_skeletons)
        if norm not in out:
            out[norm] = Candidate(norm, "keep")
        # Built directly: dataclasses.replace costs more than the rest of a cheap token's build.
        return [
            Candidate(c.word, c.kind, c.n_missing, c.n_wrong, c.rule_logp, has_marks(c.word))
            for c in out.values()
        ]

    def _add_marked_alike(self, out: dict[str, Candidate], norm: str, skel: str, cfg: RestoreConfig) -> None:
        """The syllables of the token's skeleton (marks lost or misread) and those its horned vowel's letter
        swapped gives ("sử" for "sở": a horn over a bold or blurred bowl), each costing one wrong mark."""
        for word in self.by_skeleton.get(skel, ())[: cfg.skeleton_candidates]:
            if word not in out:
                missing, wrong = mark_features(norm, word)
                out[word] = Candidate(word, "skeleton", missing, wrong)
        for word in horn_swaps(norm):
            if word in self.known and word not in out:
                out[word] = Candidate(word, "skeleton", 0, 1)

    def _add_fuzzy(self, out: dict[str, Candidate], skel: str, cfg: RestoreConfig, limit: int) -> None:
        """Syllables whose skeleton is within ``fuzzy_max_edits`` edits (rapidfuzz), ``limit`` skeletons:
        the last resort of any token, and offered to a damaged one."""
        for variant, _score, _ in process.extract(
            skel,
            self.skeleton_list,
            scorer=Levenshtein.distance,
            score_cutoff=cfg.fuzzy_max_edits,
            limit=limit,
        ):
            for word in self.by_skeleton[variant][: cfg.fuzzy_words]:
                out.setdefault(word, Candidate(word, "fuzzy", rule_logp=cfg.fuzzy_logp))

    def _rewrites(self, token: str, cfg: RestoreConfig) -> list[tuple[str, float]]:
        """Real syllable skeletons reachable with up to ``rewrite_depth`` rule applications.

        Rules apply to the lowercase token itself (so a Latin-1 "é" can stand for "o"); what is left after
        the rewrites is reduced to its skeleton before the lookup. Rules are indexed by their first
        character so each position only tries the rules that can match there.
        """
        found: dict[str, float] = {}
        frontier = [(token, 0.0)]
        for _ in range(cfg.rewrite_depth - 1):
            nxt: list[tuple[str, float]] = []
            for form, cost in frontier:
                for new, c in self._one_rewrite(form, cost):
                    key = strip_diacritics(new)
                    if key in self.by_skeleton and found.get(key, -99.0) < c:
                        found[key] = c
                    if c > cfg.rewrite_expand_floor:
                        nxt.append((new, c))
            frontier = nxt
        for form, cost in frontier if cfg.rewrite_depth > 0 else ():
            self._last_rewrite(form, cost, found)
        found.pop(strip_diacritics(token), None)
        return sorted(found.items(), key=lambda kv: -kv[1])[: cfg.rewrite_skeletons]

    def _last_rewrite(self, form: str, cost: float, found: dict[str, float]) -> None:
        """The skeletons one rule application away from ``form`` into ``found`` (best cost kept): what
        :meth:`_one_rewrite` followed by the skeleton lookup gives, without building the forms that cannot
        be a skeleton. Why: the last round of the search meets most forms of a garbled token; a form is a
        skeleton only if the part before the rewritten span starts one and the part after it ends one."""
        skeletons, prefixes, suffixes = self.by_skeleton, self._prefixes, self._suffixes
        # strip_diacritics maps each character to one character, so the form is stripped once and its
        # slices are the stripped slices. tail_ok[i]: form[i:] without marks ends some skeleton.
        bare = strip_diacritics(form)
        tail_ok = [bare[i:] in suffixes for i in range(len(form) + 1)]
        rules_at = self._rules_at
        for start in range(len(form)):
            head = bare[:start]
            if head not in prefixes:
                break  # every later head starts with this one
            pair = form[start : start + 2]
            for garbled, clean, logp, onset_only, n in rules_at[pair]:
                if (onset_only and start) or (n > 2 and not form.startswith(garbled, start)):
                    continue
                if not tail_ok[start + n]:
                    continue
                key = head + self._bare_clean[clean] + bare[start + n :]
                c = cost + logp
                if key in skeletons and found.get(key, -99.0) < c:
                    found[key] = c

    def _one_rewrite(self, form: str, cost: float) -> list[tuple[str, float]]:
        """Every form one rule application away from ``form``, with its accumulated log10 cost."""
        out: list[tuple[str, float]] = []
        rules_at = self._rules_at
        for start in range(len(form)):
            pair = form[start : start + 2]
            for garbled, clean, logp, onset_only, n in rules_at[pair]:
                # Rules of one or two characters matched by the lookup already.
                if (onset_only and start) or (n > 2 and not form.startswith(garbled, start)):
                    continue
                out.append((form[:start] + clean + form[start + n :], cost + logp))
        return out
