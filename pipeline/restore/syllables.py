"""Vietnamese syllable structure (onset + rhyme + tone) and the shipped syllable inventory.

The rule-based check tells a real syllable ("người") from OCR garble ("ngudi") or a foreign word without a
dictionary lookup; the inventory (rule-valid syllables filtered by corpus frequency, built by
``scripts/build_syllables.py``) gives the candidates that share a diacritic-free skeleton.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.restore.normalize import normalize_syllable, split_tone, strip_diacritics

ONSETS = [
    "ngh",
    "ng",
    "gh",
    "gi",
    "kh",
    "nh",
    "ph",
    "qu",
    "th",
    "tr",
    "ch",
    "b",
    "c",
    "d",
    "đ",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "x",
]

_CODAS = {
    "a": "c ch m n ng nh p t i o u y",
    "ă": "c m n ng p t",
    "â": "c m n ng p t u y",
    "e": "c m n ng p t o",
    "ê": "ch m n nh p t u",
    "i": "ch m n nh p t u a",
    "o": "c m n ng p t i",
    "oo": "c ng",
    "ô": "c m n ng p t i",
    "ơ": "m n p t i",
    "u": "c m n ng p t i a y ê",
    "ư": "c m n ng t i u a",
    "iê": "c m n ng p t u",
    "yê": "m n ng t u",
    "y": "ch n nh p t u",
    "oa": "c ch m n ng nh p t i y o",
    "oă": "c m n ng t",
    "oe": "n t o",
    "uâ": "n ng t y",
    "uê": "ch nh n",
    "uô": "c m n ng t i",
    "uy": "ch n nh p t u a",
    "uyê": "n t",
    "ươ": "c m n ng p t i u",
    "ưa": "",
    "uơ": "",
}
_OPEN = set(["a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "oe", "uê", "uy", "ươ", "uơ", "ya"])


def _build_rhymes() -> frozenset[str]:
    rhymes = set(_OPEN)
    for nucleus, codas in _CODAS.items():
        if nucleus in "aeêioôơuưy" and len(nucleus) == 1:
            rhymes.add(nucleus)
        for coda in codas.split():
            rhymes.add(nucleus + coda)
    return frozenset(rhymes)


RHYMES = _build_rhymes()
_STOP_CODAS = ("c", "ch", "p", "t")


@lru_cache(maxsize=100_000)
def parse(toneless: str) -> tuple[str, str] | None:
    """Split a toneless lowercase syllable into (onset, rhyme); None if it breaks Vietnamese phonotactics."""
    candidates = [o for o in ONSETS if toneless.startswith(o)] + [""]
    for onset in sorted(candidates, key=len, reverse=True):
        rhyme = toneless[len(onset) :]
        if onset == "gi" and rhyme == "":
            return ("g", "i")
        if onset == "qu" and rhyme in ("", "y") or rhyme == "":
            if onset == "qu" and rhyme == "y":
                return (onset, rhyme)
            continue
        if rhyme not in RHYMES:
            continue
        first = rhyme[0]
        if onset in ("c", "ng") and first in "ieêy" or onset == "g" and first in "eêy":
            continue
        if onset in ("k", "gh", "ngh") and first not in "ieêy":
            continue
        if onset == "qu" and first in "uư":
            continue
        if rhyme[0] == "y" and len(rhyme) > 1 and not rhyme.startswith("yê") and onset != "qu":
            continue  # "ynh", "yt" only after qu ("quỳnh", "quýt")
        return (onset, rhyme)
    return None


@lru_cache(maxsize=200_000)
def is_valid_syllable(word: str) -> bool:
    """True if a lowercase word is a well-formed Vietnamese syllable (tone compatible with its coda)."""
    if not word or len(word) > 8 or not word.isalpha():
        return False
    toneless, tone = split_tone(word)
    parsed = parse(toneless)
    if parsed is None:
        return False
    if parsed[1].endswith(_STOP_CODAS):
        return tone in (2, 5)  # stop-final syllables only take sắc or nặng
    return True


def skeleton(word: str) -> str:
    """Diacritic-free lowercase form used as the candidate index key ("người" -> "nguoi")."""
    return strip_diacritics(word.lower())


@dataclass
class Inventory:
    """Syllables with corpus counts, indexed by skeleton."""

    counts: dict[str, int]
    by_skeleton: dict[str, list[str]]  # most frequent first

    @classmethod
    def load(cls, path: Path, tone_style: str = "modern") -> Inventory:
        counts: dict[str, int] = {}
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#") or not line.strip():
                    continue
                word, count = line.rstrip("\n").split("\t")[:2]
                word = normalize_syllable(word, tone_style)
                counts[word] = counts.get(word, 0) + int(count)
        by_skel: dict[str, list[str]] = defaultdict(list)
        for word in sorted(counts, key=lambda w: -counts[w]):
            by_skel[skeleton(word)].append(word)
        return cls(counts, dict(by_skel))

    def skeletons(self) -> frozenset[str]:
        return frozenset(self.by_skeleton)


_SKELETON_RHYMES = frozenset(strip_diacritics(r) for r in RHYMES)
_SKELETON_ONSETS = tuple(sorted({strip_diacritics(o) for o in ONSETS}, key=len, reverse=True)) + ("",)


@lru_cache(maxsize=100_000)
def is_skeleton(word: str) -> bool:
    """True if a lowercase ASCII word is the diacritic-free form of some Vietnamese syllable ("nguoi")."""
    if not word or len(word) > 7:
        return False
    for onset in _SKELETON_ONSETS:
        if word.startswith(onset):
            rest = word[len(onset) :]
            if (
                rest in _SKELETON_RHYMES
                or onset == "gi"
                and rest == ""
                or onset == "g"
                and rest.startswith("i")
            ):
                return rest != "" or onset == "gi"
    return False
