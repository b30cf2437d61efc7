"""Fuzz the batch: hundreds of damaged files with odd names through ``sohoa run``, then check everything.

Each batch is a fresh folder of mutated copies of small valid files (scanned and text PDFs, TIFF, 16-bit
TIFF, PNG, JPEG, UTF-8 and UTF-16 text dumps; see ``tests/fuzz_inputs.py``): truncated, bit-flipped, with
chunks inserted or zeroed, a header of another format, a wrong extension, names that are not UTF-8 or hold
control characters. Every batch is run with the real command line, and:

- every other batch is first killed with SIGKILL part-way and then resumed (nothing may be half-written);
- every batch is run a second time over the same OUT (a rerun must not crash nor change the tables).

The checks (``tests.fuzz_inputs.check_run``): the command exits 0 or 1 without a traceback; every input has
exactly one ledger row and its document one table row; every error is one line, and the log has one JSON
line per input; no temporary, truncated JSON or unreadable table is left.

    .venv/bin/python benchmarks/fuzz_ingest.py --files 600 --batch 100
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyarrow.parquet as pq  # noqa: E402

from devtools.fuzz_inputs import check_run, make_corpus  # noqa: E402


def sohoa_run(inputs: Path, out: Path, workers: int, kill_after: float | None = None):
    """``sohoa run`` as a user runs it; with ``kill_after``, SIGKILL it after that many seconds."""
    command = [sys.executable, "-m", "pipeline.cli", "run", str(inputs), "-o", str(out)]
    command += ["--workers", str(workers), "--quiet", "--log-format", "json"]
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        try:
            code = process.wait(timeout=kill_after)
            killed = False
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            code = process.wait()
            killed = True
        err.seek(0)
        return code, err.read().decode("utf-8", "backslashreplace"), killed


def check_killed(out: Path) -> list[str]:
    """After a kill: what exists must be whole (temporaries may stay: the next run removes them)."""
    problems = []
    for path in (out / "documents").glob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"half-written after kill: {path.name}: {exc}")
    for name in ("documents.parquet", "sections.parquet"):
        if (out / name).exists():
            try:
                pq.read_table(out / name)
            except Exception as exc:
                problems.append(f"half-written after kill: {name}: {exc}")
    return problems


def stable_table(out: Path):
    return pq.read_table(out / "documents.parquet").drop_columns(["processed_at", "seconds"])


def run_batch(index: int, size: int, seed: int, work: Path, workers: int, kill: bool) -> dict:
    folder = work / f"batch{index:02d}"
    corpus = make_corpus(folder / "in", size, seed=seed + index)
    out = folder / "out"
    result: dict = {"batch": index, "files": len(corpus.files), "mutations": dict(corpus.mutations)}
    started = time.perf_counter()
    problems: list[str] = []
    if kill:
        delay = random.Random(seed + index).uniform(4.0, 12.0)
        code, stderr, killed = sohoa_run(folder / "in", out, workers, kill_after=delay)
        result["killed_after_s"] = round(delay, 1) if killed else None
        if not killed and (code not in (0, 1) or "Traceback" in stderr):
            problems.append(f"crash before the kill: exit {code}")
        problems += check_killed(out)
    log_size = (out / "log.jsonl").stat().st_size if (out / "log.jsonl").exists() else 0
    code, stderr, _ = sohoa_run(folder / "in", out, workers)
    check = check_run(corpus.files, out, code, stderr, log_from=None if kill else log_size)
    result["exit_code"] = code
    first_table = stable_table(out) if not check.crashes and not check.half_written else None
    rerun_code, rerun_stderr, _ = sohoa_run(folder / "in", out, workers)
    rerun = check_run(corpus.files, out, rerun_code, rerun_stderr, log_from=None)
    if rerun_code != code:
        problems.append(f"rerun exit {rerun_code} != {code}")
    if first_table is not None and not rerun.half_written and not stable_table(out).equals(first_table):
        problems.append("rerun changed documents.parquet")
    result.update(
        seconds=round(time.perf_counter() - started, 1),
        rows=check.rows,
        statuses=dict(check.statuses),
        crashes=len(check.crashes) + len(rerun.crashes),
        missing_rows=len(check.missing_rows),
        multi_line_errors=len(check.multi_line_errors),
        log_mismatches=len(check.log_mismatches),
        half_written=len(check.half_written) + len([p for p in problems if "half-written" in p]),
        rerun_problems=len(rerun.problems()) + len([p for p in problems if p.startswith("rerun")]),
        problems=(check.problems() + rerun.problems() + problems)[:20],
    )
    return result


def summarise(results: list[dict]) -> dict:
    total: Counter = Counter()
    statuses: Counter = Counter()
    mutations: Counter = Counter()
    for r in results:
        for key in ("files", "rows", "crashes", "missing_rows", "multi_line_errors", "log_mismatches"):
            total[key] += r[key]
        total["half_written"] += r["half_written"]
        total["rerun_problems"] += r["rerun_problems"]
        total["killed_and_resumed"] += 1 if r.get("killed_after_s") else 0
        statuses.update(r["statuses"])
        mutations.update(r["mutations"])
    return {
        "batches": len(results),
        **total,
        "statuses": dict(statuses),
        "one_line_errors": statuses["error"] + statuses["partial"],
        "mutations": dict(mutations),
        "seconds": round(sum(r["seconds"] for r in results), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=600, help="mutated files in all (default 600)")
    parser.add_argument("--batch", type=int, default=100, help="files per batch (default 100)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", type=Path, help="keep the corpora and outputs in this folder")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="sohoa-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        n_batches = -(-args.files // args.batch)
        for index in range(n_batches):
            size = min(args.batch, args.files - index * args.batch)
            result = run_batch(index, size, args.seed, work, args.workers, kill=index % 2 == 1)
            results.append(result)
            print(
                f"batch {index:2d}: {result['files']:4d} files, exit {result['exit_code']}, "
                f"{result['rows']:4d} rows {result['statuses']}, crashes {result['crashes']}, "
                f"problems {len(result['problems'])}, killed {result.get('killed_after_s')}, "
                f"{result['seconds']} s",
                flush=True,
            )
            for problem in result["problems"]:
                print(f"    {problem}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    summary = summarise(results)
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "batches": results}, indent=1) + "\n")
    bad = sum(summary[k] for k in ("crashes", "missing_rows", "multi_line_errors", "log_mismatches"))
    return 1 if bad or summary["half_written"] or summary["rerun_problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
