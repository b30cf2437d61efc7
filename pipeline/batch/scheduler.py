"""The flow of tasks through an executor: pages of each document, then the document itself.

Documents are pulled from a lazy stream only when the executor has room, and at most ``capacity`` tasks are
in flight, so memory stays bounded however many documents and pages the batch holds and the first results
arrive at once (no upfront scan of the whole archive). Each finished page is checkpointed in the
manifest, not kept in memory; when a document's last page is in, its pages are read back and sent with the
"finish" task. A page checkpointed by a killed run is not OCR'd again. The searchable PDF of a stored
document is one more task (:meth:`Scheduler.add_pdf`), run by a worker like the rest.

When a local worker dies, the whole pool goes with it and nobody knows which task killed it. Every task
that was in flight is then a suspect and is retried alone, one at a time: a suspect that kills the pool
while running alone is the culprit, and is recorded as failed instead of being tried again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.batch.executors import Executor
from pipeline.batch.tasks import (
    KIND_FINISH,
    KIND_PAGE,
    KIND_PDF,
    KIND_TEXT,
    Outcome,
    PdfResult,
    Task,
    crashed,
)
from pipeline.errors import PoolBroken, TaskCrashed
from pipeline.record import DocumentResult, PageResult
from pipeline.scan import ingest

CRASH_REASON = "worker process crashed"


class PageStore(Protocol):
    def done_pages(self, doc_id: str) -> set[int]: ...
    def save_page(self, doc_id: str, page: PageResult) -> None: ...
    def load_pages(self, doc_id: str) -> list[PageResult]: ...


@dataclass
class PageDone:
    source: ingest.SourceFile
    page: PageResult


@dataclass
class DocumentDone:
    source: ingest.SourceFile
    doc: DocumentResult


@dataclass
class PdfDone:
    source: ingest.SourceFile
    result: PdfResult


@dataclass
class WorkerStats:
    """What one worker process did and the most memory it ever held."""

    tasks: int = 0
    busy_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    cpu_seconds: float = 0.0
    tesseract_cpu_seconds: float = 0.0
    model_loads: int = 0


class Scheduler:
    def __init__(self, executor: Executor, store: PageStore) -> None:
        self.executor = executor
        self.store = store
        self.workers: dict[str, WorkerStats] = {}
        self._queue: deque[Task] = deque()
        self._suspects: deque[Task] = deque()
        self._remaining: dict[str, int] = {}  # doc_id -> pages still to come
        # Full page results (words, boxes) of documents being finished: the finish task gets only their text.
        self._finishing: dict[str, list[PageResult]] = {}

    def add_pdf(self, source: ingest.SourceFile, doc: DocumentResult) -> None:
        """Queue the searchable PDF of a stored document, ahead of new pages (it holds the document)."""
        self._queue.appendleft(Task(KIND_PDF, source, doc=doc))

    def run(self, sources: Iterator[ingest.SourceFile]) -> Iterator[PageDone | DocumentDone | PdfDone]:
        """Yield pages and documents as they finish, in completion order."""
        in_flight: dict[Any, Task] = {}
        exhausted = False
        while True:
            exhausted = self._fill(in_flight, sources, exhausted)
            if not in_flight:
                if exhausted and not self._queue and not self._suspects:
                    return
                continue
            for handle in self.executor.wait_any(in_flight):
                task = in_flight.pop(handle)
                value = self._outcome(handle, task)
                if value is not None:
                    yield from self._completed(task, value)

    def _fill(
        self, in_flight: dict[Any, Task], sources: Iterator[ingest.SourceFile], exhausted: bool
    ) -> bool:
        if self._suspects:
            # Suspects run alone, so that a pool breaking under one of them tells which one it was.
            if not in_flight:
                task = self._suspects.popleft()
                in_flight[self.executor.submit(task)] = task
            return exhausted
        capacity = self.executor.capacity()
        while len(in_flight) < capacity:
            if not self._queue:
                if exhausted:
                    break
                source = next(sources, None)
                if source is None:
                    exhausted = True
                    break
                self._plan(source)
                continue
            task = self._queue.popleft()
            in_flight[self.executor.submit(task)] = task
        return exhausted

    def _plan(self, source: ingest.SourceFile) -> None:
        """Queue a document's tasks: its missing pages, or straight to 'finish' when all are checkpointed."""
        if source.kind == ingest.KIND_TEXT:
            self._queue.append(Task(KIND_TEXT, source))
            return
        done = self.store.done_pages(source.doc_id)
        missing = [i for i in range(source.n_pages) if i not in done]
        self._remaining[source.doc_id] = len(missing)
        if not missing:
            self._queue.appendleft(self._finish_task(source))
        for index in missing:
            self._queue.append(Task(KIND_PAGE, source, index))

    def _finish_task(self, source: ingest.SourceFile) -> Task:
        self._remaining.pop(source.doc_id, None)
        pages = self.store.load_pages(source.doc_id)
        self._finishing[source.doc_id] = pages
        return Task(KIND_FINISH, source, pages=[page.text_only() for page in pages])

    def _outcome(self, handle: Any, task: Task) -> PageResult | DocumentResult | PdfResult | None:
        """The task's result, or None when it was lost with its pool and will be retried."""
        try:
            outcome = self.executor.outcome(handle)
        except PoolBroken:
            task.attempts += 1
            if task.attempts > 1:  # it was running alone as a suspect: it is the culprit
                return crashed(task, CRASH_REASON)
            self._suspects.append(task)
            return None
        except TaskCrashed as exc:
            return crashed(task, f"{CRASH_REASON} ({exc})")
        except Exception as exc:  # a stage that raises (a bug) costs its own task, never the batch
            return crashed(task, " ".join(f"internal error: {type(exc).__name__}: {exc}".split()))
        self._account(outcome)
        return outcome.value

    def _account(self, outcome: Outcome) -> None:
        stats = self.workers.setdefault(outcome.worker, WorkerStats())
        stats.tasks += 1
        stats.busy_seconds = round(stats.busy_seconds + outcome.seconds, 3)
        stats.peak_rss_mb = max(stats.peak_rss_mb, outcome.peak_rss_mb)
        stats.model_loads = max(stats.model_loads, outcome.model_loads)
        # Cumulative counters of the process: the latest outcome has the largest.
        stats.cpu_seconds = max(stats.cpu_seconds, outcome.cpu_seconds)
        stats.tesseract_cpu_seconds = max(stats.tesseract_cpu_seconds, outcome.tesseract_cpu_seconds)

    def _completed(
        self, task: Task, value: PageResult | DocumentResult | PdfResult
    ) -> Iterator[PageDone | DocumentDone | PdfDone]:
        if isinstance(value, PdfResult):
            yield PdfDone(task.source, value)
            return
        if isinstance(value, DocumentResult):
            yield DocumentDone(task.source, self._with_full_pages(value))
            return
        doc_id = task.source.doc_id
        self.store.save_page(doc_id, value)
        yield PageDone(task.source, value)
        self._remaining[doc_id] -= 1
        if self._remaining[doc_id] == 0:
            # Finishing a document frees its checkpoints and memory: do it before starting new pages.
            self._queue.appendleft(self._finish_task(task.source))

    def _with_full_pages(self, doc: DocumentResult) -> DocumentResult:
        """Put the words and boxes of the pages back into a finished document (they stayed here)."""
        full = {page.index: page for page in self._finishing.pop(doc.doc_id, [])}
        if not doc.pages:  # a failed finish task returns no pages: keep what was read
            doc.pages = sorted(full.values(), key=lambda p: p.index)
            return doc
        for i, page in enumerate(doc.pages):
            whole = full.get(page.index)
            if whole is not None:
                whole.line_start, whole.line_end = page.line_start, page.line_end
                doc.pages[i] = whole
        return doc
