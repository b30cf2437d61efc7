"""Restoration benchmark: word error rate before/after restore_text on text never used for training.

WER = word-level Levenshtein distance / reference words, case-insensitive, NFC, tone placement normalised
on both sides (the corpus mixes "hoá" and "hòa"), word = run of letters/digits. Sets:
  seed-001     the real legacy-OCR seed against its gold restoration (development example: not tuned on)
  stripped     held-out news_dantri lines with every diacritic removed
  eng-ocr      held-out lines rendered and OCR'd with tesseract -l eng (work/eval/, if present)
  vie-ocr      the same with tesseract -l vie (work/eval/, if present)
  plans        the team's plans in tests/data/plans/*.txt, stripped (if present)
  clean        held-out clean text and plans fed as they are: share of words changed (must stay tiny)
Also prints words per second (CPU time of this one process, models preloaded) and peak memory. Usage:

    python benchmarks/restore_bench.py [--max-words 40000] [--chunk-lines 40]
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import time
import unicodedata
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.corpus import heldout_lines  # noqa: E402
from pipeline.restore import restore_text  # noqa: E402
from pipeline.restore.engine import models  # noqa: E402
from pipeline.restore.normalize import normalize_syllable, strip_diacritics  # noqa: E402

_WORD = re.compile(r"[^\W_]+")
SEEDS = ROOT.parent / "shared" / "seeds"
EVAL = ROOT / "work" / "eval"


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).lower()
    return [normalize_syllable(w) for w in _WORD.findall(text)]


def wer(hyp: str, ref: str) -> tuple[int, int]:
    r = words(ref)
    return Levenshtein.distance(words(hyp), r), len(r)


def restore_chunks(lines: list[str], chunk: int) -> tuple[list[str], float, int]:
    out: list[str] = []
    t0 = time.process_time()
    n_words = 0
    for i in range(0, len(lines), chunk):
        part = lines[i : i + chunk]
        res = restore_text("\n".join(part))
        out.extend(res.text.split("\n"))
        n_words += len(res.tokens)
    return out, time.process_time() - t0, n_words


def take(lines: list[str], max_words: int) -> list[str]:
    out, n = [], 0
    for line in lines:
        out.append(line)
        n += len(line.split())
        if n >= max_words:
            break
    return out


def row(name: str, inp: list[str], ref: list[str], chunk: int, table: list, speed: list) -> None:
    hyp, secs, n = restore_chunks(inp, chunk)
    e_in, total = wer("\n".join(inp), "\n".join(ref))
    e_out, _ = wer("\n".join(hyp), "\n".join(ref))
    table.append((name, total, 100 * e_in / max(total, 1), 100 * e_out / max(total, 1)))
    speed.append((n, secs))


def changed_share(lines: list[str], chunk: int, speed: list) -> tuple[int, int, list[tuple[str, str]]]:
    changed = total = 0
    examples: list[tuple[str, str]] = []
    t0 = time.process_time()
    for i in range(0, len(lines), chunk):
        res = restore_text("\n".join(lines[i : i + chunk]))
        for tok in res.tokens:
            total += 1
            if words(tok.original) != words(tok.restored):
                changed += 1
                if len(examples) < 15:
                    examples.append((tok.original, tok.restored))
    speed.append((total, time.process_time() - t0))
    return changed, total, examples


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-words", type=int, default=40_000, help="words per held-out set")
    ap.add_argument("--chunk-lines", type=int, default=40, help="lines per restore_text call (one 'page')")
    ap.add_argument("--show-changes", action="store_true", help="print examples of clean words changed")
    args = ap.parse_args(argv)
    t0 = time.process_time()
    models()
    print(f"models loaded in {time.process_time() - t0:.2f}s")
    table: list[tuple[str, int, float, float]] = []
    speed: list[tuple[int, float]] = []

    for src in sorted(SEEDS.glob("001_*.txt")):
        if src.name.endswith(".gold.txt"):
            continue
        gold = src.with_name(src.name.replace(".txt", ".gold.txt"))
        if gold.exists():
            row(
                "seed-001 legacy OCR",
                src.read_text().split("\n"),
                gold.read_text().split("\n"),
                200,
                table,
                speed,
            )

    clean = take([ln for ln in heldout_lines() if ln.strip()], args.max_words)
    row("held-out stripped", [strip_diacritics(ln) for ln in clean], clean, args.chunk_lines, table, speed)
    for kind in ("eng", "vie"):
        ocr, ref = EVAL / f"heldout_{kind}_ocr.txt", EVAL / "heldout_clean.txt"
        if ocr.exists() and ref.exists():
            o, r = ocr.read_text().split("\n"), ref.read_text().split("\n")
            n = len(take(r, args.max_words))
            row(f"held-out {kind} OCR", o[:n], r[:n], args.chunk_lines, table, speed)
    plans = sorted((ROOT / "tests" / "data" / "plans").glob("*.txt"))
    plan_lines = [ln for p in plans for ln in p.read_text().split("\n")]
    if plan_lines:
        row(
            "plans stripped",
            [strip_diacritics(ln) for ln in plan_lines],
            plan_lines,
            args.chunk_lines,
            table,
            speed,
        )

    print(f"\n{'set':<24}{'words':>8}{'input WER %':>13}{'output WER %':>14}")
    for name, total, e_in, e_out in table:
        print(f"{name:<24}{total:>8}{e_in:>13.2f}{e_out:>14.2f}")
    for name, lines in (("clean held-out", clean), ("clean plans", plan_lines)):
        if not lines:
            continue
        changed, total, examples = changed_share(lines, args.chunk_lines, speed)
        print(f"{name + ' changed':<24}{total:>8}{'':>13}{100 * changed / max(total, 1):>13.3f}%")
        if args.show_changes:
            print("   ", examples)
    n_words = sum(n for n, _ in speed)
    secs = sum(s for _, s in speed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nspeed {n_words / max(secs, 1e-9):,.0f} words/s on one core ({n_words} words); "
        f"peak memory {peak:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
