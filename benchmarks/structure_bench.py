"""Structure extraction benchmark: field accuracy and section F1 on hand-made plans.

Inputs: every ``tests/data/plans/<name>.txt`` with its hand-made ``<name>.expected.json``, in four forms:
clean, diacritic-less (marks stripped, case kept), garbled (legacy-OCR style, ``devtools/garble.py``) and
photocopy (what Tesseract's Vietnamese model makes of a photocopy: mangled section numerals and "Số:",
specks on symbols, a lost type line, stray marks; ``tests/test_structure_damage.py``). Then two sets that
are damaged already: ``tests/data/plans/ocr/`` (the pipeline's real OCR of the photocopied samples, scored
against the record of their ground truth) and ``tests/data/plans/damaged/`` (plans written by hand with the
damage of issue 12). The damaged forms go through ``pipeline.restore.restore_text`` when that package
provides it; otherwise they are measured raw and the output says so. Optionally the development seed
(``--seed-dir``) is scored against a hand-made expected record kept outside the repository
(``--seed-expected``). Last, the held-out generated plans of ``scripts/make_restore_eval.py``
(``--generated``: English-model OCR of scans and photocopies) against the record of their truth text.

Field accuracy: exact match per field after NFC and whitespace normalisation (strict), and the same
comparison after removing diacritics (folded), which shows what structure alone gets right on raw text.
Section F1: a predicted section matches an expected one when number, level and label agree and the
headings have rapidfuzz ratio >= 90. Times are for fields and sections only; the last line gives what the
per-section terms (underthesea word segmentation, on by default in ``extract_record``) add.

Usage: python benchmarks/structure_bench.py [--verbose] [--seed-dir DIR --seed-expected FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devtools.garble import garble, strip_diacritics  # noqa: E402
from devtools.photocopy_damage import photocopy  # noqa: E402
from pipeline.structure import FIELD_NAMES, extract_record  # noqa: E402
from pipeline.structure.text import fold  # noqa: E402

PLANS = REPO / "tests" / "data" / "plans"
HEADING_RATIO = 90.0


def _norm(value: Any, folded: bool) -> Any:
    if isinstance(value, str):
        text = " ".join(unicodedata.normalize("NFC", value).split())
        return fold(text) if folded else text
    if isinstance(value, list):
        return [_norm(v, folded) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v, folded) for k, v in sorted(value.items())}
    return value


def field_hits(expected: dict, predicted: dict, folded: bool = False) -> dict[str, bool]:
    """Per field: does the prediction equal the expectation after normalisation?"""
    return {
        name: _norm(expected.get(name), folded) == _norm(predicted.get(name), folded) for name in FIELD_NAMES
    }


def section_matches(expected: list[dict], predicted: list[dict], folded: bool = False) -> int:
    """Number of one-to-one matches (number, level, label equal; heading ratio >= 90), in order."""
    used: set[int] = set()
    hits = 0
    for exp in expected:
        for i, pred in enumerate(predicted):
            if i in used:
                continue
            if (str(pred["number"]), pred["level"], pred["label"]) != (
                str(exp["number"]),
                exp["level"],
                exp["label"],
            ):
                continue
            a, b = _norm(exp["heading"], folded), _norm(pred["heading"], folded)
            if fuzz.ratio(a, b) >= HEADING_RATIO:
                used.add(i)
                hits += 1
                break
    return hits


def f1(hits: int, n_expected: int, n_predicted: int) -> float:
    if n_expected == 0 and n_predicted == 0:
        return 1.0
    precision = hits / n_predicted if n_predicted else 0.0
    recall = hits / n_expected if n_expected else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def load_plans(folder: Path = PLANS) -> list[tuple[str, str, dict]]:
    plans = []
    for path in sorted(folder.glob("*.txt")):
        expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
        plans.append((path.stem, path.read_text(encoding="utf-8"), expected))
    return plans


def restorer() -> Callable[[str], str] | None:
    try:
        from pipeline.restore import restore_text  # type: ignore[attr-defined]
    except Exception:
        return None

    def restore(text: str) -> str:
        restored = restore_text(text)
        return restored if isinstance(restored, str) else restored.text

    return restore


def score(docs: list[tuple[str, str, dict]], transform: Callable[[str], str], verbose: bool) -> dict:
    field_total = {name: 0 for name in FIELD_NAMES}
    field_folded = {name: 0 for name in FIELD_NAMES}
    hits = n_exp = n_pred = hits_folded = 0
    elapsed = 0.0
    for name, text, expected in docs:
        source = transform(text)
        started = time.perf_counter()
        record = extract_record(source, terms=False).to_dict()
        elapsed += time.perf_counter() - started
        strict = field_hits(expected["fields"], record["fields"])
        loose = field_hits(expected["fields"], record["fields"], folded=True)
        for field in FIELD_NAMES:
            field_total[field] += strict[field]
            field_folded[field] += loose[field]
        doc_hits = section_matches(expected["sections"], record["sections"])
        hits += doc_hits
        hits_folded += section_matches(expected["sections"], record["sections"], folded=True)
        n_exp += len(expected["sections"])
        n_pred += len(record["sections"])
        if verbose:
            for field in FIELD_NAMES:
                if not strict[field]:
                    print(f"  [{name}] {field}: expected {expected['fields'].get(field)!r}")
                    print(f"  [{name}] {' ' * len(field)}  got      {record['fields'].get(field)!r}")
            if doc_hits != len(expected["sections"]) or len(record["sections"]) != doc_hits:
                print(
                    f"  [{name}] sections: {doc_hits} matched, {len(expected['sections'])} expected, "
                    f"{len(record['sections'])} predicted"
                )
    n_docs = len(docs)
    return {
        "docs": n_docs,
        "field_accuracy": sum(field_total.values()) / (n_docs * len(FIELD_NAMES)),
        "field_accuracy_folded": sum(field_folded.values()) / (n_docs * len(FIELD_NAMES)),
        "per_field": {k: v / n_docs for k, v in field_total.items()},
        "section_f1": f1(hits, n_exp, n_pred),
        "section_f1_folded": f1(hits_folded, n_exp, n_pred),
        "ms_per_doc": 1000 * elapsed / max(1, n_docs),
    }


def terms_cost(docs: list[tuple[str, str, dict]]) -> str:
    """What the per-section terms (underthesea word segmentation) add: model load, ms per document."""
    started = time.perf_counter()
    extract_record("I. MỤC ĐÍCH\nThi đua khen thưởng")
    load = time.perf_counter() - started
    with_terms = without = 0.0
    rows = lines = 0
    for _, text, _ in docs:
        started = time.perf_counter()
        record = extract_record(text)
        with_terms += time.perf_counter() - started
        started = time.perf_counter()
        extract_record(text, terms=False)
        without += time.perf_counter() - started
        rows += len(record.terms)
        lines += sum(1 for line in text.splitlines() if line.strip())
    n = max(1, len(docs))
    return (
        f"terms (clean plans): first call {load:.1f} s (loads underthesea), then "
        f"{1000 * (with_terms - without) / n:.1f} ms/doc on top of {1000 * without / n:.1f} ms/doc "
        f"({1000 * (with_terms - without) / max(1, lines):.2f} ms per non-blank line), "
        f"{rows / n:.0f} term rows/doc"
    )


_SHORT = {"diacritic-less": "nomarks", "photocopy OCR": "ocr", "photocopy": "photo", "hand-damaged": "hand"}


def _short(label: str) -> str:
    """Column name of a run in the per-field table (``photo rest`` for "photocopy restored")."""
    for long, short in _SHORT.items():
        label = label.replace(long, short)
    return label.replace("restored", "rest")


def _print(label: str, result: dict) -> None:
    print(
        f"{label:<34} docs={result['docs']:>2}  fields={result['field_accuracy']:.3f}  "
        f"fields(folded)={result['field_accuracy_folded']:.3f}  section_F1={result['section_f1']:.3f}  "
        f"F1(folded)={result['section_f1_folded']:.3f}  {result['ms_per_doc']:.1f} ms/doc"
    )


def _runs(restore: Callable[[str], str] | None) -> list[tuple[str, list, Callable[[str], str]]]:
    """Every (label, plans, transform) to score: clean, each damage raw and restored, the OCR'd sets."""
    docs = load_plans()
    identity: Callable[[str], str] = lambda text: text  # noqa: E731
    runs: list[tuple[str, list, Callable[[str], str]]] = [("clean", docs, identity)]
    damages = (("diacritic-less", strip_diacritics), ("garbled", garble), ("photocopy", photocopy))
    for label, damage in damages:
        runs.append((f"{label} raw", docs, damage))
        if restore is not None:
            runs.append((f"{label} restored", docs, lambda text, d=damage: restore(d(text))))
    for label, folder in (("photocopy OCR", PLANS / "ocr"), ("hand-damaged", PLANS / "damaged")):
        if not load_plans(folder):
            continue
        runs.append((f"{label} raw", load_plans(folder), identity))
        if restore is not None:
            runs.append((f"{label} restored", load_plans(folder), restore))
    return runs


