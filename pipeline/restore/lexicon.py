"""Lexicons of names, places and offices, and the user's own lexicon, as restoration uses them.

The syllable language model knows least about what users look up first: who signed, which office, which
province. Two structures carry what it lacks:

- :class:`NamePriors`: log10 P(syllable | surname / middle / given position) of Vietnamese personal names,
  counted from the corpus (``dictionaries/names.tsv``, built by ``scripts/build_names.py``), backed off to
  the plain syllable frequency so that an unlisted name is rare, not impossible; plus "middle given" pairs.
- :class:`PhraseIndex`: multi-word entries (provinces, districts, offices, the user's names and terms)
  keyed by their *fold*, a spelling that English-model OCR garble and lost marks do not change
  ("S¢ Y TE", "SOY TE", "Sở Y tế" all fold to ``soyte``), so a damaged span is found by one lookup.

:class:`UserLexicon` is an archive's own list (``sohoa restore --lexicon FILE``): a TSV of form, kind and
weight. It is immutable and hashable, so it can be part of the options that decide whether a stored
result is still valid, and its compiled form is cached per process.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.restore.normalize import nfc, normalize_syllable, strip_diacritics

# Kinds of the shipped table and of a user lexicon. Name syllables steer the name decoder; the phrase
# kinds are looked up as whole spans; a "name" is a full personal name, a "term" any word or phrase.
NAME_SYLLABLE_KINDS = ("surname", "middle", "given")
# The given name of a woman's name ("Thị" among the middle names): shipped counts, not a user kind.
FEMALE_GIVEN = "given_f"
FEMALE_MIDDLE = "thị"
PHRASE_KINDS = ("province", "district", "place", "office", "name", "term", "header", "title")
USER_KINDS = NAME_SYLLABLE_KINDS + PHRASE_KINDS[:-2]

# OCR symbols and digits read for letters, folded to the letter they most often stand for.
_FOLD_TABLE = str.maketrans({"6": "o", "4": "a", "¢": "o", "&": "o", "€": "e", "0": "o", "1": "i", "|": "i"})
_FOLD_TABLE.update(str.maketrans({"!": "i", "@": "a", "$": "s", "5": "s", "§": "o", "?": "u"}))
_NOT_LETTER = re.compile(r"[^a-z]")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


class LexiconError(ValueError):
    """A user lexicon that cannot be read: the message names the line."""


@lru_cache(maxsize=100_000)
def fold(token: str) -> str:
    """The spelling garble and lost marks leave alone: lowercase letters without marks, OCR digits and
    symbols read as letters ("S¢" -> "so", "chirc" -> "chuc", "POC" -> "doc")."""
    s = strip_diacritics(nfc(token).lower()).translate(_FOLD_TABLE)
    if s.startswith("p") and not s.startswith("ph"):
        s = "d" + s[1:]  # the English model reads Đ as P
    return _NOT_LETTER.sub("", s.replace("ir", "u"))


def syllables(form: str) -> tuple[str, ...]:
    """The lowercase, tone-normalised words of a lexicon form ("Lao động - Thương binh" -> 4 words)."""
    return tuple(normalize_syllable(w) for w in _WORD.findall(nfc(form).lower()))


@dataclass(frozen=True)
class LexiconEntry:
    """One row of a lexicon: the form as it should be printed, its kind and its weight."""

    form: str
    kind: str
    weight: float = 1.0


@dataclass(frozen=True)
class UserLexicon:
    """An archive's own names and terms (TSV: form, kind, weight), used with a high prior.

    Kinds: ``name`` (a full personal name), ``surname``/``middle``/``given`` (one name syllable),
    ``province``/``district``/``place``/``office`` (as the shipped lexicons) and ``term`` (any word or
    phrase of the archive). The weight (default 1) scales the entry's prior. Equal entries, equal
    lexicon: where the file came from is no part of it.
    """

    entries: tuple[LexiconEntry, ...]

    @classmethod
    def parse(cls, text: str, source: str = "<lexicon>") -> UserLexicon:
        """Read the TSV text; a bad line raises :class:`LexiconError` naming it. ``#`` starts a comment."""
        entries: list[LexiconEntry] = []
        for number, raw in enumerate(nfc(text).splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            entries.append(_parse_row(raw, f"{source}:{number}"))
        return cls(tuple(entries))

    @classmethod
    def read(cls, path: str | Path) -> UserLexicon:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise LexiconError(f"{path}: not UTF-8 text") from None
        return cls.parse(text, path.name)


def _parse_row(raw: str, where: str) -> LexiconEntry:
    cols = [c.strip() for c in raw.split("\t")]
    form = " ".join(cols[0].split())
    kind = cols[1].lower() if len(cols) > 1 and cols[1] else "term"
    if not syllables(form):
        raise LexiconError(f"{where}: no word in {form!r}")
    if kind not in USER_KINDS:
        raise LexiconError(f"{where}: unknown kind {kind!r} (one of {', '.join(USER_KINDS)})")
    weight = 1.0
    if len(cols) > 2 and cols[2]:
        try:
            weight = float(cols[2])
        except ValueError:
            raise LexiconError(f"{where}: weight {cols[2]!r} is not a number") from None
        if not (weight > 0 and math.isfinite(weight)):
            raise LexiconError(f"{where}: weight must be a positive number")
    if kind in NAME_SYLLABLE_KINDS and len(syllables(form)) != 1:
        raise LexiconError(f"{where}: a {kind} is one syllable, not {form!r}")
    return LexiconEntry(form, kind, weight)


@dataclass(frozen=True)
class Phrase:
    """A multi-word (or user) entry found as a whole span: its words, printed form, kind and log prior."""

    words: tuple[str, ...]
    display: tuple[str, ...]  # the printed spelling of each word (case as in the lexicon)
    kind: str
    logp: float
    user: bool = False


class PhraseIndex:
    """Phrases by fold key; the best-prior entry first for each key."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        by_key: dict[str, list[Phrase]] = defaultdict(list)
        for p in phrases:
            by_key["".join(fold(w) for w in p.words)].append(p)
        self.by_key = {k: sorted(v, key=lambda p: (not p.user, -p.logp)) for k, v in by_key.items()}
        self.keys = list(self.by_key)
        self.max_len = max((len(k) for k in self.keys), default=0)
        self._by_len: dict[tuple[bool, int], list[str]] = defaultdict(list)
        for k, v in self.by_key.items():
            self._by_len[(v[0].kind == "title", len(k))].append(k)

    def keys_near(self, length: int, edits: int, titles: bool = False) -> list[str]:
        """Keys that could be within ``edits`` edits of a key of ``length`` letters (titles or the rest)."""
        lengths = range(length - edits, length + edits + 1)
        return [k for n in lengths for k in self._by_len.get((titles, n), ())]

    def get(self, key: str) -> Phrase | None:
        got = self.by_key.get(key)
        return got[0] if got else None


def _display_words(form: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(nfc(form)))


class NamePriors:
    """log10 P(syllable | position in a personal name), backed off to the syllable's share of all name
    positions and to its plain frequency."""

    def __init__(
        self,
        counts: dict[str, dict[str, float]],
        pairs: dict[tuple[str, str], float],
        log_freq: dict[str, float],
        *,
        lexicon_share: float,
        pair_strength: float,
        pair_cap: float,
        floor: float,
        female_share: float = 0.0,
    ) -> None:
        self._log_freq = log_freq
        self._floor = floor
        self._share = lexicon_share
        self._p: dict[str, dict[str, float]] = {}
        for kind in (*NAME_SYLLABLE_KINDS, FEMALE_GIVEN):
            table = counts.get(kind, {})
            total = sum(table.values()) or 1.0
            self._p[kind] = {w: n / total for w, n in table.items()}
        # A woman's given name: mostly from the given names of names with "Thị", which are few, so the
        # rest from all given names (no table: all given names).
        share_f = female_share if self._p[FEMALE_GIVEN] else 0.0
        self._p[FEMALE_GIVEN] = {
            w: share_f * self._p[FEMALE_GIVEN].get(w, 0.0) + (1.0 - share_f) * self._p["given"].get(w, 0.0)
            for w in self._p[FEMALE_GIVEN].keys() | self._p["given"].keys()
        }
        # Any name position: what an unlisted surname (or middle name) is most likely drawn from.
        every: dict[str, float] = defaultdict(float)
        for kind in NAME_SYLLABLE_KINDS:
            for w, p in self._p[kind].items():
                every[w] += p / len(NAME_SYLLABLE_KINDS)
        self._any = dict(every)
        first: dict[str, float] = defaultdict(float)
        for (a, _b), n in pairs.items():
            first[a] += n
        # P(given | prev) = share x P_pair(given | prev) + (1 - share) x P(given), the share growing with
        # the pairs seen after prev but capped: pairs are sparse, and an unseen pair after a frequent
        # middle name must not be rarer than after a rare one.
        share = {a: pair_cap * n / (n + pair_strength) for a, n in first.items()}
        self._pair = {k: share[k[0]] * n / first[k[0]] for k, n in pairs.items()}
        self._pair_rest = {a: 1.0 - s for a, s in share.items()}
        self._cache: dict[tuple[str, str, str], float] = {}
        self._by_skeleton: dict[str, dict[str, tuple[str, ...]]] = {}
        self.surname_folds = frozenset(fold(w) for w in self._p["surname"])

    def is_listed(self, kind: str, word: str) -> bool:
        return word in self._p[kind]

    def same_skeleton(self, kind: str, word: str) -> tuple[str, ...]:
        """The listed syllables of ``kind`` spelled like ``word`` but for their marks."""
        table = self._by_skeleton.get(kind)
        if table is None:
            by: dict[str, list[str]] = defaultdict(list)
            for w in self._p[kind]:
                by[strip_diacritics(w)].append(w)
            table = self._by_skeleton[kind] = {k: tuple(v) for k, v in by.items()}
        return table.get(strip_diacritics(word), ())

    def logp(self, kind: str, word: str, prev: str = "") -> float:
        """log10 P(word | kind[, previous name syllable]); ``kind`` is surname, middle, given or given_f
        (the given name of a name with "Thị")."""
        key = (kind, word, prev)
        got = self._cache.get(key)
        if got is None:
            uni = 10.0 ** max(self._log_freq.get(word, self._floor), self._floor)
            rest = 0.5 * (self._any.get(word, 0.0) + uni)  # another name position, or any syllable
            p = self._share * self._p[kind].get(word, 0.0) + (1.0 - self._share) * rest
            if kind in ("given", FEMALE_GIVEN) and prev in self._pair_rest:
                p = self._pair.get((prev, word), 0.0) + self._pair_rest[prev] * p
            got = math.log10(max(p, 10.0**self._floor))
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[key] = got
        return got


@dataclass(frozen=True)
class LexiconSettings:
    """The numbers that turn counts into priors (from RestoreConfig)."""

    lexicon_share: float
    pair_strength: float
    pair_cap: float
    floor: float
    female_share: float
    user_share: float


class Lexicons:
    """The shipped name/place/office lexicons, optionally extended by a user lexicon."""

    def __init__(
        self,
        rows: list[tuple[str, str, float]],
        log_freq: dict[str, float],
        settings: LexiconSettings,
        user: UserLexicon | None = None,
    ) -> None:
        self.user = user
        kinds = (*NAME_SYLLABLE_KINDS, FEMALE_GIVEN)
        counts: dict[str, dict[str, float]] = {k: defaultdict(float) for k in kinds}
        pairs: dict[tuple[str, str], float] = defaultdict(float)
        phrase_rows: list[tuple[str, str, float, bool]] = []
        for form, kind, n in rows:
            if kind in counts:
                counts[kind][normalize_syllable(form.lower())] += n
            elif kind == "pair":
                words = syllables(form)
                if len(words) == 2:
                    pairs[(words[0], words[1])] += n
            elif kind in PHRASE_KINDS:
                phrase_rows.append((form, kind, n, False))
        totals = {k: sum(v.values()) or 1.0 for k, v in counts.items()}
        for e in user.entries if user else ():
            self._add_user(e, counts, totals, phrase_rows, settings.user_share)
        self.names = NamePriors(
            counts,
            pairs,
            log_freq,
            lexicon_share=settings.lexicon_share,
            pair_strength=settings.pair_strength,
            pair_cap=settings.pair_cap,
            floor=settings.floor,
            female_share=settings.female_share,
        )
        kind_totals: dict[str, float] = defaultdict(float)
        for _form, kind, n, _user in phrase_rows:
            kind_totals[kind] += n
        self.phrases = PhraseIndex(
            Phrase(
                syllables(form),
                _display_words(form),
                kind,
                math.log10(n / max(kind_totals[kind], 1.0)),
                user_row,
            )
            for form, kind, n, user_row in phrase_rows
            if syllables(form)
        )

    @staticmethod
    def _add_user(
        e: LexiconEntry,
        counts: dict[str, dict[str, float]],
        totals: dict[str, float],
        phrase_rows: list[tuple[str, str, float, bool]],
        share: float,
    ) -> None:
        """A user entry weighs ``share x weight`` of its kind's whole mass: a high prior."""
        words = syllables(e.form)
        if e.kind in NAME_SYLLABLE_KINDS:
            counts[e.kind][words[0]] += share * e.weight * totals[e.kind]
            return
        if e.kind == "name" and len(words) >= 2:
            kinds = ["surname"] + ["middle"] * (len(words) - 2) + ["given"]
            for word, kind in zip(words, kinds, strict=True):
                counts[kind][word] += share * e.weight * totals[kind]
            if FEMALE_MIDDLE in words[1:-1]:
                counts[FEMALE_GIVEN][words[-1]] += share * e.weight * totals[FEMALE_GIVEN]
        phrase_rows.append((e.form, e.kind, 1e6 * e.weight, True))


def read_rows(path: Path) -> list[tuple[str, str, float]]:
    """The rows of ``dictionaries/names.tsv`` (form, kind, count); missing file: none."""
    rows: list[tuple[str, str, float]] = []
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) >= 3:
            rows.append((cols[0], cols[1], float(cols[2])))
    return rows


def words_skeleton(words: Iterable[str]) -> str:
    """Diacritic-free lowercase words joined by spaces (for comparisons that ignore marks)."""
    return " ".join(strip_diacritics(w.lower()) for w in words)
