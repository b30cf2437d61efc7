"""Turning clean text into language-model units, identically at build time and at run time.

Units are lowercase syllables in the normalised tone style, ``<num>`` for numbers, ``,`` for commas, and
sentence breaks at . ! ? ; : (the corpus has one paragraph per line, so a line end is a break too).
"""

from __future__ import annotations

import re

from pipeline.restore.normalize import normalize_syllable

BOS, EOS, UNK, NUM, COMMA = "<s>", "</s>", "<unk>", "<num>", ","
SPECIALS = (BOS, EOS, UNK, NUM, COMMA)

_UNIT = re.compile(r"\d+(?:[.,/:-]\d+)*|[^\W\d_]+|[.!?;:…]|,")
_BREAK = set(".!?;:…")


def sentences(line: str, tone_style: str = "modern", cache: dict[str, str] | None = None) -> list[list[str]]:
    """Split one clean line into sentences of LM units (without <s>/</s>)."""
    out: list[list[str]] = []
    cur: list[str] = []
    memo = cache if cache is not None else {}
    for tok in _UNIT.findall(line):
        unit = memo.get(tok)
        if unit is None:
            if tok[0].isdigit():
                unit = NUM
            elif tok in _BREAK:
                unit = EOS
            elif tok == ",":
                unit = COMMA
            else:
                unit = normalize_syllable(tok.lower(), tone_style)
            memo[tok] = unit
        if unit == EOS:
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(unit)
    if cur:
        out.append(cur)
    return out
