"""Count OCR confusions from aligned (clean, OCR) line pairs and write dictionaries/ocr_confusions.tsv.

WHY: the restoration engine scores a candidate clean syllable for a garbled token with a noisy-channel
model; it needs P(garbled | clean) at syllable level (for frequent syllables: "có" -> "c6") and at
character level (to generalise to rare ones: "ơ" -> "o", "ứ" -> "it"). The pairs come from
scripts/synth_ocr_pairs.py (clean corpus text rendered and OCR'd by Tesseract; work/pairs/*.tsv).

Alignment, per line pair:
  1. tokens (whitespace) are aligned by a Levenshtein over token sequences whose substitution cost is the
     normalised edit distance of the tokens' "skeletons" (lowercase, marks stripped, look-alike digits and
     symbols folded: "c6" ~ "có"); 1:2 splits ("tr c" for "trúc") and 2:1 merges are extra operations.
  2. a 1:1 pair is kept when its skeletons are close, or when it sits between two kept pairs (or the line
     edge): OCR never reorders words, so a lone substitution between anchors is the same word however
     badly it was read ("12" for "là").
  3. inside each kept pair, a character Levenshtein (cheaper substitution between letters of the same base
     letter) gives, for every clean character, the 0-3 garbled characters it became (inserted characters
     attach to the clean character before them). That is a generative channel: per clean character the
     counts normalise to P(emission | character).

Table columns (tab-separated; lines starting with "#" are comments): kind, source, clean, garbled, count.
See TABLE_HEADER for the kinds and sources.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: devtools (and pipeline)
from devtools.corpus_split import REPO_ROOT  # noqa: E402

try:  # the restore engine's syllable normaliser is the reference spelling of the keys
    from pipeline.restore.normalize import normalize_syllable as _normalize_syllable
except ImportError:  # pragma: no cover - only when pipeline's dependencies are missing
    from devtools.corpus_split import normalize_clean_text as _normalize_syllable  # noqa: E402

TABLE_HEADER = """\
# OCR confusion counts for Vietnamese, learned from synthetic OCR of clean text (scripts/synth_ocr_pairs.py,
# scripts/build_confusions.py). Derived statistics only.
# Columns: kind <TAB> source <TAB> clean <TAB> garbled <TAB> count
# source: eng = tesseract -l eng (legacy "c6 = có" garble), vie = tesseract -l vie on degraded scans;
#   the suffix _upper marks tokens that were ALL-CAPS in the clean text (headings: "ĐUA" -> "PUA"). The two
#   partitions are disjoint; add eng and eng_upper for a case-blind model.
# Clean text is NFC, lowercase, tones placed by pipeline.restore.normalize.normalize_syllable ("hòa", "thủy").
# Garbled text is lowercase, as Tesseract wrote it.
# kind:
#   syl   clean syllable (letters only, edge punctuation stripped) -> garbled token core; count < 2 pruned
#   split clean syllable -> two garbled tokens joined by one space ("trúc" -> "tr c")
#   merge two clean syllables joined by one space -> one garbled token
#   chr   one clean character -> the 0-3 characters it became (empty = deleted); identity rows included, so
#         count / sum(count for the same source and clean) = P(garbled | clean)
#   chr2  two adjacent clean characters -> their joint emission (as chr, for context); count < 2 pruned
#   meta  clean = statistic name (pairs, tokens, tokens_aligned, tokens_split_merge), count = its value
# Fields are never quoted (rows whose strings contain a double quote are left out).
"""

# Folding for the alignment cost only (never for counting): digits and symbols Tesseract's English model
# puts where Vietnamese letters were.
_LOOKALIKE = str.maketrans(
    {"6": "o", "0": "o", "¢": "o", "@": "o", "©": "o", "ø": "o", "1": "l", "|": "l", "!": "l"}
)
_EDGE_PUNCT = ".,;:?\"'“”‘’()[]{}«»…*"
CONFIDENT = 0.5  # skeleton distance under which a 1:1 pair is accepted on its own
SPLIT_PENALTY = 0.3
MAX_EMISSION = 3


def strip_marks(text: str) -> str:
    """Lowercase base letters: "Người" -> "nguoi", "Đ" -> "d"."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=500_000)
def skeleton(token: str) -> str:
    folded = strip_marks(token).translate(_LOOKALIKE)
    core = "".join(ch for ch in folded if ch.isalnum())
    return core or token