def generated_plans(folder: Path, level: str) -> list[tuple[str, str, dict]]:
    """The held-out generated plans of ``scripts/make_restore_eval.py`` (English-model OCR of a scan or a
    photocopy), each expected to give the record of its own truth text: what structure keeps of a plan
    through OCR and restoration (no hand-made record: the expectation is only as good as the extraction
    of clean text, 1.000 on the hand-made plans)."""
    docs = []
    for ocr in sorted(folder.glob(f"*{level}.ocr.txt")):
        gold = ocr.with_name(ocr.name.replace(".ocr.txt", ".gold.txt")).read_text(encoding="utf-8")
        expected = extract_record(gold, terms=False).to_dict()
        docs.append((ocr.name.removesuffix(".ocr.txt"), ocr.read_text(encoding="utf-8"), expected))
    return docs


def _score_generated(args: argparse.Namespace, restore: Callable[[str], str] | None) -> None:
    """Held-out generated plans, scan and photocopy English-model OCR, raw and restored."""
    for level in ("scan", "photocopy"):
        docs = generated_plans(args.generated, level)
        if not docs:
            continue
        runs = [(f"generated {level} eng-OCR raw", lambda t: t)]
        if restore is not None:
            runs.append((f"generated {level} eng-OCR restored", restore))
        for label, transform in runs:
            if args.verbose:
                print(f"--- {label}")
            _print(label, score(docs, transform, args.verbose))


