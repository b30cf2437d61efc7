"""Build dictionaries/case_inside.tsv: how often each syllable is capitalised inside a sentence.

OCR confuses the case of letters whose capital looks like the small letter in a mono face (c, l, o, s, v,
w, x, z and the marked o's: "Xây" for "xây" in a typewriter face). Inside a sentence, right after a
lowercase word with only a space between, most syllables are never capitalised ("chung sức xây dựng"), and
some often are (names, offices: "ông Xuân", "sở Công thương"). This counts, for every syllable whose first
letter has such a shape, how often it stands there and how often capitalised, over the training corpus
(held-out slice excluded); :mod:`pipeline.restore.case` lowercases a capitalised token there only when the
share is tiny. Only counts are shipped, never corpus text. Usage:

    python scripts/build_case.py [--corpus-dir ../shared/corpus] [--out dictionaries/case_inside.tsv]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.corpus import DEFAULT_CORPUS_DIR, DEFAULT_FILES, training_lines  # noqa: E402
from pipeline.resources import DICTIONARIES  # noqa: E402
from pipeline.restore.case import SAME_SHAPE_FIRST, inside_pairs  # noqa: E402
from pipeline.restore.normalize import normalize_syllable  # noqa: E402
from pipeline.restore.syllables import is_valid_syllable  # noqa: E402

_WORD = re.compile(r"[^\W\d_]+")


def count_case(corpus_dir: Path, files: tuple[str, ...]) -> tuple[Counter[str], Counter[str]]:
    """(times each same-shape syllable stands inside a sentence, times it is capitalised there)."""
    inside: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    for line in training_lines(corpus_dir, files):
        for word, capitalised in inside_pairs(line):
            inside[word] += 1
            if capitalised:
                capital[word] += 1
    return inside, capital


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--out", type=Path, default=DICTIONARIES / "case_inside.tsv")
    ap.add_argument("--min-inside", type=int, default=50, help="keep syllables seen this often inside")
    args = ap.parse_args(argv)
    started = time.time()
    raw_inside, raw_capital = count_case(args.corpus_dir, DEFAULT_FILES)
    inside: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    for word, n in raw_inside.items():
        key = normalize_syllable(word)
        inside[key] += n
        capital[key] += raw_capital[word]
    rows = [
        (w, n, capital[w])
        for w, n in inside.items()
        if n >= args.min_inside and w[:1] in SAME_SHAPE_FIRST and is_valid_syllable(w)
    ]
    rows.sort()
    with args.out.open("w", encoding="utf-8") as f:
        f.write("# syllable\ttimes inside a sentence after a lowercase word\ttimes capitalised there\n")
        for w, n, c in rows:
            f.write(f"{w}\t{n}\t{c}\n")
    print(f"{len(rows)} syllables -> {args.out} ({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
