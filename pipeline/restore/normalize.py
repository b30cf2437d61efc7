"""Unicode and tone-placement normalisation for Vietnamese syllables.

Vietnamese text in the wild mixes two tone-placement conventions ("hòa" vs "hoà", "thủy" vs "thuỷ") and
both precomposed and combining characters. Dictionaries, the language model and the decoder only work if
every syllable has one spelling, so everything passes through :func:`normalize_syllable` first.

``tone_style="modern"`` puts the tone on the first vowel of open ``oa/oe/uy`` rhymes ("hòa", "khỏe",
"thủy"), the spelling most common in current administrative text and in our corpus; ``"old"`` puts it on
the second ("hoà", "khoẻ", "thuỷ"). All other rhymes are placed identically by both styles.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Combining tone marks, in the conventional order: none, huyền, sắc, hỏi, ngã, nặng.
TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_TONE_INDEX = {m: i for i, m in enumerate(TONE_MARKS) if m}
# Shape marks (hat, breve, horn) belong to the letter, not to the tone.
_SHAPE_MARKS = {"\u0302", "\u0306", "\u031b"}

BASE_VOWELS = set("aăâeêioôơuưy")
TONE_STYLES = ("modern", "old")


def nfc(text: str) -> str:
    """NFC-normalise text (combining sequences to precomposed characters)."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def split_char(ch: str) -> tuple[str, int]:
    """Split one character into (letter with shape marks, tone index 0..5)."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = 0
    kept = []
    for c in decomposed:
        if c in _TONE_INDEX:
            tone = _TONE_INDEX[c]
        else:
            kept.append(c)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def with_tone(letter: str, tone: int) -> str:
    """Put tone ``tone`` (0..5) on a single letter that carries no tone yet."""
    if tone == 0:
        return letter
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", letter) + TONE_MARKS[tone])


def split_tone(word: str) -> tuple[str, int]:
    """Remove the tone from a lowercase word: (toneless word, tone). Several tones: the last one wins."""
    tone = 0
    out = []
    for ch in word:
        base, t = split_char(ch)
        if t:
            tone = t
        out.append(base)
    return "".join(out), tone


def _nucleus_start(toneless: str) -> tuple[int, int]:
    """(end of the onset, index of the first vowel of the nucleus); the u of "qu" and the i of "gi" before
    another vowel belong to the onset."""
    start = 0
    if (
        toneless.startswith("qu")
        and len(toneless) > 2
        and toneless[2] in BASE_VOWELS
        or toneless.startswith("gi")
        and len(toneless) > 2
        and toneless[2] in BASE_VOWELS
    ):
        start = 2
    i = start
    while i < len(toneless) and toneless[i] not in BASE_VOWELS:
        i += 1
    return start, i


def tone_position(toneless: str, tone_style: str = "modern") -> int:
    """Index of the letter that carries the tone in a toneless lowercase syllable, or -1 if no vowel."""
    start, i = _nucleus_start(toneless)
    if i == len(toneless):
        # "gì", "gìn" style: the i of gi is the vowel.
        if start == 2 and toneless.startswith("gi"):
            return 1
        return -1
    j = i
    while j < len(toneless) and toneless[j] in BASE_VOWELS:
        j += 1
    nucleus = toneless[i:j]
    has_coda = j < len(toneless)
    # Rule 1: a vowel with a shape mark takes the tone (ơ wins over ư in "ươ").
    for k in range(len(nucleus) - 1, -1, -1):
        if nucleus[k] in "ăâêôơư":
            if nucleus[k] == "ư" and k + 1 < len(nucleus) and nucleus[k + 1] == "ơ":
                return i + k + 1
            return i + k
    if len(nucleus) == 1:
        return i
    if has_coda:
        return j - 1
    if len(nucleus) >= 3:
        return i + 1
    if nucleus in ("oa", "oe", "uy"):
        return i if tone_style == "modern" else i + 1
    return i


@lru_cache(maxsize=200_000)
def normalize_syllable(word: str, tone_style: str = "modern") -> str:
    """Re-place the tone of one lowercase word according to ``tone_style``; NFC.

    Words that are not plain letter syllables (digits, foreign letters) come back NFC-normalised only.
    """
    word = nfc(word)
    toneless, tone = split_tone(word)
    if tone == 0:
        return word if toneless == word else toneless
    pos = tone_position(toneless, tone_style)
    if pos < 0:
        return word
    return toneless[:pos] + with_tone(toneless[pos], tone) + toneless[pos + 1 :]


class _StripTable(dict):
    """``str.translate`` table of every character seen so far, filled on first sight: the per-character
    rule runs once per character ever, the per-text work is one C-level translate."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch in "đĐ":
            mapped = "d" if ch == "đ" else "D"
        else:
            dec = unicodedata.normalize("NFD", ch)
            mapped = "".join(c for c in dec if not unicodedata.combining(c)) or ch
            if len(mapped) != 1:
                mapped = ch
        self[code] = mapped
        return mapped


_STRIP_TABLE = _StripTable()


def strip_diacritics(text: str) -> str:
    """Remove every Vietnamese mark (tones, hats, horns, breves) and map đ→d, keeping case.

    ASCII text has no marks and comes back as it is (the common case, checked in C)."""
    if text.isascii():
        return text
    return text.translate(_STRIP_TABLE)


@lru_cache(maxsize=65_536)
def case_pattern(token: str) -> str:
    """Classify the letter case of a token: "upper", "title" or "lower" (mixed counts by majority).
    Cached: every token of every page asks, and most tokens are frequent words."""
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return "lower"
    upper = sum(1 for c in letters if c.isupper())
    if len(letters) >= 2 and upper * 2 > len(letters):
        return "upper"
    if letters[0].isupper():
        return "title"
    return "lower"


def apply_case(word: str, pattern: str) -> str:
    """Give a lowercase word the case ``pattern`` of the token it replaces."""
    if pattern == "upper":
        return word.upper()
    if pattern == "title":
        return word[:1].upper() + word[1:]
    return word
