"""Throughput benchmark: ``sohoa run`` against plain ``pdftoppm`` + ``tesseract`` on the same scanned pages.

Pages: the plans in scripts/sample_sources/ (our own text) rendered by devtools.synth at 300 dpi with
scan or photocopy damage (``devtools.synth.archive.level_conditions``), written as image-only PDFs (one
JPEG per page, as scanners write them), ``--pages`` pages per level. Made once and reused from
``--work``.

Engines, each with ``--workers`` processes at a time on the same PDFs:
  sohoa  ``sohoa run LEVEL_DIR -o OUT --workers N --quiet``: rasterisation, preprocessing, orientation,
         layout, OCR, the page guard, restoration and structure (terms included) and every output
         (JSON, text, ALTO, ledger, tables), start-up and model loading included; a fresh OUT each round
  plain  per page ``pdftoppm -r DPI -gray`` then ``tesseract PAGE.pgm OUT -l vie --psm 3``
         (single-threaded, ``OMP_THREAD_LIMIT=1``, as in the pipeline), N pages at a time
The two run in interleaved rounds (sohoa first in even rounds, plain first in odd ones), so a change of the
machine's load hits both; each round gives a ratio, and the figures quoted are medians over the rounds.
CPU seconds (user + system of every process each engine started, Tesseract included) are printed too:
on a shared machine they move much less than wall times.

The per-stage profile comes from the pipeline itself: every page records the CPU milliseconds of each
stage (``PageResult.timings``: rasterise, each preprocessing step, orientation, layout, Tesseract, the
guard) and every document those of restoration and structure (``DocumentResult.timings``); start-up
(imports, the language and word-segmentation models) is what the workers' CPU leaves unaccounted, and the
main process (inspecting files, writing outputs and tables) is measured as a whole (``run.json``).

Usage:
    .venv/bin/python benchmarks/throughput_bench.py [--levels scan photocopy] [--pages 16] [--workers 2]
        [--rounds 3] [--dpi 300] [--work DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCES = ROOT / "scripts" / "sample_sources"
SOHOA = ROOT / ".venv" / "bin" / "sohoa"
LEVELS = ("scan", "photocopy")
# Stages in the order a page meets them (PageResult.timings), then the document's (DocumentResult.timings).
PAGE_STAGES = (
    "rasterise",
    "remove_seal",
    "normalize",
    "orient",
    "deskew",
    "binarize",
    "fade_seal",
    "despeckle",
    "layout",
    "tesseract",
    "lines",
    "guard",
)
DOC_STAGES = ("restore", "structure")


def generate(folder: Path, level: str, n_pages: int, dpi: int) -> int:
    """Write ``n_pages`` pages of ``level`` damage as image-only PDFs (one per document, with its truth
    beside it as ``<stem>_p<n>.gt.txt``, which the batch skips); reuses a complete earlier set."""
    stamp = folder / ".complete"
    wanted = f"{level} {n_pages} {dpi}"
    if stamp.exists() and stamp.read_text() == wanted:
        return n_pages
    from devtools.synth import load_source
    from devtools.synth.archive import level_conditions, make_document
    from devtools.synth.pdf import write_pdf

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sources = sorted(SOURCES.glob("*.txt"))
    done = variant = 0
    while done < n_pages:
        path = sources[variant % len(sources)]
        conditions = replace(level_conditions(level), dpi=dpi)
        doc = make_document(load_source(path), conditions, seed=variant, degrade_seed=7000 + 100 * variant)
        pages = doc.pages[: n_pages - done]
        stem = f"{path.stem}_{variant}"
        write_pdf(pages, folder / f"{stem}.pdf", dpi=dpi)
        for number, truth in enumerate(doc.truths[: len(pages)], start=1):
            (folder / f"{stem}_p{number}.gt.txt").write_text(truth + "\n", encoding="utf-8")
        done += len(pages)
        variant += 1
    stamp.write_text(wanted)
    return done


def page_jobs(folder: Path) -> list[tuple[Path, int]]:
    """(PDF, 1-based page) of every page in the folder."""
    jobs = []
    for pdf in sorted(folder.glob("*.pdf")):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        jobs.extend((pdf, page) for page in range(1, pages + 1))
    return jobs


def normalise(text: str) -> str:
    """NFC, every whitespace run one space (as benchmarks/ocr_bench.py compares)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(texts: dict[Path, str], folder: Path) -> float:
    """Character error rate of the text read from each PDF against its pages' truth, over the folder."""
    edits = chars = 0
    for pdf in sorted(folder.glob("*.pdf")):
        truth = normalise(
            " ".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob(f"{pdf.stem}_p*.gt.txt")))
        )
        edits += Levenshtein.distance(normalise(texts.get(pdf.resolve(), "")), truth)
        chars += len(truth)
    return edits / max(1, chars)


