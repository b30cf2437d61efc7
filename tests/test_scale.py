"""Archive scale and reliability: Dask against the local pool, kill -9 and resume, pages that crash or hang,
long PDFs in bounded memory. Real Tesseract, real worker processes, a real Dask LocalCluster."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import load_results
from pipeline.results import load_manifest
from tests import scale_inputs
from tests.cli import sohoa

# Columns that say when and how fast, not what: they differ between any two runs.
VOLATILE = ["seconds", "processed_at"]


def _tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    documents = pd.read_parquet(out / "documents.parquet").drop(columns=VOLATILE)
    sections = pd.read_parquet(out / "sections.parquet")
    return documents, sections


def _assert_same_tables(a: Path, b: Path) -> None:
    docs_a, sections_a = _tables(a)
    docs_b, sections_b = _tables(b)
    pd.testing.assert_frame_equal(docs_a, docs_b)
    pd.testing.assert_frame_equal(sections_a, sections_b)


def _run_json(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def _manifest(out: Path) -> pd.DataFrame:
    return load_manifest(out).set_index("path")


@pytest.fixture(scope="module")
def mixed_archive(tmp_path_factory, scanned_plan_pdf: Path) -> Path:
    """Scans (one of three pages), text dumps, a duplicate and a broken file."""
    root = tmp_path_factory.mktemp("mixed")
    shutil.copy(scanned_plan_pdf, root / "a_plan.pdf")
    scale_inputs.multipage_pdf(root / "b_report.pdf", scale_inputs.report_pages(3, "Báo cáo tháng"))
    for k in range(4):
        (root / f"c_dump_{k}.txt").write_text(scale_inputs.plan_dump(k), encoding="utf-8")
    shutil.copy(root / "c_dump_0.txt", root / "d_same_as_dump_0.txt")
    (root / "e_broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<<")
    return root


@pytest.mark.slow
def test_dask_cluster_gives_the_same_tables_as_the_local_pool(tmp_path: Path, mixed_archive: Path) -> None:
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert sohoa("run", mixed_archive, "-o", local, "--workers", "2", "--quiet").returncode == 1
    result = sohoa("run", mixed_archive, "-o", dask, "--workers", "2", "--quiet", "--executor", "dask")
    assert result.returncode == 1, result.stderr  # the broken PDF
    _assert_same_tables(local, dask)
    docs, sections = _tables(dask)
    assert len(docs) == 7 and set(docs["status"]) == {"ok", "error"}
    assert len(sections) > 0

    run = _run_json(dask)
    assert run["executor"]["executor"] == "dask" and run["executor"]["workers"] == 2
    assert run["n_pages"] == 4 and run["n_skipped"] == 1  # the duplicate dump
    # Both workers worked, each ran several tasks, and each built the language model exactly once.
    workers = run["workers"].values()
    assert len(workers) == 2
    assert sum(w["tasks"] for w in workers) == 4 + 2 + 4  # pages, two finishes, four dumps
    assert all(w["model_loads"] == 1 for w in workers)
    assert max(w["tasks"] for w in workers) > 1


def test_manifest_records_every_input(tmp_path: Path, mixed_archive: Path) -> None:
    out = tmp_path / "out"
    first = sohoa("run", mixed_archive / "c_dump_1.txt", mixed_archive / "d_same_as_dump_0.txt", "-o", out)
    assert first.returncode == 0, first.stderr
    assert sohoa("run", mixed_archive, "-o", out, "--quiet", "--no-columns").returncode == 1
    manifest = _manifest(out)
    assert len(manifest) == 8
    dumps = manifest.loc[[str(mixed_archive / f"c_dump_{k}.txt") for k in range(4)]]
    assert set(dumps["status"]) == {"ok"}
    assert (dumps["sha256"].str.len() == 64).all() and (dumps["size"] > 0).all()
    assert dumps["attempts"].tolist() == [1, 2, 1, 1]  # --no-columns changes the options: dump 1 redone
    assert manifest.loc[str(mixed_archive / "d_same_as_dump_0.txt"), "status"] == "duplicate"
    broken = manifest.loc[str(mixed_archive / "e_broken.pdf")]
    assert broken["status"] == "error" and "corrupt" in broken["error"]
    assert manifest.loc[str(mixed_archive / "b_report.pdf"), "n_pages"] == 3
    assert len(load_results(out).manifest()) == 8  # the analysts' way in


def _watch_files(out: Path, stop: threading.Event, problems: list[str]) -> None:
    """Parse every visible JSON and Parquet file in OUT, over and over, while a run writes there."""
    while not stop.is_set():
        for path in list(out.glob("documents/*.json")) + list(out.glob("*.parquet")) + [out / "run.json"]:
            try:
                if path.suffix == ".json":
                    json.loads(path.read_text(encoding="utf-8"))
                else:
                    pq.read_table(path)
            except FileNotFoundError:
                continue
            except Exception as exc:
                problems.append(f"{path.name}: {exc}")
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int, *, within_s: float) -> bool:
    """Whether ``pid`` is still running (not a zombie) after waiting up to ``within_s`` for it to end."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.1)
    return True