@lru_cache(maxsize=1_000_000)
def token_cost(clean: str, garbled: str) -> float:
    return Levenshtein.normalized_distance(skeleton(clean), skeleton(garbled))


def split_core(token: str) -> tuple[str, str, str]:
    """(leading punctuation, core, trailing punctuation)."""
    core = token.strip(_EDGE_PUNCT)
    if not core:
        return "", token, ""
    start = token.index(core)
    return token[:start], core, token[start + len(core) :]


# --- token alignment --------------------------------------------------------------------------------------


@dataclass
class TokenOp:
    clean: tuple[str, ...]
    garbled: tuple[str, ...]
    cost: float
    accepted: bool = False


def align_tokens(clean: list[str], garbled: list[str], band: int = 6) -> list[TokenOp]:
    """Banded Levenshtein over token lists with 1:1, 1:0, 0:1, 1:2 and 2:1 operations; marks accepted 1:1s."""
    n, m = len(clean), len(garbled)
    inf = float("inf")
    width = band + abs(n - m)
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    has_word = [[any(ch.isalnum() for ch in t) for t in seq] for seq in (clean, garbled)]
    for i in range(n + 1):
        lo, hi = max(0, i - width), min(m, i + width)
        for j in range(lo, hi + 1):
            here = cost[i][j]
            if here == inf:
                continue
            for di, dj, c in _steps(clean, garbled, has_word, i, j):
                if here + c < cost[i + di][j + dj]:
                    cost[i + di][j + dj] = here + c
                    back[i + di][j + dj] = (di, dj)
    if cost[n][m] == inf:  # outside the band: give up on the line
        return [TokenOp(tuple(clean), tuple(garbled), inf)]
    ops: list[TokenOp] = []
    i, j = n, m
    while i or j:
        di, dj = back[i][j]  # type: ignore[misc]
        c = cost[i][j] - cost[i - di][j - dj]
        ops.append(TokenOp(tuple(clean[i - di : i]), tuple(garbled[j - dj : j]), c))
        i, j = i - di, j - dj
    ops.reverse()
    _accept(ops)
    return ops


def _steps(
    clean: list[str], garbled: list[str], has_word: list[list[bool]], i: int, j: int
) -> list[tuple[int, int, float]]:
    """The alignment moves possible from cell (i, j), with their costs."""
    n, m = len(clean), len(garbled)
    steps = []
    if i < n and j < m:
        steps.append((1, 1, token_cost(clean[i], garbled[j])))
    if i < n:
        steps.append((1, 0, 1.0))
    if j < m:
        steps.append((0, 1, 1.0))
    # splits/merges only between word pieces: a stray "—" after a word is an insertion, not a split
    if i < n and j + 1 < m and has_word[1][j] and has_word[1][j + 1]:
        steps.append((1, 2, token_cost(clean[i], garbled[j] + garbled[j + 1]) + SPLIT_PENALTY))
    if i + 1 < n and j < m and has_word[0][i] and has_word[0][i + 1]:
        steps.append((2, 1, token_cost(clean[i] + clean[i + 1], garbled[j]) + SPLIT_PENALTY))
    return steps


def _accept(ops: list[TokenOp]) -> None:
    def confident(op: TokenOp) -> bool:
        if len(op.clean) == 1 and len(op.garbled) == 1:
            return op.cost <= CONFIDENT
        return len(op.clean) + len(op.garbled) == 3 and op.cost <= CONFIDENT + SPLIT_PENALTY - 0.1

    sure = [confident(op) for op in ops]
    for k, op in enumerate(ops):
        if sure[k]:
            op.accepted = True
        elif len(op.clean) == 1 and len(op.garbled) == 1:
            left = k == 0 or sure[k - 1]
            right = k == len(ops) - 1 or sure[k + 1]
            c_len, g_len = len(split_core(op.clean[0])[1]), len(split_core(op.garbled[0])[1])
            op.accepted = left and right and abs(c_len - g_len) <= 2


# --- character alignment ------------------------------------------------------------------------------------


def _char_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.5 if strip_marks(a) == strip_marks(b) else 1.0


