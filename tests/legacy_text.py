"""Encoders from Unicode to the 8-bit Vietnamese encodings, written independently of the decoders.

Windows-1258 follows Microsoft's rule: a precomposed letter where the code page has one, else the base letter
followed by its combining tone byte. TCVN3 and VNI invert the converters' letter tables.
"""

from __future__ import annotations

import random
import unicodedata
from functools import lru_cache

from pipeline.restore.legacy_encodings import _TCVN3_DST, _TCVN3_SRC, vni_to_unicode

_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out.append((base + "".join(c for c in parts if c in _TONES)).encode("cp1258"))
    return b"".join(out)


def to_tcvn3(text: str) -> bytes:
    table = {ord(d): s for s, d in zip(_TCVN3_SRC, _TCVN3_DST, strict=True)}
    return text.translate(table).encode("cp1252")


@lru_cache(maxsize=1)
def _vni_table() -> dict[str, str]:
    marks = "øùûõïîâàáåãäêèéúüëØÙÛÕÏÎÂÀÁÅÃÄÊÈÉÚÜË"
    table: dict[str, str] = {}
    for base in "aAeEoOuUyYôÔöÖ":
        for mark in marks:
            letter = vni_to_unicode(base + mark)
            if mark.islower() == base.islower() and len(letter) == 1:
                table.setdefault(letter, base + mark)
    for single in "ôÔöÖñÑìíæóòÌÍÆÓÒ":
        table.setdefault(vni_to_unicode(single), single)
    return table


def to_vni(text: str) -> bytes:
    table = _vni_table()
    return "".join(table.get(c, c) for c in text).encode("cp1252")


def random_bytes(seed: int = 0, n: int = 3000) -> bytes:
    """Printable-looking 8-bit noise: no NUL or control bytes, so it passes for text until it is read."""
    rng = random.Random(seed)
    alphabet = [*range(0x20, 0x7F), *range(0xA0, 0x100), 0x0A]
    return bytes(rng.choice(alphabet) for _ in range(n))
