"""Restoration benchmark: word error rate before/after restore_text on text never used for training.

WER = word-level Levenshtein distance / reference words, case-insensitive, NFC, tone placement normalised
on both sides (the corpus mixes "hoá" and "hòa"), word = run of letters/digits. Sets:
  seed-001       the real legacy-OCR seed against its gold restoration (development example: not tuned on)
  plans eng-OCR  our generated plans, scanned or photocopied and read with tesseract -l eng
                 (tests/data/restore/eval, made by scripts/make_restore_eval.py --split heldout)
  eng-OCR        held-out news lines rendered and OCR'd with tesseract -l eng (work/eval/, if present:
                 scripts/synth_ocr_pairs.py --eval)
  vie-OCR        the same with tesseract -l vie (work/eval/, if present)
  garbled        held-out news lines damaged by devtools/garble.py (English-model garble imitation)
  stripped       held-out news lines with every diacritic removed
  plans          the team's plans in tests/data/plans/*.txt, stripped (if present)
  clean          held-out clean text and plans fed as they are: share of words changed (must stay tiny)
Person names: the signer blocks of tests/data/restore/eval/signers.tsv (names composed from the name
lexicon by its frequencies, rendered, scanned or photocopied and OCR'd with tesseract -l eng; also the
truth stripped and garbled): share of names whose words are restored exactly (case and marks; specks
around them ignored), also with the signers listed in a user lexicon; and of the plans' signers. For each
set also how many of the wrong names and of the right ones are flagged for review (a word of the name's line
with a restoration confidence below the review threshold of pipeline.review, or the name's line taken out
whole as OCR noise, which is reviewed too): a wrong name should never pass silently. ``--names-only``
prints only that table (``--ours work/restore_dev`` for the dev signers). Under it, the ceiling of names
read without marks: the share that the commonest listed reading of each word gets right (the names are drawn
by those frequencies, so no reader of stripped names can do better on average).
Also prints words per second per set (CPU time of this one process, models preloaded) and peak memory.

    python benchmarks/restore_bench.py [--max-words 40000] [--chunk-lines 40] [--names-only]
"""

from __future__ import annotations

import argparse
import inspect
import re
import resource
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.corpus import heldout_lines  # noqa: E402
from devtools.garble import garble  # noqa: E402
from pipeline.restore import restore_text  # noqa: E402
from pipeline.restore.engine import models  # noqa: E402
from pipeline.restore.normalize import normalize_syllable, strip_diacritics  # noqa: E402
from pipeline.review import to_review  # noqa: E402

_WORD = re.compile(r"[^\W_]+")
SEEDS = ROOT.parent / "shared" / "seeds"
EVAL = ROOT / "work" / "eval"
OURS = ROOT / "tests" / "data" / "restore" / "eval"


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).lower()
    return [normalize_syllable(w) for w in _WORD.findall(text)]


def wer(hyp: str, ref: str) -> tuple[int, int]:
    r = words(ref)
    return Levenshtein.distance(words(hyp), r), len(r)