def align_chars(clean: str, garbled: str) -> list[tuple[str, str]]:
    """For each clean character, the garbled substring it became (insertions join the character before)."""
    n, m = len(clean), len(garbled)
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        d[i][0] = float(i)
    for j in range(1, m + 1):
        d[0][j] = float(j)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(
                d[i - 1][j - 1] + _char_cost(clean[i - 1], garbled[j - 1]), d[i - 1][j] + 1, d[i][j - 1] + 1
            )
    columns: list[tuple[str, str]] = []
    i, j = n, m
    while i or j:
        # Preference on ties: exact match, then insertion (so "ứ" -> "it" keeps the extra letter after
        # the substitution), then substitution, then deletion.
        if i and j and clean[i - 1] == garbled[j - 1] and d[i][j] == d[i - 1][j - 1]:
            columns.append((clean[i - 1], garbled[j - 1]))
            i, j = i - 1, j - 1
        elif j and d[i][j] == d[i][j - 1] + 1:
            columns.append(("", garbled[j - 1]))
            j -= 1
        elif i and j and d[i][j] == d[i - 1][j - 1] + _char_cost(clean[i - 1], garbled[j - 1]):
            columns.append((clean[i - 1], garbled[j - 1]))
            i, j = i - 1, j - 1
        else:
            columns.append((clean[i - 1], ""))
            i -= 1
    columns.reverse()
    return _emissions(columns)


