"""Conditions of real archives that the page generator does not make: ``sohoa run`` against plain
``tesseract -l vie --psm 3`` on the scan level's pages of ``benchmarks/ocr_bench.py``, each page changed
one way at a time.

Why: every level of ocr_bench is made by devtools.synth, and sohoa was built against it. Real pages come
with things no level has. Each condition here is applied to the same upright 300-dpi scan pages, so a
condition's rows say what it costs:
  border     a copier's black border along the left and top edges, square to the scanner (not the text)
  shadow     a binder's shadow darkening the left eighth of the page
  holes      two punched holes in the left margin
  faded      faint print: ink at grey 150 on paper at 215
  staple     a staple's two bars in the top left corner
  highlight  three body lines marked with a yellow highlighter (a colour page)
  jpeg12     saved as a JPEG of quality 12
  fax150     150 dpi, 1-bit, recording no resolution
  jpg72      a JPEG recording 72 dpi (what many cameras and scanner drivers write into a 300-dpi page)
  png150     a 150-dpi PNG recording no resolution
Printed per condition: CER of sohoa and of plain Tesseract, the pages sohoa reads worse than plain
(by more than 0.2 points), and the pages it reads at more than 3 % CER while calling them ``ok``, with
the fields their record flags as uncertain (none: the page is silently wrong).

    .venv/bin/python benchmarks/conditions_bench.py [--work DIR] [--conditions border shadow ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ocr_bench import SOHOA, SOURCES, Score, bench_sohoa, bench_tesseract, make_pages  # noqa: E402

WORSE_BY = 0.002  # CER points (as a fraction) by which a page must lose to count as worse than plain
TRUSTED_BAD = 0.03  # a page read at more than this CER and marked ok is silently wrong


def _border(g: np.ndarray) -> np.ndarray:
    out, (h, w) = g.copy(), g.shape
    band = int(w * 0.035)
    out[:, :band] = 15
    out[: int(h * 0.02), :] = 20
    rng = np.random.default_rng(5)
    for y in range(0, h, 7):  # a ragged inner edge
        out[y : y + 7, band : band + int(rng.integers(0, 12))] = 25
    return out


def _shadow(g: np.ndarray) -> np.ndarray:
    out = g.astype(np.float32)
    ramp = np.linspace(0.35, 1.0, int(g.shape[1] * 0.12))
    out[:, : ramp.size] *= ramp[None, :]
    return out.clip(0, 255).astype(np.uint8)


def _holes(g: np.ndarray) -> np.ndarray:
    out, (h, w) = g.copy(), g.shape
    for cy in (int(h * 0.3), int(h * 0.7)):
        cv2.circle(out, (int(w * 0.05), cy), int(w * 0.018), 10, -1)
    return out


def _faded(g: np.ndarray) -> np.ndarray:
    return (215 - (255 - g.astype(np.float32)) * (65 / 255)).clip(0, 255).astype(np.uint8)


def _staple(g: np.ndarray) -> np.ndarray:
    out, (h, w) = g.copy(), g.shape
    cv2.line(out, (int(w * 0.04), int(h * 0.03)), (int(w * 0.09), int(h * 0.045)), 30, 9)
    cv2.line(out, (int(w * 0.04), int(h * 0.036)), (int(w * 0.085), int(h * 0.05)), 90, 4)
    return out


def _highlight(g: np.ndarray) -> np.ndarray:
    h, w = g.shape
    rgb = np.repeat(g[:, :, None], 3, axis=2).astype(np.float32)
    for k in range(3):
        y = int(h * (0.4 + 0.12 * k))
        rgb[y - 25 : y + 25, int(w * 0.15) : int(w * 0.8)] *= np.array([1.0, 0.97, 0.45])  # RGB: yellow
    return rgb.clip(0, 255).astype(np.uint8)


def _fax(g: np.ndarray) -> np.ndarray:
    small = cv2.resize(g, (g.shape[1] // 2, g.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return np.where(small < 150, 0, 255).astype(np.uint8)


def _half(g: np.ndarray) -> np.ndarray:
    return cv2.resize(g, (g.shape[1] // 2, g.shape[0] // 2), interpolation=cv2.INTER_AREA)


# name -> (change of the grey page, file suffix, PIL save options)
CONDITIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str, dict]] = {
    "border": (_border, ".png", {"dpi": (300, 300)}),
    "shadow": (_shadow, ".png", {"dpi": (300, 300)}),
    "holes": (_holes, ".png", {"dpi": (300, 300)}),
    "faded": (_faded, ".png", {"dpi": (300, 300)}),
    "staple": (_staple, ".png", {"dpi": (300, 300)}),
    "highlight": (_highlight, ".png", {"dpi": (300, 300)}),
    "jpeg12": (lambda g: g, ".jpg", {"dpi": (300, 300), "quality": 12}),
    "fax150": (_fax, ".png", {}),
    "jpg72": (lambda g: g, ".jpg", {"dpi": (72, 72), "quality": 90}),
    "png150": (_half, ".png", {}),
}


def make_condition(name: str, scans: list[tuple[Path, str]], folder: Path) -> list[tuple[Path, str]]:
    """The scan pages with one condition applied, in ``folder`` (truth beside each page)."""
    change, suffix, options = CONDITIONS[name]
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for path, truth in scans:
        grey = np.asarray(Image.open(path).convert("L"))
        target = folder / f"{path.stem}_{name}{suffix}"
        Image.fromarray(change(grey)).save(target, **options)
        (folder / f"{path.stem}_{name}.gt.txt").write_text(truth + "\n", encoding="utf-8")
        pages.append((target, truth))
    return pages


def trusted_bad(out: Path, score: Score, pages: list[tuple[Path, str]]) -> list[tuple[str, list[str]]]:
    """Pages read at more than TRUSTED_BAD CER in documents marked ok, with the fields their record flags
    as uncertain (what a reader is warned of; none: silently wrong)."""
    docs = pd.read_parquet(out / "documents.parquet")
    found = {Path(row.source_path).resolve(): row for row in docs.itertuples()}
    bad = []
    for path, _ in pages:
        row = found.get(path.resolve())
        if row is None or row.status != "ok" or score.per_page.get(path.stem, 0.0) <= TRUSTED_BAD:
            continue
        record = json.loads((out / "documents" / f"{row.doc_id}.json").read_text(encoding="utf-8"))
        bad.append((path.stem, sorted(record["record"]["uncertain_fields"])))
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description="sohoa vs plain Tesseract under conditions of real archives")
    parser.add_argument("--conditions", nargs="+", choices=list(CONDITIONS), default=list(CONDITIONS))
    parser.add_argument("--docs", nargs="+", default=sorted(p.stem for p in SOURCES.glob("*.txt")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="keep inputs and outputs here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="conditions_bench_"))
    scans = make_pages(work, ["scan"], args.docs, 300, None)["scan"]
    print(f"{len(scans)} scan pages in {work / 'inputs' / 'scan'}, each changed one way at a time")
    print(f"{'condition':<10} {'sohoa CER%':>10} {'plain CER%':>10}  worse than plain   ok but CER > 3 %")
    for name in args.conditions:
        folder = work / "inputs" / name
        pages = make_condition(name, scans, folder)
        plain = bench_tesseract(pages, args.workers, 3)
        ours = bench_sohoa(pages, folder, work / f"sohoa_{name}", args.workers, SOHOA)
        worse = [p for p, cer in ours.per_page.items() if cer > plain.per_page[p] + WORSE_BY]
        bad = trusted_bad(work / f"sohoa_{name}", ours, pages)
        print(
            f"{name:<10} {100 * ours.cer:>10.2f} {100 * plain.cer:>10.2f}  {len(worse):>2}/{len(pages):<14} "
            f"{len(bad):>2}/{len(pages)}",
            flush=True,
        )
        for page in worse:
            print(f"   worse: {page} {100 * ours.per_page[page]:.2f} vs {100 * plain.per_page[page]:.2f}")
        for page, flagged in bad:
            warned = f"flagged: {', '.join(flagged)}" if flagged else "NOT FLAGGED"
            print(f"   ok but CER {100 * ours.per_page[page]:.2f}: {page} ({warned})")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
