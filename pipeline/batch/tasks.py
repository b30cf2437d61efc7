"""The unit of work shipped to a worker process, local or on a Dask cluster, and what comes back.

A task is plain data (which stage, which file, which page) and its outcome carries the stage's result plus
facts about the worker that ran it (host, pid, peak memory, language-model loads), so the batch can report
memory per worker and check that the model is loaded once per process rather than once per task. The
functions here are module-level and importable so that both ``concurrent.futures`` and Dask can pickle
them by reference.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from dataclasses import dataclass, field

from pipeline.external import tesseract
from pipeline.record import DocumentResult, PageResult
from pipeline.scan import ingest
from pipeline.stages import ProcessOptions, finish_document, process_page, process_text_document

KIND_PAGE = "page"
KIND_TEXT = "text"
KIND_FINISH = "finish"
KIND_PDF = "pdf"


@dataclass
class Task:
    """One page to OCR, one text dump to restore, one document to join and structure, or the searchable
    PDF of a stored document."""

    kind: str
    source: ingest.SourceFile
    index: int = 0
    pages: list[PageResult] = field(default_factory=list)  # for "finish": text and line confidences only
    attempts: int = 0
    doc: DocumentResult | None = None  # for "pdf": the document as stored (pages with words and boxes)

    @property
    def label(self) -> str:
        """A stable, human-readable key (Dask shows it on its dashboard)."""
        suffix = f"-p{self.index + 1}" if self.kind == KIND_PAGE else ""
        return f"{self.kind}-{self.source.doc_id}{suffix}"


@dataclass
class PdfResult:
    """A searchable PDF made in a worker, or why it could not be (only the main process writes to OUT)."""

    doc_id: str
    data: bytes | None = None
    error: str | None = None


@dataclass
class Outcome:
    """A task's result and the worker's vital signs when it finished."""

    value: PageResult | DocumentResult | PdfResult
    worker: str
    peak_rss_mb: float
    cpu_seconds: float
    tesseract_cpu_seconds: float
    model_loads: int
    seconds: float


def run_task(task: Task, options: ProcessOptions) -> Outcome:
    """Run one task in the current (worker) process; stage failures come back as data, never raised."""
    started = time.perf_counter()
    if task.kind == KIND_PAGE:
        value = process_page(task.source, task.index, options)
    elif task.kind == KIND_TEXT:
        value = process_text_document(task.source, options)
    elif task.kind == KIND_FINISH:
        value = finish_document(task.source, task.pages, options)
    elif task.kind == KIND_PDF and task.doc is not None:
        value = make_pdf(task.source, task.doc)
    else:
        raise ValueError(f"unknown task kind {task.kind!r}")
    return Outcome(
        value=value,
        worker=worker_name(),
        peak_rss_mb=peak_rss_mb(),
        cpu_seconds=cpu_seconds(resource.RUSAGE_SELF),
        tesseract_cpu_seconds=cpu_seconds(resource.RUSAGE_CHILDREN),
        model_loads=model_loads(),
        seconds=round(time.perf_counter() - started, 3),
    )


def make_pdf(source: ingest.SourceFile | None, doc: DocumentResult) -> PdfResult:
    """The searchable PDF/A of a stored document, from its source file; a failure comes back as a reason."""
    from pipeline.outputs.searchable_pdf import searchable_pdf

    try:
        data = searchable_pdf(doc, source.path if source is not None else None)
    except Exception as exc:  # any failure costs the PDF only, never the document or the batch
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return PdfResult(doc.doc_id, error=reason)
    return PdfResult(doc.doc_id, data=data)


def warm_up(load_language_model: bool, load_segmenter: bool = False) -> None:
    """Prepare a fresh worker process: single-threaded Tesseract and OpenCV, and the language model (and
    with structure extraction, underthesea's word segmentation for the terms) loaded once.

    Parallelism comes from processes; a multi-threaded Tesseract in each would only fight for the cores,
    and OpenCV's threads cost more CPU than they save on a page (thread hand-offs on every operation:
    measured 10-30 % more CPU for the preprocessing). Loading the model here (about half a second) rather
    than in the first text task keeps task times even and makes the one-load-per-process rule explicit.
    """
    import cv2

    tesseract.run_single_threaded()
    cv2.setNumThreads(1)
    if load_language_model:
        from pipeline.restore.model import models

        models()
    if load_segmenter:  # about 1 s (importing underthesea, reading its model): before the first task
        from pipeline.structure.terms import warm_up as load_terms_model

        load_terms_model()


def model_loads() -> int:
    """How many times this process has built the restoration models (1 once warm, never more)."""
    from pipeline.restore.model import model_loads as loads

    return loads()


def worker_name() -> str:
    """host:pid, unique across the machines of a cluster."""
    return f"{socket.gethostname()}:{os.getpid()}"


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """CPU time (user + system) used so far by this process, or by its finished children (Tesseract)."""
    usage = resource.getrusage(who)
    return round(usage.ru_utime + usage.ru_stime, 3)


def peak_rss_mb() -> float:
    """The most memory this process has held so far, in MB.

    Read from ``VmHWM`` (the high-water mark of this program's own memory): ``ru_maxrss`` would also count
    whatever the parent held when it forked this process, as it survives ``exec``. Tesseract runs as a
    child process and is not counted.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def crashed(task: Task, reason: str) -> PageResult | DocumentResult | PdfResult:
    """The result recorded for a task whose worker died (or was killed) every time it was tried."""
    if task.kind == KIND_PDF:
        return PdfResult(task.source.doc_id, error=reason)
    if task.kind == KIND_PAGE:
        return PageResult.failed(task.index, f"{reason} on page {task.index + 1}")
    return DocumentResult.failed(str(task.source.path), reason, doc_id=task.source.doc_id)