class Bench:
    """Rows of the WER table, the speed of each set and the name scores."""

    def __init__(self, chunk: int) -> None:
        self.chunk = chunk
        self.table: list[tuple[str, int, float, float, float]] = []
        self.cpu = 0.0
        self.n_words = 0

    def restore(self, text: str, lexicon: object = None) -> tuple[str, int, float]:
        res, secs = self.restoration(text, lexicon)
        return res.text, len(res.tokens), secs

    def restoration(self, text: str, lexicon: object = None) -> tuple[Any, float]:
        """The full restoration (text and token records) and its CPU seconds."""
        t0 = time.process_time()
        res = restore_text(text, lexicon=lexicon) if lexicon is not None else restore_text(text)
        secs = time.process_time() - t0
        self.cpu += secs
        self.n_words += len(res.tokens)
        return res, secs

    def restore_chunks(self, lines: list[str], chunk: int) -> tuple[list[str], float, int]:
        out: list[str] = []
        secs = 0.0
        n_words = 0
        for i in range(0, len(lines), chunk):
            text, n, s = self.restore("\n".join(lines[i : i + chunk]))
            out.extend(text.split("\n"))
            n_words += n
            secs += s
        return out, secs, n_words

    def row(self, name: str, docs: list[tuple[list[str], list[str]]], chunk: int | None = None) -> None:
        """One WER row over documents (input lines, reference lines), each restored in chunks."""
        e_in = e_out = total = n = 0
        secs = 0.0
        for inp, ref in docs:
            hyp, s, k = self.restore_chunks(inp, chunk or self.chunk)
            a, t = wer("\n".join(inp), "\n".join(ref))
            b, _ = wer("\n".join(hyp), "\n".join(ref))
            e_in, e_out, total, n, secs = e_in + a, e_out + b, total + t, n + k, secs + s
        self.table.append((name, total, 100 * e_in / max(total, 1), 100 * e_out / max(total, 1), n / secs))

    def changed_share(self, lines: list[str]) -> tuple[int, int, float, list[tuple[str, str]]]:
        changed = total = 0
        examples: list[tuple[str, str]] = []
        secs = 0.0
        for i in range(0, len(lines), self.chunk):
            t0 = time.process_time()
            res = restore_text("\n".join(lines[i : i + self.chunk]))
            secs += time.process_time() - t0
            for tok in res.tokens:
                total += 1
                if words(tok.original) != words(tok.restored):
                    changed += 1
                    if len(examples) < 15:
                        examples.append((tok.original, tok.restored))
        self.cpu += secs
        self.n_words += total
        return changed, total, total / max(secs, 1e-9), examples


def take(lines: list[str], max_words: int) -> list[str]:
    out, n = [], 0
    for line in lines:
        out.append(line)
        n += len(line.split())
        if n >= max_words:
            break
    return out


def _key(text: str) -> str:
    """Lowercase letters without marks (to find a name's line whatever restoration made of it)."""
    return re.sub(r"[^a-z]", "", strip_diacritics(unicodedata.normalize("NFC", text).lower()))


_EDGE = re.compile(r"^[\W\d_]+|[\W\d_]+$")
LETTERS = re.compile(r"[^\W\d_]")


def name_line(text: str, gold: str) -> str:
    """The words of the line of ``text`` that best matches the gold name (by letters): OCR specks around
    the words ("‘Dương", "Long:") and tokens without letters are left out, every other word counts."""
    return name_line_at(text, gold)[0]


def name_line_at(text: str, gold: str) -> tuple[str, int]:
    """:func:`name_line` and the index of that line."""
    target = _key(gold)
    best, score, at = "", -1.0, -1
    for i, line in enumerate(text.split("\n")):
        f = _key(line)
        if not f:
            continue
        s = 1.0 - Levenshtein.normalized_distance(f, target)
        if s > score:
            words = [_EDGE.sub("", w) for w in line.split()]
            best, score, at = " ".join(w for w in words if w), s, i
    return best, at


def flagged(res: Any, line: int) -> bool:
    """Whether a word of the name's line is to review (restoration confidence below the review
    threshold of :mod:`pipeline.review`): a wrong name a person is sent to check is not silently wrong."""
    return any(
        t.line == line and LETTERS.search(t.restored) and to_review(None, t.confidence, t.reason)
        for t in res.tokens
    )


def name_removed(res: Any, line: int) -> bool:
    """Whether the words of the name's line in the input were all taken out as OCR noise (reason
    ``noise``, always to review): the name is then missing from the text and the review says where."""
    words = [t for t in res.tokens if t.line == line and LETTERS.search(t.original)]
    return bool(words) and all(t.reason == "noise" for t in words)