def _score_seed(args: argparse.Namespace, restore: Callable[[str], str] | None) -> None:
    """The dev seed: its gold text, its legacy OCR raw and restored, against its expected record."""
    seeds = sorted(args.seed_dir.glob("001_*.gold.txt")) if args.seed_dir.exists() else []
    if not (seeds and args.seed_expected.exists()):
        print(f"seed expected record not found ({args.seed_expected}): seed not scored")
        return
    expected = json.loads(args.seed_expected.read_text(encoding="utf-8"))
    gold = seeds[0]
    raw = gold.with_name(gold.name.replace(".gold.txt", ".txt"))
    seed_runs: list[tuple[str, str, Callable[[str], str] | None]] = [
        ("seed 001 gold", gold.read_text(encoding="utf-8"), None),
        ("seed 001 legacy OCR raw", raw.read_text(encoding="utf-8"), None),
    ]
    if restore is not None:
        seed_runs.append(("seed 001 legacy OCR restored", raw.read_text(encoding="utf-8"), restore))
    for label, text, transform in seed_runs:
        if args.verbose:
            print(f"--- {label}")
        _print(label, score([("seed001", text, expected)], transform or (lambda t: t), args.verbose))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every wrong field")
    parser.add_argument("--seed-dir", type=Path, default=Path("/work/shared/seeds"))
    parser.add_argument("--seed-expected", type=Path, default=REPO / "work" / "seed001.expected.json")
    parser.add_argument(
        "--generated",
        type=Path,
        default=REPO / "tests" / "data" / "restore" / "eval" / "plans",
        help="OCR'd generated plans (*.ocr.txt + *.gold.txt) scored against the record of their truth",
    )
    args = parser.parse_args()

    restore = restorer()
    if restore is None:
        print("pipeline.restore.restore_text not available: damaged inputs measured raw only")
    runs = _runs(restore)
    per_field: dict[str, dict] = {}
    for label, plans, transform in runs:
        if args.verbose:
            print(f"--- {label}")
        result = score(plans, transform, args.verbose)
        per_field[label] = result["per_field"]
        _print(label, result)
    print("per-field strict accuracy:")
    print(f"  {'field':<18}" + "".join(f"{_short(label):>13}" for label, _, _ in runs))
    for field in FIELD_NAMES:
        print(f"  {field:<18}" + "".join(f"{per_field[label][field]:>13.2f}" for label, _, _ in runs))
    print(terms_cost(runs[0][1]))
    _score_seed(args, restore)
    _score_generated(args, restore)


if __name__ == "__main__":
    main()