def _emissions(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Fold inserted characters into a neighbouring clean character's emission.

    A run of insertions joins the neighbour that was itself misread ("mới" -> "maoi": "ớ" became "ao", not
    "m" -> "ma"); when both or neither neighbour changed, it joins the character before it.
    """
    emissions: list[list[str]] = []
    pending = ""  # insertions waiting for the next clean character
    for k, (c, g) in enumerate(columns):
        if c:
            emissions.append([c, pending + g])
            pending = ""
            continue
        prev_changed = bool(emissions) and emissions[-1][0] != emissions[-1][1]
        nxt = next(((nc, ng) for nc, ng in columns[k + 1 :] if nc), None)
        next_changed = nxt is not None and nxt[0] != nxt[1]
        if emissions and (prev_changed or not next_changed):
            emissions[-1][1] += g
        elif nxt is not None:
            pending += g
        else:
            return []  # only insertions: nothing to attach them to
    return [(c, g) for c, g in emissions]


# --- counting --------------------------------------------------------------------------------------------


@dataclass
class ConfusionCounts:
    counts: Counter = field(default_factory=Counter)  # (kind, source, clean, garbled) -> count

    def add_line(self, source: str, clean_line: str, ocr_line: str) -> None:
        clean_tokens = clean_line.split()
        ocr_tokens = ocr_line.split()
        self.counts[("meta", source, "pairs", "")] += 1
        self.counts[("meta", source, "tokens", "")] += len(clean_tokens)
        if not clean_tokens:
            return
        for op in align_tokens(clean_tokens, ocr_tokens):
            if not op.accepted:
                continue
            if len(op.clean) == 1 and len(op.garbled) == 1:
                self.counts[("meta", source, "tokens_aligned", "")] += 1
                self._add_token(source, op.clean[0], op.garbled[0])
            else:
                self.counts[("meta", source, "tokens_split_merge", "")] += len(op.clean)
                clean = " ".join(_normalize_syllable(split_core(t)[1].lower()) for t in op.clean)
                garbled = " ".join(split_core(t)[1].lower() for t in op.garbled)
                self.counts[("split" if len(op.garbled) == 2 else "merge", source, clean, garbled)] += 1

    def _add_token(self, source: str, clean_token: str, garbled_token: str) -> None:
        core = split_core(clean_token)[1]
        if core.isupper() and len(core) > 1:
            source = f"{source}_upper"
        clean = _normalize_syllable(core.lower())
        garbled = split_core(garbled_token)[1].lower()
        if clean.isalpha():
            self.counts[("syl", source, clean, garbled)] += 1
        emissions = align_chars(clean, garbled)
        for c, g in emissions:
            if len(g) <= MAX_EMISSION:
                self.counts[("chr", source, c, g)] += 1
        for (c1, g1), (c2, g2) in zip(emissions, emissions[1:], strict=False):
            if len(g1) + len(g2) <= MAX_EMISSION:
                self.counts[("chr2", source, c1 + c2, g1 + g2)] += 1

    def pruned_rows(self, min_count: int = 2) -> list[tuple[str, str, str, str, int]]:
        rows = []
        for (kind, source, clean, garbled), count in self.counts.items():
            if kind in ("syl", "chr2", "split", "merge") and count < min_count:
                continue
            if '"' in clean + garbled:  # keeps the file readable by CSV readers that honour quotes
                continue
            rows.append((kind, source, clean, garbled, count))
        order = {"meta": 0, "chr": 1, "chr2": 2, "syl": 3, "split": 4, "merge": 5}
        rows.sort(key=lambda r: (order[r[0]], r[1], r[2], -r[4], r[3]))
        return rows


def write_table(rows: Iterable[tuple[str, str, str, str, int]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(TABLE_HEADER)
        handle.write("kind\tsource\tclean\tgarbled\tcount\n")
        for kind, source, clean, garbled, count in rows:
            handle.write(f"{kind}\t{source}\t{clean}\t{garbled}\t{count}\n")


def read_table(path: Path) -> Iterator[tuple[str, str, str, str, int]]:
    """Rows of a confusion table (header and comments skipped)."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for kind, source, clean, garbled, count in reader:
            yield kind, source, clean, garbled, int(count)


def iter_pairs(path: Path) -> Iterator[tuple[str, str]]:
    """(clean, ocr) from a pair file written by synth_ocr_pairs.py."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            cols = line.rstrip("\n").split("\t")
            if len(cols) == 6:
                yield cols[4], cols[5]


# --- report ----------------------------------------------------------------------------------------------

GOLD_STYLE = [
    ("có", "c6"),
    ("là", "1a"),
    ("sở", "s¢"),
    ("chức", "chirc"),
    ("người", "ngudi"),
    ("hiệu", "hiéu"),
]
GOLD_STYLE_UPPER = [("đua", "pua"), ("hội", "hqi")]


def report(counts: ConfusionCounts) -> None:
    c = counts.counts
    sources = sorted({k[1] for k in c if k[0] == "meta"})
    for src in sources:
        pairs, tokens = c[("meta", src, "pairs", "")], c[("meta", src, "tokens", "")]
        aligned = c[("meta", src, "tokens_aligned", "")]
        sm = c[("meta", src, "tokens_split_merge", "")]
        print(
            f"\n== {src}: {pairs} pairs, {tokens} clean tokens, 1:1 aligned {aligned / max(1, tokens):.1%}, "
            f"in splits/merges {sm / max(1, tokens):.2%}"
        )
        for kind, label in (("syl", "syllable"), ("chr", "character")):
            for part in (src, f"{src}_upper"):
                errors = Counter({(k[2], k[3]): v for k, v in c.items() if k[0] == kind and k[1] == part})
                total = sum(errors.values())
                wrong = sum(v for (a, b), v in errors.items() if a != b)
                print(f"-- {part} {label}: {total} events, {wrong / max(1, total):.1%} changed; top 40:")
                top = [(a, b, v) for (a, b), v in errors.most_common() if a != b][:40]
                print("   " + "  ".join(f"{a}→{b or '∅'}:{v}" for a, b, v in top))
    print("\n== gold-style garbles P(garbled | clean) [most frequent garble]")
    for src in ("eng", "vie"):
        for part, items in ((src, GOLD_STYLE), (f"{src}_upper", GOLD_STYLE_UPPER)):
            cells = []
            for clean, garbled in items:
                row = Counter(
                    {k[3]: v for k, v in c.items() if k[0] == "syl" and k[1] == part and k[2] == clean}
                )
                total = sum(row.values())
                top = row.most_common(1)[0][0] if row else "-"
                cells.append(f"P({garbled}|{clean})={row[garbled] / max(1, total):.3f} [{top}] n={total}")
            print(f"  {part}: " + "; ".join(cells))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs-dir", default=str(REPO_ROOT / "work" / "pairs"))
    parser.add_argument("--sources", nargs="+", default=["eng", "vie"])
    parser.add_argument("--out", default=str(REPO_ROOT / "dictionaries" / "ocr_confusions.tsv"))
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="use at most this many pairs per source")
    args = parser.parse_args(argv)
    counts = ConfusionCounts()
    start = time.time()
    for source in args.sources:
        for k, (clean, ocr) in enumerate(iter_pairs(Path(args.pairs_dir) / f"{source}.tsv")):
            if args.limit and k >= args.limit:
                break
            counts.add_line(source, clean, ocr)
    rows = counts.pruned_rows(args.min_count)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_table(rows, out)
    print(
        f"wrote {len(rows)} rows to {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.time() - start:.0f}s"
    )
    report(counts)


if __name__ == "__main__":
    main()