@pytest.mark.slow
def test_kill_9_then_rerun_processes_every_document_exactly_once(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    for name in ("a_report", "b_report"):
        scale_inputs.multipage_pdf(
            archive / f"{name}.pdf", scale_inputs.report_pages(3, name), seed=len(name)
        )
    for k in range(8):
        (archive / f"c_dump_{k}.txt").write_text(scale_inputs.plan_dump(k), encoding="utf-8")
    n_inputs = 10

    whole = tmp_path / "whole"
    assert sohoa("run", archive, "-o", whole, "--workers", "2", "--quiet").returncode == 0

    out = tmp_path / "killed"
    out.mkdir()
    problems: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_files, args=(out, stop, problems))
    watcher.start()
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "run",
            str(archive),
            "-o",
            str(out),
            "--workers",
            "2",
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while len(list(out.glob("documents/*.json"))) < 2 and run.poll() is None:
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.05)
        workers = _children(run.pid)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
    finally:
        time.sleep(0.5)
        stop.set()
        watcher.join()
    assert run.returncode == -signal.SIGKILL
    assert not problems, problems
    # The pool's workers die with the batch instead of idling forever as orphans.
    assert workers and not [pid for pid in workers if _alive(pid, within_s=10)]

    done_before = {p.stem: json.loads(p.read_text())["processed_at"] for p in out.glob("documents/*.json")}
    assert 2 <= len(done_before) < n_inputs
    with sqlite3.connect(out / "manifest.sqlite") as db:
        checkpointed = db.execute("SELECT count(*) FROM pages WHERE status = 'ok'").fetchone()[0]
    at_kill = _manifest(out)
    started = set(at_kill.loc[at_kill["status"] == "running", "doc_id"]) - set(done_before)
    kinds = dict(zip(_manifest(whole)["doc_id"], _manifest(whole)["kind"], strict=True))
    unfinished = {doc_id: kind for doc_id, kind in kinds.items() if doc_id not in done_before}

    rerun = sohoa("run", archive, "-o", out, "--workers", "2", "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    _assert_same_tables(whole, out)
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs["doc_id"].is_unique and len(docs) == n_inputs
    # Documents finished before the kill were not redone...
    for path in out.glob("documents/*.json"):
        if path.stem in done_before:
            assert json.loads(path.read_text())["processed_at"] == done_before[path.stem]
    # ...and the rerun ran exactly the missing work: unfinished pages (not the checkpointed ones), one
    # finishing task per unfinished scan, one task per unfinished dump.
    stats = _run_json(out)
    assert stats["n_skipped"] == len(done_before)
    expected_tasks = sum(3 + 1 if kind == "pdf" else 1 for kind in unfinished.values()) - checkpointed
    assert sum(w["tasks"] for w in stats["workers"].values()) == expected_tasks
    manifest = _manifest(out)
    assert set(manifest["status"]) == {"ok"}
    attempts = dict(zip(manifest["doc_id"], manifest["attempts"], strict=True))
    assert all(attempts[d] == (2 if d in started else 1) for d in kinds)
    assert started  # the kill did interrupt work in progress
    assert not list(out.rglob(".*.tmp"))


@pytest.fixture(scope="module")
def misbehaving_scan(tmp_path_factory) -> Path:
    """Four pages: a good one, one that hangs Tesseract, one that crashes it, one that kills its worker."""
    pages = scale_inputs.report_pages(4, "Báo cáo quý")
    pages[1].append(scale_inputs.HANG_WORD)
    pages[2].append(scale_inputs.CRASH_WORD)
    pages[3].append(scale_inputs.KILL_WORKER_WORD)
    root = tmp_path_factory.mktemp("faults")
    scale_inputs.multipage_pdf(root / "scan.pdf", pages)
    (root / "dump.txt").write_text(scale_inputs.plan_dump(3), encoding="utf-8")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "dask"])