def name_scores(bench: Bench, ours: Path, show: bool) -> list[NameScore]:
    """Exact-match share of signer names per damage kind (scan and photocopy OCR apart), and of the
    OCR'd names with a staff lexicon: the signers' names as an archive would list its officials."""
    path = ours / "signers.tsv"
    if not path.exists():
        return []
    rows = [ln.split("\t") for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    staff = None
    if "lexicon" in inspect.signature(restore_text).parameters:
        from pipeline.restore.lexicon import UserLexicon

        staff = UserLexicon.parse("".join(f"{name}\tname\n" for _, _, name, _, _ in rows))
    kinds = {
        "signers scan eng-OCR": lambda ocr, gold, i, level: ocr if level == "scan" else None,
        "signers photocopy eng-OCR": lambda ocr, gold, i, level: ocr if level == "photocopy" else None,
        "signers garbled": lambda ocr, gold, i, level: garble(gold, seed=i),
        "signers stripped": lambda ocr, gold, i, level: strip_diacritics(gold),
        "signers scan + staff": lambda ocr, gold, i, level: ocr if staff and level == "scan" else None,
        "signers photocopy + staff": lambda ocr, gold, i, level: ocr if staff and level != "scan" else None,
    }
    out = []
    for kind, make in kinds.items():
        right = total = wrong_flagged = right_flagged = 0
        for i, (doc_id, level, name, ocr, gold) in enumerate(rows):
            inp = make(ocr.replace("\\n", "\n"), gold.replace("\\n", "\n"), i, level)
            if inp is None:
                continue
            res, _ = bench.restoration(inp, staff if kind.endswith("staff") else None)
            got, at = name_line_at(res.text, name)
            flag = flagged(res, at) or name_removed(res, len(inp.split("\n")) - 1)
            right, total = right + (got == name), total + 1
            right_flagged += got == name and flag
            wrong_flagged += got != name and flag
            if show and got != name and kind.endswith("eng-OCR"):
                print(f"   {doc_id}: {name!r} <- {inp.splitlines()[-1:]!r} -> {got!r}{' (flagged)' * flag}")
        if total:
            out.append(NameScore(kind, right, total, wrong_flagged, right_flagged))
    return out


@dataclass
class NameScore:
    """Names restored exactly, and how many of the wrong and of the right ones are flagged for review."""

    kind: str
    right: int
    total: int
    wrong_flagged: int
    right_flagged: int

    def row(self) -> str:
        wrong = self.total - self.right
        return (
            f"{self.kind:<28}{self.total:>6}{100 * self.right / max(self.total, 1):>9.1f}"
            f"{f'{self.wrong_flagged}/{wrong}':>16}{f'{self.right_flagged}/{self.right}':>16}"
        )


def frequency_ceiling(ours: Path) -> float | None:
    """Share of the signers' names that the commonest listed reading of each word, by its letters without
    marks, gets exactly right: what a reader who knows the name lexicon but sees no marks can reach at
    best (the names are drawn by those frequencies). Stripped and garbled names cannot beat it."""
    from pipeline.resources import DICTIONARIES
    from pipeline.restore.lexicon import read_rows

    path = ours / "signers.tsv"
    if not path.exists():
        return None
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for form, kind, count in read_rows(DICTIONARIES / "names.tsv"):
        low = normalize_syllable(form.lower())
        key = (kind, strip_diacritics(low))
        if count > best.get(key, (-1.0, ""))[0]:
            best[key] = (count, low)
    rows = path.read_text(encoding="utf-8").splitlines()
    names = [ln.split("\t")[2] for ln in rows if not ln.startswith("#")]

    def commonest(kinds: tuple[str, ...], word: str) -> bool:
        return any(best.get((kind, strip_diacritics(word)), (0.0, ""))[1] == word for kind in kinds)

    right = 0
    for name in names:
        words = [normalize_syllable(w.lower()) for w in name.split()]
        female = len(words) > 2 and "thị" in words[1:-1]
        # a woman's given name may be read from either list: the ceiling takes the kinder one
        given = ("given_f", "given") if female else ("given",)
        kinds = [("surname",)] + [("middle",)] * (len(words) - 2) + [given]
        right += all(commonest(k, w) for w, k in zip(words, kinds, strict=True))
    return right / max(len(names), 1)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def plan_docs(ours: Path, level: str = "") -> list[tuple[list[str], list[str]]]:
    """(OCR lines, gold lines) of our generated plans (of one scan level: the id ends with it)."""
    docs = []
    for ocr in sorted((ours / "plans").glob(f"*{level}.ocr.txt")):
        gold = ocr.with_name(ocr.name.replace(".ocr.txt", ".gold.txt"))
        docs.append((_lines(ocr), _lines(gold)))
    return docs


def plan_signers(bench: Bench, ours: Path) -> NameScore:
    """Signer names of our plans (the last gold line) restored exactly in the whole-document OCR."""
    score = NameScore("plan signers eng-OCR", 0, 0, 0, 0)
    for inp, ref in plan_docs(ours):
        name = [ln for ln in ref if ln.strip()][-1].strip()
        res, _ = bench.restoration("\n".join(inp))
        got, at = name_line_at(res.text, name)
        flag = flagged(res, at)
        score.total += 1
        score.right += got == name
        score.right_flagged += got == name and flag
        score.wrong_flagged += got != name and flag
    return score


def wer_rows(bench: Bench, ours: Path, max_words: int) -> tuple[list[str], list[str]]:
    """Every WER set present; returns the clean held-out lines and the team's plan lines."""
    for src in sorted(SEEDS.glob("001_*.txt")):
        gold = src.with_name(src.name.replace(".txt", ".gold.txt"))
        if not src.name.endswith(".gold.txt") and gold.exists():
            bench.row("seed-001 legacy OCR", [(_lines(src), _lines(gold))], 200)
    for level in ("scan", "photocopy"):
        docs = plan_docs(ours, level)
        if docs:
            bench.row(f"plans {level} eng-OCR", docs, 10_000)
    for kind in ("eng", "vie"):
        ocr, ref = EVAL / f"heldout_{kind}_ocr.txt", EVAL / "heldout_clean.txt"
        if ocr.exists() and ref.exists():
            o, r = _lines(ocr), _lines(ref)
            n = len(take(r, max_words))
            bench.row(f"held-out {kind} OCR", [(o[:n], r[:n])])
    clean = take([ln for ln in heldout_lines() if ln.strip()], max_words)
    bench.row("held-out garbled", [([garble(ln, seed=i) for i, ln in enumerate(clean)], clean)])
    bench.row("held-out stripped", [([strip_diacritics(ln) for ln in clean], clean)])
    plans = sorted((ROOT / "tests" / "data" / "plans").glob("*.txt"))
    plan_lines = [ln for p in plans for ln in _lines(p)]
    if plan_lines:
        bench.row("plans stripped", [([strip_diacritics(ln) for ln in plan_lines], plan_lines)])
    return clean, plan_lines


def cpu_reference() -> float:
    """CPU seconds of a fixed pure-Python loop: how fast (or how shared) this core is right now."""
    t0 = time.process_time()
    total = 0
    for i in range(2_000_000):
        total += i
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-words", type=int, default=40_000, help="words per held-out set")
    ap.add_argument("--chunk-lines", type=int, default=40, help="lines per restore_text call (one 'page')")
    ap.add_argument("--ours", type=Path, default=OURS, help="folder of make_restore_eval.py output")
    ap.add_argument("--show-changes", action="store_true", help="print examples of clean words changed")
    ap.add_argument("--show-names", action="store_true", help="print the signer names restored wrongly")
    ap.add_argument("--names-only", action="store_true", help="only the person-name table")
    args = ap.parse_args(argv)
    t0 = time.process_time()
    models()
    print(f"models loaded in {time.process_time() - t0:.2f}s; CPU reference loop {cpu_reference():.3f}s")
    bench = Bench(args.chunk_lines)
    clean, plan_lines = [], []
    if not args.names_only:
        clean, plan_lines = wer_rows(bench, args.ours, args.max_words)
    print(f"\n{'set':<24}{'words':>8}{'input WER %':>13}{'output WER %':>14}{'words/s':>10}")
    for name, total, e_in, e_out, speed in bench.table:
        print(f"{name:<24}{total:>8}{e_in:>13.2f}{e_out:>14.2f}{speed:>10,.0f}")
    for name, lines in (("clean held-out", clean), ("clean plans", plan_lines)):
        if lines:
            changed, total, speed, examples = bench.changed_share(lines)
            share = 100 * changed / max(total, 1)
            print(f"{name + ' changed':<24}{total:>8}{'':>13}{share:>13.3f}%{speed:>10,.0f}")
            if args.show_changes:
                print("   ", examples)
    print(f"\n{'person names':<28}{'names':>6}{'exact %':>9}{'wrong flagged':>16}{'right flagged':>16}")
    for score in name_scores(bench, args.ours, args.show_names):
        print(score.row())
    print(plan_signers(bench, args.ours).row())
    ceiling = frequency_ceiling(args.ours)
    if ceiling is not None:
        share = f"{100 * ceiling:.1f} %"
        print(f"the commonest reading of each name word without its marks: {share} (stripped names' ceiling)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nspeed {bench.n_words / max(bench.cpu, 1e-9):,.0f} words/s on one core overall ({bench.n_words} "
        f"words); peak memory {peak:.0f} MB; CPU reference loop {cpu_reference():.3f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
