"""Candidate clean syllables for one observed token, with channel features.

Three sources, cheapest first: (1) the token itself when it is a known syllable or word; (2) every
syllable sharing its diacritic-free skeleton (the typed-without-marks and wrong-mark cases); (3) skeletons
reached by reversing OCR confusion rules (digits and symbols for letters, "irc" for "ức"), and as a last
resort rapidfuzz neighbours within one edit. Features are document-independent so results are cached per
token; :mod:`pipeline.restore.decode` turns them into log-probabilities with the document's error rates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from pipeline.restore.channel import Rule
from pipeline.restore.normalize import normalize_syllable, split_char, strip_diacritics

LATIN1_MARKED = set("áàâãäéèêëíìîïóòôõöúùûüýÿ")


@dataclass(frozen=True)
class Candidate:
    word: str  # lowercase clean form
    kind: str  # "same" | "skeleton" | "rewrite" | "fuzzy" | "keep"
    n_missing: int = 0  # marks present in the candidate, absent from the token
    n_wrong: int = 0  # marked letters of the token that differ from the candidate
    rule_logp: float = 0.0  # sum of rewrite-rule log10 probabilities (rewrite/fuzzy)
    marked: bool = False  # the candidate carries Vietnamese marks (set by the generator)


@lru_cache(maxsize=200_000)
def strip_word(word: str) -> str:
    return strip_diacritics(word)


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
            # A Latin-1 accent that kept the candidate's tone is a near miss, not a full error.
            if o in LATIN1_MARKED and split_char(o)[1] == split_char(c)[1] and split_char(o)[1]:
                wrong -= 0  # counted, but the caller may weigh tone agreement separately
    return missing, wrong


class CandidateGenerator:
    """Builds and caches candidate lists for lowercase tokens."""

    def __init__(
        self,
        by_skeleton: dict[str, list[str]],
        known_words: set[str],
        rules: tuple[Rule, ...],
        token_map: dict[str, list[tuple[str, float]]] | None = None,
        max_per_skeleton: int = 16,
    ):
        self.token_map = token_map or {}
        self.by_skeleton = by_skeleton
        self.skeleton_list = list(by_skeleton)
        self.known = known_words
        self.rules = rules
        self._rules_by_first: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.garbled:
                self._rules_by_first.setdefault(rule.garbled[0], []).append(rule)
        self.max_per_skeleton = max_per_skeleton
        self._cache: dict[tuple[str, bool], list[Candidate]] = {}

    def candidates(self, token: str, garbled_doc: bool) -> list[Candidate]:
        """Candidates for a lowercase NFC token. ``garbled_doc`` enables rewrites of valid-looking tokens."""
        key = (token, garbled_doc)
        got = self._cache.get(key)
        if got is None:
            got = self._build(token, garbled_doc)
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[key] = got
        return got

    def _build(self, token: str, garbled_doc: bool) -> list[Candidate]:
        out: dict[str, Candidate] = {}
        norm = normalize_syllable(token)
        if norm in self.known:
            out[norm] = Candidate(norm, "same")
        skel = strip_diacritics(norm)
        for word in self.by_skeleton.get(skel, ())[: self.max_per_skeleton]:
            if word not in out:
                missing, wrong = mark_features(norm, word)
                out[word] = Candidate(word, "skeleton", missing, wrong)
        is_plain = skel.isalpha() and skel.isascii()
        if not out or garbled_doc or not is_plain:
            for variant, logp in self._rewrites(norm):
                for word in self.by_skeleton.get(variant, ())[:10]:
                    prev = out.get(word)
                    if prev is None or (prev.kind in ("rewrite", "fuzzy") and prev.rule_logp < logp):
                        out[word] = Candidate(word, "rewrite", rule_logp=logp)
        if not out or garbled_doc or not is_plain:
            # Whole-token confusions seen in the synthetic OCR pairs ("cia" -> "của").
            for word, logp in self.token_map.get(norm, ())[:8]:
                prev = out.get(word)
                if prev is None or (prev.kind in ("rewrite", "fuzzy") and prev.rule_logp < logp):
                    out[word] = Candidate(word, "rewrite", rule_logp=max(logp, -3.0))
        if not out and is_plain and 2 <= len(skel) <= 7:
            for variant, _score, _ in process.extract(
                skel, self.skeleton_list, scorer=Levenshtein.distance, score_cutoff=1, limit=5
            ):
                for word in self.by_skeleton[variant][:4]:
                    out.setdefault(word, Candidate(word, "fuzzy", rule_logp=-1.5))
        if norm not in out:
            out[norm] = Candidate(norm, "keep")
        return [replace(c, marked=has_marks(c.word)) for c in out.values()]

    def _rewrites(self, token: str) -> list[tuple[str, float]]:
        """Skeletons reachable with one or two rule applications that are real syllable skeletons.

        Rules apply to the lowercase token itself (so a Latin-1 "é" can stand for "o"); what is left after
        the rewrites is reduced to its skeleton before the lookup. Rules are indexed by their first
        character so each position only tries the rules that can match there.
        """
        found: dict[str, float] = {}
        skel = strip_diacritics(token)
        frontier = [(token, 0.0)]
        by_first = self._rules_by_first
        for depth in range(2):
            nxt: list[tuple[str, float]] = []
            for form, cost in frontier:
                for start, ch in enumerate(form):
                    for rule in by_first.get(ch, ()):
                        g = rule.garbled
                        if (rule.onset_only and start) or not form.startswith(g, start):
                            continue
                        new = form[:start] + rule.clean + form[start + len(g) :]
                        c = cost + rule.logp
                        key = strip_word(new)
                        if key in self.by_skeleton and found.get(key, -99.0) < c:
                            found[key] = c
                        if depth == 0 and c > -2.5:
                            nxt.append((new, c))
            frontier = nxt
        found.pop(skel, None)
        return sorted(found.items(), key=lambda kv: -kv[1])[:8]