@dataclass
class Run:
    """One engine's run over one level: wall and CPU seconds, and what it measured of itself."""

    seconds: float
    cpu: float
    pages: int
    detail: dict = field(default_factory=dict)
    cer: float = float("nan")

    @property
    def pages_per_minute(self) -> float:
        return 60.0 * self.pages / self.seconds


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], env: dict) -> float:
    """Run ``command`` to its end; its own CPU seconds (user + system), from the kernel's accounting."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {process.returncode}: {process.stderr.read()[-500:]!r}")
    process.stderr.close()
    return usage.ru_utime + usage.ru_stime


def run_plain(jobs: list[tuple[Path, int]], workers: int, dpi: int, out: Path) -> Run:
    """pdftoppm then tesseract for every page, ``workers`` pages at a time."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def one(job: tuple[Path, int]) -> tuple[float, float]:
        pdf, page = job
        stem = out / f"{pdf.stem}_p{page}"
        raster = _timed(
            [
                "pdftoppm",
                "-r",
                str(dpi),
                "-gray",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(pdf),
                str(stem),
            ],
            env,
        )
        ocr = _timed(["tesseract", f"{stem}.pgm", str(stem), "-l", "vie", "--psm", "3"], env)
        Path(f"{stem}.pgm").unlink()
        return raster, ocr

    cpu0, started = _children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        costs = list(pool.map(one, jobs))
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu0
    n = len(jobs)
    detail = {
        "pdftoppm": 1000 * sum(c[0] for c in costs) / n,
        "tesseract": 1000 * sum(c[1] for c in costs) / n,
    }
    texts: dict[Path, str] = defaultdict(str)
    for pdf, page in jobs:
        texts[pdf.resolve()] += (out / f"{pdf.stem}_p{page}.txt").read_text(encoding="utf-8") + "\n"
    return Run(seconds, cpu, n, detail, cer(texts, jobs[0][0].parent))


def run_sohoa(folder: Path, workers: int, out: Path, sohoa: Path, n_pages: int) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    command = [str(sohoa), "run", str(folder), "-o", str(out), "--workers", str(workers), "--quiet"]
    cpu0, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu0
    if done.returncode != 0:
        raise SystemExit(f"sohoa run exited {done.returncode}:\n{done.stderr[-3000:]}")
    documents = pd.read_parquet(out / "documents.parquet", columns=["doc_id", "source_path"])
    texts = {
        Path(row.source_path).resolve(): (out / "text" / f"{row.doc_id}.txt").read_text(encoding="utf-8")
        for row in documents.itertuples()
        if (out / "text" / f"{row.doc_id}.txt").exists()
    }
    return Run(seconds, cpu, n_pages, profile(out), cer(texts, folder))


def profile(out: Path) -> dict:
    """Mean CPU ms per page of each stage in a sohoa output folder, plus start-up and the main process."""
    stages: dict[str, float] = defaultdict(float)
    pages = 0
    for path in (out / "documents").glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for page in doc.get("pages") or []:
            pages += 1
            for stage, ms in (page.get("timings") or {}).items():
                stages[stage] += ms
        for stage, ms in (doc.get("timings") or {}).items():
            stages[stage] += ms
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    workers = run["workers"].values()
    worker_cpu = 1000 * sum(w["cpu_seconds"] + w["tesseract_cpu_seconds"] for w in workers)
    accounted = sum(stages.values())
    result = {stage: ms / max(1, pages) for stage, ms in stages.items()}
    result["workers: start-up and other"] = (worker_cpu - accounted) / max(1, pages)
    result["main process"] = 1000 * run["main_cpu_seconds"] / max(1, pages)
    result["pages"] = pages
    result["n_ok"] = run["n_ok"]
    return result


