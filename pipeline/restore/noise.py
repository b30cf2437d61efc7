"""OCR noise on damaged pages: lines that are specks, seal and signature scrawl read as letters.

An English-model OCR of a page with a red seal, a signature or border toner turns those marks into short
lines of letter soup ("SSIs", "mH YS", "* MINA ,> a", "eee at"). They are no text of the document, and no
reading of them is right: restoring them as printed passes junk off as text with full confidence. On a
page that shows OCR garble, a short line whose every word is such junk (no Vietnamese syllable, no word
the language model knows, no code or name; lone letters and short numbers are specks there too) is taken
out of the restored text; its tokens stay in the records with the reason ``noise`` and a confidence that
sends them to review, so nothing is lost silently. A lone junk word inside a line of text is kept as
printed, but never as certain; so is a line holding a word that is two or three syllables OCR ran together
("MuCBICH, YEUCAU": a heading, not scrawl).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

from pipeline.restore.normalize import strip_diacritics
from pipeline.restore.syllables import is_skeleton, is_valid_syllable
from pipeline.restore.tokenize import LETTER

NOISE = "noise"


class _Token(Protocol):
    line: int
    original: str
    restored: str
    confidence: float
    changed: bool
    reason: str


def is_junk(token: _Token, lower: str, known: bool) -> bool:
    """A word kept as printed that is no Vietnamese syllable and no word of the language model's
    vocabulary (``known``: "unicef", "covid" and common abbreviations are), two letters or more."""
    return (
        token.reason == "kept"  # not a code, number, numeral, name, lexicon entry, URL or markup
        and not token.changed
        and len(lower) > 1
        and LETTER.search(lower) is not None
        and not known
        and not is_valid_syllable(lower)
    )


# Lengths of a run-together word worth telling from letter soup: "yeucau" (6) up to three long syllables.
_RUN_MIN, _RUN_MAX = 5, 18


def run_together(skel: str, parts: int = 3) -> bool:
    """Whether a lowercase skeleton is two to ``parts`` syllable skeletons of two letters or more written
    without spaces ("yeucau", "tuphap"); letter soup ("eae", "ssis", "deeeeieee") is not."""
    if not _RUN_MIN <= len(skel) <= _RUN_MAX or not skel.isalpha():
        return False
    return _splits(skel, parts)


def _splits(skel: str, parts: int) -> bool:
    for cut in range(2, min(len(skel) - 1, 8)):
        head, rest = skel[:cut], skel[cut:]
        if not is_skeleton(head):
            continue
        if len(rest) >= 2 and is_skeleton(rest):
            return True
        if parts > 2 and _splits(rest, parts - 1):
            return True
    return False


def noise_lines(tokens: list[_Token], junk: list[bool], max_tokens: int) -> set[int]:
    """Lines of at most ``max_tokens`` tokens that are all junk words or specks (a letter, a short
    number), with one junk word at least (a lone "a" or "2" is left alone: it may number a list item)."""
    by_line: dict[int, list[int]] = defaultdict(list)
    for i, token in enumerate(tokens):
        by_line[token.line].append(i)
    out: set[int] = set()
    for line, members in by_line.items():
        if len(members) > max_tokens or not any(junk[i] for i in members):
            continue
        if any(junk[i] and _run_together_word(tokens[i]) for i in members):
            continue  # "MuCBICH, YEUCAU": a heading OCR ran together is text (its words stay to review)
        if all(junk[i] or _speck(tokens[i]) for i in members):
            out.add(line)
    return out


def _run_together_word(token: _Token) -> bool:
    return run_together(strip_diacritics(token.original.lower()))


def _speck(token: _Token) -> bool:
    """A token too short to be evidence either way: one letter (as printed or as restored: "eee" read as
    "e"), or a number of one or two digits."""
    text = token.original
    return len(text) == 1 or len(token.restored) == 1 or (len(text) == 2 and text.isdigit())


def mark_noise(tokens: list[_Token], junk: list[bool], lines: set[int], confidence: float) -> None:
    """Tokens of noise lines are dropped from the text (restored as nothing, reason ``noise``); every
    other junk word keeps its printed form with at most ``confidence``."""
    for token, is_junk_word in zip(tokens, junk, strict=True):
        if token.line in lines:
            token.restored, token.reason, token.changed = "", NOISE, True
            token.confidence = min(token.confidence, confidence)
        elif is_junk_word:
            token.confidence = min(token.confidence, confidence)
