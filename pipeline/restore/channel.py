"""Noisy-channel rules: how OCR turns clean Vietnamese into garble, read backwards to propose fixes.

A rule says "garbled substring G may stand for clean skeleton substring C with log10 probability p"
(skeleton = diacritic-free lowercase). The hand-seeded rules below cover what an English OCR model does
to Vietnamese letters (ổ→6, ở→& or ¢, ức→irc, người→ngudi, Đ→P or B); when the learned table
``dictionaries/ocr_confusions.tsv`` exists its char-level rows replace and extend them.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from pipeline.restore.normalize import strip_diacritics


@dataclass(frozen=True)
class Rule:
    garbled: str  # lowercase garbled substring
    clean: str  # lowercase skeleton substring it stands for
    logp: float  # log10 probability of the substitution
    onset_only: bool = False  # only at the start of the token (Đ read as P or B)


# garbled -> clean skeleton substring, log10 probability; "^" marks rules valid only at the token start.
_SEED_TABLE = """
6 o -0.3 | 0 o -1.0 | & o -0.4 | ¢ o -0.5 | ¢ c -0.7 | § o -0.5 | @ o -0.7 | @ a -1.0
1 l -0.4 | 1 i -0.5 | 4 a -0.5 | 3 a -1.2 | 2 a -1.2 | 8 e -1.3 | 9 g -1.5 | 5 s -1.5 | $ s -1.2 | ? u -1.5
ir u -0.6 | ur u -0.7 | if u -1.0 | tr u -1.3 | tm u -1.0 | im u -1.3 | w u -0.8
it u -0.8 | ti u -0.9 | tt u -1.0 | iv u -0.9 | tv u -0.9 | v u -1.0 | i u -1.0 | ii u -0.9 | tf u -1.0 | t u -1.6
d o -1.0 | d a -1.2 | g o -1.3 | e o -1.3 | a o -1.4 | ao o -1.5 | i a -1.5 | ad a -1.6 | q o -1.2
l i -1.5 | i l -1.5 | e _ -1.8
é o -0.8 | é a -1.0 | é u -1.4 | è o -1.0 | ó a -1.2 | á o -1.2 | ú u -0.5
^p d -1.0 | ^b d -1.2
w _ -1.0 | 6é o -0.5 | u uo -1.2 | ú uo -1.0 | é ơ -1.0
"""


def _parse_seed(table: str) -> tuple[Rule, ...]:
    rules = []
    for item in table.replace("\n", "|").split("|"):
        if not item.strip():
            continue
        garbled, clean, logp = item.split()
        onset = garbled.startswith("^")
        rules.append(Rule(garbled.lstrip("^"), "" if clean == "_" else clean, float(logp), onset))
    return tuple(rules)


# Hand-seeded from what an English OCR model does to Vietnamese letters: ư read as "ir", "it", "tv";
# ơ/ô as "d", "6", "&"; a Latin-1 accent standing for some other marked vowel ("khéng" for "không").
SEED_RULES: tuple[Rule, ...] = _parse_seed(_SEED_TABLE)


def load_learned_rules(path: Path, source: str = "eng", min_count: int = 3) -> tuple[Rule, ...] | None:
    """Char-level rows of the learned confusion table as rules, or None when the table is absent/unusable.

    The table is written by scripts/build_confusions.py; its header documents the columns. We read rows
    of level "char" for the given source, turn clean substrings into skeletons, and convert counts into
    log10 P(garbled | clean) per clean substring.
    """
    if not path.exists():
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            lines = [ln for ln in fh if not ln.startswith("#")]
        reader = csv.DictReader(lines, delimiter="\t")
        fields = {f.lower(): f for f in reader.fieldnames or []}
        need = ("level", "source", "clean", "garbled", "count")
        if not all(k in fields for k in need):
            return None
        totals: dict[str, int] = {}
        rows: list[tuple[str, str, int]] = []
        for row in reader:
            if row[fields["level"]] != "char" or row[fields["source"]] != source:
                continue
            clean = row[fields["clean"]]
            garbled = row[fields["garbled"]].lower()
            count = int(float(row[fields["count"]]))
            totals[clean] = totals.get(clean, 0) + count
            if count >= min_count and garbled != clean:
                rows.append((clean, garbled, count))
    except (OSError, ValueError, KeyError, csv.Error):
        return None
    best: dict[tuple[str, str], float] = {}
    for clean, garbled, count in rows:
        skel = strip_diacritics(clean.lower())
        if skel == garbled or len(garbled) > 4 or len(skel) > 4:
            continue
        logp = math.log10(count / totals[clean])
        key = (garbled, skel)
        best[key] = max(best.get(key, -99.0), logp)
    if not best:
        return None
    return tuple(
        Rule(g, c, max(lp, -3.0), onset_only=(c == "d" and g in ("p", "b"))) for (g, c), lp in best.items()
    )