def bench(args: argparse.Namespace) -> dict[str, dict[str, list[Run]]]:
    results: dict[str, dict[str, list[Run]]] = {level: {"sohoa": [], "plain": []} for level in args.levels}
    jobs = {level: page_jobs(args.work / "inputs" / level) for level in args.levels}
    for round_index in range(args.rounds):
        for level in args.levels:
            folder = args.work / "inputs" / level
            order = ("sohoa", "plain") if round_index % 2 == 0 else ("plain", "sohoa")
            for engine in order:
                out = args.work / f"out_{engine}_{level}"
                if engine == "sohoa":
                    run = run_sohoa(folder, args.workers, out, args.sohoa, len(jobs[level]))
                else:
                    run = run_plain(jobs[level], args.workers, args.dpi, out)
                results[level][engine].append(run)
                print(
                    f"  round {round_index + 1} {level:<10} {engine:<6} {run.seconds:7.1f} s wall "
                    f"{run.cpu:7.1f} s CPU {run.pages_per_minute:6.1f} pages/min  CER {100 * run.cer:.2f}%",
                    flush=True,
                )
    return results


def report(results: dict[str, dict[str, list[Run]]], workers: int) -> dict:
    med = statistics.median
    print()
    print(
        f"pages/min, {workers} processes each, median of interleaved rounds (ratio: per round, then median)"
    )
    header = (
        f"{'level':<10} {'pages':>5} {'sohoa p/min':>11} {'plain p/min':>11} {'ratio':>6} "
        f"{'ratios by round':<24} {'CPU s/page sohoa':>16} {'plain':>6} {'CER% sohoa':>10} {'plain':>6}"
    )
    print(header)
    print("-" * len(header))
    summary: dict = {}
    for level, runs in results.items():
        sohoa, plain = runs["sohoa"], runs["plain"]
        ratios = [s.pages_per_minute / p.pages_per_minute for s, p in zip(sohoa, plain, strict=True)]
        pages = sohoa[0].pages
        row = {
            "pages": pages,
            "sohoa_pages_per_min": med(r.pages_per_minute for r in sohoa),
            "plain_pages_per_min": med(r.pages_per_minute for r in plain),
            "ratio": med(ratios),
            "ratios": ratios,
            "sohoa_cpu_per_page": med(r.cpu for r in sohoa) / pages,
            "plain_cpu_per_page": med(r.cpu for r in plain) / pages,
            "sohoa_cer": med(r.cer for r in sohoa),
            "plain_cer": med(r.cer for r in plain),
        }
        summary[level] = row
        print(
            f"{level:<10} {pages:>5} {row['sohoa_pages_per_min']:>11.1f} {row['plain_pages_per_min']:>11.1f} "
            f"{row['ratio']:>5.2f}x {', '.join(f'{r:.2f}' for r in ratios):<24} "
            f"{row['sohoa_cpu_per_page']:>16.2f} {row['plain_cpu_per_page']:>6.2f} "
            f"{100 * row['sohoa_cer']:>10.2f} {100 * row['plain_cer']:>6.2f}"
        )
    print()
    print("CPU ms per page by stage (median over rounds)")
    levels = list(results)
    print(f"{'stage':<28}" + "".join(f"{level:>12}" for level in levels))
    names = [*PAGE_STAGES, *DOC_STAGES, "workers: start-up and other", "main process"]
    seen = {name for runs in results.values() for run in runs["sohoa"] for name in run.detail}
    names += sorted(seen - set(names) - {"pages", "n_ok"})
    profile_rows: dict = {}
    for name in names:
        values = [med(run.detail.get(name, 0.0) for run in results[level]["sohoa"]) for level in levels]
        profile_rows[name] = dict(zip(levels, values, strict=True))
        print(f"{name:<28}" + "".join(f"{v:>12.0f}" for v in values))
    totals = [sum(profile_rows[name][level] for name in names) for level in levels]
    print(f"{'total sohoa':<28}" + "".join(f"{v:>12.0f}" for v in totals))
    for stage in ("pdftoppm", "tesseract"):
        values = [med(run.detail[stage] for run in results[level]["plain"]) for level in levels]
        print(f"{'plain: ' + stage:<28}" + "".join(f"{v:>12.0f}" for v in values))
    return {"throughput": summary, "profile_ms_per_page": profile_rows}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", nargs="+", choices=LEVELS, default=list(LEVELS))
    parser.add_argument("--pages", type=int, default=16, help="pages per level")
    parser.add_argument("--workers", type=int, default=2, help="processes for each engine")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--work", type=Path, default=ROOT / "work" / "throughput_bench")
    parser.add_argument("--sohoa", type=Path, default=SOHOA)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    for level in args.levels:
        generate(args.work / "inputs" / level, level, args.pages, args.dpi)
    print(f"{args.pages} pages per level in {args.work / 'inputs'}; {args.rounds} rounds")
    results = bench(args)
    figures = report(results, args.workers)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
