"""Noisy-channel rules: how OCR turns clean Vietnamese into garble, read backwards to propose fixes.

A rule says "garbled substring G may stand for clean skeleton substring C with log10 probability p"
(skeleton = diacritic-free lowercase). The hand-seeded rules below cover what an English OCR model does
to Vietnamese letters (ổ→6, ở→& or ¢, ức→irc, người→ngudi, Đ→P or B); when the learned table
``dictionaries/ocr_confusions.tsv`` exists its char-level rows replace and extend them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.restore.config import DEFAULT_CONFIG, RestoreConfig
from pipeline.restore.normalize import strip_diacritics

# Symbols the English OCR model prints in place of Vietnamese letters ("S¢" Sở, "d&" đỡ, "?" for ư, "€" for
# ê): they belong inside word tokens and mark a token as garble. The one definition; the rest of restore
# imports it.
GARBLE_SYMBOLS = "&¢§@£©®°¥$?€"
# A digit or garble symbol: inside a word it means OCR garble (or a product code like "4G").
GARBLE_CHAR = re.compile(f"[0-9{re.escape(GARBLE_SYMBOLS)}]")


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
it u -0.8 | ti u -0.9 | tt u -1.0 | iv u -0.9 | tv u -0.9 | v u -1.0 | i u -1.0 | ii u -0.9
tf u -1.0 | t u -1.6
d o -1.0 | d a -1.2 | g o -1.3 | e o -1.3 | a o -1.4 | ao o -1.5 | i a -1.5 | ad a -1.6 | q o -1.2
l i -1.5 | i l -1.5 | e _ -1.8
é o -0.8 | é a -1.0 | é u -1.4 | è o -1.0 | ó a -1.2 | á o -1.2 | ú u -0.5
^p d -1.0 | ^b d -1.2
w _ -1.0 | 6é o -0.5 | u uo -1.2 | ú uo -1.0 | é ơ -1.0 | oé o -1.0
mg ng -1.0 | rn m -1.0 | e c -1.5 | ¢ e -1.2 | € e -0.8 | c e -1.8 | ' _ -0.5 | ’ _ -0.5 | ` _ -0.7
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


@dataclass
class LearnedChannel:
    """What the learned confusion table contributes: substitution rules and whole-token confusions."""

    rules: tuple[Rule, ...]
    token_map: dict[str, list[tuple[str, float]]]  # garbled token -> [(clean syllable, log10 P(g | c))]
    char_logp: dict[tuple[str, str], float] = field(default_factory=dict)  # (clean, garbled char) -> log10 P

    def same_length_logp(self, observed: str, clean: str, floor: float) -> float | None:
        """log10 P(observed | clean) letter by letter under the English model, or None if unknown.

        ``floor`` (RestoreConfig.letter_floor) bounds each letter: an unseen emission is rare, not impossible.
        """
        if not self.char_logp or len(observed) != len(clean):
            return None
        total = 0.0
        for o, c in zip(observed, clean, strict=True):
            lp = self.char_logp.get((c, o))
            if lp is None:
                if o == c and c.isascii():
                    continue  # plain letters the table does not list come through unchanged
                lp = floor
            total += max(lp, floor)
        return total


def load_learned_channel(path: Path, config: RestoreConfig = DEFAULT_CONFIG) -> LearnedChannel | None:
    """Read dictionaries/ocr_confusions.tsv (written by scripts/build_confusions.py; header documents it).

    ``chr`` and ``chr2`` rows (clean character(s) -> garbled string) become rewrite rules towards the
    clean skeleton; ``syl`` rows (clean syllable -> garbled token) become a direct garbled-token index.
    All sources (eng, vie, and their _upper partitions) are pooled: the document-level garble rate decides
    how much any of them is trusted. Which rows count is set by the ``channel_*`` and ``letter_min_count``
    fields of ``config``.
    """
    if not path.exists():
        return None
    try:
        chars, sylls, eng_chars = _read_confusions(path)
    except (OSError, ValueError):
        return None
    rules = _char_rules(chars, config)
    token_map = _token_map(sylls)
    if not rules and not token_map:
        return None
    return LearnedChannel(rules, token_map, _letter_logp(eng_chars, config))


_Counts = dict[str, dict[str, int]]


def _read_confusions(path: Path) -> tuple[_Counts, _Counts, _Counts]:
    """(char rows, syllable rows, English-model char rows) of the table: clean -> garbled -> count."""
    chars: _Counts = {}
    sylls: _Counts = {}
    eng_chars: _Counts = {}
    with open(path, encoding="utf-8") as fh:
        header: list[str] | None = None
        for line in fh:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if header is None:
                header = fields
                continue
            row = dict(zip(header, fields, strict=False))
            kind = row.get("kind")
            if kind not in ("chr", "chr2", "syl") or not row.get("clean"):
                continue
            target = sylls if kind == "syl" else chars
            per = target.setdefault(row["clean"], {})
            garbled = row.get("garbled", "")
            count = int(float(row.get("count", "0") or 0))
            per[garbled] = per.get(garbled, 0) + count
            if kind == "chr" and row.get("source", "").startswith("eng"):
                eng = eng_chars.setdefault(row["clean"], {})
                eng[garbled] = eng.get(garbled, 0) + count
    return chars, sylls, eng_chars


def _char_rules(chars: _Counts, cfg: RestoreConfig) -> tuple[Rule, ...]:
    """Rewrite rules garbled -> clean skeleton from the char rows, rare and long emissions dropped.

    P(garbled | clean skeleton) is pooled over the marked letters sharing a skeleton, so a rare letter
    with one odd emission does not produce a cheap rule.
    """
    by_skel: _Counts = {}
    for clean, emissions in chars.items():
        skel = strip_diacritics(clean)
        if not skel.isalpha():
            continue
        per = by_skel.setdefault(skel, {})
        for garbled, count in emissions.items():
            per[garbled] = per.get(garbled, 0) + count
    best: dict[tuple[str, str], float] = {}
    for skel, emissions in by_skel.items():
        total = sum(emissions.values())
        for garbled, count in emissions.items():
            p = count / total
            if (
                not garbled
                or p < cfg.channel_min_p
                or count < cfg.channel_min_count
                or len(garbled) > cfg.channel_max_garbled_len
                or " " in garbled
            ):
                continue
            if strip_diacritics(garbled) == skel:
                continue  # only marks differ: the skeleton lookup already covers it
            best[(garbled, skel)] = math.log10(p)
    # Đ read as P or B only at the start of a token: elsewhere p and b are real letters.
    return tuple(
        Rule(g, c, lp, onset_only=(c.startswith("d") and g[:1] in ("p", "b"))) for (g, c), lp in best.items()
    )


def _token_map(sylls: _Counts) -> dict[str, list[tuple[str, float]]]:
    """Garbled token -> [(clean syllable, log10 P(garbled | clean))], most likely first."""
    token_map: dict[str, list[tuple[str, float]]] = {}
    for clean, emissions in sylls.items():
        total = sum(emissions.values())
        for garbled, count in emissions.items():
            if garbled == clean or " " in garbled or not garbled:
                continue
            token_map.setdefault(garbled, []).append((clean, math.log10(count / total)))
    for lst in token_map.values():
        lst.sort(key=lambda x: -x[1])
    return token_map


def _letter_logp(eng_chars: _Counts, cfg: RestoreConfig) -> dict[tuple[str, str], float]:
    """Letter-for-letter emissions of the English model, for scoring same-skeleton candidates; only letters
    seen at least ``letter_min_count`` times."""
    char_logp: dict[tuple[str, str], float] = {}
    for clean, emissions in eng_chars.items():
        total = sum(emissions.values())
        if total < cfg.letter_min_count:
            continue
        for garbled, count in emissions.items():
            if len(garbled) == 1:
                char_logp[(clean, garbled)] = math.log10(count / total)
    return char_logp


def merge_rules(learned: tuple[Rule, ...], seed: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Learned rules win; seed rules fill the gaps the synthetic data did not show."""
    have = {(r.garbled, r.clean) for r in learned}
    return learned + tuple(r for r in seed if (r.garbled, r.clean) not in have)
