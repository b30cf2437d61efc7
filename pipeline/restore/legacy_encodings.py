"""Detect and convert pre-Unicode Vietnamese text (TCVN3/ABC, VNI-Windows, VIQR) to Unicode.

Old documents were typed in 8-bit font encodings; read as Windows-1252 they look like "Céng hoµ" (TCVN3)
or "Coäng hoøa" (VNI), and VIQR writes marks as ASCII ("Vie^.t"). Each converter is tried only when its
signature characters appear, and a conversion is kept only if it clearly raises the share of valid
Vietnamese syllables: English OCR garble shares some characters (¢, §) and must not be "converted".
All converters work within a line, so the line count never changes.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from pipeline.restore.normalize import nfc
from pipeline.restore.syllables import is_valid_syllable

# --- TCVN3 (ABC): one byte per letter; capitals with tones share codes with the lowercase letters.
_TCVN3_SRC = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦"
_TCVN3_DST = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
_TCVN3 = str.maketrans(_TCVN3_SRC, _TCVN3_DST)
_TCVN3_SIGNATURE = set("µ¸¶·¹¨»¾¼½ÆÇÊÈËÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞß«åæç¬ëîïñ÷þ\xad")

# --- VNI-Windows: base letter followed by a mark character.
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền sắc hỏi ngã nặng
_VNI_PLAIN_TONE = {"ø": 0, "ù": 1, "û": 2, "õ": 3, "ï": 4, "Ø": 0, "Ù": 1, "Û": 2, "Õ": 3, "Ï": 4}
_VNI_HAT = {"â": -1, "à": 0, "á": 1, "å": 2, "ã": 3, "ä": 4, "Â": -1, "À": 0, "Á": 1, "Å": 2, "Ã": 3, "Ä": 4}
_VNI_BREVE = {
    "ê": -1,
    "è": 0,
    "é": 1,
    "ú": 2,
    "ü": 3,
    "ë": 4,
    "Ê": -1,
    "È": 0,
    "É": 1,
    "Ú": 2,
    "Ü": 3,
    "Ë": 4,
}
_VNI_SINGLE = {
    "ô": "ơ",
    "Ô": "Ơ",
    "ö": "ư",
    "Ö": "Ư",
    "ñ": "đ",
    "Ñ": "Đ",
    "ì": "ì",
    "í": "í",
    "æ": "ỉ",
    "ó": "ĩ",
    "ò": "ị",
    "Ì": "Ì",
    "Í": "Í",
    "Æ": "Ỉ",
    "Ó": "Ĩ",
    "Ò": "Ị",
}
_VNI_SIGNATURE = set("øùûõïäåëüöñæòØÙÛÕÏÄÅËÜÖÑÆÒ")
_VNI_PAIR = re.compile(r"([aAeEoOuUyYôÔöÖ])([øùûõïîÎØÙÛÕÏâàáåãäÂÀÁÅÃÄêèéúüëÊÈÉÚÜË])|([ôÔöÖñÑìíæóòÌÍÆÓÒ])")


def _tone(ch: str, tone: int) -> str:
    return nfc(ch + _TONES[tone]) if tone >= 0 else ch


def _vni_pair(m: re.Match[str]) -> str:
    if m.group(3):
        return _VNI_SINGLE[m.group(3)]
    return _vni_letter(m.group(1), m.group(2))


@lru_cache(maxsize=1024)
def _vni_letter(written: str, mark: str) -> str:
    base = _VNI_SINGLE.get(written, written)
    if mark in "îÎ":
        return _tone(base, 4)  # ỵ is written with î
    if mark in _VNI_PLAIN_TONE:
        return _tone(base, _VNI_PLAIN_TONE[mark])
    if mark in _VNI_HAT and base.lower() in "aeo":
        return _tone(nfc(base + "\u0302"), _VNI_HAT[mark])
    if mark in _VNI_BREVE and base.lower() == "a":
        return _tone(nfc(base + "\u0306"), _VNI_BREVE[mark])
    return written + mark  # "eê" and other pairs that spell no letter are kept as written


def _mapped_sub(
    pattern: re.Pattern[str], repl, text: str, keep: re.Pattern[str] | None = None
) -> tuple[str, list[int]]:
    """re.sub that also returns, for every output character, the index of its source character.

    Matches overlapping a span of ``keep`` are left as written.
    """
    out: list[str] = []
    starts: list[int] = []
    pos = 0
    kept = [k.span() for k in keep.finditer(text)] if keep is not None else []
    k = 0
    for m in pattern.finditer(text):
        while k < len(kept) and kept[k][1] <= m.start():
            k += 1
        if k < len(kept) and kept[k][0] < m.end():
            continue
        out.append(text[pos : m.start()])
        starts.extend(range(pos, m.start()))
        new = repl(m)
        out.append(new)
        starts.extend([m.start()] * len(new))
        pos = m.end()
    out.append(text[pos:])
    starts.extend(range(pos, len(text)))
    starts.append(len(text))
    return "".join(out), starts


def tcvn3_to_unicode(text: str) -> str:
    """TCVN3 (ABC) text, as its bytes read in Windows-1252, to Unicode."""
    return text.translate(_TCVN3)


def vni_to_unicode(text: str) -> str:
    """VNI-Windows text, as its bytes read in Windows-1252, to Unicode."""
    return _VNI_PAIR.sub(_vni_pair, text)  # one pass: converted letters are never re-read


# --- VIQR: ASCII marks after the vowel.
_VIQR_SHAPE = {"(": "\u0306", "^": "\u0302", "+": "\u031b", "*": "\u031b"}
_VIQR_TONE = {"`": 0, "'": 1, "?": 2, "~": 3, ".": 4}
_VIQR = re.compile(r"([aAeEiIoOuUyY])([(^+*]?)([`'?~.]?)(?=(\w| [a-zđ])?)")
_VIQR_SIGNATURE = re.compile(r"[aAeEoOuU][(^+][`'?~.]?|[dD][dD]")


def _viqr_sub(m: re.Match[str]) -> str:
    vowel, shape, tone, nxt = m.group(1), m.group(2), m.group(3), m.group(4)
    if shape and not (
        shape == "("
        and vowel in "aA"
        or shape == "^"
        and vowel in "aAeEoO"
        or shape in "+*"
        and vowel in "oOuU"
    ):
        return vowel + shape + tone
    if tone in ".?" and not nxt:
        tone_idx = -1  # sentence punctuation, not a mark
        rest = tone
    else:
        tone_idx = _VIQR_TONE[tone] if tone else -1
        rest = ""
    base = nfc(vowel + _VIQR_SHAPE[shape]) if shape else vowel
    return _tone(base, tone_idx) + rest


_VIQR_ANY = re.compile(_VIQR.pattern + r"|\b(dd|D[dD])")
# VIQR marks are ASCII punctuation, and so are the dots of "hanoi.gov.vn" and the "?" of a query: URLs,
# e-mail addresses and every chunk with a digit (numbers, dates, codes such as "153/KH-SNA.") are
# protected tokens, never VIQR-typed words, so they are left as written ("hoa.nguyen@hanoi.gov.vn" must not
# become "hoạnguyen@hanoịgov.vn", nor "153/KH-SNA." "153/KH-SNẠ").
# The look-behinds start each try at the start of a chunk or run only: a megabyte line without spaces
# must not be rescanned from every position.
_PROTECTED_CHUNKS = re.compile(
    r"(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\S)[^\s\d]*\d\S*", re.IGNORECASE
)


def _viqr_any(m: re.Match[str]) -> str:
    if m.group(5):
        return "đ" if m.group(5) == "dd" else "Đ"
    return _viqr_sub(m)


def _tcvn3_mapped(text: str) -> tuple[str, list[int]]:
    return text.translate(_TCVN3), list(range(len(text) + 1))


def _vni_mapped(text: str) -> tuple[str, list[int]]:
    return _mapped_sub(_VNI_PAIR, _vni_pair, text)


def _viqr_mapped(text: str) -> tuple[str, list[int]]:
    return _mapped_sub(_VIQR_ANY, _viqr_any, text, _PROTECTED_CHUNKS)


def _valid_share(text: str) -> float:
    """Share of valid syllables among the words of ``text``.

    URLs, e-mail addresses and chunks with digits are left out: their letters ("KH", "snv", "gov") are no
    evidence for or against an encoding, and a short VIQR letter citing a few codes and links would
    otherwise fall under the threshold and not be converted.
    """
    words = re.findall(r"[^\W\d_]+", _PROTECTED_CHUNKS.sub(" ", text).lower())[:5000]
    if not words:
        return 0.0
    # Each distinct word checked once: a page repeats its words.
    return sum(n for w, n in Counter(words).items() if is_valid_syllable(nfc(w))) / len(words)


def _count_any(text: str, chars: set[str]) -> int:
    """How many characters of ``text`` are among ``chars`` (counted in C, one character at a time)."""
    return sum(map(text.count, chars))


def detect_legacy(text: str):
    """The mapped converter (line -> (unicode line, source index per char)) for a legacy text, or None."""
    sample = text[:200_000]
    options = []
    if _count_any(sample, _TCVN3_SIGNATURE) >= 3:
        options.append(_tcvn3_mapped)
    if _count_any(sample, _VNI_SIGNATURE) >= 3:
        options.append(_vni_mapped)
    if len(_VIQR_SIGNATURE.findall(sample)) >= 3:
        options.append(_viqr_mapped)
    best, best_share = None, _valid_share(sample) if options else 0.0
    for convert in options:
        share = _valid_share(convert(sample)[0])
        if share > best_share + 0.15 and share > 0.6:
            best, best_share = convert, share
    return best


def convert_legacy(text: str) -> tuple[str, bool]:
    """Return (converted text, True) if the text is in a legacy encoding, else (text, False)."""
    convert = detect_legacy(text)
    if convert is None:
        return text, False
    return "\n".join(convert(line)[0] for line in text.split("\n")), True
