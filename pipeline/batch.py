"""The batch: every input file through every stage, in parallel, resumable, with nothing lost.

Work is split into tasks that run in a process pool (pages of scanned documents, whole text dumps, then the
document-level stages once a document's pages are in), like OCRmyPDF's explicit page executor. At most a
few tasks per worker are in flight, so documents finish (and are written) steadily and memory stays bounded
however large the batch. Each finished document is written atomically; a document whose JSON is already in
OUT with the same content hash and options is skipped, so a rerun resumes where a killed run stopped.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from pipeline import __version__, export, ingest, tesseract
from pipeline.errors import IngestError
from pipeline.lock import OutputLock
from pipeline.logs import get_logger
from pipeline.process import (
    ProcessOptions,
    error_record,
    finish_document,
    process_page,
    process_text_document,
)

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
# A task that kills its worker process twice is not tried again.
MAX_TASK_ATTEMPTS = 2


class Reporter:
    """Progress callbacks; the CLI plugs in a rich progress bar, scripts and tests use this silent one."""

    def start(self, n_documents: int, n_pages: int) -> None: ...
    def page_done(self) -> None: ...
    def document_done(self, doc: dict) -> None: ...
    def finish(self) -> None: ...


@dataclass
class RunSummary:
    started: str
    finished: str = ""
    n_inputs: int = 0
    n_ok: int = 0
    n_partial: int = 0
    n_error: int = 0
    n_skipped: int = 0
    n_pages: int = 0
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_SOME_FAILED if self.n_error or self.n_partial else EXIT_OK


@dataclass
class _Task:
    kind: str  # "page", "text" or "finish"
    source: ingest.SourceFile
    index: int = 0
    attempts: int = 0
    pages: list[dict] = field(default_factory=list)


def run_batch(
    inputs: Sequence[Path],
    out_dir: Path,
    options: ProcessOptions,
    *,
    workers: int | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
    write_pdf: bool = False,
) -> RunSummary:
    """Process every file under ``inputs`` into ``out_dir``; failures are recorded, never raised.

    ``write_pdf`` also writes ``out_dir/pdf/<doc_id>.pdf``, the scans with the restored text searchable.
    """
    reporter = reporter or Reporter()
    log = get_logger()
    out_dir.mkdir(parents=True, exist_ok=True)
    with OutputLock(out_dir):
        export.remove_stale_temporaries(out_dir)
        summary = RunSummary(started=_now())
        clock = time.perf_counter()
        tesseract.check_language(options.lang)
        sources = _collect(inputs, out_dir, options, force, summary)
        reporter.start(len(sources), sum(s.n_pages for s in sources if s.kind != ingest.KIND_TEXT))
        for doc in _execute(sources, options, workers or os.cpu_count() or 1, reporter):
            export.write_document(out_dir, doc)
            if write_pdf:
                _write_pdf(out_dir, doc)
            _count(summary, doc)
            if doc["status"] != "ok":
                log.error(
                    "%s: %s",
                    doc["source_path"],
                    doc["error"],
                    extra={
                        "event": "file_failed",
                        "path": doc["source_path"],
                        "doc_id": doc["doc_id"],
                        "status": doc["status"],
                    },
                )
            reporter.document_done(doc)
        export.write_tables(out_dir)
        summary.finished = _now()
        summary.seconds = round(time.perf_counter() - clock, 3)
        export.atomic_write_json(out_dir / "run.json", _run_json(summary, options, inputs, workers))
        reporter.finish()
    return summary


def _write_pdf(out_dir: Path, doc: dict) -> None:
    """A searchable PDF for a scanned document; failing to write one costs a warning, not the document."""
    if doc["status"] not in ("ok", "partial") or doc.get("kind") == ingest.KIND_TEXT:
        return
    from pipeline.searchable_pdf import write_searchable_pdf

    try:
        write_searchable_pdf(doc, out_dir / "pdf" / f"{doc['doc_id']}.pdf")
    except Exception as exc:
        get_logger().warning(
            "%s: no searchable PDF: %s",
            doc["source_path"],
            exc,
            extra={"event": "pdf_failed", "path": doc["source_path"], "doc_id": doc["doc_id"]},
        )


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _collect(
    inputs: Sequence[Path], out_dir: Path, options: ProcessOptions, force: bool, summary: RunSummary
) -> list[ingest.SourceFile]:
    """Inspect every input; record unreadable ones at once and drop those already done or duplicated."""
    log = get_logger()
    fingerprint = options.fingerprint()
    sources: dict[str, ingest.SourceFile] = {}
    for found in ingest.discover(inputs):
        summary.n_inputs += 1
        path = str(found.path)
        stale = error_record(path, "")
        try:
            if found.error:
                raise IngestError(found.error)
            source = ingest.inspect(found.path, dpi=options.dpi)
        except IngestError as exc:
            doc = error_record(path, str(exc))
            export.write_document(out_dir, doc)
            _count(summary, doc)
            log.error("%s: %s", path, exc, extra={"event": "file_failed", "path": path, "status": "error"})
            continue
        export.document_path(out_dir, stale["doc_id"]).unlink(missing_ok=True)
        for warning in source.warnings:
            log.warning("%s: %s", path, warning, extra={"event": "file_warning", "path": path})
        if source.doc_id in sources:
            log.info(
                "%s: same content as %s, processed once",
                path,
                sources[source.doc_id].path,
                extra={"event": "duplicate", "path": path, "doc_id": source.doc_id},
            )
            summary.n_skipped += 1
            continue
        previous = None if force else export.read_document(out_dir, source.doc_id)
        if (
            previous
            and previous.get("status") in ("ok", "partial")
            and (previous.get("options_fingerprint") == fingerprint)
        ):
            summary.n_skipped += 1
            continue
        sources[source.doc_id] = source
    return list(sources.values())


def _count(summary: RunSummary, doc: dict) -> None:
    status = doc["status"]
    if status == "ok":
        summary.n_ok += 1
    elif status == "partial":
        summary.n_partial += 1
    else:
        summary.n_error += 1
    if status != "ok":
        summary.failures.append({"path": doc["source_path"], "status": status, "error": doc["error"]})
    summary.n_pages += len(doc.get("pages") or [])


def _initial_tasks(sources: list[ingest.SourceFile]) -> Iterator[_Task]:
    for source in sources:
        if source.kind == ingest.KIND_TEXT:
            yield _Task("text", source)
        else:
            for index in range(source.n_pages):
                yield _Task("page", source, index)


def _execute(
    sources: list[ingest.SourceFile], options: ProcessOptions, workers: int, reporter: Reporter
) -> Iterator[dict]:
    """Run all tasks in a process pool and yield finished documents, in completion order."""
    if not sources:
        return
    pending = _initial_tasks(sources)
    retry: deque[_Task] = deque()
    pages: dict[str, list[dict]] = {}
    in_flight: dict[Future, _Task] = {}
    limit = max(2, workers * 2)
    executor = _new_executor(workers)
    try:
        while True:
            while len(in_flight) < limit:
                task = retry.popleft() if retry else next(pending, None)
                if task is None:
                    break
                in_flight[_submit(executor, task, options)] = task
            if not in_flight:
                return
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                task = in_flight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    task.attempts += 1
                    if task.attempts < MAX_TASK_ATTEMPTS:
                        retry.append(task)
                        continue
                    result = _crashed(task)
                if task.kind == "page":
                    reporter.page_done()
                    pages.setdefault(task.source.doc_id, []).append(result)
                    if len(pages[task.source.doc_id]) == task.source.n_pages:
                        retry.appendleft(_Task("finish", task.source, pages=pages.pop(task.source.doc_id)))
                else:
                    yield result
            if broken:
                # Every task still in the dead pool is lost with it: run them again in a fresh pool.
                for future, task in in_flight.items():
                    future.cancel()
                    retry.append(task)
                in_flight.clear()
                executor.shutdown(wait=False, cancel_futures=True)
                executor = _new_executor(workers)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _new_executor(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker)


def _init_worker() -> None:
    # Parallelism comes from processes; a multi-threaded Tesseract in each would only fight for the cores.
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _submit(executor: ProcessPoolExecutor, task: _Task, options: ProcessOptions) -> Future:
    if task.kind == "page":
        return executor.submit(process_page, task.source, task.index, options)
    if task.kind == "text":
        return executor.submit(process_text_document, task.source, options)
    return executor.submit(finish_document, task.source, task.pages, options)


def _crashed(task: _Task) -> dict:
    message = "worker process crashed"
    if task.kind == "page":
        return {
            "index": task.index,
            "status": "error",
            "error": f"{message} on page {task.index + 1}",
            "lines": [],
        }
    return error_record(str(task.source.path), message, doc_id=task.source.doc_id)


def _run_json(
    summary: RunSummary, options: ProcessOptions, inputs: Sequence[Path], workers: int | None
) -> dict:
    return {
        "pipeline_version": __version__,
        "tesseract_version": tesseract.version(),
        "inputs": [str(p) for p in inputs],
        "options": {**asdict(options), "workers": workers, "fingerprint": options.fingerprint()},
        **asdict(summary),
        "exit_code": summary.exit_code,
    }