def test_pages_that_hang_crash_or_kill_their_worker_fail_alone(
    tmp_path: Path, misbehaving_scan: Path, executor: str
) -> None:
    real = shutil.which("tesseract")
    assert real, "tesseract must be installed"
    fake = scale_inputs.fake_tesseract_dir(tmp_path / "bin", real)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", str(misbehaving_scan), "-o", str(out), "--quiet",
         "--workers", "2", "--page-timeout", "20", "--executor", executor],
        capture_output=True, text=True, timeout=600, env=scale_inputs.env_with_path_first(fake),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    docs = pd.read_parquet(out / "documents.parquet").set_index("kind")
    assert docs.loc["text", "status"] == "ok"
    scan = docs.loc["pdf"]
    assert scan["status"] == "partial" and scan["n_pages_failed"] == 3
    doc = json.loads((out / "documents" / f"{scan['doc_id']}.json").read_text(encoding="utf-8"))
    errors = [page["error"] for page in doc["pages"]]
    assert errors[0] is None and "trang 1" in doc["text"]
    assert "timed out" in errors[1]
    assert "Tesseract crashed (SIGSEGV)" in errors[2]
    assert "worker process crashed" in errors[3]
    assert f"{scan['source_path']}: 3 of 4 pages failed" in result.stderr


@pytest.mark.slow
def test_a_300_page_pdf_runs_in_the_memory_of_a_10_page_one(tmp_path: Path) -> None:
    runs = {}
    for n in (10, 300):
        pdf = scale_inputs.multipage_pdf(
            tmp_path / f"long_{n}.pdf", scale_inputs.report_pages(n, "Sổ"), dpi=100
        )
        out = tmp_path / f"out_{n}"
        assert sohoa("run", pdf, "-o", out, "--workers", "2", "--dpi", "100", "--quiet").returncode == 0
        runs[n] = _run_json(out)
        assert runs[n]["n_pages"] == n
    worker_peak = {n: max(w["peak_rss_mb"] for w in run["workers"].values()) for n, run in runs.items()}
    # Workers hold one page image at a time (2.9 MB each here: 290 more held would be 840 MB more). The
    # task joining the document restores its whole text, about 0.1 MB of token records a page: with the
    # models memory-mapped from their cache, no load-time peak hides those 30 MB any more.
    assert worker_peak[300] < worker_peak[10] + 60, worker_peak
    # The main process holds page results (text and boxes, ~0.2 MB a page) only while joining the document.
    assert runs[300]["main_peak_rss_mb"] < runs[10]["main_peak_rss_mb"] + 100, runs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_an_existing_dask_cluster_reads_relative_inputs(tmp_path: Path, mixed_archive: Path) -> None:
    """Workers started elsewhere (another working directory) still find inputs given as relative paths."""
    dask = Path(sys.executable).parent / "dask"
    address = f"tcp://127.0.0.1:{_free_port()}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    started = [
        subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                          "--no-dashboard"], cwd=elsewhere, stderr=subprocess.DEVNULL),
        subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                         cwd=elsewhere, stderr=subprocess.DEVNULL),
    ]  # fmt: skip
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "run", "c_dump_2.txt", "a_plan.pdf", "-o",
             str(tmp_path / "out"), "--quiet", "--executor", "dask", "--scheduler", address],
            cwd=mixed_archive, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    run = _run_json(tmp_path / "out")
    assert run["executor"] == {"executor": "dask", "scheduler": address, "workers": 1, "threads": 1}
    assert run["n_ok"] == 2 and sum(w["tasks"] for w in run["workers"].values()) == 3
    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet")
    assert sorted(docs["source_path"]) == [str(mixed_archive / n) for n in ("a_plan.pdf", "c_dump_2.txt")]
