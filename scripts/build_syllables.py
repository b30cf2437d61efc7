"""Build dictionaries/syllables.tsv: the Vietnamese syllable inventory with corpus counts.

A syllable is kept when it is well formed by rule (onset x rhyme x tone, see pipeline.restore.syllables)
and either occurs at least --min-count times in the training corpus or is listed by hunspell-vi. The
corpus counts become the unigram prior of the candidate generator. Usage:

    python scripts/build_syllables.py [--corpus-dir ../shared/corpus] [--out dictionaries/syllables.tsv]
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
from pipeline.restore.normalize import normalize_syllable  # noqa: E402
from pipeline.restore.syllables import is_valid_syllable  # noqa: E402

_WORD = re.compile(r"[^\W\d_]+")


def count_words(corpus_dir: Path, files: tuple[str, ...], tone_style: str) -> Counter[str]:
    raw: Counter[str] = Counter()
    for line in training_lines(corpus_dir, files):
        raw.update(_WORD.findall(line.lower()))
    counts: Counter[str] = Counter()
    for word, n in raw.items():
        counts[normalize_syllable(word, tone_style)] += n
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--files", nargs="*", default=list(DEFAULT_FILES))
    ap.add_argument(
        "--hunspell", type=Path, default=None, help="hunspell syllable list (default: in corpus dir)"
    )
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--out", type=Path, default=DICTIONARIES / "syllables.tsv")
    args = ap.parse_args(argv)
    t0 = time.time()
    counts = count_words(args.corpus_dir, tuple(args.files), "modern")
    hunspell_path = args.hunspell or args.corpus_dir / "wordlists" / "hunspell_vi_VN_syllables.txt"
    listed: set[str] = set()
    if hunspell_path.exists():
        for line in hunspell_path.read_text(encoding="utf-8").split():
            listed.add(normalize_syllable(line.strip().lower()))
    kept = {w: n for w, n in counts.items() if is_valid_syllable(w) and (n >= args.min_count or w in listed)}
    for w in listed:
        if w not in kept and is_valid_syllable(w):
            kept[w] = counts.get(w, 0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("# syllable\tcorpus_count  (tone style: modern; built by scripts/build_syllables.py)\n")
        for w in sorted(kept, key=lambda w: (-kept[w], w)):
            fh.write(f"{w}\t{kept[w]}\n")
    missing = sorted(w for w in listed if is_valid_syllable(w) and counts.get(w, 0) == 0)
    print(
        f"{len(kept)} syllables written to {args.out} in {time.time() - t0:.0f}s; "
        f"{len(listed)} hunspell entries, {len(missing)} of them unseen in the corpus"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
