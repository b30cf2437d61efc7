"""The batch: every input file through every stage, in parallel, resumable, with nothing lost.

Inputs are listed first (cheap), then inspected and handed to the :class:`~pipeline.batch.scheduler.Scheduler`
one by one as the executor (a local process pool, or a Dask cluster) has room, so an archive of any size
starts at once and memory stays bounded. Only this process writes to OUT: each finished document's text
and JSON atomically, then its summary in the run ledger (``OUT/manifest.sqlite``); the Parquet tables are
rewritten from the ledger at the end. A killed run leaves only complete files and committed ledger rows,
so the same command resumes it: finished documents are skipped (an unchanged file without even being
read), checkpointed pages are not OCR'd again, and nothing is written twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import chain
from pathlib import Path

from pipeline import __version__
from pipeline.batch.executors import EXECUTOR_LOCAL, open_executor
from pipeline.batch.lock import OutputLock
from pipeline.batch.manifest import Manifest, now_iso
from pipeline.batch.scheduler import DocumentDone, PageDone, PdfDone, Scheduler
from pipeline.batch.tasks import PdfResult, cpu_seconds, make_pdf, peak_rss_mb
from pipeline.errors import ExitCode, IngestError
from pipeline.external import tesseract
from pipeline.logs import file_done, get_logger
from pipeline.outputs import corrections, export
from pipeline.record import DocumentResult, Status, path_doc_id
from pipeline.scan import ingest
from pipeline.stages import ProcessOptions


class ProgressListener:
    """Progress callbacks; the CLI plugs in a rich progress bar, scripts and tests use this silent one."""

    def start(self, n_files: int) -> None: ...
    def add_pages(self, n_pages: int) -> None: ...
    def page_done(self) -> None: ...
    def document_done(self, doc: DocumentResult) -> None: ...
    def document_skipped(self) -> None: ...
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
    def exit_code(self) -> ExitCode:
        return ExitCode.SOME_FAILED if self.n_error or self.n_partial else ExitCode.OK


@dataclass
class BatchOptions:
    """How the batch runs (not what it produces: that is ProcessOptions)."""

    workers: int = os.cpu_count() or 1
    executor: str = EXECUTOR_LOCAL
    scheduler: str | None = None
    force: bool = False
    write_pdf: bool = False
    write_hocr: bool = False


def run_batch(
    inputs: Sequence[Path],
    out_dir: Path,
    options: ProcessOptions,
    batch: BatchOptions | None = None,
    *,
    progress: ProgressListener | None = None,
) -> RunSummary:
    """Process every file under ``inputs`` into ``out_dir``; failures are recorded, never raised.

    Every scanned document that came through gets ``out_dir/alto/<doc_id>.xml`` (ALTO);
    ``batch.write_hocr`` also writes ``out_dir/hocr/<doc_id>.hocr`` and ``batch.write_pdf``
    ``out_dir/pdf/<doc_id>.pdf``, the scans with the restored text searchable (PDF/A, made by the
    workers). Raises LockedError when another run holds ``out_dir``, RunRefused when ``--pdf`` lacks
    OCRmyPDF or Ghostscript.
    """
    batch = batch or BatchOptions()
    out_dir.mkdir(parents=True, exist_ok=True)
    with OutputLock(out_dir), Manifest(out_dir, options.fingerprint()) as manifest:
        export.remove_stale_temporaries(out_dir)
        manifest.reconcile()
        tesseract.check_language(options.lang)
        if batch.write_pdf:
            from pipeline.external import ocrmypdf

            ocrmypdf.check()
        run = _Run(out_dir, options, batch, manifest, progress or ProgressListener())
        clock = time.perf_counter()
        run.execute(inputs)
        export.write_tables(out_dir, manifest.summaries())
        run.summary.finished = now_iso()
        run.summary.seconds = round(time.perf_counter() - clock, 3)
        export.atomic_write_json(out_dir / "run.json", run.run_json(inputs))
        run.progress.finish()
    return run.summary


class _Run:
    """One invocation: decides what to process, writes what comes back, counts."""

    def __init__(
        self,
        out_dir: Path,
        options: ProcessOptions,
        batch: BatchOptions,
        manifest: Manifest,
        progress: ProgressListener,
    ) -> None:
        self.out_dir = out_dir
        self.options = options
        self.batch = batch
        self.manifest = manifest
        self.progress = progress
        self.summary = RunSummary(started=now_iso())
        self.executor_info: dict = {"executor": batch.executor, "workers": 0}
        self.workers: dict = {}
        self.log = get_logger()
        # Searchable PDFs are made by the workers: queued once the document is stored (or, for a document
        # done before, once found without its PDF), even before the scheduler starts.
        self.scheduler: Scheduler | None = None
        self.pending_pdfs: list[tuple[ingest.SourceFile, DocumentResult]] = []
        self.pdfs_queued: set[str] = set()
        self.here = replace(batch, write_pdf=False)  # the page outputs this process writes itself

    def execute(self, inputs: Sequence[Path]) -> None:
        # Absolute paths: workers (on other machines, in other folders) must find the files, and a rerun
        # from another working directory must recognise the inputs in the ledger.
        found = list(ingest.discover([Path(p).absolute() for p in inputs]))
        self.progress.start(len(found))
        sources = self._sources(found)
        first = next(sources, None)
        if first is None and not self.pending_pdfs:
            return  # nothing to do: do not start workers
        executor = open_executor(
            self.batch.executor, self.options, workers=self.batch.workers, scheduler=self.batch.scheduler
        )
        export.prepare_tables_in_background()
        try:
            scheduler = self.scheduler = Scheduler(executor, self.manifest)
            for source, doc in self.pending_pdfs:
                scheduler.add_pdf(source, doc)
            self.pending_pdfs.clear()
            for event in scheduler.run(chain([first] if first else [], sources)):
                if isinstance(event, PageDone):
                    self.progress.page_done()
                elif isinstance(event, DocumentDone):
                    self._store(event.doc, event.source)
                elif isinstance(event, PdfDone):
                    _store_pdf(self.out_dir, event.result, ingest.display_path(event.source.path))
            self.executor_info = executor.describe()
            self.workers = {name: asdict(stats) for name, stats in scheduler.workers.items()}
        finally:
            executor.close()

    def _sources(self, found: list[ingest.DiscoveredPath]) -> Iterator[ingest.SourceFile]:
        """Inspect inputs lazily; record unreadable ones at once and leave out those done or duplicated."""
        seen: dict[str, str] = {}
        for item in found:
            self.summary.n_inputs += 1
            path = ingest.display_path(item.path)  # non-UTF-8 names: storable and readable (\xNN)
            try:
                if item.error:
                    raise IngestError(item.error)
                stat = item.path.stat()
                if not self.batch.force and self.manifest.unchanged_and_done(
                    path, stat.st_size, stat.st_mtime_ns
                ):
                    self._skip(path, None, real=item.path)
                    continue
                source = ingest.inspect(item.path, dpi=self.options.dpi)
            except (IngestError, OSError) as exc:
                self._unreadable(path, str(exc) if isinstance(exc, IngestError) else f"cannot read: {exc}")
                continue
            self._forget_unreadable(path)
            identity = {
                "size": source.size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": source.sha256,
                "doc_id": source.doc_id,
                "kind": source.kind,
                "n_pages": source.n_pages,
            }
            for warning in source.warnings:
                self.log.warning("%s: %s", path, warning, extra={"event": "file_warning", "path": path})
            if source.doc_id in seen:
                self.log.info(
                    "%s: same content as %s, processed once",
                    path,
                    seen[source.doc_id],
                    extra={"event": "duplicate", "path": path, "doc_id": source.doc_id},
                )
                self.manifest.record_input(path, status=Status.DUPLICATE, **identity)
                self._skip(path, None, source.kind, real=item.path)
                continue
            seen[source.doc_id] = path
            if not self.batch.force and self.manifest.document_done(source.doc_id):
                self.manifest.record_input(path, status=Status.OK, **identity)
                self._skip(path, source.doc_id, source.kind, real=item.path)
                continue
            self.manifest.record_input(path, status=Status.RUNNING, attempt=True, **identity)
            if source.kind != ingest.KIND_TEXT:
                self.progress.add_pages(source.n_pages)
            yield source

    def _skip(
        self, path: str, doc_id: str | None, kind: str | None = None, *, real: Path | None = None
    ) -> None:
        """A document already done; writes those of its page outputs (ALTO, hOCR, PDF) that are missing."""
        self.summary.n_skipped += 1
        self.progress.document_skipped()
        doc_id = doc_id or self.manifest.doc_id_of(path)
        missing = _missing_outputs(self.out_dir, doc_id, self.batch) if doc_id else []
        if missing and (kind or self.manifest.kind_of(path)) != ingest.KIND_TEXT:
            doc = export.read_result(self.out_dir, doc_id)
            if doc is not None:
                _write_outputs(self.out_dir, doc, self.here, only=missing)
                if "pdf" in missing:
                    self._queue_pdf(doc, _stored_source(doc, real))

    def _unreadable(self, path: str, message: str) -> None:
        doc = DocumentResult.failed(path, message)
        self.manifest.record_input(path, status=Status.ERROR, doc_id=doc.doc_id, error=message, attempt=True)
        self._store(doc)

    def _forget_unreadable(self, path: str) -> None:
        """A file that failed before and is readable now must lose its old error record."""
        stale = path_doc_id(path)
        export.document_path(self.out_dir, stale).unlink(missing_ok=True)
        self.manifest.forget_document(stale)

    def _store(self, doc: DocumentResult, source: ingest.SourceFile | None = None) -> None:
        doc.source_path = ingest.display_path(doc.source_path)
        doc.processed_at = now_iso()
        corrections.reapply(self.out_dir, doc)  # what an archivist corrected survives any rerun
        export.write_document(self.out_dir, doc)
        self.manifest.finish_document(doc)
        _write_outputs(self.out_dir, doc, self.here)
        if self.batch.write_pdf and source is not None:
            self._queue_pdf(doc, source)
        _count(self.summary, doc)
        if doc.status is not Status.OK:
            self.log.error(
                "%s: %s",
                doc.source_path,
                doc.error,
                extra={
                    "event": "file_failed",
                    "path": doc.source_path,
                    "doc_id": doc.doc_id,
                    "status": doc.status.value,
                },
            )
        else:
            file_done(doc.source_path, doc.doc_id, doc.status.value)
        self.progress.document_done(doc)

    def _queue_pdf(self, doc: DocumentResult, source: ingest.SourceFile) -> None:
        """Have a worker make the searchable PDF of a stored scanned document (once per run)."""
        if not _has_pages(doc) or doc.doc_id in self.pdfs_queued:
            return
        self.pdfs_queued.add(doc.doc_id)
        if self.scheduler is None:
            self.pending_pdfs.append((source, doc))
        else:
            self.scheduler.add_pdf(source, doc)

    def run_json(self, inputs: Sequence[Path]) -> dict:
        return {
            "pipeline_version": __version__,
            "tesseract_version": tesseract.version(),
            "inputs": [ingest.display_path(p) for p in inputs],
            "options": {**asdict(self.options), "fingerprint": self.options.fingerprint()},
            "batch": asdict(self.batch),
            "executor": self.executor_info,
            "workers": self.workers,
            "main_peak_rss_mb": peak_rss_mb(),
            "main_cpu_seconds": cpu_seconds(),
            **asdict(self.summary),
            "exit_code": self.summary.exit_code,
        }


def _page_outputs(out_dir: Path, doc_id: str, batch: BatchOptions) -> dict[str, Path]:
    """The per-document files made from the pages, by kind: ALTO always, hOCR and PDF when asked for."""
    outputs = {"alto": out_dir / "alto" / f"{doc_id}.xml"}
    if batch.write_hocr:
        outputs["hocr"] = out_dir / "hocr" / f"{doc_id}.hocr"
    if batch.write_pdf:
        outputs["pdf"] = out_dir / "pdf" / f"{doc_id}.pdf"
    return outputs


def _missing_outputs(out_dir: Path, doc_id: str, batch: BatchOptions) -> list[str]:
    return [kind for kind, path in _page_outputs(out_dir, doc_id, batch).items() if not path.exists()]


def _has_pages(doc: DocumentResult) -> bool:
    """A scanned document that came through (text dumps have no pages)."""
    return doc.status.done and doc.kind != ingest.KIND_TEXT and bool(doc.pages)


def _stored_source(doc: DocumentResult, path: Path | None) -> ingest.SourceFile:
    """The source of a document stored by an earlier run, as far as the worker making its PDF needs it
    (the worker checks the file's content against ``doc.sha256``)."""
    dpi = max((p.dpi or 0 for p in doc.pages), default=0) or 300
    return ingest.SourceFile(
        path=path or Path(doc.source_path),
        kind=doc.kind or "",
        sha256=doc.sha256 or doc.doc_id,
        size=doc.size_bytes or 0,
        n_pages=doc.n_pages or len(doc.pages),
        dpi=dpi,
    )


def _write_outputs(
    out_dir: Path, doc: DocumentResult, batch: BatchOptions, only: list[str] | None = None
) -> None:
    """The page outputs of a scanned document that came through (text dumps have no pages): in this
    process, from the stored result; failing to write one costs a warning, not the document."""
    if not _has_pages(doc):
        return
    for kind in _page_outputs(out_dir, doc.doc_id, batch):
        if only is not None and kind not in only:
            continue
        if kind == "pdf":
            _write_pdf(out_dir, doc)
        else:
            _write_layout(out_dir, doc, kind)


def rewrite_outputs(out_dir: Path, doc: DocumentResult, *, pdf: bool = True) -> None:
    """After a stored document changed (a correction): its ALTO again, and its hOCR and (with ``pdf``) its
    PDF where a run wrote them."""
    existing = _page_outputs(out_dir, doc.doc_id, BatchOptions(write_pdf=True, write_hocr=True))
    batch = BatchOptions(write_pdf=pdf and existing["pdf"].exists(), write_hocr=existing["hocr"].exists())
    _write_outputs(out_dir, doc, batch)


def rewrite_pdf(out_dir: Path, doc: DocumentResult) -> None:
    """Make a stored document's searchable PDF again (in this process; a warning when it cannot be)."""
    _write_pdf(out_dir, doc)


def _write_layout(out_dir: Path, doc: DocumentResult, kind: str) -> None:
    from pipeline.outputs.alto import write_alto
    from pipeline.outputs.hocr import write_hocr

    try:
        (write_alto if kind == "alto" else write_hocr)(out_dir, doc)
    except Exception as exc:
        get_logger().warning(
            "%s: no %s: %s",
            doc.source_path,
            "ALTO" if kind == "alto" else "hOCR",
            exc,
            extra={"event": f"{kind}_failed", "path": doc.source_path, "doc_id": doc.doc_id},
        )


def _write_pdf(out_dir: Path, doc: DocumentResult) -> None:
    """A searchable PDF for a scanned document, made in this process (a batch has its workers make
    them); failing to write one costs a warning, not the document."""
    if _has_pages(doc):
        _store_pdf(out_dir, make_pdf(None, doc), doc.source_path)


def _store_pdf(out_dir: Path, result: PdfResult, path: str) -> None:
    """Write a searchable PDF a worker made, or log why there is none."""
    if result.data is not None:
        try:
            export.atomic_write_bytes(out_dir / "pdf" / f"{result.doc_id}.pdf", result.data)
            return
        except OSError as exc:
            result = PdfResult(result.doc_id, error=f"cannot write it: {exc}")
    get_logger().warning(
        "%s: no searchable PDF: %s",
        path,
        result.error,
        extra={"event": "pdf_failed", "path": path, "doc_id": result.doc_id},
    )


def _count(summary: RunSummary, doc: DocumentResult) -> None:
    if doc.status is Status.OK:
        summary.n_ok += 1
    elif doc.status is Status.PARTIAL:
        summary.n_partial += 1
    else:
        summary.n_error += 1
    if doc.status is not Status.OK:
        summary.failures.append({"path": doc.source_path, "status": doc.status.value, "error": doc.error})
    summary.n_pages += len(doc.pages)
